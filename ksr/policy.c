/*
 * policy.c - load the YAML policy (ksr/policy.h) with libfyaml.
 *
 * Every mapping is walked key by key against a table of known keys, so an
 * unknown or misspelt key is an error naming it, never a silent default.
 * Required keys are listed explicitly; the optional ones say what their
 * absence means in policy.h.  Values are range-checked and pairs of limits
 * must be ordered (min <= max).  libfyaml's diagnostics are captured into
 * the error buffer instead of being printed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfyaml.h>

#include "ksr/policy.h"
#include "lib/encode.h"
#include "lib/error.h"
#include "lib/yaml.h"
#include "lib/fileio.h"
#include "lib/timeutil.h"

#define POLICY_MAX_SIZE (256 * 1024)

struct pctx {
	char *err;
	size_t errlen;
};

static int perr(struct pctx *c, int rc, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int perr(struct pctx *c, int rc, const char *where, const char *fmt, ...)
{
	if (c->err != NULL && c->errlen > 0) {
		char msg[200];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		snprintf(c->err, c->errlen, "%s: %s", where, msg);
	}
	return rc;
}

/* The scalar text of n as a NUL-terminated copy in buf. */
static int scalar(struct pctx *c, struct fy_node *n, const char *where, char *buf, size_t size)
{
	size_t len = 0;
	const char *s = NULL;
	if (n == NULL || !fy_node_is_scalar(n) || fy_node_is_alias(n))
		return perr(c, KR_EMALFORMED, where, "expected a single value");
	s = fy_node_get_scalar(n, &len);
	if (s == NULL || len == 0)
		return perr(c, KR_EMALFORMED, where, "empty value");
	if (len >= size || memchr(s, '\0', len) != NULL)
		return perr(c, KR_EMALFORMED, where, "value too long");
	memcpy(buf, s, len);
	buf[len] = '\0';
	return KR_OK;
}

static int get_uint(struct pctx *c, struct fy_node *n, const char *where, uint64_t max,
		    uint64_t *out)
{
	char buf[32];
	int rc = scalar(c, n, where, buf, sizeof(buf));
	if (rc != KR_OK)
		return rc;
	uint64_t v = 0;
	for (const char *p = buf; *p; p++) {
		if (*p < '0' || *p > '9')
			return perr(c, KR_EMALFORMED, where, "bad number \"%s\"", buf);
		if (v > (UINT64_MAX - 9) / 10)
			return perr(c, KR_ERANGE, where, "number too large");
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > max)
		return perr(c, KR_ERANGE, where, "%s is above %llu", buf, (unsigned long long)max);
	*out = v;
	return KR_OK;
}

static int get_duration(struct pctx *c, struct fy_node *n, const char *where, int64_t *out)
{
	char buf[64];
	int rc = scalar(c, n, where, buf, sizeof(buf));
	if (rc == KR_OK && kr_duration_parse(buf, out) != KR_OK)
		rc = perr(c, KR_EMALFORMED, where, "bad duration \"%s\" (ISO 8601, e.g. P21D)", buf);
	return rc;
}

static int get_time(struct pctx *c, struct fy_node *n, const char *where, int64_t *out)
{
	char buf[64];
	int rc = scalar(c, n, where, buf, sizeof(buf));
	if (rc == KR_OK && kr_time_parse(buf, out) != KR_OK)
		rc = perr(c, KR_EMALFORMED, where, "bad time \"%s\"", buf);
	return rc;
}

static int get_alg(struct pctx *c, struct fy_node *n, const char *where, uint8_t *out)
{
	char buf[32];
	int rc = scalar(c, n, where, buf, sizeof(buf));
	if (rc == KR_OK && kr_alg_from_name(buf, out) != KR_OK)
		rc = perr(c, KR_EMALFORMED, where, "unknown algorithm \"%s\"", buf);
	return rc;
}

/*
 * Walk mapping m: for each key, find it in names[] and call fn(ctx, index,
 * value, path).  Unknown keys, non-string keys and a non-mapping m are
 * errors; seen[i] is set for each key found (for required-key checks).
 */
