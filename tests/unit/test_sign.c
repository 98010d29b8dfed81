/*
 * test_sign.c - the signing core with software signers over the legacy
 * ksrsigner test keys: re-signing its baseline KSRs must reproduce every
 * SignatureData of its baseline SKRs byte for byte (RSA PKCS#1 v1.5 is
 * deterministic), including the in-quarter roll with revocation and
 * revoke-all.  Plus the refusals and the forgery checks of kr_skr_verify*.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "lib/error.h"
#include "lib/ksr.h"
#include "skr/schema.h"
#include "skr/sign.h"

static char legacy_dir[1024], schemas_path[1024];

static EVP_PKEY *load_key(const char *name)
{
	char path[1200];
	FILE *f;
	EVP_PKEY *k;

	snprintf(path, sizeof(path), "%s/../test-keys/%s", legacy_dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

static struct kr_ksr_doc *load_doc(const char *name)
{
	char path[1200], err[256] = "";
	struct kr_ksr_doc *d = NULL;

	snprintf(path, sizeof(path), "%s/%s", legacy_dir, name);
	if (kr_ksr_read_file(path, &d, err, sizeof(err)) != KR_OK)
		fail_msg("%s: %s", name, err);
	return d;
}

struct keys {
	EVP_PKEY *pk[2];
	struct kr_signer s[2], r[2];
	struct kr_skr_ksk ksk[2];
};

static void keys_init(struct keys *k)
{
	static const char *const labels[2] = {"KSK1", "KSK2"};

	k->pk[0] = load_key("rsa2048-1.key");
	k->pk[1] = load_key("rsa2048-2.key");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(kr_signer_from_pkey(k->pk[i], KR_ALG_RSASHA256, 257, &k->s[i]),
				 KR_OK);
		assert_int_equal(kr_signer_from_pkey(k->pk[i], KR_ALG_RSASHA256, 385, &k->r[i]),
				 KR_OK);
		k->ksk[i].label = labels[i];
		k->ksk[i].signer = &k->s[i];
		k->ksk[i].revoked = &k->r[i];
	}
}

static void keys_free(struct keys *k)
{
	EVP_PKEY_free(k->pk[0]);
	EVP_PKEY_free(k->pk[1]);
}

static void legacy_params(struct kr_skr_params *p)
{
	memset(p, 0, sizeof(*p));
	p->ttl = 172800;
}

static void get_schema(const char *name, struct kr_schema *s)
{
	struct kr_schema *v = NULL;
	size_t n = 0;
	char err[256] = "";

	if (kr_schema_load_file(schemas_path, &v, &n, err, sizeof(err)) != KR_OK)
		fail_msg("%s", err);
	assert_int_equal(kr_schema_find(name, v, n, s), KR_OK);
	free(v);
}

/* Every signature and key of got equals want's (same bundle order, keys as a set). */
static void assert_same_response(const struct kr_ksr_doc *got, const struct kr_ksr_doc *want)
{
	size_t nsigs = 0;

	assert_int_equal(got->nbundles, want->nbundles);
	for (size_t i = 0; i < want->nbundles; i++) {
		const struct kr_ksr_bundle *g = &got->bundles[i], *w = &want->bundles[i];

		assert_string_equal(g->id, w->id);
		assert_int_equal(g->nkeys, w->nkeys);
		for (size_t k = 0; k < w->nkeys; k++) {
			int found = 0;
			for (size_t j = 0; j < g->nkeys; j++)
				if (g->keys[j].dnskey.flags == w->keys[k].dnskey.flags &&
				    kr_dnskey_same_key(&g->keys[j].dnskey, &w->keys[k].dnskey) &&
				    g->keys[j].key_tag == w->keys[k].key_tag &&
				    strcmp(g->keys[j].key_identifier, w->keys[k].key_identifier) ==
					0)
					found = 1;
			if (!found)
				fail_msg("bundle %zu: key %s (tag %u) missing", i + 1,
					 w->keys[k].key_identifier, w->keys[k].key_tag);
		}
		assert_int_equal(g->nsigs, w->nsigs);
		for (size_t k = 0; k < w->nsigs; k++) {
			const struct kr_rrsig *ws = &w->sigs[k].rrsig;
			int found = 0;

			for (size_t j = 0; j < g->nsigs; j++) {
				const struct kr_rrsig *gs = &g->sigs[j].rrsig;

				if (strcmp(g->sigs[j].key_identifier, w->sigs[k].key_identifier) !=
				    0)
					continue;
				found = 1;
				assert_int_equal(gs->key_tag, ws->key_tag);
				assert_int_equal(gs->inception, ws->inception);
				assert_int_equal(gs->expiration, ws->expiration);
				assert_int_equal(gs->original_ttl, ws->original_ttl);
				assert_int_equal(gs->sig_len, ws->sig_len);
				assert_memory_equal(gs->sig, ws->sig, ws->sig_len);
				nsigs++;
			}
			if (!found)
				fail_msg("bundle %zu: no signature by %s", i + 1,
					 w->sigs[k].key_identifier);
		}
	}
	assert_true(nsigs > 0);
}

