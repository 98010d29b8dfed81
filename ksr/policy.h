/*
 * policy.h - the YAML policy shared by the KSK operator (keyroll-skr) and
 * the ZSK operator (keyroll-ksr).
 *
 * One file holds both halves:
 *   - the KSK operator's signing policy: zone (= signer name), DNSKEY TTL,
 *     the KSK timing written into every SKR's ResponsePolicy/KSK, and the
 *     KSKs it expects to use (tag, algorithm, size, DS, validity window);
 *   - the request policy: the thresholds every KSR is checked against
 *     (ksr/checks.h), ICANN's "request_policy" knobs.
 *
 * Every key is validated; an unknown key anywhere is an error (a typo must
 * never silently fall back to a default).  The single exception is the
 * top-level "schemas:" mapping, which belongs to skr/schema.c: the loader
 * leaves it alone and keeps the parsed document (kr_policy.yaml) so the
 * schema code can read it from the same file.
 *
 * The format is documented in docs/ksr-skr-format.md; skr/policies/root.yaml
 * is the default (kr_policy_default_path()).
 */
#ifndef KR_KSR_POLICY_H
#define KR_KSR_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dnssec.h"
#include "lib/ksr.h"

#define KR_POLICY_MAX_KSKS 16
#define KR_POLICY_MAX_ALGS 8
#define KR_POLICY_MAX_VALUES 8 /* sizes / exponents per algorithm */
#define KR_POLICY_MAX_SLOTS 64 /* keys_per_bundle entries */
#define KR_POLICY_MAX_SKIP 32
#define KR_POLICY_LABEL_MAX 64

/* A KSK the operator may sign with ("keys:" list). */
struct kr_policy_ksk {
	char label[KR_POLICY_LABEL_MAX]; /* the token label used with --ksk */
	char description[128];
	uint16_t key_tag;  /* 0 = not given (tag of the key as published, flags 257) */
	uint8_t algorithm;
	unsigned size;     /* bits; 0 = not given */
	uint64_t exponent; /* RSA; 0 = not given */
	int has_ds;        /* ds_sha256 given */
	uint8_t ds_sha256[32];
	int64_t valid_from;  /* may sign from this time (inclusive) */
	int64_t valid_until; /* ... until this time (exclusive); 0 = open */
};

/* An algorithm the request policy accepts for ZSKs ("approved_algorithms"). */
struct kr_policy_alg {
	uint8_t algorithm;
	size_t nsizes;      /* 0 = any size the algorithm allows */
	unsigned sizes[KR_POLICY_MAX_VALUES];
	size_t nexponents;  /* RSA only; 0 = any */
	uint64_t exponents[KR_POLICY_MAX_VALUES];
};

struct kr_policy {
	/* --- KSK operator ------------------------------------------------ */
	struct kr_name zone;  /* the zone (DNSKEY owner and RRSIG signer name) */
	uint32_t dnskey_ttl;  /* TTL and OriginalTTL of the DNSKEY RRset */
	/* Written as ResponsePolicy/KSK and enforced on every bundle
	 * (SKR-POLICY-*): publish/retire safety, signature validity and
	 * overlap limits.  ksk.nalgs is 0 here: the signer fills it from the
	 * KSKs it uses. */
	struct kr_ksr_policy ksk;
	size_t nksks;
	struct kr_policy_ksk ksks[KR_POLICY_MAX_KSKS];

	/* --- request policy (KSR checks) --------------------------------- */
	size_t min_bundles, max_bundles;            /* KSR-BUNDLE-COUNT */
	int64_t min_bundle_interval, max_bundle_interval; /* seconds, KSR-POLICY-BUNDLE-INTERVALS */
	int64_t min_cycle_length, max_cycle_length; /* first to last inception, KSR-BUNDLE-CYCLE-DURATION */
	size_t nkeys_per_bundle;                    /* 0 = not checked */
	unsigned keys_per_bundle[KR_POLICY_MAX_SLOTS]; /* KSR-POLICY-KEYS, per slot */
	unsigned min_keys_per_bundle, max_keys_per_bundle; /* KSR-POLICY-KEYS, any slot */
	unsigned num_different_keys;                /* 0 = not checked */
	size_t nalgs;                               /* KSR-POLICY-ALG */
	struct kr_policy_alg algs[KR_POLICY_MAX_ALGS];
	int64_t signature_horizon;                  /* seconds, KSR-POLICY-SIG-HORIZON */
	/* Bounds on what the KSR claims in RequestPolicy/ZSK (KSR-POLICY-SAFETY). */
	int64_t min_publish_safety, max_publish_safety;
	int64_t min_retire_safety, max_retire_safety;
	/* Check ids disabled by the operator: reported as SKIP, never PASS. */
	size_t nskip;
	char skip[KR_POLICY_MAX_SKIP][40];

	/* --- provenance ---------------------------------------------------- */
	char *path;  /* the file loaded; owned */
	void *yaml;  /* the parsed document (struct fy_document *), owned: the
	              * schema code reads "/schemas" from it; may be NULL */
};

/*
 * Load and validate a policy file.  *out is allocated; free with
 * kr_policy_free().  On failure errbuf says which key and why (e.g.
 * "request_policy.max_bundle_interval: bad duration").  Errors:
 * KR_ESYS (cannot read), KR_EMALFORMED (YAML syntax, unknown key, bad
 * value), KR_ERANGE (inconsistent limits such as min > max).
 */
int kr_policy_load(const char *path, struct kr_policy **out, char *errbuf, size_t errlen);

/* The same from a buffer (tests, fuzzing); name is used in messages. */
int kr_policy_load_mem(const char *yaml, size_t len, const char *name, struct kr_policy **out,
		       char *errbuf, size_t errlen);

/* NULL-safe. */
void kr_policy_free(struct kr_policy *pol);

/*
 * The default policy file: ./skr/policies/root.yaml when it exists (running
 * from the source tree), else $KEYROLL_DATADIR/skr/policies/root.yaml (env),
 * else the compiled-in KEYROLL_DATADIR.  Writes the path into buf.
 * KR_ENOTFOUND if none exists.
 */
int kr_policy_default_path(char *buf, size_t size);

/* 1 if the operator disabled check id in the policy ("skip_checks"). */
int kr_policy_skips(const struct kr_policy *pol, const char *id);

/* The KSK with this label, or NULL. */
const struct kr_policy_ksk *kr_policy_find_ksk(const struct kr_policy *pol, const char *label);

#endif
