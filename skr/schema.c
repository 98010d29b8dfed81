/*
 * schema.c - built-in and YAML-defined rollover schemas.
 */
#include "skr/schema.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "lib/errbuf.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/yaml.h"

#define C 1u /* refs[0] = "current" */
#define N 2u /* refs[1] = "next" */

struct builtin {
	const char *name;
	size_t nrules;
	struct kr_schema_rule rules[3];
};

static const struct builtin builtins[] = {
    {"normal", 1, {{KR_SCHEMA_DEFAULT, 0, 0, {C, C, 0}}}},
    {"pre-publish",
     2,
     {{KR_SCHEMA_FIRST, 0, 0, {C, C, 0}}, {KR_SCHEMA_DEFAULT, 0, 0, {C | N, C, 0}}}},
    {"rollover",
     2,
     {{KR_SCHEMA_FIRST, 0, 0, {C | N, C, 0}}, {KR_SCHEMA_DEFAULT, 0, 0, {C | N, N, 0}}}},
    {"revoke",
     3,
     {{KR_SCHEMA_FIRST, 0, 0, {C | N, N, 0}},
      {KR_SCHEMA_LAST, 0, 0, {N, N, 0}},
      {KR_SCHEMA_DEFAULT, 0, 0, {N, C | N, C}}}},
    {"publish+", 1, {{KR_SCHEMA_DEFAULT, 0, 0, {C | N, C, 0}}}},
    {"rollover+", 1, {{KR_SCHEMA_DEFAULT, 0, 0, {C | N, N, 0}}}},
    {"revoke+",
     3,
     {{KR_SCHEMA_FIRST, 0, 0, {N, N, 0}},
      {KR_SCHEMA_LAST, 0, 0, {N, N, 0}},
      {KR_SCHEMA_DEFAULT, 0, 0, {N, C | N, C}}}},
};

#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

size_t kr_schema_builtin_count(void)
{
	return NBUILTINS;
}

const char *kr_schema_builtin_name(size_t i)
{
	return i < NBUILTINS ? builtins[i].name : NULL;
}

int kr_schema_builtin(const char *name, struct kr_schema *out)
{
	if (!name || !out)
		return KR_EINVAL;
	for (size_t i = 0; i < NBUILTINS; i++) {
		if (strcmp(builtins[i].name, name) != 0)
			continue;
		memset(out, 0, sizeof(*out));
		snprintf(out->name, sizeof(out->name), "%s", name);
		out->nrefs = 2;
		strcpy(out->refs[0], "current");
		strcpy(out->refs[1], "next");
		out->nrules = builtins[i].nrules;
		memcpy(out->rules, builtins[i].rules, builtins[i].nrules * sizeof(out->rules[0]));
		return KR_OK;
	}
	return KR_ENOTFOUND;
}

int kr_schema_find(const char *name, const struct kr_schema *custom, size_t n,
		   struct kr_schema *out)
{
	if (!name || !out)
		return KR_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(custom[i].name, name) == 0) {
			*out = custom[i];
			return KR_OK;
		}
	}
	return kr_schema_builtin(name, out);
}

int kr_schema_slot(const struct kr_schema *s, size_t slot, size_t nslots,
		   struct kr_schema_action *out)
{
	const struct kr_schema_rule *first = NULL, *last = NULL, *dflt = NULL;

	if (!s || !out || slot < 1 || slot > nslots)
		return KR_EINVAL;
	for (size_t i = 0; i < s->nrules; i++) {
		const struct kr_schema_rule *r = &s->rules[i];

		switch (r->kind) {
		case KR_SCHEMA_SLOTS:
			if (slot >= r->from && slot <= r->to) {
				*out = r->action;
				return KR_OK;
			}
			break;
		case KR_SCHEMA_FIRST:
			first = r;
			break;
		case KR_SCHEMA_LAST:
			last = r;
			break;
		case KR_SCHEMA_DEFAULT:
			dflt = r;
			break;
		}
	}
	if (slot == 1 && first)
		*out = first->action;
	else if (slot == nslots && last)
		*out = last->action;
	else if (dflt)
		*out = dflt->action;
	else
		return KR_ENOTFOUND;
	return KR_OK;
}

