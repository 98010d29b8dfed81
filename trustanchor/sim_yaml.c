/*
 * sim_yaml.c - strict reading of YAML plans and populations with libfyaml:
 * unknown keys, aliases, tags and wrong node types are errors that name the
 * node's path.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "lib/error.h"
#include "lib/timeutil.h"
#include "trustanchor/sim_int.h"

#define SIM_YAML_MAX (4 * 1024 * 1024)

struct diag_sink {
	char *buf;
	size_t len;
	int have;
};

static void diag_out(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	struct diag_sink *d = user;

	(void)diag;
	if (d->have || !d->buf || !d->len)
		return;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	snprintf(d->buf, d->len, "YAML: %.*s", (int)(len > 400 ? 400 : len), buf);
	d->have = 1;
}

/* Strict UTF-8 (no overlong forms, surrogates or NUL); 0 if fine, else the
 * offset + 1 of the first bad byte. */
static size_t bad_utf8(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned c = s[i], n, min, cp;
		if (c == 0)
			return i + 1;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, min = 0x80, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, min = 0x800, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, min = 0x10000, cp = c & 0x07;
		else
			return i + 1;
		if (len - i <= n)
			return i + 1;
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i + 1;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i + 1;
		i += n + 1;
	}
	return 0;
}

int sim_y_open(const char *yaml, size_t len, struct fy_document **doc, char *errbuf, size_t errlen)
{
	struct diag_sink sink = {errbuf, errlen, 0};
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag = NULL;
	struct fy_parse_cfg cfg;
	struct fy_document *d = NULL;
	size_t off;

	if (len > SIM_YAML_MAX)
		return sim_err(errbuf, errlen, KR_ETOOBIG, "YAML input larger than %d bytes",
			       SIM_YAML_MAX);
	/* Checked before libfyaml sees the text: 0.7.12 loops forever on a
	 * directive line holding invalid UTF-8, and our formats need neither. */
	if ((off = bad_utf8((const unsigned char *)yaml, len)))
		return sim_err(errbuf, errlen, KR_EMALFORMED, "YAML: invalid UTF-8 at byte %zu", off - 1);
	for (size_t i = 0; i < len; i++)
		if (yaml[i] == '%' && (i == 0 || yaml[i - 1] == '\n' || yaml[i - 1] == '\r'))
			return sim_err(errbuf, errlen, KR_EMALFORMED,
				       "YAML: directives (%%YAML, %%TAG) are not accepted");
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = diag_out;
	dcfg.user = &sink;
	dcfg.colorize = false;
	dcfg.show_source = false;
	if (!(diag = fy_diag_create(&dcfg)))
		return sim_err(errbuf, errlen, KR_ELIB, "libfyaml: cannot create diagnostics");
	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = FYPCF_QUIET;
	cfg.diag = diag;
	d = fy_document_build_from_string(&cfg, yaml, len);
	fy_diag_unref(diag);
	if (!d) {
		if (!sink.have)
			sim_err(errbuf, errlen, 0, "YAML syntax error");
		return KR_EMALFORMED;
	}
	if (!fy_document_root(d)) {
		fy_document_destroy(d);
		return sim_err(errbuf, errlen, KR_EMALFORMED, "empty YAML document");
	}
	*doc = d;
	return 0;
}

void sim_y_close(struct fy_document *doc)
{
	if (doc)
		fy_document_destroy(doc);
}

int sim_y_err(struct fy_node *n, char *errbuf, size_t errlen, const char *fmt, ...)
{
	char msg[256];
	char *path = n ? fy_node_get_path(n) : NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sim_err(errbuf, errlen, 0, "%s: %s", path && *path ? path : "/", msg);
	free(path);
	return KR_EMALFORMED;
}

static int plain(struct fy_node *n, char *errbuf, size_t errlen)
{
	size_t tl = 0;

	if (!n)
		return sim_y_err(NULL, errbuf, errlen, "missing value");
	if (fy_node_get_style(n) == FYNS_ALIAS)
		return sim_y_err(n, errbuf, errlen, "aliases are not accepted");
	if (fy_node_get_tag(n, &tl) && tl)
		return sim_y_err(n, errbuf, errlen, "tags are not accepted");
	return 0;
}

int sim_y_map(struct fy_node *n, const char *const *allowed, char *errbuf, size_t errlen)
{
	struct fy_node_pair *pair;
	void *it = NULL;
	int rc;

	if ((rc = plain(n, errbuf, errlen)))
		return rc;
	if (!fy_node_is_mapping(n))
		return sim_y_err(n, errbuf, errlen, "expected a mapping");
	while ((pair = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *k = fy_node_pair_key(pair);
		const char *name = NULL;
		size_t i;
		if (!k || !fy_node_is_scalar(k) || !(name = fy_node_get_scalar0(k)))
			return sim_y_err(n, errbuf, errlen, "keys must be plain scalars");
		for (i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], name) == 0)
				break;
		if (!allowed[i])
			return sim_y_err(n, errbuf, errlen, "unknown key '%s'", name);
		if (!fy_node_pair_value(pair))
			return sim_y_err(n, errbuf, errlen, "key '%s' has no value", name);
		if ((rc = plain(fy_node_pair_value(pair), errbuf, errlen)))
			return rc;
	}
	return 0;
}

