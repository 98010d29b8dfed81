/*
 * sign.c - KSR -> SKR per rollover schema, and SKR verification.
 */
#include "skr/sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "lib/error.h"

int kr_ksr_policy_add_alg(struct kr_ksr_policy *pol, const struct kr_dnskey *key)
{
	struct kr_ksr_sigalg a = {key->algorithm, 0, 0};
	int rc;

	rc = kr_dnskey_params(key, &a.size, &a.exponent);
	if (rc)
		return rc;
	for (size_t i = 0; i < pol->nalgs; i++)
		if (pol->algs[i].algorithm == a.algorithm && pol->algs[i].size == a.size &&
		    pol->algs[i].exponent == a.exponent)
			return KR_OK;
	if (pol->nalgs == KR_KSR_MAX_ALGS)
		return KR_ETOOBIG;
	pol->algs[pol->nalgs++] = a;
	return KR_OK;
}

static int add_key(struct kr_ksr_bundle *b, const char *ident, const struct kr_dnskey *k,
		   uint32_t ttl)
{
	struct kr_ksr_key key;

	memset(&key, 0, sizeof(key));
	key.key_identifier = (char *)ident; /* copied by kr_ksr_bundle_add_key */
	key.key_tag = kr_dnskey_keytag(k);
	key.ttl = ttl;
	key.dnskey = *k;
	return kr_ksr_bundle_add_key(b, &key);
}

/* Every algorithm of the bundle's DNSKEY RRset must have a signature (RFC 4035 2.2). */
static int check_alg_coverage(const struct kr_ksr_bundle *b, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < b->nkeys; i++) {
		int signed_alg = 0;

		for (size_t j = 0; j < b->nsigs; j++)
			if (b->sigs[j].rrsig.algorithm == b->keys[i].dnskey.algorithm)
				signed_alg = 1;
		if (!signed_alg) {
			kr_errbuf(
			    errbuf, errlen,
			    "bundle %s: DNSKEY algorithm %u (key %s) has no KSK signature; every "
			    "algorithm in the RRset must sign it (RFC 4035 2.2)",
			    b->id, b->keys[i].dnskey.algorithm, b->keys[i].key_identifier);
			return KR_EPOLICY;
		}
	}
	return KR_OK;
}