typedef int (*field_fn)(struct pctx *c, void *obj, size_t idx, struct fy_node *v,
			const char *where);

static int walk_map(struct pctx *c, struct fy_node *m, const char *where,
		    const char *const *names, const char *const *ignored, int *seen, field_fn fn,
		    void *obj)
{
	struct fy_node_pair *pair = NULL;
	void *iter = NULL;
	if (m == NULL || !fy_node_is_mapping(m))
		return perr(c, KR_EMALFORMED, where, "expected a mapping");
	while ((pair = fy_node_mapping_iterate(m, &iter)) != NULL) {
		char key[64], path[200];
		int rc = scalar(c, fy_node_pair_key(pair), where, key, sizeof(key));
		if (rc != KR_OK)
			return rc;
		snprintf(path, sizeof(path), "%s%s%s", where, where[0] ? "." : "", key);
		size_t i;
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (names[i] == NULL) {
			int skip = 0;
			for (size_t j = 0; ignored != NULL && ignored[j] != NULL; j++)
				if (strcmp(key, ignored[j]) == 0)
					skip = 1;
			if (skip)
				continue;
			return perr(c, KR_EMALFORMED, path, "unknown key");
		}
		seen[i] = 1;
		rc = fn(c, obj, i, fy_node_pair_value(pair), path);
		if (rc != KR_OK)
			return rc;
	}
	return KR_OK;
}

static int require(struct pctx *c, const char *where, const char *const *names, const int *seen,
		   const char *const *required)
{
	for (size_t r = 0; required[r] != NULL; r++)
		for (size_t i = 0; names[i] != NULL; i++)
			if (strcmp(names[i], required[r]) == 0 && !seen[i])
				return perr(c, KR_EMALFORMED, where, "missing key \"%s\"", required[r]);
	return KR_OK;
}

/* A sequence of unsigned numbers into out[max]. */
static int get_uint_seq(struct pctx *c, struct fy_node *n, const char *where, uint64_t maxval,
			size_t max, uint64_t *out, size_t *count)
{
	void *iter = NULL;
	struct fy_node *item;
	size_t k = 0;
	if (n == NULL || !fy_node_is_sequence(n))
		return perr(c, KR_EMALFORMED, where, "expected a list");
	while ((item = fy_node_sequence_iterate(n, &iter)) != NULL) {
		char p[220];
		snprintf(p, sizeof(p), "%s[%zu]", where, k + 1);
		if (k == max)
			return perr(c, KR_ETOOBIG, where, "more than %zu entries", max);
		int rc = get_uint(c, item, p, maxval, &out[k]);
		if (rc != KR_OK)
			return rc;
		k++;
	}
	if (k == 0)
		return perr(c, KR_EMALFORMED, where, "empty list");
	*count = k;
	return KR_OK;
}

/* --- ksk_policy --------------------------------------------------------- */

static const char *const ksk_names[] = {"ttl", "publish_safety", "retire_safety",
					"max_signature_validity", "min_signature_validity",
					"max_validity_overlap", "min_validity_overlap", NULL};

static int ksk_field(struct pctx *c, void *obj, size_t idx, struct fy_node *v, const char *where)
{
	struct kr_policy *p = obj;
	uint64_t u = 0;
	int rc;
	switch (idx) {
	case 0:
		rc = get_uint(c, v, where, INT32_MAX, &u); /* RFC 2181: TTLs fit 31 bits */
		if (rc == KR_OK && u == 0)
			rc = perr(c, KR_ERANGE, where, "must be above 0");
		p->dnskey_ttl = (uint32_t)u;
		return rc;
	case 1:
		return get_duration(c, v, where, &p->ksk.publish_safety);
	case 2:
		return get_duration(c, v, where, &p->ksk.retire_safety);
	case 3:
		return get_duration(c, v, where, &p->ksk.max_sig_validity);
	case 4:
		return get_duration(c, v, where, &p->ksk.min_sig_validity);
	case 5:
		return get_duration(c, v, where, &p->ksk.max_validity_overlap);
	default:
		return get_duration(c, v, where, &p->ksk.min_validity_overlap);
	}
}

