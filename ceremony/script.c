#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ceremony/script.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/yaml.h"

#define MAX_ITEMS 4096 /* steps, roles, params, list elements: generous caps */
#define MAX_ARGS 256

struct ctx {
	char *why;
	size_t whysize;
};

static int fail(struct ctx *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, int rc, const char *fmt, ...)
{
	if (c->why != NULL && c->whysize > 0 && c->why[0] == '\0') {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->why, c->whysize, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static void free_strv(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A mapping whose keys are all in allowed[]. */
static int check_map(struct ctx *c, struct fy_node *node, const char *where,
		     const char *const *allowed, size_t n)
{
	if (node == NULL || !fy_node_is_mapping(node) || fy_node_is_alias(node))
		return fail(c, KR_EMALFORMED, "%s: expected a mapping", where);
	void *it = NULL;
	struct fy_node_pair *p;
	while ((p = fy_node_mapping_iterate(node, &it)) != NULL) {
		char *k = NULL;
		if (kr_yaml_scalar(fy_node_pair_key(p), &k) != KR_OK)
			return fail(c, KR_EMALFORMED, "%s: keys must be plain text", where);
		size_t i = 0;
		while (i < n && strcmp(k, allowed[i]) != 0)
			i++;
		if (i == n) {
			fail(c, KR_EMALFORMED, "%s: unknown key '%s'", where, k);
			free(k);
			return KR_EMALFORMED;
		}
		free(k);
	}
	return KR_OK;
}

static struct fy_node *lookup(struct fy_node *map, const char *key)
{
	return fy_node_mapping_lookup_by_string(map, key, strlen(key));
}

/* Scalar value of key: *out NULL if absent and optional. */
static int get_text(struct ctx *c, struct fy_node *map, const char *key, int required,
		    const char *where, char **out)
{
	struct fy_node *v = lookup(map, key);
	*out = NULL;
	if (v == NULL)
		return required ? fail(c, KR_EMALFORMED, "%s: '%s' is missing", where, key) : KR_OK;
	int rc = kr_yaml_scalar(v, out);
	if (rc == KR_OK && (*out)[0] == '\0' && required) {
		free(*out);
		*out = NULL;
		rc = KR_EMALFORMED;
	}
	return rc == KR_OK ? KR_OK
			   : fail(c, rc, "%s: '%s' must be a non-empty text value", where, key);
}

/* A sequence of scalars (or, if allow_scalar, one scalar) into a new vector. */
static int get_list(struct ctx *c, struct fy_node *v, int allow_scalar, const char *where,
		    char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (allow_scalar && v != NULL && fy_node_is_scalar(v) && !fy_node_is_alias(v)) {
		char **vec = calloc(2, sizeof(*vec));
		if (vec == NULL)
			return KR_ENOMEM;
		if (kr_yaml_scalar(v, &vec[0]) != KR_OK) {
			free(vec);
			return fail(c, KR_EMALFORMED, "%s: bad value", where);
		}
		*out = vec;
		*n = 1;
		return KR_OK;
	}
	if (v == NULL || !fy_node_is_sequence(v) || fy_node_is_alias(v))
		return fail(c, KR_EMALFORMED, "%s: expected a list", where);
	int len = fy_node_sequence_item_count(v);
	if (len < 0 || len > MAX_ITEMS)
		return fail(c, KR_ETOOBIG, "%s: too many elements", where);
	char **vec = calloc((size_t)len + 1, sizeof(*vec));
	if (vec == NULL)
		return KR_ENOMEM;
	void *it = NULL;
	struct fy_node *e;
	size_t i = 0;
	while ((e = fy_node_sequence_iterate(v, &it)) != NULL) {
		if (kr_yaml_scalar(e, &vec[i]) != KR_OK) {
			free_strv(vec, i);
			return fail(c, KR_EMALFORMED, "%s[%zu]: expected a text value", where, i);
		}
		i++;
	}
	*out = vec;
	*n = i;
	return KR_OK;
}

void kr_params_free(struct kr_param *p, size_t n)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free_strv(p[i].values, p[i].n);
	}
	free(p);
}

static int valid_param_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-'))
			return 0;
	return 1;
}

