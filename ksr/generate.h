/*
 * generate.h - the ZSK operator builds a Key Signing Request: a cycle of
 * bundles, each holding the ZSKs to publish in its slot and signed by every
 * one of them (proof of possession over the bundle's whole DNSKEY RRset).
 *
 * The slot layout follows ICANN's ZSK cycle: the ZSKs in use appear in
 * every bundle; an outgoing ZSK ("prev") stays published in the first slot
 * only, an incoming one ("next") is pre-published in the last slot only.
 */
#ifndef KR_KSR_GENERATE_H
#define KR_KSR_GENERATE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dnssec.h"
#include "lib/ksr.h"

enum kr_gen_role { KR_GEN_CURRENT = 0, KR_GEN_PREV, KR_GEN_NEXT };

struct kr_gen_zsk {
	const char *label; /* keyIdentifier in the KSR */
	enum kr_gen_role role;
	const struct kr_signer *signer; /* signs as flags 256 */
};

struct kr_gen_params {
	struct kr_name zone;
	char id[40]; /* KSR id; empty: a random UUID */
	uint32_t serial;
	int64_t start; /* inception of the first bundle */
	size_t nbundles;
	int64_t interval;		       /* between inceptions, seconds */
	int64_t validity;		       /* expiration - inception, seconds */
	uint32_t ttl;			       /* DNSKEY TTL, RRSIG TTL and original TTL */
	int64_t publish_safety, retire_safety; /* written into RequestPolicy/ZSK */
	int64_t timestamp;		       /* written on the KSR; 0 for none */
};

/* A random (version 4) UUID in lowercase into buf (>= 37 bytes). */
int kr_uuid(char *buf, size_t size);

/*
 * Build and sign the KSR.  At least one current ZSK; every signer must have
 * flags 256 and a supported algorithm; validity must exceed interval (the
 * bundles must overlap).  *out: caller frees with kr_ksr_free().
 * KR_EINVAL / KR_ERANGE with the reason in errbuf.
 */
int kr_ksr_generate(const struct kr_gen_params *p, const struct kr_gen_zsk *zsks, size_t nzsks,
		    struct kr_ksr_doc **out, char *errbuf, size_t errlen);

#endif
