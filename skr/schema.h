/*
 * schema.h - rollover schemas: which KSKs each SKR bundle slot publishes,
 * signs with and publishes revoked.
 *
 * A schema names its keys by reference ("current", "next", or a token key
 * label); the signer maps references to the KSKs given on its command line
 * (kr_schema_resolve).  Each slot's DNSKEY RRset is the bundle's ZSKs plus
 * every published key, every revoked key (flag 128 set, so a new key tag)
 * and every signing key; a key that is both revoked and signing signs as its
 * revoked form (RFC 5011 section 2.1: the revoked key signs the RRset).
 *
 * Rules are matched per slot (1-based) in this order: an explicit slot or
 * slot range, then "first" (slot 1), then "last" (the final slot), then
 * "default".  So one schema fits any bundle count, and ICANN's 9-slot
 * schemas are the built-ins below.
 *
 * Built-ins ("current" = C, "next" = N; ICANN's phases in brackets):
 *   normal       every slot: publish C, sign C
 *   pre-publish  first: publish C, sign C; others: publish C+N, sign C   [C->D]
 *   rollover     first: publish C+N, sign C; others: publish C+N, sign N [D->E]
 *   revoke       first: publish C+N, sign N; middle: publish N, revoke C,
 *                sign C+N; last: publish N, sign N                       [E->F]
 *   publish+     every slot: publish C+N, sign C   (stay in D)
 *   rollover+    every slot: publish C+N, sign N   (stay in E)
 *   revoke+      first and last: publish N, sign N; middle: publish N,
 *                revoke C, sign C+N                (stay in F)
 *
 * Custom schemas come from the top-level `schemas:` mapping of a policy
 * YAML file:
 *
 *   schemas:
 *     my-roll:
 *       first:   {publish: current, sign: current}
 *       2-6:     {publish: [current, next], sign: current}
 *       7-8:     {publish: next, revoke: current, sign: [current, next]}
 *       default: {publish: next, sign: next}
 *
 * Slot keys: a number, a range "A-B", first, last, default.  Action keys:
 * publish, sign, revoke (a name or a list of names).  Anything else, an
 * empty sign set, a key both published and revoked, overlapping ranges or a
 * custom schema named like a built-in is an error naming the YAML line.
 */
#ifndef KR_SKR_SCHEMA_H
#define KR_SKR_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#define KR_SCHEMA_MAX_REFS 8
#define KR_SCHEMA_MAX_RULES 64
#define KR_SCHEMA_NAME_MAX 64

/* Bit i of each mask stands for the schema's refs[i]. */
struct kr_schema_action {
	uint32_t publish, sign, revoke;
};

enum kr_schema_rule_kind {
	KR_SCHEMA_SLOTS = 1, /* slots from..to */
	KR_SCHEMA_FIRST,
	KR_SCHEMA_LAST,
	KR_SCHEMA_DEFAULT,
};

struct kr_schema_rule {
	enum kr_schema_rule_kind kind;
	unsigned from, to; /* KR_SCHEMA_SLOTS only, 1-based, inclusive */
	struct kr_schema_action action;
};

/* A value type: copy with '='. */
struct kr_schema {
	char name[KR_SCHEMA_NAME_MAX];
	size_t nrefs;
	char refs[KR_SCHEMA_MAX_REFS][KR_SCHEMA_NAME_MAX];
	size_t nrules;
	struct kr_schema_rule rules[KR_SCHEMA_MAX_RULES];
};

/* The built-ins in the order listed above: i < kr_schema_builtin_count(). */
size_t kr_schema_builtin_count(void);
const char *kr_schema_builtin_name(size_t i);
/* The built-in called name; KR_ENOTFOUND if there is none. */
int kr_schema_builtin(const char *name, struct kr_schema *out);

/*
 * The custom schemas of a policy document (YAML text of len bytes): the
 * top-level `schemas:` mapping, all other keys ignored.  *out is allocated
 * (caller frees with free(); NULL and *n = 0 when there are none).
 * KR_EMALFORMED / KR_EPOLICY with a message in errbuf naming the line.
 */
int kr_schema_parse_yaml(const char *yaml, size_t len, struct kr_schema **out, size_t *n,
			 char *errbuf, size_t errlen);
/* The same for a file (capped at 1 MiB). */
int kr_schema_load_file(const char *path, struct kr_schema **out, size_t *n, char *errbuf,
			size_t errlen);

/* name among custom[0..n) first, then the built-ins.  KR_ENOTFOUND if none. */
int kr_schema_find(const char *name, const struct kr_schema *custom, size_t n,
		   struct kr_schema *out);

/*
 * The action for slot (1-based) of a response with nslots bundles.
 * KR_ENOTFOUND if no rule covers it.
 */
int kr_schema_slot(const struct kr_schema *s, size_t slot, size_t nslots,
		   struct kr_schema_action *out);

/*
 * Check that the schema fits nslots bundles: every slot has a rule and no
 * explicit slot lies beyond nslots.  KR_EPOLICY with the reason in errbuf.
 */
int kr_schema_check(const struct kr_schema *s, size_t nslots, char *errbuf, size_t errlen);

/*
 * Map each of the schema's refs to an index into labels[0..nlabels) (the
 * KSKs in command-line order): "current"/"ksk_current" is labels[0],
 * "next"/"ksk_next" labels[1], any other ref must equal a label.  idx gets
 * one entry per ref.  Every label must be used by some ref (a KSK given but
 * not in the schema is an operator mistake).  KR_ENOTFOUND / KR_EINVAL with
 * the reason in errbuf.
 */
int kr_schema_resolve(const struct kr_schema *s, const char *const *labels, size_t nlabels,
		      size_t idx[KR_SCHEMA_MAX_REFS], char *errbuf, size_t errlen);

/* "publish C+N sign C" style one-line description of an action (for tables). */
int kr_schema_action_format(const struct kr_schema *s, const struct kr_schema_action *a, char *buf,
			    size_t size);

#endif