/* A params mapping: name -> text or list of text. */
static int load_params(struct ctx *c, struct fy_node *node, const char *where,
		       struct kr_param **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (node == NULL)
		return KR_OK;
	if (!fy_node_is_mapping(node) || fy_node_is_alias(node))
		return fail(c, KR_EMALFORMED, "%s: expected a mapping", where);
	int count = fy_node_mapping_item_count(node);
	if (count < 0 || count > MAX_ITEMS)
		return fail(c, KR_ETOOBIG, "%s: too many parameters", where);
	struct kr_param *p = calloc((size_t)count + 1, sizeof(*p));
	if (p == NULL)
		return KR_ENOMEM;
	size_t n = 0;
	int rc = KR_OK;
	void *it = NULL;
	struct fy_node_pair *pair;
	while ((pair = fy_node_mapping_iterate(node, &it)) != NULL) {
		char sub[160];
		if ((rc = kr_yaml_scalar(fy_node_pair_key(pair), &p[n].name)) != KR_OK ||
		    !valid_param_name(p[n].name)) {
			rc = fail(c, KR_EMALFORMED, "%s: parameter names are [a-z0-9_-]+", where);
			n += p[n].name != NULL;
			goto out;
		}
		struct fy_node *v = fy_node_pair_value(pair);
		snprintf(sub, sizeof(sub), "%s.%s", where, p[n].name);
		p[n].list = v != NULL && fy_node_is_sequence(v);
		n++;
		if ((rc = get_list(c, v, 1, sub, &p[n - 1].values, &p[n - 1].n)) != KR_OK)
			goto out;
	}
out:
	if (rc != KR_OK) {
		kr_params_free(p, n);
		return rc;
	}
	*out = p;
	*nout = n;
	return KR_OK;
}

static const struct kr_param *find_param(const struct kr_script *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->nparams; i++)
		if (strlen(s->params[i].name) == len && memcmp(s->params[i].name, name, len) == 0)
			return &s->params[i];
	return NULL;
}

/* Substitute ${name} in one string; list parameters are refused here. */
static int expand(struct ctx *c, const struct kr_script *s, const char *in, const char *where,
		  char **out)
{
	size_t cap = strlen(in) + 1, len = 0;
	char *buf = malloc(cap);
	if (buf == NULL)
		return KR_ENOMEM;
	const char *p = in;
	while (*p) {
		const char *piece = p;
		size_t plen = 1;
		if (p[0] == '$' && p[1] == '{') {
			const char *end = strchr(p + 2, '}');
			const struct kr_param *par = end ? find_param(s, p + 2, (size_t)(end - p - 2)) : NULL;
			if (par == NULL || par->list || par->n != 1) {
				free(buf);
				return fail(c, KR_EMALFORMED, "%s: '%s' uses an unknown parameter or a "
							      "list parameter inside text", where, in);
			}
			piece = par->values[0];
			plen = strlen(piece);
			p = end + 1;
		} else {
			p++;
		}
		if (len + plen + 1 > cap) {
			size_t ncap = (len + plen + 1) * 2;
			char *nb = realloc(buf, ncap);
			if (nb == NULL) {
				free(buf);
				return KR_ENOMEM;
			}
			buf = nb;
			cap = ncap;
		}
		memcpy(buf + len, piece, plen);
		len += plen;
	}
	buf[len] = '\0';
	*out = buf;
	return KR_OK;
}

