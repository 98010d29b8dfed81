/*
 * Knot DNS KSR/SKR text codec against real keymgr 3.2.6 output
 * (tests/data/knot, see its SOURCES.md): our KSR expansion must reproduce
 * the section times Knot's own sign-ksr chose, Knot's signatures must verify,
 * and an SKR we write must read back with signatures that verify.  Malformed
 * and unsafe inputs must be refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "lib/dnssec.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/knotksr.h"
#include "lib/ksr.h"

#define DAY 86400
static const struct kr_knot_ksr_opts knot_like = {.validity = 21 * DAY, .step = 14 * DAY};

static char *read_data(const char *rel, size_t *len)
{
	char path[4096];
	const char *top = getenv("TOP");
	snprintf(path, sizeof(path), "%s/tests/data/knot/%s", top ? top : ".", rel);
	uint8_t *buf = NULL;
	assert_int_equal(kr_read_file(path, KR_KSR_MAX_SIZE, &buf, len), 0);
	return (char *)buf;
}

static void test_detect(void **state)
{
	(void)state;
	size_t len;
	char *ksr = read_data("ksr-3.2.6.txt", &len);
	assert_int_equal(kr_knot_detect((uint8_t *)ksr, len), KR_KSR_REQUEST);
	free(ksr);
	char *skr = read_data("skr-3.2.6.txt", &len);
	assert_int_equal(kr_knot_detect((uint8_t *)skr, len), KR_KSR_RESPONSE);
	free(skr);
	const char *xml = "<?xml version=\"1.0\"?><KSR/>";
	assert_int_equal(kr_knot_detect((const uint8_t *)xml, strlen(xml)), 0);
}

static void test_real_ksr(void **state)
{
	(void)state;
	size_t len;
	char *text = read_data("ksr-3.2.6.txt", &len);
	struct kr_ksr_doc *d = NULL;
	char err[256] = "";
	assert_int_equal(kr_knot_ksr_parse((uint8_t *)text, len, &knot_like, &d, err, sizeof(err)),
			 0);
	assert_int_equal(d->kind, KR_KSR_REQUEST);
	char name[256];
	assert_int_equal(kr_name_to_str(&d->domain, name, sizeof(name)), 0);
	assert_string_equal(name, "example.");
	/* Knot's sign-ksr over this KSR made exactly these section times. */
	const int64_t knot[] = {1795364572, 1796574172, 1797783772,
				1798993372, 1800202972, 1800548572};
	assert_int_equal(d->nbundles, 6);
	for (size_t i = 0; i < 6; i++) {
		const struct kr_ksr_bundle *b = &d->bundles[i];
		assert_int_equal(b->inception, knot[i]);
		assert_int_equal(b->expiration, knot[i] + 21 * DAY);
		assert_int_equal(b->nkeys, 1);
		assert_int_equal(b->nsigs, 0);
		assert_int_equal(b->keys[0].key_tag, 670);
		assert_int_equal(b->keys[0].ttl, 3600);
		assert_int_equal(b->keys[0].dnskey.flags, 256);
		assert_true(strncmp(b->keys[0].key_identifier, "ZSK-", 4) == 0);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(b->id, d->bundles[j].id);
	}
	assert_int_equal(d->serial, 1795364572u);
	assert_int_equal(d->zsk_policy.nalgs, 1);
	assert_int_equal(d->zsk_policy.algs[0].algorithm, 8);
	assert_int_equal(d->zsk_policy.algs[0].size, 2048);
	/* 21 - 14 days inside the section; the end marker 4 days after the
	 * fifth bundle overlaps it by 17 days */
	assert_int_equal(d->zsk_policy.min_validity_overlap, 7 * DAY);
	assert_int_equal(d->zsk_policy.max_validity_overlap, 17 * DAY);
	assert_int_equal(d->zsk_policy.max_sig_validity, 21 * DAY);
	kr_ksr_free(d);
	free(text);
}