/* --- keys ----------------------------------------------------------------- */

static const char *const key_names[] = {"label", "description", "key_tag", "algorithm",
					"size", "exponent", "ds_sha256", "valid_from",
					"valid_until", NULL};

static int key_field(struct pctx *c, void *obj, size_t idx, struct fy_node *v, const char *where)
{
	struct kr_policy_ksk *k = obj;
	uint64_t u = 0;
	char buf[130];
	int rc;
	switch (idx) {
	case 0:
		return scalar(c, v, where, k->label, sizeof(k->label));
	case 1:
		return scalar(c, v, where, k->description, sizeof(k->description));
	case 2:
		rc = get_uint(c, v, where, UINT16_MAX, &u);
		k->key_tag = (uint16_t)u;
		return rc;
	case 3:
		return get_alg(c, v, where, &k->algorithm);
	case 4:
		rc = get_uint(c, v, where, 16384, &u);
		k->size = (unsigned)u;
		return rc;
	case 5:
		return get_uint(c, v, where, UINT64_MAX, &k->exponent);
	case 6: {
		uint8_t *bin = NULL;
		size_t len = 0;
		rc = scalar(c, v, where, buf, sizeof(buf));
		if (rc != KR_OK)
			return rc;
		if (kr_hex_decode(buf, strlen(buf), 32, &bin, &len) != KR_OK || len != 32) {
			free(bin);
			return perr(c, KR_EMALFORMED, where, "expected 64 hex digits");
		}
		memcpy(k->ds_sha256, bin, 32);
		k->has_ds = 1;
		free(bin);
		return KR_OK;
	}
	case 7:
		return get_time(c, v, where, &k->valid_from);
	default:
		return get_time(c, v, where, &k->valid_until);
	}
}

static int read_keys(struct pctx *c, struct fy_node *n, const char *where, struct kr_policy *p)
{
	static const char *const required[] = {"label", "algorithm", "valid_from", NULL};
	void *iter = NULL;
	struct fy_node *item;
	if (n == NULL || !fy_node_is_sequence(n))
		return perr(c, KR_EMALFORMED, where, "expected a list");
	while ((item = fy_node_sequence_iterate(n, &iter)) != NULL) {
		char path[200];
		int seen[16] = {0};
		snprintf(path, sizeof(path), "%s[%zu]", where, p->nksks + 1);
		if (p->nksks == KR_POLICY_MAX_KSKS)
			return perr(c, KR_ETOOBIG, where, "more than %d keys", KR_POLICY_MAX_KSKS);
		struct kr_policy_ksk *k = &p->ksks[p->nksks];
		int rc = walk_map(c, item, path, key_names, NULL, seen, key_field, k);
		if (rc == KR_OK)
			rc = require(c, path, key_names, seen, required);
		if (rc != KR_OK)
			return rc;
		if (!kr_alg_supported(k->algorithm))
			return perr(c, KR_EALG, path, "algorithm %u is not supported for signing",
				    k->algorithm);
		if (k->valid_until != 0 && k->valid_until <= k->valid_from)
			return perr(c, KR_ERANGE, path, "valid_until is not after valid_from");
		if (kr_policy_find_ksk(p, k->label) != NULL)
			return perr(c, KR_EEXIST, path, "label \"%s\" listed twice", k->label);
		p->nksks++;
	}
	return KR_OK;
}

/* --- request_policy ----------------------------------------------------- */

static const char *const alg_names[] = {"algorithm", "sizes", "exponents", NULL};

static int alg_field(struct pctx *c, void *obj, size_t idx, struct fy_node *v, const char *where)
{
	struct kr_policy_alg *a = obj;
	uint64_t vals[KR_POLICY_MAX_VALUES];
	size_t n = 0;
	int rc;
	switch (idx) {
	case 0:
		return get_alg(c, v, where, &a->algorithm);
	case 1:
		rc = get_uint_seq(c, v, where, 16384, KR_POLICY_MAX_VALUES, vals, &n);
		for (size_t i = 0; rc == KR_OK && i < n; i++)
			a->sizes[i] = (unsigned)vals[i];
		a->nsizes = n;
		return rc;
	default:
		rc = get_uint_seq(c, v, where, UINT64_MAX, KR_POLICY_MAX_VALUES, a->exponents, &n);
		a->nexponents = n;
		return rc;
	}
}