/* Expand an argument vector: "${list}" alone becomes its elements. */
static int expand_args(struct ctx *c, const struct kr_script *s, char **raw, size_t nraw,
		       const char *where, char ***out, size_t *nout)
{
	char **v = calloc(MAX_ARGS + 1, sizeof(*v));
	size_t n = 0;
	int rc = KR_OK;
	if (v == NULL)
		return KR_ENOMEM;
	for (size_t i = 0; i < nraw; i++) {
		/* one list parameter in an argument: one argument per element,
		 * with the text around it ("--card=${cards}") */
		const char *open = strstr(raw[i], "${");
		const char *close = open ? strchr(open, '}') : NULL;
		const struct kr_param *par =
			close ? find_param(s, open + 2, (size_t)(close - open - 2)) : NULL;
		if (par != NULL && par->list) {
			if (strstr(close, "${") != NULL) {
				rc = fail(c, KR_EMALFORMED, "%s: '%s': a list parameter must be the only "
							    "parameter in its argument", where, raw[i]);
				goto out;
			}
			for (size_t j = 0; j < par->n; j++) {
				if (n == MAX_ARGS) {
					rc = fail(c, KR_ETOOBIG, "%s: too many arguments", where);
					goto out;
				}
				size_t len = (size_t)(open - raw[i]) + strlen(par->values[j]) + strlen(close + 1);
				if ((v[n] = malloc(len + 1)) == NULL) {
					rc = KR_ENOMEM;
					goto out;
				}
				snprintf(v[n], len + 1, "%.*s%s%s", (int)(open - raw[i]), raw[i],
					 par->values[j], close + 1);
				n++;
			}
			continue;
		}
		if (n == MAX_ARGS) {
			rc = fail(c, KR_ETOOBIG, "%s: too many arguments", where);
			goto out;
		}
		if ((rc = expand(c, s, raw[i], where, &v[n])) != KR_OK)
			goto out;
		n++;
	}
out:
	if (rc != KR_OK) {
		free_strv(v, n);
		return rc;
	}
	*out = v;
	*nout = n;
	return KR_OK;
}

static int apply_overrides(struct ctx *c, struct kr_script *s, const struct kr_param *ov,
			   size_t nov)
{
	for (size_t i = 0; i < nov; i++) {
		struct kr_param *p = (struct kr_param *)find_param(s, ov[i].name, strlen(ov[i].name));
		if (p == NULL)
			return fail(c, KR_EMALFORMED, "parameter '%s' is not declared in the script",
				    ov[i].name);
		if (!p->list && ov[i].n != 1)
			return fail(c, KR_EMALFORMED, "parameter '%s' takes one value", ov[i].name);
		char **vals = calloc(ov[i].n + 1, sizeof(*vals));
		if (vals == NULL)
			return KR_ENOMEM;
		for (size_t j = 0; j < ov[i].n; j++) {
			if ((vals[j] = strdup(ov[i].values[j])) == NULL) {
				free_strv(vals, j);
				return KR_ENOMEM;
			}
		}
		free_strv(p->values, p->n);
		p->values = vals;
		p->n = ov[i].n;
	}
	return KR_OK;
}