static void verify_bundles(const struct kr_ksr_doc *d)
{
	for (size_t i = 0; i < d->nbundles; i++) {
		const struct kr_ksr_bundle *b = &d->bundles[i];
		struct kr_dnskey keys[8];
		assert_true(b->nkeys <= 8);
		for (size_t k = 0; k < b->nkeys; k++)
			keys[k] = b->keys[k].dnskey;
		assert_true(b->nsigs > 0);
		for (size_t s = 0; s < b->nsigs; s++) {
			const struct kr_dnskey *signer = NULL;
			for (size_t k = 0; k < b->nkeys; k++)
				if (strcmp(b->keys[k].key_identifier, b->sigs[s].key_identifier) ==
				    0)
					signer = &keys[k];
			assert_non_null(signer);
			assert_int_equal(
			    kr_rrsig_verify(&b->sigs[s].rrsig, &d->domain, keys, b->nkeys, signer),
			    0);
		}
	}
}

static void test_real_skr(void **state)
{
	(void)state;
	size_t len;
	char *text = read_data("skr-3.2.6.txt", &len);
	struct kr_ksr_doc *d = NULL;
	char err[256] = "";
	assert_int_equal(kr_knot_skr_parse((uint8_t *)text, len, &d, err, sizeof(err)), 0);
	assert_int_equal(d->kind, KR_KSR_RESPONSE);
	assert_int_equal(d->nbundles, 6);
	assert_int_equal(d->bundles[0].inception, 1795364572);
	/* the earliest RRSIG expiration: 21 days after the section */
	assert_int_equal(d->bundles[0].expiration, 1795364572 + 21 * DAY);
	assert_int_equal(d->bundles[0].nkeys, 2);
	assert_int_equal(d->bundles[0].sigs[0].rrsig.key_tag, 20152);
	assert_int_equal(d->bundles[0].sigs[0].rrsig.inception, 1795364572 - 5400);
	verify_bundles(d);

	/* one flipped bit in Knot's signature must fail verification */
	d->bundles[2].sigs[0].rrsig.sig[10] ^= 0x01;
	struct kr_dnskey keys[2] = {d->bundles[2].keys[0].dnskey, d->bundles[2].keys[1].dnskey};
	assert_int_equal(
	    kr_rrsig_verify(&d->bundles[2].sigs[0].rrsig, &d->domain, keys, 2, &keys[1]),
	    KR_EBADSIG);
	kr_ksr_free(d);
	free(text);
}

/* Sign each bundle of a parsed KSR with a software KSK; returns a response. */
static struct kr_ksr_doc *sign_ksr(const struct kr_ksr_doc *ksr, EVP_PKEY *pkey)
{
	struct kr_signer signer;
	assert_int_equal(kr_signer_from_pkey(pkey, KR_ALG_RSASHA256, 257, &signer), 0);
	struct kr_ksr_doc *skr = calloc(1, sizeof(*skr));
	assert_non_null(skr);
	skr->kind = KR_KSR_RESPONSE;
	skr->id = strdup(ksr->id);
	skr->domain = ksr->domain;
	skr->nbundles = ksr->nbundles;
	skr->bundles = calloc(ksr->nbundles, sizeof(*skr->bundles));
	assert_non_null(skr->bundles);
	for (size_t i = 0; i < ksr->nbundles; i++) {
		const struct kr_ksr_bundle *in = &ksr->bundles[i];
		struct kr_ksr_bundle *b = &skr->bundles[i];
		b->id = strdup(in->id);
		b->inception = in->inception;
		b->expiration = in->expiration;
		struct kr_dnskey keys[8];
		for (size_t k = 0; k < in->nkeys; k++) {
			assert_int_equal(kr_ksr_bundle_add_key(b, &in->keys[k]), 0);
			keys[k] = in->keys[k].dnskey;
		}
		struct kr_ksr_key ksk = {
		    .key_identifier = "KSK-test", .ttl = 3600, .dnskey = signer.key};
		ksk.key_tag = kr_dnskey_keytag(&ksk.dnskey);
		assert_int_equal(kr_ksr_bundle_add_key(b, &ksk), 0);
		keys[in->nkeys] = signer.key;
		struct kr_ksr_sig sig = {.key_identifier = "KSK-test", .ttl = 3600};
		assert_int_equal(kr_rrsig_sign(&signer, &ksr->domain, keys, in->nkeys + 1, 3600,
					       (uint32_t)in->inception, (uint32_t)in->expiration,
					       &sig.rrsig),
				 0);
		assert_int_equal(kr_ksr_bundle_add_sig(b, &sig), 0);
	}
	return skr;
}