static int read_algs(struct pctx *c, struct fy_node *n, const char *where, struct kr_policy *p)
{
	static const char *const required[] = {"algorithm", NULL};
	void *iter = NULL;
	struct fy_node *item;
	if (n == NULL || !fy_node_is_sequence(n))
		return perr(c, KR_EMALFORMED, where, "expected a list");
	while ((item = fy_node_sequence_iterate(n, &iter)) != NULL) {
		char path[200];
		int seen[4] = {0};
		snprintf(path, sizeof(path), "%s[%zu]", where, p->nalgs + 1);
		if (p->nalgs == KR_POLICY_MAX_ALGS)
			return perr(c, KR_ETOOBIG, where, "more than %d entries", KR_POLICY_MAX_ALGS);
		struct kr_policy_alg *a = &p->algs[p->nalgs];
		int rc = walk_map(c, item, path, alg_names, NULL, seen, alg_field, a);
		if (rc == KR_OK)
			rc = require(c, path, alg_names, seen, required);
		if (rc != KR_OK)
			return rc;
		const char *why = kr_alg_refused(a->algorithm);
		if (why != NULL)
			return perr(c, KR_EPOLICY, path, "algorithm %u must not be approved: %s",
				    a->algorithm, why);
		int rsa = a->algorithm == KR_ALG_RSASHA256 || a->algorithm == KR_ALG_RSASHA512;
		if (!rsa && a->nexponents > 0)
			return perr(c, KR_EMALFORMED, path, "exponents apply to RSA only");
		p->nalgs++;
	}
	if (p->nalgs == 0)
		return perr(c, KR_EMALFORMED, where, "empty list");
	return KR_OK;
}

static const char *const req_names[] = {
	"num_bundles",              /* 0 */
	"min_bundles",              /* 1 */
	"max_bundles",              /* 2 */
	"min_bundle_interval",      /* 3 */
	"max_bundle_interval",      /* 4 */
	"min_cycle_inception_length", /* 5 */
	"max_cycle_inception_length", /* 6 */
	"num_keys_per_bundle",      /* 7 */
	"min_keys_per_bundle",      /* 8 */
	"max_keys_per_bundle",      /* 9 */
	"num_different_keys_in_all_bundles", /* 10 */
	"approved_algorithms",      /* 11 */
	"signature_horizon_days",   /* 12 */
	"min_publish_safety",       /* 13 */
	"max_publish_safety",       /* 14 */
	"min_retire_safety",        /* 15 */
	"max_retire_safety",        /* 16 */
	NULL};

static int req_field(struct pctx *c, void *obj, size_t idx, struct fy_node *v, const char *where)
{
	struct kr_policy *p = obj;
	uint64_t u = 0, vals[KR_POLICY_MAX_SLOTS];
	size_t n = 0;
	int rc = KR_OK;
	switch (idx) {
	case 0:
	case 1:
	case 2:
		rc = get_uint(c, v, where, 1000, &u);
		if (rc == KR_OK && u == 0)
			rc = perr(c, KR_ERANGE, where, "must be at least 1");
		if (idx != 2)
			p->min_bundles = (size_t)u;
		if (idx != 1)
			p->max_bundles = (size_t)u;
		return rc;
	case 3:
		return get_duration(c, v, where, &p->min_bundle_interval);
	case 4:
		return get_duration(c, v, where, &p->max_bundle_interval);
	case 5:
		return get_duration(c, v, where, &p->min_cycle_length);
	case 6:
		return get_duration(c, v, where, &p->max_cycle_length);
	case 7:
		rc = get_uint_seq(c, v, where, 64, KR_POLICY_MAX_SLOTS, vals, &n);
		for (size_t i = 0; rc == KR_OK && i < n; i++) {
			if (vals[i] == 0)
				return perr(c, KR_ERANGE, where, "a bundle needs at least one key");
			p->keys_per_bundle[i] = (unsigned)vals[i];
		}
		p->nkeys_per_bundle = n;
		return rc;
	case 8:
	case 9:
		rc = get_uint(c, v, where, 64, &u);
		if (rc == KR_OK && u == 0)
			rc = perr(c, KR_ERANGE, where, "must be at least 1");
		*(idx == 8 ? &p->min_keys_per_bundle : &p->max_keys_per_bundle) = (unsigned)u;
		return rc;
	case 10:
		rc = get_uint(c, v, where, 1000, &u);
		p->num_different_keys = (unsigned)u;
		return rc;
	case 11:
		return read_algs(c, v, where, p);
	case 12:
		rc = get_uint(c, v, where, 36500, &u);
		if (rc == KR_OK && u == 0)
			rc = perr(c, KR_ERANGE, where, "must be at least 1");
		p->signature_horizon = (int64_t)u * 86400;
		return rc;
	case 13:
		return get_duration(c, v, where, &p->min_publish_safety);
	case 14:
		return get_duration(c, v, where, &p->max_publish_safety);
	case 15:
		return get_duration(c, v, where, &p->min_retire_safety);
	default:
		return get_duration(c, v, where, &p->max_retire_safety);
	}
}