static int sign_bundle(const struct kr_ksr_doc *ksr, const struct kr_ksr_bundle *req,
		       const struct kr_schema_action *act, const size_t *ref2ksk, size_t nrefs,
		       const struct kr_skr_ksk *ksks, size_t nksks, const struct kr_skr_params *p,
		       struct kr_ksr_bundle *out, struct kr_ksr_policy *kpol, char *errbuf,
		       size_t errlen)
{
	uint32_t publish = 0, sign = 0, revoke = 0; /* masks over ksks[] */
	struct kr_dnskey *set = NULL;
	size_t nset = 0;
	int rc;

	for (size_t r = 0; r < nrefs; r++) {
		if (ref2ksk[r] == (size_t)-1)
			continue;
		if (act->publish & (1u << r))
			publish |= 1u << ref2ksk[r];
		if (act->sign & (1u << r))
			sign |= 1u << ref2ksk[r];
		if (act->revoke & (1u << r))
			revoke |= 1u << ref2ksk[r];
	}
	out->inception = req->inception;
	out->expiration = req->expiration;
	out->id = strdup(req->id);
	if (!out->id)
		return KR_ENOMEM;

	/* ZSKs first as requested, then the KSKs in command-line order. */
	for (size_t i = 0; i < req->nkeys; i++) {
		rc = add_key(out, req->keys[i].key_identifier, &req->keys[i].dnskey, p->ttl);
		if (rc)
			return rc;
	}
	for (size_t j = 0; j < nksks; j++) {
		struct kr_dnskey k;

		if (!((publish | sign | revoke) & (1u << j)))
			continue;
		k = ksks[j].signer->key;
		for (size_t i = 0; i < req->nkeys; i++) {
			if (kr_dnskey_same_key(&k, &req->keys[i].dnskey)) {
				kr_errbuf(errbuf, errlen, "bundle %s: KSK %s is requested as ZSK %s",
					  req->id, ksks[j].label, req->keys[i].key_identifier);
				return KR_EPOLICY;
			}
		}
		k.flags = (uint16_t)((k.flags & ~KR_DNSKEY_REVOKE) |
				     ((revoke & (1u << j)) ? KR_DNSKEY_REVOKE : 0));
		rc = add_key(out, ksks[j].label, &k, p->ttl);
		if (rc)
			return rc;
		rc = kr_ksr_policy_add_alg(kpol, &k);
		if (rc)
			return rc;
	}

	nset = out->nkeys;
	set = calloc(nset, sizeof(*set));
	if (!set)
		return KR_ENOMEM;
	for (size_t i = 0; i < nset; i++)
		set[i] = out->keys[i].dnskey;

	for (size_t j = 0; j < nksks; j++) {
		const struct kr_signer *s;
		struct kr_ksr_sig sig;

		if (!(sign & (1u << j)))
			continue;
		s = (revoke & (1u << j)) ? ksks[j].revoked : ksks[j].signer;
		if (!s) {
			kr_errbuf(errbuf, errlen,
				  "bundle %s: KSK %s must sign revoked but has no revoked signer",
				  req->id, ksks[j].label);
			rc = KR_EINVAL;
			goto out;
		}
		memset(&sig, 0, sizeof(sig));
		sig.key_identifier = (char *)ksks[j].label; /* copied by kr_ksr_bundle_add_sig */
		sig.ttl = p->ttl;
		rc = kr_rrsig_sign(s, &ksr->domain, set, nset, p->ttl, (uint32_t)req->inception,
				   (uint32_t)req->expiration, &sig.rrsig);
		if (rc) {
			kr_errbuf(errbuf, errlen, "bundle %s: signing with KSK %s failed: %s",
				  req->id, ksks[j].label, kr_strerror(rc));
			goto out;
		}
		rc = kr_ksr_bundle_add_sig(out, &sig);
		if (rc)
			goto out;
	}
	rc = check_alg_coverage(out, errbuf, errlen);
out:
	free(set);
	return rc;
}

int kr_skr_sign(const struct kr_ksr_doc *ksr, const struct kr_schema *schema,
		const struct kr_skr_ksk *ksks, size_t nksks, const struct kr_skr_params *p,
		struct kr_ksr_doc **out, char *errbuf, size_t errlen)
{
	struct kr_ksr_doc *skr = NULL;
	const char *labels[32];
	size_t ref2ksk[KR_SCHEMA_MAX_REFS];
	int rc;

	if (!ksr || !schema || !ksks || !nksks || nksks > 32 || !p || !out)
		return KR_EINVAL;
	*out = NULL;
	if (ksr->kind != KR_KSR_REQUEST) {
		kr_errbuf(errbuf, errlen, "the input is not a KSR (no <Request>)");
		return KR_EINVAL;
	}
	for (size_t j = 0; j < nksks; j++) {
		if (!ksks[j].label || !ksks[j].signer)
			return KR_EINVAL;
		if (!(ksks[j].signer->key.flags & KR_DNSKEY_SEP) ||
		    (ksks[j].signer->key.flags & KR_DNSKEY_REVOKE) ||
		    (ksks[j].revoked &&
		     !kr_dnskey_same_key(&ksks[j].signer->key, &ksks[j].revoked->key))) {
			kr_errbuf(errbuf, errlen, "KSK %s: signer is not a KSK with flags 257",
				  ksks[j].label);
			return KR_EINVAL;
		}
		labels[j] = ksks[j].label;
	}
	rc = kr_schema_check(schema, ksr->nbundles, errbuf, errlen);
	if (rc)
		return rc;
	rc = kr_schema_resolve(schema, labels, nksks, ref2ksk, errbuf, errlen);
	if (rc)
		return rc;