static int load_step(struct ctx *c, struct kr_script *s, struct fy_node *node, size_t act,
		     size_t idx, struct kr_step *st)
{
	static const char *const keys[] = {"title", "roles", "do", "run", "hash", "note"};
	char where[64], *raw_text = NULL, **raw = NULL;
	size_t nraw = 0;
	snprintf(where, sizeof(where), "acts[%zu].steps[%zu]", act + 1, idx + 1);
	snprintf(st->id, sizeof(st->id), "%zu.%zu", act + 1, idx + 1);
	st->act = act;
	int rc = check_map(c, node, where, keys, sizeof(keys) / sizeof(keys[0]));
	if (rc != KR_OK)
		return rc;
	struct fy_node *roles = lookup(node, "roles");
	if ((rc = get_list(c, roles, 1, where, &st->roles, &st->nroles)) != KR_OK)
		return rc;
	if (st->nroles == 0)
		return fail(c, KR_EMALFORMED, "%s: a step needs at least one role", where);
	for (size_t i = 0; i < st->nroles; i++)
		if (kr_script_role(s, st->roles[i]) == NULL)
			return fail(c, KR_EMALFORMED, "%s: role '%s' is not declared", where,
				    st->roles[i]);
	int kinds = (lookup(node, "do") != NULL) + (lookup(node, "run") != NULL) +
		    (lookup(node, "hash") != NULL);
	if (kinds != 1)
		return fail(c, KR_EMALFORMED, "%s: a step has exactly one of do, run, hash", where);
	if ((rc = get_text(c, node, "note", 0, where, &raw_text)) != KR_OK)
		return rc;
	if (raw_text != NULL) {
		rc = expand(c, s, raw_text, where, &st->note);
		free(raw_text);
		if (rc != KR_OK)
			return rc;
	}
	if ((rc = get_text(c, node, "title", 0, where, &raw_text)) != KR_OK)
		return rc;
	if (raw_text != NULL) {
		rc = expand(c, s, raw_text, where, &st->title);
		free(raw_text);
		raw_text = NULL;
		if (rc != KR_OK)
			return rc;
	}
	if (lookup(node, "run") != NULL) {
		st->kind = KR_STEP_RUN;
		if ((rc = get_list(c, lookup(node, "run"), 0, where, &raw, &nraw)) != KR_OK)
			return rc;
		if (nraw == 0) {
			rc = fail(c, KR_EMALFORMED, "%s: run needs a tool name", where);
		} else if (strcmp(raw[0], "keyroll-hsm") != 0 && strcmp(raw[0], "keyroll-ksr") != 0 &&
			   strcmp(raw[0], "keyroll-skr") != 0 &&
			   strcmp(raw[0], "keyroll-trustanchor") != 0) {
			rc = fail(c, KR_EPOLICY,
				  "%s: run may only start keyroll-hsm, keyroll-ksr, keyroll-skr or "
				  "keyroll-trustanchor, not '%s'",
				  where, raw[0]);
		} else {
			rc = expand_args(c, s, raw, nraw, where, &st->argv, &st->argc);
		}
		free_strv(raw, nraw);
		if (rc != KR_OK)
			return rc;
		if (st->title == NULL && (st->title = strdup(st->argv[0])) == NULL)
			return KR_ENOMEM;
		return KR_OK;
	}
	const char *key = lookup(node, "do") != NULL ? "do" : "hash";
	st->kind = key[0] == 'd' ? KR_STEP_MANUAL : KR_STEP_HASH;
	if ((rc = get_text(c, node, key, 1, where, &raw_text)) != KR_OK)
		return rc;
	rc = expand(c, s, raw_text, where, &st->text);
	free(raw_text);
	if (rc != KR_OK)
		return rc;
	if (st->title == NULL && (st->title = strdup(st->text)) == NULL)
		return KR_ENOMEM;
	return KR_OK;
}

static int load_audit(struct ctx *c, struct kr_script *s, struct fy_node *node)
{
	static const char *const keys[] = {"module", "token", "key", "pin-file", "cards"};
	int rc = check_map(c, node, "audit", keys, sizeof(keys) / sizeof(keys[0]));
	char *raw = NULL, **cards = NULL;
	size_t ncards = 0;
	struct {
		const char *key;
		int required;
		char **dst;
	} f[] = {{"module", 0, &s->audit_module},
		 {"token", 1, &s->audit_token},
		 {"key", 1, &s->audit_key},
		 {"pin-file", 0, &s->audit_pin_file}};
	for (size_t i = 0; rc == KR_OK && i < sizeof(f) / sizeof(f[0]); i++) {
		rc = get_text(c, node, f[i].key, f[i].required, "audit", &raw);
		if (rc == KR_OK && raw != NULL)
			rc = expand(c, s, raw, "audit", f[i].dst);
		free(raw);
		raw = NULL;
	}
	if (rc != KR_OK)
		return rc;
	if (lookup(node, "cards") != NULL) {
		if ((rc = get_list(c, lookup(node, "cards"), 1, "audit.cards", &cards, &ncards)) != KR_OK)
			return rc;
		size_t n = 0;
		rc = expand_args(c, s, cards, ncards, "audit.cards", &s->audit_cards, &n);
		free_strv(cards, ncards);
		if (rc == KR_OK && n == 0)
			rc = fail(c, KR_EMALFORMED, "audit.cards: no cards listed");
	}
	if (rc == KR_OK && s->audit_cards != NULL && s->audit_pin_file != NULL)
		rc = fail(c, KR_EMALFORMED, "audit: give cards or pin-file, not both");
	return rc;
}

const struct kr_role *kr_script_role(const struct kr_script *s, const char *name)
{
	for (size_t i = 0; s != NULL && i < s->nroles; i++)
		if (strcmp(s->roles[i].name, name) == 0)
			return &s->roles[i];
	return NULL;
}

long kr_script_step_index(const struct kr_script *s, const char *id)
{
	for (size_t i = 0; s != NULL && i < s->nsteps; i++)
		if (strcmp(s->steps[i].id, id) == 0)
			return (long)i;
	return -1;
}

