/*
 * sign.h - the KSK operator's signing core: a checked KSR plus a rollover
 * schema and KSK signers (HSM or software) give an SKR; and the checks that
 * tie an SKR to its KSR (used after signing and by the ZSK operator's
 * acceptance).
 *
 * RRSIG validity is the bundle's inception..expiration (ICANN practice);
 * the DNSKEY TTL, RRSIG TTL and original TTL come from the KSK policy; the
 * signer name is the KSR's domain.
 */
#ifndef KR_SKR_SIGN_H
#define KR_SKR_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dnssec.h"
#include "lib/ksr.h"
#include "skr/schema.h"

/* One KSK as the signer sees it. */
struct kr_skr_ksk {
	const char *label;		 /* token label; the keyIdentifier in the SKR */
	const struct kr_signer *signer;	 /* signs as flags 257 */
	const struct kr_signer *revoked; /* the same key signing as flags 385; NULL if the
					    schema never revokes it */
};

struct kr_skr_params {
	uint32_t ttl; /* DNSKEY TTL (every key, ZSKs too), RRSIG TTL and original TTL */
	/* Written as ResponsePolicy/KSK; its algorithm list is replaced by the
	 * algorithms of the KSKs the schema uses. */
	struct kr_ksr_policy ksk_policy;
	int64_t timestamp; /* written on the response; 0 for none */
};

/* Add key's algorithm (with its size and RSA exponent) to the policy's
 * SignatureAlgorithm list unless it is there already.  KR_ETOOBIG when the
 * list is full. */
int kr_ksr_policy_add_alg(struct kr_ksr_policy *pol, const struct kr_dnskey *key);

/*
 * Sign every bundle of ksr per schema.  ksks[i] is the i-th --ksk (schema
 * references resolve against their labels, kr_schema_resolve).  Refuses
 * (KR_EPOLICY, reason in errbuf) a schema that does not fit the bundle
 * count, a revoked key without a revoked signer, and a bundle whose DNSKEY
 * RRset has an algorithm with no signature (RFC 4035 2.2).  Every signature
 * is verified in software as it is made (kr_rrsig_sign), and the finished
 * SKR once more against the KSR (kr_skr_verify_response).  *out is a new
 * response document (caller frees with kr_ksr_free()).
 */
int kr_skr_sign(const struct kr_ksr_doc *ksr, const struct kr_schema *schema,
		const struct kr_skr_ksk *ksks, size_t nksks, const struct kr_skr_params *p,
		struct kr_ksr_doc **out, char *errbuf, size_t errlen);

/*
 * An SKR on its own: it is a response; every bundle has keys and at least
 * one signature; each signature is over the DNSKEY RRset, names a key of its
 * bundle by keyIdentifier and key tag (a key with the SEP bit), carries the
 * bundle's validity and the document's domain as signer, and verifies; key
 * tags match the keys.  KR_EBADSIG / KR_EMALFORMED with errbuf naming the
 * bundle and signature.
 */
int kr_skr_verify(const struct kr_ksr_doc *skr, char *errbuf, size_t errlen);

/*
 * kr_skr_verify() plus the tie to its request: same domain and KSR id, the
 * same bundles (id, inception, expiration) in the same order, and each
 * bundle holds exactly the request bundle's ZSKs (flags 256) plus KSKs
 * (SEP bit set), with no ZSK added or dropped.  KR_EPOLICY / KR_EBADSIG.
 */
int kr_skr_verify_response(const struct kr_ksr_doc *ksr, const struct kr_ksr_doc *skr, char *errbuf,
			   size_t errlen);

#endif