int kr_schema_check(const struct kr_schema *s, size_t nslots, char *errbuf, size_t errlen)
{
	struct kr_schema_action a;

	if (!s)
		return KR_EINVAL;
	if (nslots == 0) {
		kr_errbuf(errbuf, errlen, "no bundles to sign");
		return KR_EPOLICY;
	}
	for (size_t i = 0; i < s->nrules; i++) {
		if (s->rules[i].kind == KR_SCHEMA_SLOTS && s->rules[i].to > nslots) {
			kr_errbuf(errbuf, errlen,
				  "schema %s has a rule for slot %u but the KSR has %zu bundles",
				  s->name, s->rules[i].to, nslots);
			return KR_EPOLICY;
		}
	}
	for (size_t slot = 1; slot <= nslots; slot++) {
		if (kr_schema_slot(s, slot, nslots, &a) != KR_OK) {
			kr_errbuf(errbuf, errlen, "schema %s has no rule for slot %zu", s->name,
				  slot);
			return KR_EPOLICY;
		}
	}
	return KR_OK;
}

static size_t ref_index(const char *ref)
{
	if (strcmp(ref, "current") == 0 || strcmp(ref, "ksk_current") == 0)
		return 0;
	if (strcmp(ref, "next") == 0 || strcmp(ref, "ksk_next") == 0)
		return 1;
	return (size_t)-1;
}

int kr_schema_resolve(const struct kr_schema *s, const char *const *labels, size_t nlabels,
		      size_t idx[KR_SCHEMA_MAX_REFS], char *errbuf, size_t errlen)
{
	uint32_t used = 0, referenced = 0;

	if (!s || (!labels && nlabels) || !idx || nlabels > 32)
		return KR_EINVAL;
	/* Only refs that some rule uses need a key (built-ins name "next" even
	 * where a schema like normal never uses it). */
	for (size_t i = 0; i < s->nrules; i++) {
		const struct kr_schema_action *a = &s->rules[i].action;
		referenced |= a->publish | a->sign | a->revoke;
	}
	for (size_t r = 0; r < s->nrefs; r++) {
		size_t k = ref_index(s->refs[r]);

		idx[r] = (size_t)-1;
		if (!(referenced & (1u << r)))
			continue;
		if (k == (size_t)-1) {
			for (size_t j = 0; j < nlabels; j++)
				if (strcmp(labels[j], s->refs[r]) == 0)
					k = j;
			if (k == (size_t)-1) {
				kr_errbuf(
				    errbuf, errlen,
				    "schema %s uses key %s, which is not among the --ksk labels",
				    s->name, s->refs[r]);
				return KR_ENOTFOUND;
			}
		} else if (k >= nlabels) {
			kr_errbuf(errbuf, errlen,
				  "schema %s uses the %s KSK: give %zu --ksk labels", s->name,
				  s->refs[r], k + 1);
			return KR_ENOTFOUND;
		}
		for (size_t q = 0; q < r; q++) {
			if (idx[q] == k) {
				kr_errbuf(errbuf, errlen,
					  "schema %s names KSK %s twice (%s and %s)", s->name,
					  labels[k], s->refs[q], s->refs[r]);
				return KR_EINVAL;
			}
		}
		idx[r] = k;
		used |= 1u << k;
	}
	for (size_t j = 0; j < nlabels; j++) {
		if (!(used & (1u << j))) {
			kr_errbuf(errbuf, errlen, "KSK %s is not used by schema %s", labels[j],
				  s->name);
			return KR_EINVAL;
		}
	}
	return KR_OK;
}

static int append(char *buf, size_t size, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int append(char *buf, size_t size, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, size - *pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *pos)
		return KR_ETOOBIG;
	*pos += (size_t)n;
	return KR_OK;
}

static int format_mask(const struct kr_schema *s, const char *what, uint32_t mask, char *buf,
		       size_t size, size_t *pos)
{
	int rc, sep = 0;

	if (!mask)
		return KR_OK;
	rc = append(buf, size, pos, "%s%s ", *pos ? " " : "", what);
	for (size_t r = 0; rc == KR_OK && r < s->nrefs; r++) {
		if (mask & (1u << r)) {
			rc = append(buf, size, pos, "%s%s", sep ? "+" : "", s->refs[r]);
			sep = 1;
		}
	}
	return rc;
}