static int load_roles(struct ctx *c, struct kr_script *s, struct fy_node *node)
{
	if (node == NULL || !fy_node_is_mapping(node) || fy_node_is_alias(node))
		return fail(c, KR_EMALFORMED, "roles: expected a mapping of role names to descriptions");
	int count = fy_node_mapping_item_count(node);
	if (count <= 0 || count > MAX_ITEMS)
		return fail(c, KR_EMALFORMED, "roles: expected between 1 and %d roles", MAX_ITEMS);
	s->roles = calloc((size_t)count, sizeof(*s->roles));
	if (s->roles == NULL)
		return KR_ENOMEM;
	void *it = NULL;
	struct fy_node_pair *p;
	while ((p = fy_node_mapping_iterate(node, &it)) != NULL) {
		struct kr_role *r = &s->roles[s->nroles];
		if (kr_yaml_scalar(fy_node_pair_key(p), &r->name) != KR_OK ||
		    kr_yaml_scalar(fy_node_pair_value(p), &r->desc) != KR_OK) {
			s->nroles += r->name != NULL;
			return fail(c, KR_EMALFORMED, "roles: names and descriptions are text");
		}
		s->nroles++;
		if (r->name[0] == '\0' || strpbrk(r->name, " \t,") != NULL)
			return fail(c, KR_EMALFORMED, "roles: '%s' is not a role name", r->name);
	}
	return KR_OK;
}

static int load_acts(struct ctx *c, struct kr_script *s, struct fy_node *acts)
{
	static const char *const keys[] = {"title", "steps"};
	if (acts == NULL || !fy_node_is_sequence(acts) || fy_node_is_alias(acts))
		return fail(c, KR_EMALFORMED, "acts: expected a list of acts");
	int nacts = fy_node_sequence_item_count(acts);
	if (nacts <= 0 || nacts > MAX_ITEMS)
		return fail(c, KR_EMALFORMED, "acts: expected between 1 and %d acts", MAX_ITEMS);
	s->acts = calloc((size_t)nacts, sizeof(*s->acts));
	if (s->acts == NULL)
		return KR_ENOMEM;
	void *it = NULL;
	struct fy_node *act;
	size_t cap = 0;
	int rc;
	while ((act = fy_node_sequence_iterate(acts, &it)) != NULL) {
		char where[32];
		snprintf(where, sizeof(where), "acts[%zu]", s->nacts + 1);
		if ((rc = check_map(c, act, where, keys, 2)) != KR_OK)
			return rc;
		char *raw = NULL;
		if ((rc = get_text(c, act, "title", 1, where, &raw)) != KR_OK)
			return rc;
		rc = expand(c, s, raw, where, &s->acts[s->nacts]);
		free(raw);
		if (rc != KR_OK)
			return rc;
		s->nacts++;
		struct fy_node *steps = lookup(act, "steps");
		if (steps == NULL || !fy_node_is_sequence(steps) || fy_node_is_alias(steps) ||
		    fy_node_sequence_item_count(steps) <= 0)
			return fail(c, KR_EMALFORMED, "%s: expected a non-empty list of steps", where);
		void *sit = NULL;
		struct fy_node *step;
		size_t idx = 0;
		while ((step = fy_node_sequence_iterate(steps, &sit)) != NULL) {
			if (s->nsteps == cap) {
				if (cap >= MAX_ITEMS)
					return fail(c, KR_ETOOBIG, "too many steps");
				size_t ncap = cap ? cap * 2 : 32;
				struct kr_step *ns = realloc(s->steps, ncap * sizeof(*ns));
				if (ns == NULL)
					return KR_ENOMEM;
				s->steps = ns;
				cap = ncap;
			}
			memset(&s->steps[s->nsteps], 0, sizeof(s->steps[0]));
			s->nsteps++;
			rc = load_step(c, s, step, s->nacts - 1, idx++, &s->steps[s->nsteps - 1]);
			if (rc != KR_OK)
				return rc;
		}
	}
	return KR_OK;
}

