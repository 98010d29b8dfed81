/*
 * test_generate.c - KSR generation with software ZSKs: ICANN's cycle layout
 * (prev ZSK in slot 1, next in the last slot), proof-of-possession
 * signatures that verify over each bundle's RRset, a round trip through
 * the XML codec, and the refusals.  Then a KSR -> SKR -> acceptance chain
 * for every algorithm keyroll signs with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "ksr/accept.h"
#include "ksr/generate.h"
#include "lib/error.h"
#include "lib/ksr.h"
#include "lib/timeutil.h"
#include "skr/schema.h"
#include "skr/sign.h"

static EVP_PKEY *gen_key(uint8_t alg)
{
	switch (alg) {
	case KR_ALG_RSASHA256:
		return EVP_RSA_gen(2048);
	case KR_ALG_ECDSAP256SHA256:
		return EVP_EC_gen("P-256");
	case KR_ALG_ECDSAP384SHA384:
		return EVP_EC_gen("P-384");
	default:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	}
}

static void params(struct kr_gen_params *p, const char *zone)
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(kr_name_from_str(zone, &p->zone), KR_OK);
	p->serial = 3;
	assert_int_equal(kr_time_parse("2026-01-01T00:00:00Z", &p->start), KR_OK);
	p->nbundles = 9;
	p->interval = 10 * 86400;
	p->validity = 21 * 86400;
	p->ttl = 172800;
	p->publish_safety = p->retire_safety = 10 * 86400;
}

static void test_icann_cycle(void **state)
{
	EVP_PKEY *k[3] = {gen_key(8), gen_key(8), gen_key(8)};
	struct kr_signer s[3];
	struct kr_gen_zsk z[3] = {{"zsk-current", KR_GEN_CURRENT, &s[0]},
				  {"zsk-prev", KR_GEN_PREV, &s[1]},
				  {"zsk-next", KR_GEN_NEXT, &s[2]}};
	struct kr_gen_params p;
	struct kr_ksr_doc *d = NULL, *back = NULL;
	char *xml = NULL, err[256] = "";
	size_t len = 0;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(kr_signer_from_pkey(k[i], 8, 256, &s[i]), KR_OK);
	params(&p, ".");
	if (kr_ksr_generate(&p, z, 3, &d, err, sizeof(err)) != KR_OK)
		fail_msg("%s", err);
	assert_int_equal(d->kind, KR_KSR_REQUEST);
	assert_int_equal(strlen(d->id), 36);
	assert_int_equal(d->id[14], '4');
	assert_int_equal(d->nbundles, 9);
	assert_int_equal(d->zsk_policy.nalgs, 1);
	assert_int_equal(d->zsk_policy.algs[0].size, 2048);
	assert_int_equal(d->zsk_policy.max_validity_overlap, 11 * 86400);
	for (size_t i = 0; i < 9; i++) {
		const struct kr_ksr_bundle *b = &d->bundles[i];
		struct kr_dnskey set[3];

		assert_int_equal(b->inception, p.start + (int64_t)i * 10 * 86400);
		assert_int_equal(b->expiration - b->inception, 21 * 86400);
		assert_int_equal(b->nkeys, (i == 0 || i == 8) ? 2 : 1);
		assert_int_equal(b->nsigs, b->nkeys);
		assert_string_equal(b->keys[0].key_identifier, "zsk-current");
		if (i == 0)
			assert_string_equal(b->keys[1].key_identifier, "zsk-prev");
		if (i == 8)
			assert_string_equal(b->keys[1].key_identifier, "zsk-next");
		for (size_t j = 0; j < b->nkeys; j++)
			set[j] = b->keys[j].dnskey;
		for (size_t j = 0; j < b->nsigs; j++)
			assert_int_equal(kr_rrsig_verify(&b->sigs[j].rrsig, &d->domain, set,
							 b->nkeys, &b->keys[j].dnskey),
					 KR_OK);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(b->id, d->bundles[j].id);
	}
	/* through the codec and back, unchanged */
	assert_int_equal(kr_ksr_write(d, &xml, &len), KR_OK);
	if (kr_ksr_parse((const uint8_t *)xml, len, &back, err, sizeof(err)) != KR_OK)
		fail_msg("%s", err);
	assert_int_equal(back->nbundles, 9);
	assert_string_equal(back->id, d->id);
	assert_int_equal(back->serial, 3);
	assert_memory_equal(back->bundles[8].sigs[1].rrsig.sig, d->bundles[8].sigs[1].rrsig.sig,
			    d->bundles[8].sigs[1].rrsig.sig_len);
	free(xml);
	kr_ksr_free(back);
	kr_ksr_free(d);
	for (int i = 0; i < 3; i++)
		EVP_PKEY_free(k[i]);
}