int kr_schema_action_format(const struct kr_schema *s, const struct kr_schema_action *a, char *buf,
			    size_t size)
{
	size_t pos = 0;
	int rc;

	if (!s || !a || !buf || !size)
		return KR_EINVAL;
	buf[0] = '\0';
	rc = format_mask(s, "publish", a->publish, buf, size, &pos);
	if (rc == KR_OK)
		rc = format_mask(s, "revoke", a->revoke, buf, size, &pos);
	if (rc == KR_OK)
		rc = format_mask(s, "sign", a->sign, buf, size, &pos);
	return rc;
}

/* --- YAML ----------------------------------------------------------------- */

struct yctx {
	char *errbuf;
	size_t errlen;
};

static int yerr(struct yctx *y, struct fy_node *n, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int yerr(struct yctx *y, struct fy_node *n, int rc, const char *fmt, ...)
{
	struct fy_token *t = n ? fy_node_get_scalar_token(n) : NULL;
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
	char *path = n ? fy_node_get_path(n) : NULL;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	if (m)
		kr_errbuf(y->errbuf, y->errlen, "policy line %d (%s): %s", m->line + 1,
			  path ? path : "?", msg);
	else
		kr_errbuf(y->errbuf, y->errlen, "policy %s: %s", path ? path : "schemas", msg);
	free(path);
	return rc;
}

/* A scalar's text into buf (NUL-terminated); KR_EMALFORMED if not a scalar or too long. */
static int scalar(struct yctx *y, struct fy_node *n, const char *what, char *buf, size_t size)
{
	const char *s;
	size_t len = 0;

	if (!n || fy_node_get_type(n) != FYNT_SCALAR)
		return yerr(y, n, KR_EMALFORMED, "%s must be a plain value", what);
	s = fy_node_get_scalar(n, &len);
	if (!s || len == 0 || len >= size || memchr(s, '\0', len))
		return yerr(y, n, KR_EMALFORMED, "%s is empty or longer than %zu characters", what,
			    size - 1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return KR_OK;
}

static int add_ref(struct yctx *y, struct kr_schema *s, struct fy_node *n, uint32_t *mask)
{
	char name[KR_SCHEMA_NAME_MAX];
	size_t r;
	int rc;

	rc = scalar(y, n, "a key name", name, sizeof(name));
	if (rc)
		return rc;
	for (r = 0; r < s->nrefs; r++)
		if (strcmp(s->refs[r], name) == 0)
			break;
	if (r == s->nrefs) {
		if (s->nrefs == KR_SCHEMA_MAX_REFS)
			return yerr(y, n, KR_ETOOBIG, "schema %s names more than %d keys", s->name,
				    KR_SCHEMA_MAX_REFS);
		/* "current" and "ksk_current" are the same key: keep one spelling. */
		for (size_t q = 0; q < s->nrefs; q++)
			if (ref_index(name) != (size_t)-1 &&
			    ref_index(s->refs[q]) == ref_index(name))
				return yerr(y, n, KR_EPOLICY, "schema %s names %s as %s and %s",
					    s->name, ref_index(name) ? "next" : "current",
					    s->refs[q], name);
		memcpy(s->refs[r], name, sizeof(name));
		s->nrefs++;
	}
	if (*mask & (1u << r))
		return yerr(y, n, KR_EPOLICY, "key %s listed twice", name);
	*mask |= 1u << r;
	return KR_OK;
}

static int parse_keys(struct yctx *y, struct kr_schema *s, struct fy_node *n, uint32_t *mask)
{
	void *it = NULL;
	struct fy_node *item;
	int rc;

	if (fy_node_get_type(n) == FYNT_SCALAR)
		return add_ref(y, s, n, mask);
	if (fy_node_get_type(n) != FYNT_SEQUENCE)
		return yerr(y, n, KR_EMALFORMED, "expected a key name or a list of key names");
	while ((item = fy_node_sequence_iterate(n, &it)) != NULL) {
		rc = add_ref(y, s, item, mask);
		if (rc)
			return rc;
	}
	return KR_OK;
}

static int parse_action(struct yctx *y, struct kr_schema *s, struct fy_node *n,
			struct kr_schema_action *a)
{
	void *it = NULL;
	struct fy_node_pair *p;
	char key[16];
	int rc;

	memset(a, 0, sizeof(*a));
	if (fy_node_get_type(n) != FYNT_MAPPING)
		return yerr(y, n, KR_EMALFORMED, "a slot must be a mapping of publish/sign/revoke");
	while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		uint32_t *mask;

		rc = scalar(y, k, "an action", key, sizeof(key));
		if (rc)
			return rc;
		if (strcmp(key, "publish") == 0)
			mask = &a->publish;
		else if (strcmp(key, "sign") == 0)
			mask = &a->sign;
		else if (strcmp(key, "revoke") == 0)
			mask = &a->revoke;
		else
			return yerr(y, k, KR_EMALFORMED,
				    "unknown action '%s' (publish, sign or revoke)", key);
		if (!v)
			return yerr(y, k, KR_EMALFORMED, "action %s has no keys", key);
		rc = parse_keys(y, s, v, mask);
		if (rc)
			return rc;
	}
	if (!a->sign)
		return yerr(y, n, KR_EPOLICY, "a slot must have at least one signing key");
	if (a->publish & a->revoke)
		return yerr(y, n, KR_EPOLICY, "a key cannot be both published and revoked");
	return KR_OK;
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end = NULL;
	unsigned long v;

	if (*s < '1' || *s > '9')
		return KR_EMALFORMED;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || v > 100000)
		return KR_ERANGE;
	*out = (unsigned)v;
	return *end ? KR_EMALFORMED : KR_OK;
}