/* --- top level -------------------------------------------------------------- */

static const char *const top_names[] = {"zone", "ksk_policy", "keys", "request_policy",
					"skip_checks", NULL};
static const char *const top_ignored[] = {"schemas", NULL};

static int read_skip(struct pctx *c, struct fy_node *n, const char *where, struct kr_policy *p)
{
	void *iter = NULL;
	struct fy_node *item;
	if (n == NULL || !fy_node_is_sequence(n))
		return perr(c, KR_EMALFORMED, where, "expected a list");
	while ((item = fy_node_sequence_iterate(n, &iter)) != NULL) {
		char path[200];
		snprintf(path, sizeof(path), "%s[%zu]", where, p->nskip + 1);
		if (p->nskip == KR_POLICY_MAX_SKIP)
			return perr(c, KR_ETOOBIG, where, "too many entries");
		int rc = scalar(c, item, path, p->skip[p->nskip], sizeof(p->skip[0]));
		if (rc != KR_OK)
			return rc;
		if (strncmp(p->skip[p->nskip], "KSR-", 4) != 0 &&
		    strncmp(p->skip[p->nskip], "SKR-", 4) != 0)
			return perr(c, KR_EMALFORMED, path, "\"%s\" is not a check id",
				    p->skip[p->nskip]);
		p->nskip++;
	}
	return KR_OK;
}

static int top_field(struct pctx *c, void *obj, size_t idx, struct fy_node *v, const char *where)
{
	struct kr_policy *p = obj;
	char buf[1024];
	int rc;
	switch (idx) {
	case 0:
		rc = scalar(c, v, where, buf, sizeof(buf));
		if (rc == KR_OK && kr_name_from_str(buf, &p->zone) != KR_OK)
			rc = perr(c, KR_EMALFORMED, where, "bad domain name \"%s\"", buf);
		return rc;
	case 1: {
		static const char *const required[] = {
			"ttl", "publish_safety", "retire_safety", "max_signature_validity",
			"min_signature_validity", "max_validity_overlap", "min_validity_overlap",
			NULL};
		int seen[8] = {0};
		rc = walk_map(c, v, where, ksk_names, NULL, seen, ksk_field, p);
		return rc == KR_OK ? require(c, where, ksk_names, seen, required) : rc;
	}
	case 2:
		return read_keys(c, v, where, p);
	case 3: {
		static const char *const required[] = {
			"min_bundle_interval", "max_bundle_interval", "min_cycle_inception_length",
			"max_cycle_inception_length", "approved_algorithms",
			"signature_horizon_days", "min_publish_safety", "max_publish_safety",
			"min_retire_safety", "max_retire_safety", NULL};
		int seen[20] = {0};
		rc = walk_map(c, v, where, req_names, NULL, seen, req_field, p);
		if (rc == KR_OK)
			rc = require(c, where, req_names, seen, required);
		if (rc == KR_OK && seen[0] && (seen[1] || seen[2]))
			rc = perr(c, KR_EMALFORMED, where,
				  "give num_bundles or min_bundles/max_bundles, not both");
		if (rc == KR_OK && !seen[0] && !(seen[1] && seen[2]))
			rc = perr(c, KR_EMALFORMED, where,
				  "missing key \"num_bundles\" (or min_bundles and max_bundles)");
		return rc;
	}
	default:
		return read_skip(c, v, where, p);
	}
}