static EVP_PKEY *rsa_key(void)
{
	EVP_PKEY *pkey = EVP_RSA_gen(2048);
	assert_non_null(pkey);
	return pkey;
}

static void test_write_roundtrip(void **state)
{
	(void)state;
	size_t len;
	char *text = read_data("ksr-3.2.6.txt", &len);
	struct kr_ksr_doc *ksr = NULL, *skr = NULL, *back = NULL;
	char err[256] = "", *out = NULL;
	size_t outlen = 0;
	assert_int_equal(
	    kr_knot_ksr_parse((uint8_t *)text, len, &knot_like, &ksr, err, sizeof(err)), 0);
	EVP_PKEY *pkey = rsa_key();
	skr = sign_ksr(ksr, pkey);
	assert_int_equal(kr_knot_skr_write(skr, 1795364572, &out, &outlen, err, sizeof(err)), 0);
	assert_int_equal(strlen(out), outlen);
	assert_non_null(strstr(out, ";; SignedKeyResponse 1.0 1795364572 (2026-11-22T16:22:52Z)"));
	assert_non_null(strstr(out, ";; SignedKeyResponse 1.0 generated at 2026-11-22T16:22:52Z"));
	assert_int_equal(kr_knot_skr_parse((uint8_t *)out, outlen, &back, err, sizeof(err)), 0);
	assert_int_equal(back->nbundles, skr->nbundles);
	for (size_t i = 0; i < back->nbundles; i++) {
		assert_int_equal(back->bundles[i].inception, skr->bundles[i].inception);
		assert_int_equal(back->bundles[i].nkeys, 2);
		assert_int_equal(back->bundles[i].nsigs, 1);
		assert_memory_equal(&back->bundles[i].sigs[0].rrsig, &skr->bundles[i].sigs[0].rrsig,
				    sizeof(struct kr_rrsig));
	}
	verify_bundles(back);
	kr_ksr_free(back);
	free(out);
	out = NULL;

	/* A gap: bundle 2's signature ends before bundle 3 starts. */
	skr->bundles[1].sigs[0].rrsig.expiration = (uint32_t)(skr->bundles[2].inception - 1);
	assert_int_equal(kr_knot_skr_write(skr, 0, &out, &outlen, err, sizeof(err)), KR_EPOLICY);
	assert_non_null(strstr(err, "expires before"));
	assert_null(out);
	skr->bundles[1].sigs[0].rrsig.expiration = (uint32_t)skr->bundles[1].expiration;
	/* A signature that starts after its section: keymgr import-skr refuses it. */
	skr->bundles[0].sigs[0].rrsig.inception = (uint32_t)(skr->bundles[0].inception + 1);
	assert_int_equal(kr_knot_skr_write(skr, 0, &out, &outlen, err, sizeof(err)), KR_EPOLICY);
	assert_non_null(strstr(err, "starts after"));
	skr->bundles[0].sigs[0].rrsig.inception = (uint32_t)skr->bundles[0].inception;
	/* Inceptions out of order. */
	skr->bundles[3].inception = skr->bundles[2].inception;
	assert_int_equal(kr_knot_skr_write(skr, 0, &out, &outlen, err, sizeof(err)), KR_EPOLICY);
	/* A request is not an SKR. */
	assert_int_equal(kr_knot_skr_write(ksr, 0, &out, &outlen, err, sizeof(err)), KR_EINVAL);
	EVP_PKEY_free(pkey);
	kr_ksr_free(ksr);
	kr_ksr_free(skr);
	free(text);
}