static void test_refusals(void **state)
{
	EVP_PKEY *k = gen_key(13);
	struct kr_signer s, ksk;
	struct kr_gen_zsk z[2] = {{"a", KR_GEN_NEXT, &s}, {"b", KR_GEN_CURRENT, &s}};
	struct kr_gen_params p;
	struct kr_ksr_doc *d = NULL;
	char err[256];

	(void)state;
	assert_int_equal(kr_signer_from_pkey(k, 13, 256, &s), KR_OK);
	assert_int_equal(kr_signer_from_pkey(k, 13, 257, &ksk), KR_OK);
	params(&p, "example.");
	/* no ZSK in use in every bundle */
	assert_int_equal(kr_ksr_generate(&p, z, 1, &d, err, sizeof(err)), KR_EINVAL);
	/* the same key twice */
	assert_int_equal(kr_ksr_generate(&p, z, 2, &d, err, sizeof(err)), KR_EINVAL);
	/* a KSK is not a ZSK */
	z[1].signer = &ksk;
	assert_int_equal(kr_ksr_generate(&p, &z[1], 1, &d, err, sizeof(err)), KR_EINVAL);
	z[1].signer = &s;
	/* bundles that do not overlap */
	p.validity = p.interval;
	assert_int_equal(kr_ksr_generate(&p, &z[1], 1, &d, err, sizeof(err)), KR_ERANGE);
	assert_null(d);
	EVP_PKEY_free(k);
}

/* KSR -> SKR (rollover: two KSKs) -> acceptance against a DNSKEY anchor,
 * for a TLD, per algorithm. */
static void chain_for(uint8_t alg)
{
	EVP_PKEY *zk = gen_key(alg), *k1 = gen_key(alg), *k2 = gen_key(alg);
	struct kr_signer zs, s1, s2, r1, r2;
	struct kr_gen_zsk z = {"zsk", KR_GEN_CURRENT, &zs};
	struct kr_skr_ksk ksks[2] = {{"ksk-1", &s1, &r1}, {"ksk-2", &s2, &r2}};
	struct kr_gen_params p;
	struct kr_skr_params sp;
	struct kr_schema schema;
	struct kr_ksr_doc *ksr = NULL, *skr = NULL;
	struct kr_trust trust;
	struct kr_trust_key tk;
	struct kr_accept_result res[KR_ACCEPT_NCHECKS];
	char err[256] = "";

	assert_int_equal(kr_signer_from_pkey(zk, alg, 256, &zs), KR_OK);
	assert_int_equal(kr_signer_from_pkey(k1, alg, 257, &s1), KR_OK);
	assert_int_equal(kr_signer_from_pkey(k1, alg, 385, &r1), KR_OK);
	assert_int_equal(kr_signer_from_pkey(k2, alg, 257, &s2), KR_OK);
	assert_int_equal(kr_signer_from_pkey(k2, alg, 385, &r2), KR_OK);
	params(&p, "example.");
	p.nbundles = 5;
	p.interval = 7 * 86400;
	p.validity = 14 * 86400;
	p.ttl = 3600;
	assert_int_equal(kr_ksr_generate(&p, &z, 1, &ksr, err, sizeof(err)), KR_OK);
	memset(&sp, 0, sizeof(sp));
	sp.ttl = 3600;
	assert_int_equal(kr_schema_builtin("revoke", &schema), KR_OK);
	if (kr_skr_sign(ksr, &schema, ksks, 2, &sp, &skr, err, sizeof(err)) != KR_OK)
		fail_msg("alg %u: %s", alg, err);
	/* middle slots: ksk-1 revoked, signing with its revoked tag */
	assert_int_equal(skr->bundles[2].nsigs, 2);
	assert_int_equal(skr->bundles[2].sigs[0].rrsig.key_tag, kr_dnskey_keytag(&r1.key));
	assert_int_equal(skr->ksk_policy.nalgs, 1);
	assert_int_equal(skr->ksk_policy.algs[0].algorithm, alg);
	/* the anchor names ksk-2: every bundle is signed by it */
	memset(&trust, 0, sizeof(trust));
	memset(&tk, 0, sizeof(tk));
	trust.zone = p.zone;
	trust.n = 1;
	trust.keys = &tk;
	tk.has_key = 1;
	tk.dnskey = s2.key;
	tk.key_tag = kr_dnskey_keytag(&s2.key);
	tk.algorithm = alg;
	assert_int_equal(kr_skr_accept(ksr, skr, NULL, &trust, res), KR_OK);
	/* an anchor naming only ksk-1 (it never signs unrevoked here) is refused */
	tk.dnskey = s1.key;
	tk.key_tag = kr_dnskey_keytag(&s1.key);
	assert_int_equal(kr_skr_accept(ksr, skr, NULL, &trust, res), KR_EPOLICY);
	kr_ksr_free(skr);
	kr_ksr_free(ksr);
	EVP_PKEY_free(zk);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

static void test_chain_rsa(void **state)
{
	(void)state;
	chain_for(KR_ALG_RSASHA256);
}

static void test_chain_p256(void **state)
{
	(void)state;
	chain_for(KR_ALG_ECDSAP256SHA256);
}

static void test_chain_p384(void **state)
{
	(void)state;
	chain_for(KR_ALG_ECDSAP384SHA384);
}

static void test_chain_ed25519(void **state)
{
	(void)state;
	chain_for(KR_ALG_ED25519);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_icann_cycle), cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_chain_rsa),	cmocka_unit_test(test_chain_p256),
	    cmocka_unit_test(test_chain_p384),	cmocka_unit_test(test_chain_ed25519),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