static int parse_slot_key(struct yctx *y, struct fy_node *k, struct kr_schema_rule *r)
{
	char key[32], *dash;

	int rc = scalar(y, k, "a slot", key, sizeof(key));
	if (rc)
		return rc;
	if (strcmp(key, "first") == 0) {
		r->kind = KR_SCHEMA_FIRST;
		return KR_OK;
	}
	if (strcmp(key, "last") == 0) {
		r->kind = KR_SCHEMA_LAST;
		return KR_OK;
	}
	if (strcmp(key, "default") == 0) {
		r->kind = KR_SCHEMA_DEFAULT;
		return KR_OK;
	}
	r->kind = KR_SCHEMA_SLOTS;
	dash = strchr(key, '-');
	if (dash)
		*dash = '\0';
	if (parse_uint(key, &r->from) || parse_uint(dash ? dash + 1 : key, &r->to) ||
	    r->to < r->from)
		return yerr(y, k, KR_EMALFORMED,
			    "unknown slot '%s%s%s' (a number, a range A-B, first, last or default)",
			    key, dash ? "-" : "", dash ? dash + 1 : "");
	return KR_OK;
}

static int parse_schema(struct yctx *y, struct fy_node *n, struct kr_schema *s)
{
	void *it = NULL;
	struct fy_node_pair *p;
	int rc;

	if (fy_node_get_type(n) != FYNT_MAPPING)
		return yerr(y, n, KR_EMALFORMED, "schema %s must be a mapping of slots", s->name);
	while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		struct kr_schema_rule r;

		memset(&r, 0, sizeof(r));
		if (s->nrules == KR_SCHEMA_MAX_RULES)
			return yerr(y, k, KR_ETOOBIG, "schema %s has more than %d rules", s->name,
				    KR_SCHEMA_MAX_RULES);
		rc = parse_slot_key(y, k, &r);
		if (rc)
			return rc;
		for (size_t i = 0; i < s->nrules; i++) {
			const struct kr_schema_rule *o = &s->rules[i];

			if (o->kind == r.kind &&
			    (r.kind != KR_SCHEMA_SLOTS || (r.from <= o->to && o->from <= r.to)))
				return yerr(y, k, KR_EPOLICY,
					    "schema %s: slot rule overlaps an earlier one",
					    s->name);
		}
		if (!v)
			return yerr(y, k, KR_EMALFORMED, "slot without actions");
		rc = parse_action(y, s, v, &r.action);
		if (rc)
			return rc;
		s->rules[s->nrules++] = r;
	}
	if (s->nrules == 0)
		return yerr(y, n, KR_EPOLICY, "schema %s has no slots", s->name);
	return KR_OK;
}