int kr_script_load(const char *path, const struct kr_param *overrides, size_t noverrides,
		   struct kr_script **out, char *why, size_t whysize)
{
	static const char *const keys[] = {"ceremony", "description", "roles", "params", "audit",
					   "acts"};
	struct ctx c = {why, whysize};
	if (why != NULL && whysize > 0)
		why[0] = '\0';
	if (path == NULL || out == NULL)
		return KR_EINVAL;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct fy_document *doc = NULL;
	unsigned int hlen = 0;
	struct kr_script *s = calloc(1, sizeof(*s));
	int rc = s ? kr_read_file(path, KR_YAML_MAX_SIZE, &buf, &len) : KR_ENOMEM;
	if (rc != KR_OK) {
		fail(&c, rc, "cannot read the script %s", path);
		goto out;
	}
	if (EVP_Digest(buf, len, s->sha256, &hlen, EVP_sha256(), NULL) != 1) {
		rc = KR_ECRYPTO;
		goto out;
	}
	if ((rc = kr_yaml_parse((const char *)buf, len, &doc, why, whysize)) != KR_OK)
		goto out;
	struct fy_node *root = fy_document_root(doc);
	if ((rc = check_map(&c, root, "script", keys, sizeof(keys) / sizeof(keys[0]))) != KR_OK ||
	    (rc = get_text(&c, root, "ceremony", 1, "script", &s->title)) != KR_OK ||
	    (rc = get_text(&c, root, "description", 0, "script", &s->description)) != KR_OK ||
	    (rc = load_roles(&c, s, lookup(root, "roles"))) != KR_OK ||
	    (rc = load_params(&c, lookup(root, "params"), "params", &s->params, &s->nparams)) != KR_OK ||
	    (rc = apply_overrides(&c, s, overrides, noverrides)) != KR_OK)
		goto out;
	if (lookup(root, "audit") == NULL) {
		rc = fail(&c, KR_EMALFORMED, "script: 'audit' (the key that seals the log) is missing");
		goto out;
	}
	if ((rc = load_audit(&c, s, lookup(root, "audit"))) != KR_OK ||
	    (rc = load_acts(&c, s, lookup(root, "acts"))) != KR_OK)
		goto out;
	*out = s;
	s = NULL; /* transferred */
out:
	if (rc != KR_OK)
		fail(&c, rc, "the script is not valid");
	if (doc != NULL)
		fy_document_destroy(doc);
	free(buf);
	kr_script_free(s);
	return rc;
}

void kr_script_free(struct kr_script *s)
{
	if (s == NULL)
		return;
	free(s->title);
	free(s->description);
	for (size_t i = 0; i < s->nroles; i++) {
		free(s->roles[i].name);
		free(s->roles[i].desc);
	}
	free(s->roles);
	kr_params_free(s->params, s->nparams);
	free_strv(s->acts, s->nacts);
	for (size_t i = 0; i < s->nsteps; i++) {
		struct kr_step *st = &s->steps[i];
		free(st->title);
		free_strv(st->roles, st->nroles);
		free(st->text);
		free_strv(st->argv, st->argc);
		free(st->note);
	}
	free(s->steps);
	free(s->audit_module);
	free(s->audit_token);
	free(s->audit_key);
	free(s->audit_pin_file);
	if (s->audit_cards != NULL) {
		size_t n = 0;
		while (s->audit_cards[n] != NULL)
			n++;
		free_strv(s->audit_cards, n);
	}
	free(s);
}

/* --- answers ----------------------------------------------------------------- */

void kr_answers_free(struct kr_answers *a)
{
	if (a == NULL)
		return;
	kr_params_free(a->params, a->nparams);
	for (size_t i = 0; i < a->npeople; i++) {
		free(a->people[i].role);
		free(a->people[i].name);
		free(a->people[i].initials);
	}
	free(a->people);
	for (size_t i = 0; i < a->nsteps; i++) {
		free(a->steps[i].step);
		free(a->steps[i].result);
		free(a->steps[i].initials);
		free(a->steps[i].text);
	}
	free(a->steps);
	free(a);
}