static int ordered(struct pctx *c, const char *where, int64_t lo, int64_t hi)
{
	if (lo > hi)
		return perr(c, KR_ERANGE, where, "minimum is above maximum");
	return KR_OK;
}

static int validate(struct pctx *c, struct kr_policy *p)
{
	int rc = ordered(c, "ksk_policy.min_signature_validity", p->ksk.min_sig_validity,
			 p->ksk.max_sig_validity);
	if (rc == KR_OK)
		rc = ordered(c, "ksk_policy.min_validity_overlap", p->ksk.min_validity_overlap,
			     p->ksk.max_validity_overlap);
	if (rc == KR_OK && p->ksk.max_sig_validity == 0)
		rc = perr(c, KR_ERANGE, "ksk_policy.max_signature_validity", "must be above 0");
	if (rc == KR_OK)
		rc = ordered(c, "request_policy.min_bundles", (int64_t)p->min_bundles,
			     (int64_t)p->max_bundles);
	if (rc == KR_OK)
		rc = ordered(c, "request_policy.min_bundle_interval", p->min_bundle_interval,
			     p->max_bundle_interval);
	if (rc == KR_OK)
		rc = ordered(c, "request_policy.min_cycle_inception_length", p->min_cycle_length,
			     p->max_cycle_length);
	if (rc == KR_OK)
		rc = ordered(c, "request_policy.min_publish_safety", p->min_publish_safety,
			     p->max_publish_safety);
	if (rc == KR_OK)
		rc = ordered(c, "request_policy.min_retire_safety", p->min_retire_safety,
			     p->max_retire_safety);
	if (rc == KR_OK && p->min_keys_per_bundle && p->max_keys_per_bundle)
		rc = ordered(c, "request_policy.min_keys_per_bundle", p->min_keys_per_bundle,
			     p->max_keys_per_bundle);
	if (rc == KR_OK && p->nkeys_per_bundle != 0 &&
	    (p->nkeys_per_bundle < p->min_bundles || p->nkeys_per_bundle > p->max_bundles))
		rc = perr(c, KR_ERANGE, "request_policy.num_keys_per_bundle",
			  "has %zu entries but a KSR has %zu to %zu bundles", p->nkeys_per_bundle,
			  p->min_bundles, p->max_bundles);
	return rc;
}

struct diag_capture {
	char *err;
	size_t errlen;
	const char *name;
	int got;
};

static void diag_out(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	struct diag_capture *d = user;
	if (d->got || d->err == NULL || d->errlen == 0)
		return;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	/* Drop libfyaml's name for the in-memory input ("<alloc-@0x...>:"). */
	const char *gt = buf[0] == '<' ? memchr(buf, '>', len) : NULL;
	if (gt != NULL && (size_t)(gt - buf) + 2 <= len && gt[1] == ':') {
		len -= (size_t)(gt - buf) + 2;
		buf = gt + 2;
	}
	snprintf(d->err, d->errlen, "%s: YAML error: %.*s", d->name, (int)(len > 200 ? 200 : len),
		 buf);
	d->got = 1;
}