static void golden(const char *ksr_name, const char *skr_name, const char *schema_name,
		   size_t nksks, size_t first_ksk)
{
	struct kr_ksr_doc *ksr = load_doc(ksr_name), *want = load_doc(skr_name), *got = NULL;
	struct kr_schema schema;
	struct kr_skr_params p;
	struct keys k;
	char err[256] = "";

	keys_init(&k);
	legacy_params(&p);
	get_schema(schema_name, &schema);
	if (kr_skr_sign(ksr, &schema, &k.ksk[first_ksk], nksks, &p, &got, err, sizeof(err)) !=
	    KR_OK)
		fail_msg("%s: %s", ksr_name, err);
	assert_same_response(got, want);
	/* and the SKR as published verifies against the KSR too */
	assert_int_equal(kr_skr_verify_response(ksr, want, err, sizeof(err)), KR_OK);
	kr_ksr_free(got);
	kr_ksr_free(want);
	kr_ksr_free(ksr);
	keys_free(&k);
}

static void test_golden_2009_q4(void **state)
{
	(void)state;
	golden("ksr-root-2009-q4-2.xml", "skr-root-2009-q4-2.xml", "normal", 1, 0);
}

static void test_golden_2010_q1(void **state)
{
	(void)state;
	golden("ksr-root-2010-q1-0.xml", "skr-root-2010-q1-0.xml", "normal", 1, 0);
}

static void test_golden_2010_q2_roll(void **state)
{
	(void)state;
	golden("ksr-root-2010-q2-0.xml", "skr-root-2010-q2-0.xml", "legacy-roll", 2, 0);
}

static void test_golden_2010_q2_revoke_all(void **state)
{
	(void)state;
	golden("ksr-root-2010-q2-0-revoke.xml", "skr-root-2010-q2-0-revoke.xml", "revoke-all", 1,
	       0);
}

static void test_refusals(void **state)
{
	struct kr_ksr_doc *ksr = load_doc("ksr-root-2010-q1-0.xml"), *skr = NULL;
	struct kr_schema schema;
	struct kr_skr_params p;
	struct keys k;
	struct kr_skr_ksk one;
	char err[256];

	(void)state;
	keys_init(&k);
	legacy_params(&p);
	/* rollover needs two KSKs */
	assert_int_equal(kr_schema_builtin("rollover", &schema), KR_OK);
	assert_int_equal(kr_skr_sign(ksr, &schema, k.ksk, 1, &p, &skr, err, sizeof(err)),
			 KR_ENOTFOUND);
	assert_null(skr);
	/* a schema that revokes needs a revoked signer */
	get_schema("revoke-all", &schema);
	one = k.ksk[0];
	one.revoked = NULL;
	assert_int_equal(kr_skr_sign(ksr, &schema, &one, 1, &p, &skr, err, sizeof(err)), KR_EINVAL);
	assert_non_null(strstr(err, "revoked signer"));
	assert_null(skr);
	/* a ZSK-flagged signer is not a KSK */
	one = k.ksk[0];
	one.signer = &k.r[0];
	assert_int_equal(kr_skr_sign(ksr, &schema, &one, 1, &p, &skr, err, sizeof(err)), KR_EINVAL);
	/* an SKR is no input for signing */
	{
		struct kr_ksr_doc *resp = load_doc("skr-root-2010-q1-0.xml");
		assert_int_equal(kr_schema_builtin("normal", &schema), KR_OK);
		assert_int_equal(kr_skr_sign(resp, &schema, k.ksk, 1, &p, &skr, err, sizeof(err)),
				 KR_EINVAL);
		kr_ksr_free(resp);
	}
	/* the KSK smuggled into the request as a ZSK */
	{
		struct kr_dnskey saved = ksr->bundles[2].keys[0].dnskey;

		ksr->bundles[2].keys[0].dnskey = k.s[0].key;
		ksr->bundles[2].keys[0].dnskey.flags = 256;
		assert_int_equal(kr_schema_builtin("normal", &schema), KR_OK);
		assert_int_equal(kr_skr_sign(ksr, &schema, k.ksk, 1, &p, &skr, err, sizeof(err)),
				 KR_EPOLICY);
		assert_non_null(strstr(err, "requested as ZSK"));
		ksr->bundles[2].keys[0].dnskey = saved;
	}
	/* an ECDSA ZSK next to an RSA KSK leaves algorithm 13 unsigned */
	{
		EVP_PKEY *ec = EVP_EC_gen("P-256");
		struct kr_dnskey zsk;

		assert_non_null(ec);
		assert_int_equal(kr_dnskey_from_pkey(ec, KR_ALG_ECDSAP256SHA256, 256, &zsk), KR_OK);
		ksr->bundles[3].keys[0].dnskey = zsk;
		assert_int_equal(kr_skr_sign(ksr, &schema, k.ksk, 1, &p, &skr, err, sizeof(err)),
				 KR_EPOLICY);
		assert_non_null(strstr(err, "algorithm 13"));
		assert_null(skr);
		EVP_PKEY_free(ec);
	}
	kr_ksr_free(ksr);
	keys_free(&k);
}