static int parse_edit(const char *file, const char *from, const char *to, char *err, size_t errlen)
{
	size_t len;
	char *text = read_data(file, &len);
	char *buf = malloc(len + (to ? strlen(to) : 0) + 1);
	assert_non_null(buf);
	char *at = from ? strstr(text, from) : NULL;
	if (from) {
		assert_non_null(at);
		size_t pre = (size_t)(at - text);
		memcpy(buf, text, pre);
		strcpy(buf + pre, to);
		strcat(buf, at + strlen(from));
	} else {
		strcpy(buf, text);
	}
	struct kr_ksr_doc *d = NULL;
	int rc = strstr(file, "ksr")
		     ? kr_knot_ksr_parse((uint8_t *)buf, strlen(buf), &knot_like, &d, err, errlen)
		     : kr_knot_skr_parse((uint8_t *)buf, strlen(buf), &d, err, errlen);
	if (rc == 0)
		assert_non_null(d);
	else
		assert_null(d);
	kr_ksr_free(d);
	free(buf);
	free(text);
	return rc;
}

static void test_refused(void **state)
{
	(void)state;
	char err[256];
	const char *ksr = "ksr-3.2.6.txt", *skr = "skr-3.2.6.txt";
	assert_int_equal(parse_edit(ksr, NULL, NULL, err, sizeof(err)), 0);
	/* truncated: the closing line is gone */
	assert_int_equal(parse_edit(ksr,
				    ";; KeySigningRequest 1.0 generated at 2026-11-22T16:22:52Z by "
				    "Knot DNS 3.2.6\n",
				    "", err, sizeof(err)),
			 KR_ETRUNC);
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(parse_edit(ksr, ";; KeySigningRequest 1.0 generated",
				    ";; KeySigningRequest 1.0 generated at", err, sizeof(err)),
			 KR_EMALFORMED);
	/* cut inside a record */
	assert_int_equal(
	    parse_edit(
		ksr,
		"\t\t\t\t) ; ZSK, RSASHA256 (2048b), id = 670\n;; KeySigningRequest 1.0 generated",
		"", err, sizeof(err)),
	    KR_ETRUNC);
	/* the ISO time disagrees with the unix time */
	assert_int_equal(
	    parse_edit(ksr, "(2026-11-22T16:22:52Z)", "(2026-11-22T16:22:53Z)", err, sizeof(err)),
	    KR_EMALFORMED);
	assert_non_null(strstr(err, "disagrees"));
	/* times must increase */
	assert_int_equal(
	    parse_edit(ksr, "1800548572 (2027-01-21T16:22:52Z)", "1795364572", err, sizeof(err)),
	    KR_EMALFORMED);
	/* a BIND 9.20 style header (RRSIG-style time) is named, not misread */
	assert_int_equal(parse_edit(ksr, "1.0 1795364572 (2026-11-22T16:22:52Z)",
				    "1.0 20261122162252 (Sun Nov 22 16:22:52 2026)", err,
				    sizeof(err)),
			 KR_EMALFORMED);
	assert_non_null(strstr(err, "BIND"));
	/* unknown version */
	assert_int_equal(parse_edit(ksr, "KeySigningRequest 1.0 1795364572",
				    "KeySigningRequest 2.0 1795364572", err, sizeof(err)),
			 KR_EMALFORMED);
	/* records other than DNSKEY; an RRSIG in a KSR; another owner */
	assert_int_equal(parse_edit(ksr, "example.            \t3600 DNSKEY",
				    "example. 3600 A 192.0.2.1\nexample.            \t3600 DNSKEY",
				    err, sizeof(err)),
			 KR_EMALFORMED);
	assert_int_equal(parse_edit(skr, "=========\n", "=========\nexample. 3600 CDS 1 8 2 00\n",
				    err, sizeof(err)),
			 KR_EMALFORMED);
	assert_int_equal(parse_edit(ksr, "example.            \t3600 DNSKEY",
				    "other.example. 3600 DNSKEY", err, sizeof(err)),
			 KR_EMALFORMED);
	assert_int_equal(
	    parse_edit(ksr, "example.            \t3600 DNSKEY 256",
		       "example. 3600 DNSKEY 256 3 8 AwEAAQ==\nexample. 7200 DNSKEY 256", err,
		       sizeof(err)),
	    KR_EMALFORMED);
	/* a record before the first header; a header of the other kind */
	assert_int_equal(
	    parse_edit(ksr, ";; KeySigningRequest 1.0 1795364572",
		       "example. 3600 DNSKEY 256 3 8 AwEAAQ==\n;; KeySigningRequest 1.0 1795364572",
		       err, sizeof(err)),
	    KR_EMALFORMED);
	assert_int_equal(parse_edit(ksr, ";; KeySigningRequest 1.0 1800548572",
				    ";; SignedKeyResponse 1.0 1800548572", err, sizeof(err)),
			 KR_EMALFORMED);
	/* unbalanced parentheses; bad base64 */
	assert_int_equal(parse_edit(ksr, "Dz+EXzEdKOsb+pYLiTkoGO9k2a8=\n\t\t\t\t)",
				    "Dz+EXzEdKOsb+pYLiTkoGO9k2a8=\n\t\t\t\t))", err, sizeof(err)),
			 KR_EMALFORMED);
	assert_int_equal(parse_edit(ksr, "AwEAAbIX5Ns8", "AwEAAbIX5N!8", err, sizeof(err)),
			 KR_EMALFORMED);
	/* an SKR RRSIG whose key is not in its section */
	assert_int_equal(
	    parse_edit(skr, "20261122145252 20152", "20261122145252 20153", err, sizeof(err)),
	    KR_EMALFORMED);
	assert_non_null(strstr(err, "not in the section"));
	/* bundle step longer than the validity */
	struct kr_ksr_doc *d = NULL;
	struct kr_knot_ksr_opts bad = {.validity = DAY, .step = 2 * DAY};
	assert_int_equal(kr_knot_ksr_parse((const uint8_t *)"", 0, &bad, &d, err, sizeof(err)),
			 KR_EINVAL);
	/* a step of one second would expand 60 days into millions of bundles */
	struct kr_knot_ksr_opts tiny = {.validity = DAY, .step = 1};
	size_t len;
	char *text = read_data(ksr, &len);
	assert_int_equal(kr_knot_ksr_parse((uint8_t *)text, len, &tiny, &d, err, sizeof(err)),
			 KR_ETOOBIG);
	free(text);
}

/* Every prefix of a real file is refused (or, at the end, accepted). */
static void test_truncations(void **state)
{
	(void)state;
	size_t len;
	char *text = read_data("skr-3.2.6.txt", &len);
	char err[256];
	for (size_t n = 0; n < len; n += 7) {
		struct kr_ksr_doc *d = NULL;
		int rc = kr_knot_skr_parse((uint8_t *)text, n, &d, err, sizeof(err));
		/* the only prefixes that parse end inside the closing line's free text */
		if (rc == 0) {
			assert_true(n > len - 30);
			kr_ksr_free(d);
		}
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_detect),   cmocka_unit_test(test_real_ksr),
	    cmocka_unit_test(test_real_skr), cmocka_unit_test(test_write_roundtrip),
	    cmocka_unit_test(test_refused),  cmocka_unit_test(test_truncations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