int kr_policy_load_mem(const char *yaml, size_t len, const char *name, struct kr_policy **out,
		       char *errbuf, size_t errlen)
{
	struct pctx c = {errbuf, errlen};
	struct diag_capture cap = {errbuf, errlen, name ? name : "policy", 0};
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag = NULL;
	struct fy_document *doc = NULL;
	struct kr_policy *p = NULL;
	char *copy = NULL;
	int rc;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (yaml == NULL || out == NULL)
		return KR_EINVAL;
	*out = NULL;
	if (len > POLICY_MAX_SIZE)
		return perr(&c, KR_ETOOBIG, cap.name, "larger than %d bytes", POLICY_MAX_SIZE);
	p = calloc(1, sizeof(*p));
	copy = malloc(len + 1);
	if (p == NULL || copy == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	memcpy(copy, yaml, len);
	copy[len] = '\0';
	char why[160];
	if (kr_yaml_text_check(copy, len, why, sizeof(why)) != KR_OK) {
		rc = perr(&c, KR_EMALFORMED, cap.name, "%s", why);
		goto out;
	}
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = diag_out;
	dcfg.user = &cap;
	dcfg.colorize = false;
	dcfg.show_source = false;
	dcfg.show_type = false;
	dcfg.show_module = false;
	dcfg.show_position = true;
	diag = fy_diag_create(&dcfg);
	if (diag == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	struct fy_parse_cfg pcfg = {.search_path = NULL,
				    .flags = FYPCF_QUIET | FYPCF_DISABLE_MMAP_OPT,
				    .userdata = NULL,
				    .diag = diag};
	/* libfyaml owns copy from here on, even when the build fails. */
	doc = fy_document_build_from_malloc_string(&pcfg, copy, len);
	copy = NULL; /* transferred */
	if (doc == NULL) {
		rc = cap.got ? KR_EMALFORMED
			     : perr(&c, KR_EMALFORMED, cap.name, "not a YAML document");
		goto out;
	}
	struct fy_node *root = fy_document_root(doc);
	int seen[8] = {0};
	rc = walk_map(&c, root, "", top_names, top_ignored, seen, top_field, p);
	if (rc == KR_OK)
		rc = require(&c, cap.name, top_names, seen,
			     (const char *const[]){"zone", "ksk_policy", "request_policy", NULL});
	if (rc == KR_OK)
		rc = validate(&c, p);
	if (rc != KR_OK)
		goto out;
	p->path = strdup(cap.name);
	if (p->path == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	p->yaml = doc;
	doc = NULL; /* transferred */
	*out = p;
	p = NULL; /* transferred */
out:
	free(copy);
	fy_document_destroy(doc);
	if (diag != NULL)
		fy_diag_unref(diag);
	kr_policy_free(p);
	return rc;
}

int kr_policy_load(const char *path, struct kr_policy **out, char *errbuf, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	int rc = kr_read_file(path, POLICY_MAX_SIZE, &buf, &len);
	if (rc != KR_OK) {
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "%s: cannot read the policy", path);
		return rc;
	}
	rc = kr_policy_load_mem((const char *)buf, len, path, out, errbuf, errlen);
	free(buf);
	return rc;
}

void kr_policy_free(struct kr_policy *pol)
{
	if (pol == NULL)
		return;
	fy_document_destroy(pol->yaml);
	free(pol->path);
	free(pol);
}

int kr_policy_default_path(char *buf, size_t size)
{
	const char *rel = "skr/policies/root.yaml";
	const char *dirs[3] = {".", getenv("KEYROLL_DATADIR"), KEYROLL_DATADIR};
	for (size_t i = 0; i < 3; i++) {
		if (dirs[i] == NULL || dirs[i][0] == '\0')
			continue;
		int n = snprintf(buf, size, "%s/%s", dirs[i], rel);
		if (n < 0 || (size_t)n >= size)
			return KR_ETOOBIG;
		if (access(buf, R_OK) == 0)
			return KR_OK;
	}
	return KR_ENOTFOUND;
}

int kr_policy_skips(const struct kr_policy *pol, const char *id)
{
	for (size_t i = 0; pol != NULL && i < pol->nskip; i++)
		if (strcmp(pol->skip[i], id) == 0)
			return 1;
	return 0;
}

const struct kr_policy_ksk *kr_policy_find_ksk(const struct kr_policy *pol, const char *label)
{
	for (size_t i = 0; pol != NULL && i < pol->nksks; i++)
		if (strcmp(pol->ksks[i].label, label) == 0)
			return &pol->ksks[i];
	return NULL;
}