/* libfyaml's diagnostics go to the caller's error buffer, never to stderr:
 * the first line of the first message is kept. */
static void diag_capture(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	struct yctx *y = user;
	size_t n = 0;

	(void)diag;
	if (!y->errbuf || !y->errlen || y->errbuf[0])
		return;
	while (n < len && buf[n] != '\n')
		n++;
	kr_errbuf(y->errbuf, y->errlen, "policy is not valid YAML: %.*s", (int)(n > 200 ? 200 : n),
		  buf);
}

int kr_schema_parse_yaml(const char *yaml, size_t len, struct kr_schema **out, size_t *n,
			 char *errbuf, size_t errlen)
{
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag = NULL;
	struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET};
	struct fy_document *doc = NULL;
	struct fy_node *root, *schemas;
	struct fy_node_pair *p;
	struct kr_schema *v = NULL;
	struct yctx y = {errbuf, errlen};
	void *it = NULL;
	size_t count = 0, cap;
	int rc;

	if (!yaml || !out || !n)
		return KR_EINVAL;
	*out = NULL;
	*n = 0;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	rc = kr_yaml_text_check(yaml, len, errbuf, errlen);
	if (rc)
		return rc;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = diag_capture;
	dcfg.user = &y;
	dcfg.colorize = false;
	diag = fy_diag_create(&dcfg);
	if (!diag)
		return KR_ENOMEM;
	cfg.diag = diag;
	doc = fy_document_build_from_string(&cfg, yaml, len);
	if (!doc) {
		if (errbuf && errlen && !errbuf[0])
			kr_errbuf(errbuf, errlen, "policy is not valid YAML");
		rc = KR_EMALFORMED;
		goto out;
	}
	root = fy_document_root(doc);
	if (!root || fy_node_get_type(root) != FYNT_MAPPING) {
		rc = yerr(&y, root, KR_EMALFORMED, "the policy must be a YAML mapping");
		goto out;
	}
	schemas = fy_node_mapping_lookup_by_string(root, "schemas", FY_NT);
	if (!schemas) {
		rc = KR_OK;
		goto out;
	}
	if (fy_node_get_type(schemas) != FYNT_MAPPING) {
		rc = yerr(&y, schemas, KR_EMALFORMED, "schemas must be a mapping of names");
		goto out;
	}
	cap = (size_t)fy_node_mapping_item_count(schemas);
	v = calloc(cap ? cap : 1, sizeof(*v));
	if (!v) {
		rc = KR_ENOMEM;
		goto out;
	}
	while ((p = fy_node_mapping_iterate(schemas, &it)) != NULL && count < cap) {
		struct kr_schema *s = &v[count];
		struct kr_schema tmp;

		rc = scalar(&y, fy_node_pair_key(p), "a schema name", s->name, sizeof(s->name));
		if (rc)
			goto out;
		if (kr_schema_builtin(s->name, &tmp) == KR_OK) {
			rc = yerr(&y, fy_node_pair_key(p), KR_EPOLICY,
				  "schema %s is built in and cannot be redefined", s->name);
			goto out;
		}
		if (!fy_node_pair_value(p)) {
			rc = yerr(&y, fy_node_pair_key(p), KR_EMALFORMED, "schema %s is empty",
				  s->name);
			goto out;
		}
		rc = parse_schema(&y, fy_node_pair_value(p), s);
		if (rc)
			goto out;
		count++;
	}
	*out = v;
	*n = count;
	v = NULL; /* transferred */
	rc = KR_OK;
out:
	free(v);
	fy_document_destroy(doc);
	fy_diag_destroy(diag);
	return rc;
}

int kr_schema_load_file(const char *path, struct kr_schema **out, size_t *n, char *errbuf,
			size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = kr_read_file(path, 1024 * 1024, &buf, &len);
	if (rc) {
		kr_errbuf(errbuf, errlen, "%s: %s", path, kr_strerror(rc));
		return rc;
	}
	rc = kr_schema_parse_yaml((const char *)buf, len, out, n, errbuf, errlen);
	free(buf);
	return rc;
}