static int load_people(struct ctx *c, struct kr_answers *a, struct fy_node *node)
{
	static const char *const keys[] = {"role", "name", "initials"};
	if (node == NULL || !fy_node_is_sequence(node) || fy_node_is_alias(node))
		return fail(c, KR_EMALFORMED, "participants: expected a list");
	int n = fy_node_sequence_item_count(node);
	if (n <= 0 || n > MAX_ITEMS)
		return fail(c, KR_EMALFORMED, "participants: expected at least one participant");
	if ((a->people = calloc((size_t)n, sizeof(*a->people))) == NULL)
		return KR_ENOMEM;
	void *it = NULL;
	struct fy_node *e;
	while ((e = fy_node_sequence_iterate(node, &it)) != NULL) {
		char where[48];
		snprintf(where, sizeof(where), "participants[%zu]", a->npeople + 1);
		struct kr_participant *p = &a->people[a->npeople++];
		int rc;
		if ((rc = check_map(c, e, where, keys, 3)) != KR_OK ||
		    (rc = get_text(c, e, "role", 1, where, &p->role)) != KR_OK ||
		    (rc = get_text(c, e, "name", 1, where, &p->name)) != KR_OK ||
		    (rc = get_text(c, e, "initials", 1, where, &p->initials)) != KR_OK)
			return rc;
	}
	return KR_OK;
}

static int load_answers_steps(struct ctx *c, struct kr_answers *a, struct fy_node *node)
{
	static const char *const keys[] = {"step", "result", "initials", "text"};
	if (node == NULL || !fy_node_is_sequence(node) || fy_node_is_alias(node))
		return fail(c, KR_EMALFORMED, "steps: expected a list");
	int n = fy_node_sequence_item_count(node);
	if (n < 0 || n > MAX_ITEMS)
		return fail(c, KR_ETOOBIG, "steps: too many answers");
	if ((a->steps = calloc((size_t)n + 1, sizeof(*a->steps))) == NULL)
		return KR_ENOMEM;
	void *it = NULL;
	struct fy_node *e;
	while ((e = fy_node_sequence_iterate(node, &it)) != NULL) {
		char where[48];
		snprintf(where, sizeof(where), "steps[%zu]", a->nsteps + 1);
		struct kr_answer *s = &a->steps[a->nsteps++];
		int rc;
		if ((rc = check_map(c, e, where, keys, 4)) != KR_OK ||
		    (rc = get_text(c, e, "step", 1, where, &s->step)) != KR_OK ||
		    (rc = get_text(c, e, "result", 1, where, &s->result)) != KR_OK ||
		    (rc = get_text(c, e, "initials", 1, where, &s->initials)) != KR_OK ||
		    (rc = get_text(c, e, "text", 0, where, &s->text)) != KR_OK)
			return rc;
		int exc = strcmp(s->result, "exception") == 0;
		if (!exc && strcmp(s->result, "done") != 0)
			return fail(c, KR_EMALFORMED, "%s: result is done or exception", where);
		if (exc != (s->text != NULL && s->text[0] != '\0'))
			return fail(c, KR_EMALFORMED,
				    "%s: an exception needs a text, and only an exception has one", where);
	}
	return KR_OK;
}

int kr_answers_load(const char *path, struct kr_answers **out, char *why, size_t whysize)
{
	static const char *const keys[] = {"params", "participants", "steps"};
	struct ctx c = {why, whysize};
	if (why != NULL && whysize > 0)
		why[0] = '\0';
	if (path == NULL || out == NULL)
		return KR_EINVAL;
	struct fy_document *doc = NULL;
	char *text = NULL;
	struct kr_answers *a = calloc(1, sizeof(*a));
	int rc = a ? kr_yaml_load(path, &doc, &text, why, whysize) : KR_ENOMEM;
	if (rc != KR_OK)
		goto out;
	struct fy_node *root = fy_document_root(doc);
	if ((rc = check_map(&c, root, "answers", keys, 3)) != KR_OK ||
	    (rc = load_params(&c, lookup(root, "params"), "params", &a->params, &a->nparams)) != KR_OK ||
	    (rc = load_people(&c, a, lookup(root, "participants"))) != KR_OK ||
	    (rc = load_answers_steps(&c, a, lookup(root, "steps"))) != KR_OK)
		goto out;
	*out = a;
	a = NULL; /* transferred */
out:
	if (doc != NULL)
		fy_document_destroy(doc);
	free(text);
	kr_answers_free(a);
	return rc;
}
