/*
 * anchor.h - the RFC 9718 trust-anchor document (IANA root-anchors.xml):
 * model, strict reader and writer (libxml2).
 *
 *   <TrustAnchor id source>
 *     <Zone>.</Zone>
 *     <KeyDigest id validFrom [validUntil]>
 *       <KeyTag> <Algorithm> <DigestType> <Digest hex>
 *       [<PublicKey base64> <Flags>]          (RFC 9718; absent in RFC 7958 files)
 *     </KeyDigest> ...
 *   </TrustAnchor>
 *
 * Reading is safe and strict (DESIGN.md): input capped at KR_ANCHOR_MAX_SIZE,
 * XML_PARSE_NONET, any DOCTYPE refused (so no entity can be declared), a
 * deny-all external entity loader, no libxml2 output on the terminal.  Unknown
 * elements or attributes, namespaces, elements out of the RFC's order, and
 * text where none belongs are errors.  Every KeyDigest that carries PublicKey
 * and Flags is checked: the Digest must equal the DS digest of that DNSKEY and
 * the KeyTag its key tag (a document that fails this is KR_EBADSIG).
 */
#ifndef KR_ANCHOR_H
#define KR_ANCHOR_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dnssec.h"

#define KR_ANCHOR_MAX_SIZE (1024 * 1024) /* the cap ICANN uses for its XML */
#define KR_ANCHOR_MAX_DIGESTS 256

struct kr_anchor_digest {
	char *id;           /* the KeyDigest id attribute; owned */
	int64_t valid_from; /* seconds since the epoch */
	int64_t valid_until;
	int has_valid_until;
	uint16_t key_tag;
	uint8_t algorithm;
	uint8_t digest_type;
	size_t digest_len;
	uint8_t digest[KR_DIGEST_MAX];
	int has_key;             /* PublicKey and Flags were present (and checked) */
	struct kr_dnskey dnskey; /* valid when has_key */
};

struct kr_anchor {
	char *id;     /* TrustAnchor id; owned */
	char *source; /* TrustAnchor source; owned */
	struct kr_name zone;
	size_t ndigests;
	struct kr_anchor_digest *digests; /* owned array, in document order */
};

/*
 * Parse a trust-anchor document of len bytes.  On failure errbuf (if given)
 * names the element or check that failed.  Returns KR_EMALFORMED for syntax
 * and structure, KR_EDENIED for a DOCTYPE or entity, KR_ETOOBIG beyond the
 * cap, KR_ERANGE for out-of-range numbers or times, KR_EBADSIG when a Digest
 * or KeyTag does not match its PublicKey and Flags, KR_EALG when a digest
 * cannot be checked (unknown DigestType with a PublicKey).
 * *out: caller frees with kr_anchor_free().
 */
int kr_anchor_parse(const uint8_t *xml, size_t len, struct kr_anchor **out, char *errbuf,
		    size_t errlen);
/* kr_read_file() capped at KR_ANCHOR_MAX_SIZE, then kr_anchor_parse(). */
int kr_anchor_read_file(const char *path, struct kr_anchor **out, char *errbuf, size_t errlen);

/*
 * Serialize in IANA's layout: UTF-8 declaration, four-space indent, times as
 * "YYYY-MM-DDTHH:MM:SS+00:00", Digest in uppercase hex, PublicKey and Flags
 * for every digest that has a key.  *xml is allocated (NUL-terminated, len
 * without it); caller frees with free().
 */
int kr_anchor_write(const struct kr_anchor *a, char **xml, size_t *len);

/* A new, empty document.  id NULL: a random UUID (as IANA uses). */
int kr_anchor_new(const struct kr_name *zone, const char *id, const char *source,
		  struct kr_anchor **out);
void kr_anchor_free(struct kr_anchor *a);

/*
 * Append a KeyDigest for key (its flags are published in <Flags>) with a
 * SHA-256 digest.  id NULL: "K" and the first eight hex digits of the digest.
 * valid_until 0: open-ended.  KR_EEXIST if a digest of this key (any
 * DigestType, matched by recomputation) or the id is already in a; KR_ERANGE
 * if valid_until is not after valid_from.
 */
int kr_anchor_add_key(struct kr_anchor *a, const char *id, const struct kr_dnskey *key,
		      int64_t valid_from, int64_t valid_until);

/*
 * Index of the first KeyDigest that describes key: its Digest equals the DS
 * digest of key under its DigestType (entries without PublicKey match too).
 * KR_ENOTFOUND if none.
 */
int kr_anchor_find_key(const struct kr_anchor *a, const struct kr_dnskey *key, size_t *index);

/* 1 if d is valid at t: valid_from <= t and (no validUntil or t <= valid_until). */
int kr_anchor_digest_valid_at(const struct kr_anchor_digest *d, int64_t t);

/* "ZONE IN DS tag alg type HEX" (uppercase hex, no TTL); caller frees. */
int kr_anchor_digest_ds(const struct kr_anchor *a, const struct kr_anchor_digest *d, char **out);

#endif