	skr = calloc(1, sizeof(*skr));
	if (!skr)
		return KR_ENOMEM;
	skr->kind = KR_KSR_RESPONSE;
	skr->serial = ksr->serial;
	skr->domain = ksr->domain;
	skr->timestamp = p->timestamp;
	skr->zsk_policy = ksr->zsk_policy;
	skr->ksk_policy = p->ksk_policy;
	skr->ksk_policy.nalgs = 0;
	skr->has_ksk_policy = 1;
	skr->id = strdup(ksr->id);
	skr->bundles = calloc(ksr->nbundles ? ksr->nbundles : 1, sizeof(*skr->bundles));
	if (!skr->id || !skr->bundles) {
		rc = KR_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ksr->nbundles; i++) {
		struct kr_schema_action act;

		rc = kr_schema_slot(schema, i + 1, ksr->nbundles, &act);
		if (rc)
			goto out;
		skr->nbundles = i + 1; /* so kr_ksr_free() sees a partly built bundle */
		rc = sign_bundle(ksr, &ksr->bundles[i], &act, ref2ksk, schema->nrefs, ksks, nksks,
				 p, &skr->bundles[i], &skr->ksk_policy, errbuf, errlen);
		if (rc)
			goto out;
	}
	rc = kr_skr_verify_response(ksr, skr, errbuf, errlen);
	if (rc)
		goto out;
	*out = skr;
	skr = NULL; /* transferred */
out:
	kr_ksr_free(skr);
	return rc;
}

/* --- verification --------------------------------------------------------- */

static int verify_bundle(const struct kr_ksr_doc *skr, const struct kr_ksr_bundle *b, char *errbuf,
			 size_t errlen)
{
	struct kr_dnskey *set = NULL;
	int rc = KR_OK;

	if (b->nkeys == 0 || b->nsigs == 0) {
		kr_errbuf(errbuf, errlen, "bundle %s has no %s", b->id,
			  b->nkeys ? "signature" : "keys");
		return KR_EMALFORMED;
	}
	set = calloc(b->nkeys, sizeof(*set));
	if (!set)
		return KR_ENOMEM;
	for (size_t i = 0; i < b->nkeys; i++) {
		set[i] = b->keys[i].dnskey;
		if (b->keys[i].key_tag != kr_dnskey_keytag(&set[i])) {
			kr_errbuf(errbuf, errlen,
				  "bundle %s: key %s has keyTag %u but its key tag is %u", b->id,
				  b->keys[i].key_identifier, b->keys[i].key_tag,
				  kr_dnskey_keytag(&set[i]));
			rc = KR_EMALFORMED;
			goto out;
		}
	}
	for (size_t j = 0; j < b->nsigs; j++) {
		const struct kr_ksr_sig *s = &b->sigs[j];
		const struct kr_ksr_key *signer = NULL;

		for (size_t i = 0; i < b->nkeys; i++)
			if (strcmp(b->keys[i].key_identifier, s->key_identifier) == 0 &&
			    b->keys[i].key_tag == s->rrsig.key_tag &&
			    b->keys[i].dnskey.algorithm == s->rrsig.algorithm)
				signer = &b->keys[i];
		if (!signer || !(signer->dnskey.flags & KR_DNSKEY_SEP)) {
			kr_errbuf(
			    errbuf, errlen,
			    "bundle %s: signature by %s (tag %u) has no matching KSK in the bundle",
			    b->id, s->key_identifier, s->rrsig.key_tag);
			rc = KR_EBADSIG;
			goto out;
		}
		if (s->rrsig.inception != (uint32_t)b->inception ||
		    s->rrsig.expiration != (uint32_t)b->expiration) {
			kr_errbuf(errbuf, errlen,
				  "bundle %s: signature by %s does not carry the bundle's validity",
				  b->id, s->key_identifier);
			rc = KR_EBADSIG;
			goto out;
		}
		rc = kr_rrsig_verify(&s->rrsig, &skr->domain, set, b->nkeys, &signer->dnskey);
		if (rc) {
			kr_errbuf(errbuf, errlen,
				  "bundle %s: signature by %s (tag %u) does not verify: %s", b->id,
				  s->key_identifier, s->rrsig.key_tag, kr_strerror(rc));
			rc = KR_EBADSIG;
			goto out;
		}
	}
out:
	free(set);
	return rc;
}