struct fy_node *sim_y_get(struct fy_node *map, const char *key)
{
	return map ? fy_node_mapping_lookup_by_string(map, key, FY_NT) : NULL;
}

int sim_y_str(struct fy_node *n, const char **s, char *errbuf, size_t errlen)
{
	int rc;

	if ((rc = plain(n, errbuf, errlen)))
		return rc;
	if (!fy_node_is_scalar(n) || !(*s = fy_node_get_scalar0(n)))
		return sim_y_err(n, errbuf, errlen, "expected a scalar");
	return 0;
}

int sim_y_time(struct fy_node *n, int64_t *t, char *errbuf, size_t errlen)
{
	const char *s;
	int rc;

	if ((rc = sim_y_str(n, &s, errbuf, errlen)))
		return rc;
	if (kr_time_parse(s, t) != 0)
		return sim_y_err(n, errbuf, errlen, "bad date '%s' (YYYY-MM-DD[THH:MM:SSZ])", s);
	return 0;
}

int sim_y_uint(struct fy_node *n, uint64_t max, uint64_t *v, char *errbuf, size_t errlen)
{
	const char *s;
	char *end = NULL;
	unsigned long long x;
	int rc;

	if ((rc = sim_y_str(n, &s, errbuf, errlen)))
		return rc;
	errno = 0;
	if (*s < '0' || *s > '9' || (x = strtoull(s, &end, 10), errno) || *end || x > max)
		return sim_y_err(n, errbuf, errlen, "expected an integer 0..%llu, not '%s'",
				 (unsigned long long)max, s);
	*v = x;
	return 0;
}

int sim_y_dur(struct fy_node *n, int64_t *secs, char *errbuf, size_t errlen)
{
	const char *s;
	uint64_t v;
	int rc;

	if ((rc = sim_y_str(n, &s, errbuf, errlen)))
		return rc;
	if (*s == 'P') {
		if (kr_duration_parse(s, secs) != 0)
			return sim_y_err(n, errbuf, errlen, "bad duration '%s' (ISO 8601, e.g. P30D)", s);
		return 0;
	}
	if ((rc = sim_y_uint(n, 20ULL * 366 * 86400, &v, errbuf, errlen)))
		return rc;
	*secs = (int64_t)v;
	return 0;
}

int sim_y_double(struct fy_node *n, double lo, double hi, double *v, char *errbuf, size_t errlen)
{
	const char *s;
	char *end = NULL;
	double x;
	int rc;

	if ((rc = sim_y_str(n, &s, errbuf, errlen)))
		return rc;
	errno = 0;
	x = strtod(s, &end);
	if (!*s || errno || *end || !(x >= lo && x <= hi))
		return sim_y_err(n, errbuf, errlen, "expected a number in [%g, %g], not '%s'", lo, hi, s);
	*v = x;
	return 0;
}

int sim_y_bool(struct fy_node *n, int *v, char *errbuf, size_t errlen)
{
	const char *s;
	int rc;

	if ((rc = sim_y_str(n, &s, errbuf, errlen)))
		return rc;
	if (!strcmp(s, "true") || !strcmp(s, "yes"))
		*v = 1;
	else if (!strcmp(s, "false") || !strcmp(s, "no"))
		*v = 0;
	else
		return sim_y_err(n, errbuf, errlen, "expected true or false, not '%s'", s);
	return 0;
}

static int key_bit(struct fy_node *n, const struct sim_key *keys, size_t nkeys, uint8_t *mask,
		   char *errbuf, size_t errlen)
{
	const char *s;
	int rc;

	if ((rc = sim_y_str(n, &s, errbuf, errlen)))
		return rc;
	for (size_t i = 0; i < nkeys; i++)
		if (strcmp(keys[i].name, s) == 0) {
			*mask |= (uint8_t)(1u << i);
			return 0;
		}
	return sim_y_err(n, errbuf, errlen, "no key named '%s'", s);
}

int sim_y_keys(struct fy_node *n, const struct sim_key *keys, size_t nkeys, uint8_t *mask,
	       char *errbuf, size_t errlen)
{
	struct fy_node *item;
	void *it = NULL;
	int rc;

	*mask = 0;
	if ((rc = plain(n, errbuf, errlen)))
		return rc;
	if (fy_node_is_scalar(n))
		return key_bit(n, keys, nkeys, mask, errbuf, errlen);
	if (!fy_node_is_sequence(n))
		return sim_y_err(n, errbuf, errlen, "expected a key name or a list of key names");
	while ((item = fy_node_sequence_iterate(n, &it)))
		if ((rc = key_bit(item, keys, nkeys, mask, errbuf, errlen)))
			return rc;
	return 0;
}
