/*
 * dnssec.h - DNSSEC primitives: owner names, DNSKEY, key tags, DS, RRSIG,
 * canonical DNSKEY RRset signed data (RFC 4034), signing and verification
 * through OpenSSL EVP for algorithms 8, 10, 13, 14 and 15.
 *
 * Value types (struct kr_name, kr_dnskey, kr_rrsig) hold their bytes inline,
 * so they are copied with '=' and need no free.  Every function returns 0 or
 * a negative KR_E* code (lib/error.h).
 */
#ifndef KR_DNSSEC_H
#define KR_DNSSEC_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* Algorithm numbers (IANA "DNS Security Algorithm Numbers"). */
enum {
	KR_ALG_RSAMD5 = 1,
	KR_ALG_DSA = 3,
	KR_ALG_RSASHA1 = 5,
	KR_ALG_DSA_NSEC3_SHA1 = 6,
	KR_ALG_RSASHA1_NSEC3_SHA1 = 7,
	KR_ALG_RSASHA256 = 8,
	KR_ALG_RSASHA512 = 10,
	KR_ALG_ECC_GOST = 12,
	KR_ALG_ECDSAP256SHA256 = 13,
	KR_ALG_ECDSAP384SHA384 = 14,
	KR_ALG_ED25519 = 15,
	KR_ALG_ED448 = 16,
};

enum {
	KR_DNSKEY_ZONE = 0x0100,   /* flags bit 7 */
	KR_DNSKEY_REVOKE = 0x0080, /* flags bit 8, RFC 5011 */
	KR_DNSKEY_SEP = 0x0001,    /* flags bit 15 */
};

enum {
	KR_TYPE_DS = 43,
	KR_TYPE_RRSIG = 46,
	KR_TYPE_DNSKEY = 48,
	KR_CLASS_IN = 1,
};

enum { KR_DS_SHA1 = 1, KR_DS_SHA256 = 2, KR_DS_SHA384 = 4 };

#define KR_NAME_MAX 255
#define KR_PUBKEY_MAX 1100 /* RSA-8192: 1 + 2 + 3 + 1024 */
#define KR_SIG_MAX 1024
#define KR_DIGEST_MAX 48

/* A domain name in lowercase (canonical) wire form. */
struct kr_name {
	uint8_t len;
	uint8_t wire[KR_NAME_MAX];
};

struct kr_dnskey {
	uint16_t flags;
	uint8_t protocol; /* always 3 */
	uint8_t algorithm;
	uint16_t pubkey_len;
	uint8_t pubkey[KR_PUBKEY_MAX];
};

struct kr_rrsig {
	uint16_t type_covered;
	uint8_t algorithm;
	uint8_t labels;
	uint32_t original_ttl;
	uint32_t expiration; /* seconds since the epoch, mod 2^32 (RFC 4034 3.1.5) */
	uint32_t inception;
	uint16_t key_tag;
	struct kr_name signer;
	uint16_t sig_len;
	uint8_t sig[KR_SIG_MAX];
};

/* --- names ------------------------------------------------------------- */

/* "." , "se", "se.", "Example.COM." (relative names are taken as absolute);
 * \DDD and \X escapes.  The result is lowercased. */
int kr_name_from_str(const char *s, struct kr_name *out);
/* Presentation form with a trailing dot ("." for the root) into buf. */
int kr_name_to_str(const struct kr_name *n, char *buf, size_t size);
/* Label count for the RRSIG Labels field (root = 0; a leading '*' not counted). */
unsigned kr_name_labels(const struct kr_name *n);
int kr_name_equal(const struct kr_name *a, const struct kr_name *b);

/* --- algorithms -------------------------------------------------------- */

/* Mnemonic ("RSASHA256") or NULL for unknown numbers. */
const char *kr_alg_name(uint8_t alg);
/* Accepts a mnemonic (any case) or a decimal number. */
int kr_alg_from_name(const char *s, uint8_t *alg);
/* 1 if keyroll can sign and verify with alg (8, 10, 13, 14, 15). */
int kr_alg_supported(uint8_t alg);
/* Why alg must not be used for signing (RFC 8624 MUST NOT, or SHA-1
 * deprecation), or NULL if it may be. */
const char *kr_alg_refused(uint8_t alg);

/* --- DNSKEY ------------------------------------------------------------ */

/* RDATA: flags, protocol, algorithm, public key.  Returns KR_ETOOBIG if size is short. */
int kr_dnskey_rdata(const struct kr_dnskey *k, uint8_t *buf, size_t size, size_t *len);
int kr_dnskey_from_rdata(const uint8_t *rdata, size_t len, struct kr_dnskey *out);
/* RFC 4034 Appendix B key tag over the RDATA as it is (flags included, so a
 * revoked key has its own tag). */
uint16_t kr_dnskey_keytag(const struct kr_dnskey *k);
/* Key size in bits (RSA modulus, 256/384 for ECDSA, 256 for Ed25519) and the
 * RSA public exponent (0 for non-RSA).  Either out pointer may be NULL.
 * Checks the public key is well formed for its algorithm. */
int kr_dnskey_params(const struct kr_dnskey *k, unsigned *bits, uint64_t *exponent);
/* Equality of algorithm and public key (flags ignored: a key and its revoked form match). */
int kr_dnskey_same_key(const struct kr_dnskey *a, const struct kr_dnskey *b);
/* OpenSSL public key for a DNSKEY; caller frees with EVP_PKEY_free(). */
int kr_dnskey_to_pkey(const struct kr_dnskey *k, EVP_PKEY **out);
/* DNSKEY from an OpenSSL key (public part); alg must fit the key type/size. */
int kr_dnskey_from_pkey(EVP_PKEY *pkey, uint8_t alg, uint16_t flags, struct kr_dnskey *out);

