/*
 * sim_yaml.c - strict reading of YAML plans and populations (lib/yaml.h,
 * libfyaml): unknown keys, aliases, tags and wrong node types are errors that
 * name the node's path.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "lib/error.h"
#include "lib/yaml.h"
#include "lib/timeutil.h"
#include "trustanchor/sim_int.h"

int sim_y_open(const char *yaml, size_t len, struct fy_document **doc, char *errbuf, size_t errlen)
{
	char why[400] = "";
	int rc;

	/* lib/yaml.c: size cap, UTF-8 text only, no directives, quiet parse */
	if ((rc = kr_yaml_parse(yaml, len, doc, why, sizeof(why))))
		return sim_err(errbuf, errlen, rc == KR_ETOOBIG ? rc : KR_EMALFORMED, "YAML: %s",
			       rc == KR_ETOOBIG ? "larger than 1 MiB" : why[0] ? why : "syntax error");
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