static void test_verify_forgeries(void **state)
{
	struct kr_ksr_doc *ksr = load_doc("ksr-root-2010-q2-0.xml");
	struct kr_ksr_doc *skr = load_doc("skr-root-2010-q2-0.xml");
	struct kr_ksr_bundle *b = &skr->bundles[6]; /* two signatures, one revoked */
	struct kr_ksr_sig saved;
	char err[256];

	(void)state;
	assert_int_equal(kr_skr_verify_response(ksr, skr, err, sizeof(err)), KR_OK);
	/* a flipped bit */
	b->sigs[0].rrsig.sig[10] ^= 1;
	assert_int_equal(kr_skr_verify(skr, err, sizeof(err)), KR_EBADSIG);
	b->sigs[0].rrsig.sig[10] ^= 1;
	/* swapped signatures */
	saved = b->sigs[0];
	b->sigs[0].rrsig = b->sigs[1].rrsig;
	assert_int_equal(kr_skr_verify(skr, err, sizeof(err)), KR_EBADSIG);
	b->sigs[0] = saved;
	/* a signature claiming the unrevoked tag of the revoked key */
	saved = b->sigs[1];
	assert_string_equal(b->sigs[1].key_identifier, "KSK1");
	b->sigs[1].rrsig.key_tag = 5017;
	assert_int_equal(kr_skr_verify(skr, err, sizeof(err)), KR_EBADSIG);
	b->sigs[1] = saved;
	/* another validity than the bundle's */
	b->sigs[1].rrsig.expiration += 86400;
	assert_int_equal(kr_skr_verify(skr, err, sizeof(err)), KR_EBADSIG);
	b->sigs[1] = saved;
	/* a key missing from the bundle: signatures no longer verify */
	b->nkeys--;
	assert_int_equal(kr_skr_verify(skr, err, sizeof(err)), KR_EBADSIG);
	b->nkeys++;
	assert_int_equal(kr_skr_verify_response(ksr, skr, err, sizeof(err)), KR_OK);
	/* the response to another request */
	ksr->bundles[2].inception += 1;
	assert_int_equal(kr_skr_verify_response(ksr, skr, err, sizeof(err)), KR_EPOLICY);
	ksr->bundles[2].inception -= 1;
	/* a ZSK the KSR did not ask for */
	ksr->bundles[4].keys[0].dnskey.pubkey[20] ^= 1;
	assert_int_equal(kr_skr_verify_response(ksr, skr, err, sizeof(err)), KR_EPOLICY);
	assert_non_null(strstr(err, "lacks the requested key"));
	kr_ksr_free(skr);
	kr_ksr_free(ksr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden_2009_q4),
	    cmocka_unit_test(test_golden_2010_q1),
	    cmocka_unit_test(test_golden_2010_q2_roll),
	    cmocka_unit_test(test_golden_2010_q2_revoke_all),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_verify_forgeries),
	};
	const char *td = getenv("TESTDATA"), *top = getenv("TOP");

	snprintf(legacy_dir, sizeof(legacy_dir), "%s/icann/dnssec-keytools-legacy/baseline",
		 td ? td : "../shared/testdata");
	snprintf(schemas_path, sizeof(schemas_path), "%s/tests/data/legacy-policy.yaml",
		 top ? top : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