/* DS digest (SHA-1, SHA-256 or SHA-384) of owner|RDATA into digest[KR_DIGEST_MAX]. */
int kr_ds_digest(const struct kr_name *owner, const struct kr_dnskey *k, uint8_t digest_type,
		 uint8_t *digest, size_t *len);

/* --- presentation (zone-file lines, no trailing newline; caller frees) -- */

/* "owner ttl IN DNSKEY flags 3 alg base64" */
int kr_dnskey_format(const struct kr_name *owner, uint32_t ttl, const struct kr_dnskey *k,
		     char **out);
/* "owner ttl IN DS tag alg type HEX" (uppercase hex) */
int kr_ds_format(const struct kr_name *owner, uint32_t ttl, const struct kr_dnskey *k,
		 uint8_t digest_type, char **out);
/* "owner ttl IN RRSIG DNSKEY alg labels origttl expiration inception tag signer base64" */
int kr_rrsig_format(const struct kr_name *owner, uint32_t ttl, const struct kr_rrsig *sig,
		    char **out);
/* Parse one DNSKEY zone-file line: "owner [ttl] [IN] DNSKEY flags proto alg key..."
 * (TTL and class in either order; parentheses and ';' comments allowed).
 * ttl gets 0 if absent.  owner/ttl may be NULL. */
int kr_dnskey_parse(const char *line, struct kr_name *owner, uint32_t *ttl, struct kr_dnskey *out);
/* Parse one DS line: "owner [ttl] [IN] DS tag alg type hex". */
int kr_ds_parse(const char *line, struct kr_name *owner, uint16_t *tag, uint8_t *alg,
		uint8_t *digest_type, uint8_t *digest, size_t *digest_len);

/* Parse one RRSIG line covering DNSKEY: "owner [ttl] [IN] RRSIG DNSKEY alg labels
 * origttl expiration inception tag signer base64...". */
int kr_rrsig_parse(const char *line, struct kr_name *owner, uint32_t *ttl, struct kr_rrsig *out);

/* --- RRSIG over a DNSKEY RRset ------------------------------------------ */

/*
 * The data an RRSIG signs (RFC 4034 3.1.8.1): RRSIG RDATA without the
 * signature, then the DNSKEY RRs of owner in canonical order (RFC 4034 6.3;
 * duplicates removed), class IN, TTL = sig->original_ttl.
 * *out is allocated; caller frees with free().
 */
int kr_rrset_signed_data(const struct kr_rrsig *sig, const struct kr_name *owner,
			 const struct kr_dnskey *keys, size_t nkeys, uint8_t **out, size_t *len);

/*
 * Verify sig over the DNSKEY RRset keys[0..nkeys) of owner, made by key.
 * Checks the type covered (DNSKEY), algorithm and key tag against key, the
 * signer name against owner and the label count; not the validity period
 * (see kr_rrsig_check_time).  KR_EBADSIG if the signature is wrong.
 */
int kr_rrsig_verify(const struct kr_rrsig *sig, const struct kr_name *owner,
		    const struct kr_dnskey *keys, size_t nkeys, const struct kr_dnskey *key);

/* 0 if inception <= now <= expiration (serial arithmetic, RFC 4034 3.1.5), else KR_ERANGE. */
int kr_rrsig_check_time(const struct kr_rrsig *sig, int64_t now);

/* Low-level signature check of data with key and algorithm alg (DNSSEC encodings). */
int kr_verify_raw(const struct kr_dnskey *key, const uint8_t *data, size_t len,
		  const uint8_t *sig, size_t sig_len);

/*
 * A signer: a key that signs for DNSSEC, wherever it lives.  sign() writes
 * the DNSSEC encoding of the signature (RSA PKCS#1 v1.5, ECDSA r||s, Ed25519)
 * into sig (capacity *sig_len, updated).  The hsm module provides signers over
 * PKCS#11 tokens; kr_signer_from_pkey() one over an OpenSSL key.
 */
struct kr_signer {
	struct kr_dnskey key; /* public key with the flags to sign as (257 or 385) */
	void *ctx;
	int (*sign)(void *ctx, uint8_t alg, const uint8_t *data, size_t len, uint8_t *sig,
		    size_t *sig_len);
};

/* EVP signing in DNSSEC form, used by software and libp11-backed keys alike:
 * converts ECDSA DER to r||s. */
int kr_pkey_sign(EVP_PKEY *pkey, uint8_t alg, const uint8_t *data, size_t len, uint8_t *sig,
		 size_t *sig_len);
/* Fill a signer around pkey (not owned: the caller keeps it alive and frees it). */
int kr_signer_from_pkey(EVP_PKEY *pkey, uint8_t alg, uint16_t flags, struct kr_signer *out);

/*
 * Sign the DNSKEY RRset keys[0..nkeys) of owner with signer: fills out (type
 * DNSKEY, algorithm and key tag of signer->key, labels, signer name = owner),
 * signs, then verifies the result in software before returning; a signature
 * that does not verify is KR_EBADSIG and out is wiped.
 */
int kr_rrsig_sign(const struct kr_signer *signer, const struct kr_name *owner,
		  const struct kr_dnskey *keys, size_t nkeys, uint32_t original_ttl,
		  uint32_t inception, uint32_t expiration, struct kr_rrsig *out);

#endif
