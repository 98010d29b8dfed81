/*
 * accept.h - the ZSK operator's acceptance of an SKR: before the online
 * signer uses it, the response must answer exactly our request, every
 * signature must verify, every bundle must be signed by a KSK the trust
 * anchor names, and it must continue the previous SKR without a gap or a
 * change of the DNSKEY RRset at the seam.
 */
#ifndef KR_KSR_ACCEPT_H
#define KR_KSR_ACCEPT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dnssec.h"
#include "lib/ksr.h"

/* One trusted KSK: a DS digest or a whole DNSKEY, optionally time-bounded. */
struct kr_trust_key {
	uint16_t key_tag;
	uint8_t algorithm;
	uint8_t digest_type; /* 0 when only the DNSKEY is known */
	size_t digest_len;
	uint8_t digest[KR_DIGEST_MAX];
	int has_key;
	struct kr_dnskey dnskey;
	int64_t valid_from, valid_until; /* 0 = unbounded */
};

struct kr_trust {
	struct kr_name zone;
	size_t n;
	struct kr_trust_key *keys; /* owned */
};

/*
 * Read trust anchors from path: an RFC 7958/9718 root-anchors.xml, or zone
 * file lines of DS or DNSKEY records (one per line, ';' comments), all for
 * one owner.  DNSKEY lines must be KSKs (SEP bit, not revoked).  *out:
 * caller frees with kr_trust_free().  KR_EMALFORMED with errbuf naming the
 * line or element.
 */
int kr_trust_load(const char *path, struct kr_trust **out, char *errbuf, size_t errlen);
/* The same for text of len bytes (capped at 1 MiB). */
int kr_trust_parse(const uint8_t *text, size_t len, struct kr_trust **out, char *errbuf,
		   size_t errlen);
void kr_trust_free(struct kr_trust *t);

/* 1 if key (a KSK, not revoked, of zone t->zone) matches a trusted entry
 * valid at time at; 0 otherwise. */
int kr_trust_match(const struct kr_trust *t, const struct kr_dnskey *key, int64_t at);

enum {
	KR_ACCEPT_SIGNATURES = 0,
	KR_ACCEPT_MATCH,
	KR_ACCEPT_TRUST,
	KR_ACCEPT_CHAIN,
	KR_ACCEPT_NCHECKS
};

struct kr_accept_result {
	const char *id;	  /* "SKR-SIGNATURES", ... */
	int status;	  /* 0 pass, 1 fail, 2 skipped (no previous SKR) */
	char detail[320]; /* why it failed, or what passed */
};

/*
 * Run every acceptance check (each one even when an earlier one failed,
 * so the report is complete).  prev may be NULL (the chain check is then
 * skipped, and reported so).  Returns KR_OK only if none failed, else
 * KR_EPOLICY.
 */
int kr_skr_accept(const struct kr_ksr_doc *ksr, const struct kr_ksr_doc *skr,
		  const struct kr_ksr_doc *prev, const struct kr_trust *trust,
		  struct kr_accept_result res[KR_ACCEPT_NCHECKS]);

/*
 * The bundle of an SKR in force at time at: the latest bundle whose
 * inception is at or before at and whose expiration is after it.
 * KR_ENOTFOUND if none covers at.
 */
int kr_skr_bundle_at(const struct kr_ksr_doc *skr, int64_t at, size_t *index);

#endif
