/*
 * ksr.h - the ICANN KSR/SKR document model and its XML codec (libxml2).
 *
 * One model for both: a KSR has a <Request> with a RequestPolicy (ZSK) and
 * RequestBundles signed by the ZSKs; an SKR has a <Response> with a
 * ResponsePolicy (KSK and ZSK) and ResponseBundles signed by the KSKs.
 *
 * Parsing is strict and safe (DESIGN.md): the input is capped at
 * KR_KSR_MAX_SIZE, DOCTYPE and entities are refused, no network; every
 * missing or malformed element is an error whose message names it.
 */
#ifndef KR_KSR_H
#define KR_KSR_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dnssec.h"

#define KR_KSR_MAX_SIZE (1024 * 1024) /* ICANN's cap */
#define KR_KSR_MAX_ALGS 8

struct kr_ksr_sigalg {
	uint8_t algorithm;
	unsigned size;     /* RSA: modulus bits; ECDSA: 256/384; EdDSA: 256 */
	uint64_t exponent; /* RSA only, 0 otherwise */
};

/* The <KSK> or <ZSK> element of a policy. */
struct kr_ksr_policy {
	int64_t publish_safety, retire_safety;   /* seconds */
	int64_t max_sig_validity, min_sig_validity;
	int64_t max_validity_overlap, min_validity_overlap;
	size_t nalgs;
	struct kr_ksr_sigalg algs[KR_KSR_MAX_ALGS];
};

struct kr_ksr_key {
	char *key_identifier; /* owned */
	uint16_t key_tag;     /* the keyTag attribute as written (leading zeros allowed) */
	uint32_t ttl;
	struct kr_dnskey dnskey;
};

struct kr_ksr_sig {
	char *key_identifier; /* owned */
	uint32_t ttl;
	struct kr_rrsig rrsig; /* covers the bundle's whole DNSKEY RRset */
};

struct kr_ksr_bundle {
	char *id; /* owned */
	int64_t inception, expiration;
	size_t nkeys, nsigs;
	struct kr_ksr_key *keys; /* owned arrays */
	struct kr_ksr_sig *sigs;
};

enum kr_ksr_kind { KR_KSR_REQUEST = 1, KR_KSR_RESPONSE = 2 };

struct kr_ksr_doc {
	enum kr_ksr_kind kind;
	char *id;     /* the <KSR id> attribute; owned */
	uint32_t serial;
	struct kr_name domain;
	int64_t timestamp; /* on <KSR> or <Request>/<Response>; 0 if absent */
	struct kr_ksr_policy zsk_policy; /* RequestPolicy/ZSK or ResponsePolicy/ZSK */
	struct kr_ksr_policy ksk_policy; /* ResponsePolicy/KSK (SKR only) */
	int has_ksk_policy;
	size_t nbundles;
	struct kr_ksr_bundle *bundles; /* owned */
};

/* Parse a KSR or SKR.  On failure errbuf (if given) says which element and why. */
int kr_ksr_parse(const uint8_t *xml, size_t len, struct kr_ksr_doc **out, char *errbuf,
		 size_t errlen);
/* kr_read_file() capped at KR_KSR_MAX_SIZE, then kr_ksr_parse(). */
int kr_ksr_read_file(const char *path, struct kr_ksr_doc **out, char *errbuf, size_t errlen);
/* Serialize in ICANN's layout (times as +00:00, elements in ICANN order).
 * *xml is allocated; caller frees with free(). */
int kr_ksr_write(const struct kr_ksr_doc *doc, char **xml, size_t *len);
/* NULL-safe; frees every owned member. */
void kr_ksr_free(struct kr_ksr_doc *doc);

/* Helpers to build documents (the signer and the KSR generator): append a
 * copy (identifier strings duplicated).  Return KR_ENOMEM on failure. */
int kr_ksr_bundle_add_key(struct kr_ksr_bundle *b, const struct kr_ksr_key *key);
int kr_ksr_bundle_add_sig(struct kr_ksr_bundle *b, const struct kr_ksr_sig *sig);

#endif