int kr_skr_verify(const struct kr_ksr_doc *skr, char *errbuf, size_t errlen)
{
	int rc;

	if (!skr)
		return KR_EINVAL;
	if (skr->kind != KR_KSR_RESPONSE) {
		kr_errbuf(errbuf, errlen, "not an SKR (no <Response>)");
		return KR_EMALFORMED;
	}
	if (skr->nbundles == 0) {
		kr_errbuf(errbuf, errlen, "the SKR has no bundles");
		return KR_EMALFORMED;
	}
	for (size_t i = 0; i < skr->nbundles; i++) {
		rc = verify_bundle(skr, &skr->bundles[i], errbuf, errlen);
		if (rc)
			return rc;
	}
	return KR_OK;
}

static const struct kr_ksr_key *find_key(const struct kr_ksr_bundle *b, const struct kr_dnskey *k)
{
	for (size_t i = 0; i < b->nkeys; i++)
		if (b->keys[i].dnskey.flags == k->flags &&
		    kr_dnskey_same_key(&b->keys[i].dnskey, k))
			return &b->keys[i];
	return NULL;
}

int kr_skr_verify_response(const struct kr_ksr_doc *ksr, const struct kr_ksr_doc *skr, char *errbuf,
			   size_t errlen)
{
	int rc;

	if (!ksr || !skr)
		return KR_EINVAL;
	rc = kr_skr_verify(skr, errbuf, errlen);
	if (rc)
		return rc;
	if (!kr_name_equal(&ksr->domain, &skr->domain) || strcmp(ksr->id, skr->id) != 0) {
		kr_errbuf(errbuf, errlen, "the SKR answers another KSR (id %s) or domain", skr->id);
		return KR_EPOLICY;
	}
	if (ksr->nbundles != skr->nbundles) {
		kr_errbuf(errbuf, errlen, "the KSR has %zu bundles, the SKR %zu", ksr->nbundles,
			  skr->nbundles);
		return KR_EPOLICY;
	}
	for (size_t i = 0; i < ksr->nbundles; i++) {
		const struct kr_ksr_bundle *q = &ksr->bundles[i], *r = &skr->bundles[i];
		size_t nzsk = 0;

		if (strcmp(q->id, r->id) != 0 || q->inception != r->inception ||
		    q->expiration != r->expiration) {
			kr_errbuf(errbuf, errlen,
				  "SKR bundle %zu (%s) does not match KSR bundle %s", i + 1, r->id,
				  q->id);
			return KR_EPOLICY;
		}
		for (size_t k = 0; k < q->nkeys; k++) {
			if (!find_key(r, &q->keys[k].dnskey)) {
				kr_errbuf(errbuf, errlen,
					  "SKR bundle %s lacks the requested key %s (tag %u)",
					  r->id, q->keys[k].key_identifier, q->keys[k].key_tag);
				return KR_EPOLICY;
			}
		}
		for (size_t k = 0; k < r->nkeys; k++) {
			const struct kr_dnskey *d = &r->keys[k].dnskey;

			if (d->flags & KR_DNSKEY_SEP)
				continue;
			if (!find_key(q, d)) {
				kr_errbuf(
				    errbuf, errlen,
				    "SKR bundle %s adds a zone key %s (tag %u) not in the KSR",
				    r->id, r->keys[k].key_identifier, r->keys[k].key_tag);
				return KR_EPOLICY;
			}
			nzsk++;
		}
		if (nzsk != q->nkeys) {
			kr_errbuf(errbuf, errlen,
				  "SKR bundle %s has %zu zone keys, the KSR bundle %zu", r->id,
				  nzsk, q->nkeys);
			return KR_EPOLICY;
		}
	}
	return KR_OK;
}
