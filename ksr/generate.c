/*
 * generate.c - KSR construction with proof-of-possession signatures.
 */
#include "ksr/generate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lib/errbuf.h"
#include "lib/error.h"
#include "skr/sign.h"

int kr_uuid(char *buf, size_t size)
{
	uint8_t u[16];
	int n;

	if (!buf || size < 37)
		return KR_EINVAL;
	if (RAND_bytes(u, sizeof(u)) != 1)
		return KR_ECRYPTO;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	n = snprintf(buf, size,
		     "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
		     u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		     u[13], u[14], u[15]);
	return n == 36 ? KR_OK : KR_EINVAL;
}

static int in_slot(enum kr_gen_role role, size_t slot, size_t nbundles)
{
	switch (role) {
	case KR_GEN_CURRENT:
		return 1;
	case KR_GEN_PREV:
		return slot == 0;
	case KR_GEN_NEXT:
		return slot == nbundles - 1;
	}
	return 0;
}

static int build_bundle(const struct kr_gen_params *p, const struct kr_gen_zsk *zsks, size_t nzsks,
			size_t slot, struct kr_ksr_bundle *b, char *errbuf, size_t errlen)
{
	struct kr_dnskey set[64];
	size_t nset = 0;
	char id[40];
	int rc;

	rc = kr_uuid(id, sizeof(id));
	if (rc)
		return rc;
	b->id = strdup(id);
	if (!b->id)
		return KR_ENOMEM;
	b->inception = p->start + (int64_t)slot * p->interval;
	b->expiration = b->inception + p->validity;
	for (size_t i = 0; i < nzsks; i++) {
		struct kr_ksr_key k;

		if (!in_slot(zsks[i].role, slot, p->nbundles))
			continue;
		memset(&k, 0, sizeof(k));
		k.key_identifier = (char *)zsks[i].label; /* copied */
		k.ttl = p->ttl;
		k.dnskey = zsks[i].signer->key;
		k.key_tag = kr_dnskey_keytag(&k.dnskey);
		rc = kr_ksr_bundle_add_key(b, &k);
		if (rc)
			return rc;
		set[nset++] = k.dnskey;
	}
	for (size_t i = 0; i < nzsks; i++) {
		struct kr_ksr_sig s;

		if (!in_slot(zsks[i].role, slot, p->nbundles))
			continue;
		memset(&s, 0, sizeof(s));
		s.key_identifier = (char *)zsks[i].label; /* copied */
		s.ttl = p->ttl;
		rc = kr_rrsig_sign(zsks[i].signer, &p->zone, set, nset, p->ttl,
				   (uint32_t)b->inception, (uint32_t)b->expiration, &s.rrsig);
		if (rc) {
			kr_errbuf(errbuf, errlen, "bundle %zu: signing with ZSK %s failed: %s",
				  slot + 1, zsks[i].label, kr_strerror(rc));
			return rc;
		}
		rc = kr_ksr_bundle_add_sig(b, &s);
		if (rc)
			return rc;
	}
	return KR_OK;
}

int kr_ksr_generate(const struct kr_gen_params *p, const struct kr_gen_zsk *zsks, size_t nzsks,
		    struct kr_ksr_doc **out, char *errbuf, size_t errlen)
{
	struct kr_ksr_doc *d = NULL;
	size_t ncurrent = 0;
	char id[40];
	int rc;

	if (!p || !zsks || !out || nzsks == 0 || nzsks > 64)
		return KR_EINVAL;
	*out = NULL;
	if (p->nbundles == 0 || p->nbundles > 1000 || p->interval <= 0 ||
	    p->validity <= p->interval) {
		kr_errbuf(
		    errbuf, errlen,
		    "bundle schedule: need 1-1000 bundles and a validity longer than the interval");
		return KR_ERANGE;
	}
	for (size_t i = 0; i < nzsks; i++) {
		const struct kr_dnskey *k = zsks[i].signer ? &zsks[i].signer->key : NULL;

		if (!zsks[i].label || !k || k->flags != KR_DNSKEY_ZONE ||
		    !kr_alg_supported(k->algorithm)) {
			kr_errbuf(errbuf, errlen,
				  "ZSK %s: not a zone key (flags 256) of a supported algorithm",
				  zsks[i].label ? zsks[i].label : "?");
			return KR_EINVAL;
		}
		for (size_t j = 0; j < i; j++) {
			if (kr_dnskey_same_key(k, &zsks[j].signer->key) ||
			    strcmp(zsks[i].label, zsks[j].label) == 0) {
				kr_errbuf(errbuf, errlen, "ZSK %s is given twice", zsks[i].label);
				return KR_EINVAL;
			}
		}
		ncurrent += zsks[i].role == KR_GEN_CURRENT;
	}
	if (ncurrent == 0) {
		kr_errbuf(errbuf, errlen, "at least one ZSK must be in use in every bundle");
		return KR_EINVAL;
	}

	d = calloc(1, sizeof(*d));
	if (!d)
		return KR_ENOMEM;
	d->kind = KR_KSR_REQUEST;
	d->serial = p->serial;
	d->domain = p->zone;
	d->timestamp = p->timestamp;
	d->zsk_policy.publish_safety = p->publish_safety;
	d->zsk_policy.retire_safety = p->retire_safety;
	d->zsk_policy.max_sig_validity = d->zsk_policy.min_sig_validity = p->validity;
	d->zsk_policy.max_validity_overlap = d->zsk_policy.min_validity_overlap =
	    p->validity - p->interval;
	for (size_t i = 0; i < nzsks; i++) {
		rc = kr_ksr_policy_add_alg(&d->zsk_policy, &zsks[i].signer->key);
		if (rc)
			goto out;
	}
	if (p->id[0]) {
		d->id = strdup(p->id);
	} else {
		rc = kr_uuid(id, sizeof(id));
		if (rc)
			goto out;
		d->id = strdup(id);
	}
	d->bundles = calloc(p->nbundles, sizeof(*d->bundles));
	if (!d->id || !d->bundles) {
		rc = KR_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->nbundles; i++) {
		d->nbundles = i + 1;
		rc = build_bundle(p, zsks, nzsks, i, &d->bundles[i], errbuf, errlen);
		if (rc)
			goto out;
	}
	*out = d;
	d = NULL; /* transferred */
	rc = KR_OK;
out:
	kr_ksr_free(d);
	return rc;
}
