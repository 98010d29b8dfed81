/*
 * ta.h - internals shared by the trust-anchor subcommands (ta_*.c):
 * CMS signing and verification, the shipped RFC 9718 schema, option helpers.
 */
#ifndef KR_TA_H
#define KR_TA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lib/anchor.h"

#define TA_P7S_MAX (1024 * 1024)
#define TA_MAX_CARDS 16 /* --card options: officer cards activating the token */

/* --- CMS (ta_cms.c) ----------------------------------------------------------- */

/*
 * Detached DER CMS SignedData over data[0..len) with SHA-256, the signer
 * certificate (and chain, may be NULL) included, no S/MIME capabilities
 * (openssl cms -sign -binary -nosmimecap -md sha256).  key may be an
 * EVP_PKEY whose private half lives in a token.  The result is verified
 * against cert before it is returned.  *der: caller frees with free().
 */
int ta_cms_sign(const uint8_t *data, size_t len, X509 *cert, EVP_PKEY *key,
		STACK_OF(X509) *chain, uint8_t **der, size_t *der_len, char *err, size_t errlen);

struct ta_verify_opts {
	const char *ca_file;      /* the only trust anchors for the signer's chain */
	const char *signer_email; /* exact address the signer must carry, or NULL */
	int64_t at;               /* verification time */
};

/*
 * Verify a detached CMS signature over data, failing closed:
 *  - every SignerInfo must verify over exactly these bytes;
 *  - every signer certificate must have the digitalSignature key usage,
 *    carry signer_email (subject emailAddress or SAN rfc822Name, exact match),
 *    and chain to a certificate in ca_file at time at (purpose S/MIME
 *    signing); certificates in the message are only untrusted intermediates.
 * KR_EBADSIG: the signature does not match; KR_EDENIED: chain not trusted;
 * KR_EPOLICY: key usage or address wrong; KR_EMALFORMED: not a detached
 * SignedData.  *signer (may be NULL): subject of the first signer, caller
 * frees with free().
 */
int ta_cms_verify(const uint8_t *data, size_t len, const uint8_t *p7s, size_t p7s_len,
		  const struct ta_verify_opts *opts, char **signer, char *err, size_t errlen);

/* --- schema (ta_schema.c) ----------------------------------------------------- */

/* Validate a document against the shipped RELAX NG grammar (trustanchor/rfc9718.rng). */
int ta_schema_validate(const char *xml, size_t len, char *err, size_t errlen);

/* --- helpers (ta_util.c) ------------------------------------------------------ */

/* --at TIME: an ISO 8601 time, "@SECONDS" or "now". */
int ta_parse_time(const char *s, int64_t *t);

/* Read and parse an anchor file; on failure prints "error: ..." and returns the exit status. */
int ta_load_anchor(const char *path, struct kr_anchor **out);

/* Indexes of the digests valid at t (and not revoked) into idx (capacity a->ndigests). */
size_t ta_valid_digests(const struct kr_anchor *a, int64_t t, size_t *idx);

/* A JSON string literal for s (quotes and escapes) on f. */
void ta_json_string(FILE *f, const char *s);

#endif
