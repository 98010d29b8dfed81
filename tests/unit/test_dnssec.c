/*
 * DNSSEC primitives against independent facts: the real root KSKs (tags and
 * DS published by IANA), RFC 6605 / RFC 8080 example DS records, real RRSIGs
 * extracted from ICANN SKRs (tests/data/rrsig-vectors.txt, made by
 * tests/data/gen-rrsig-vectors.py), and our own signatures checked by
 * dnspython (tests/data/verify-rrsig.py).  Every verify path has forgeries
 * that must fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lib/dnssec.h"
#include "lib/encode.h"
#include "lib/error.h"

/* Reads TESTDATA's file of DNSKEY lines; returns the count. */
static size_t load_dnskeys(const char *path, struct kr_dnskey *keys, size_t max)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[4096];
	size_t n = 0;
	while (fgets(line, sizeof(line), f) && n < max) {
		if (strstr(line, "DNSKEY") == NULL)
			continue;
		assert_int_equal(kr_dnskey_parse(line, NULL, NULL, &keys[n]), 0);
		n++;
	}
	fclose(f);
	return n;
}

static char *testdata(const char *rel)
{
	static char path[4096];
	const char *td = getenv("TESTDATA");
	snprintf(path, sizeof(path), "%s/%s", td ? td : "../shared/testdata", rel);
	return path;
}

static void test_root_ksk_known_answers(void **state)
{
	(void)state;
	struct kr_dnskey keys[4];
	size_t n = load_dnskeys(testdata("icann/get-trust-anchor/ksk-as-dnskey.txt"), keys, 4);
	assert_int_equal(n, 2);
	FILE *f = fopen(testdata("icann/get-trust-anchor/ksk-as-ds.txt"), "r");
	assert_non_null(f);
	char want[2][512];
	for (int i = 0; i < 2; i++) {
		assert_non_null(fgets(want[i], sizeof(want[i]), f));
		want[i][strcspn(want[i], "\n")] = '\0';
	}
	fclose(f);
	struct kr_name root;
	assert_int_equal(kr_name_from_str(".", &root), 0);
	for (size_t i = 0; i < n; i++) {
		uint16_t tag = kr_dnskey_keytag(&keys[i]);
		assert_true(tag == 38696 || tag == 20326);
		char *ds = NULL;
		assert_int_equal(kr_ds_format(&root, 0, &keys[i], KR_DS_SHA256, &ds), 0);
		/* "., 0 IN DS ..." vs IANA's ". IN DS ...": compare from "DS" on. */
		const char *w = strstr(want[tag == 38696 ? 0 : 1], " DS ");
		assert_string_equal(strstr(ds, " DS "), w);
		free(ds);
		unsigned bits;
		uint64_t e;
		assert_int_equal(kr_dnskey_params(&keys[i], &bits, &e), 0);
		assert_int_equal(bits, 2048);
		assert_int_equal(e, 65537);
		/* The revoked form has its own tag: flags + 128 adds 128 to the sum. */
		struct kr_dnskey rev = keys[i];
		rev.flags |= KR_DNSKEY_REVOKE;
		assert_int_equal(kr_dnskey_keytag(&rev), (uint16_t)(tag + 128));
		assert_true(kr_dnskey_same_key(&rev, &keys[i]));
	}
}

static void test_rfc_examples(void **state)
{
	(void)state;
	const struct {
		const char *dnskey, *ds;
		uint16_t tag;
	} v[] = {
		/* RFC 6605 section 6.1 */
		{"example.net. 3600 IN DNSKEY 257 3 13 ( GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edb"
		 "krSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA== )",
		 "example.net. 0 IN DS 55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17",
		 55648},
		/* RFC 8080 section 6.1 */
		{"example.com. 3600 IN DNSKEY 257 3 15 ( l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4= )",
		 "example.com. 0 IN DS 3613 15 2 3AA5AB37EFCE57F737FC1627013FEE07BDF241BD10F3B1964AB55C78E79A304B",
		 3613},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct kr_dnskey k;
		struct kr_name owner;
		uint32_t ttl;
		assert_int_equal(kr_dnskey_parse(v[i].dnskey, &owner, &ttl, &k), 0);
		assert_int_equal(ttl, 3600);
		assert_int_equal(kr_dnskey_keytag(&k), v[i].tag);
		char *ds = NULL;
		assert_int_equal(kr_ds_format(&owner, 0, &k, KR_DS_SHA256, &ds), 0);
		assert_string_equal(ds, v[i].ds);
		free(ds);
		/* The DS parser reads back what the formatter wrote. */
		uint16_t tag;
		uint8_t alg, dt, digest[KR_DIGEST_MAX], want[KR_DIGEST_MAX];
		size_t dlen, wlen;
		assert_int_equal(kr_ds_parse(v[i].ds, NULL, &tag, &alg, &dt, digest, &dlen), 0);
		assert_int_equal(tag, v[i].tag);
		assert_int_equal(kr_ds_digest(&owner, &k, dt, want, &wlen), 0);
		assert_int_equal(dlen, wlen);
		assert_memory_equal(digest, want, dlen);
		EVP_PKEY *pk = NULL;
		assert_int_equal(kr_dnskey_to_pkey(&k, &pk), 0);
		EVP_PKEY_free(pk);
	}
}

static void test_names(void **state)
{
	(void)state;
	struct kr_name n;
	char buf[300];
	assert_int_equal(kr_name_from_str(".", &n), 0);
	assert_int_equal(n.len, 1);
	assert_int_equal(kr_name_labels(&n), 0);
	assert_int_equal(kr_name_from_str("SE", &n), 0);
	assert_int_equal(n.len, 4);
	assert_memory_equal(n.wire, "\x02se\x00", 4);
	assert_int_equal(kr_name_labels(&n), 1);
	assert_int_equal(kr_name_to_str(&n, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "se.");
	assert_int_equal(kr_name_from_str("Example.CO.uk.", &n), 0);
	assert_int_equal(kr_name_labels(&n), 3);
	assert_int_equal(kr_name_to_str(&n, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "example.co.uk.");
	assert_int_equal(kr_name_from_str("a\\.b.c", &n), 0);
	assert_int_equal(kr_name_labels(&n), 2);
	assert_int_equal(kr_name_to_str(&n, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "a\\.b.c.");
	assert_int_equal(kr_name_from_str("\\065b", &n), 0);
	assert_memory_equal(n.wire, "\x02" "ab\x00", 4);
	assert_int_equal(kr_name_from_str("a..b", &n), KR_EMALFORMED);
	assert_int_equal(kr_name_from_str("", &n), KR_EINVAL);
	char big[80];
	memset(big, 'a', 64);
	big[64] = '\0';
	assert_int_equal(kr_name_from_str(big, &n), KR_ERANGE);
	char longname[300] = "";
	for (int i = 0; i < 130; i++)
		strcat(longname, "a.");
	assert_int_equal(kr_name_from_str(longname, &n), KR_ERANGE);
}

/* Vectors: groups of "key"/"sig" lines between "bundle" and "end". */
struct vec {
	struct kr_name owner;
	size_t nkeys, nsigs;
	struct kr_dnskey keys[8];
	struct kr_rrsig sigs[4];
};

static size_t load_vectors(struct vec *v, size_t max)
{
	FILE *f = fopen("tests/data/rrsig-vectors.txt", "r");
	assert_non_null(f);
	char line[8192];
	size_t n = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "bundle", 6) == 0) {
			assert_true(n < max);
			memset(&v[n], 0, sizeof(v[n]));
		} else if (strncmp(line, "key ", 4) == 0) {
			struct vec *c = &v[n];
			assert_int_equal(kr_dnskey_parse(line + 4, &c->owner, NULL, &c->keys[c->nkeys++]), 0);
		} else if (strncmp(line, "sig ", 4) == 0) {
			struct vec *c = &v[n];
			assert_int_equal(kr_rrsig_parse(line + 4, NULL, NULL, &c->sigs[c->nsigs++]), 0);
		} else if (strncmp(line, "end", 3) == 0) {
			n++;
		}
	}
	fclose(f);
	return n;
}

static const struct kr_dnskey *signer_of(const struct vec *v, const struct kr_rrsig *s)
{
	for (size_t i = 0; i < v->nkeys; i++)
		if (kr_dnskey_keytag(&v->keys[i]) == s->key_tag && v->keys[i].algorithm == s->algorithm)
			return &v->keys[i];
	return NULL;
}

static void test_real_rrsigs(void **state)
{
	(void)state;
	static struct vec v[8];
	size_t n = load_vectors(v, 8);
	assert_int_equal(n, 5);
	size_t verified = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < v[i].nsigs; j++) {
			const struct kr_rrsig *s = &v[i].sigs[j];
			const struct kr_dnskey *k = signer_of(&v[i], s);
			assert_non_null(k);
			assert_int_equal(kr_rrsig_verify(s, &v[i].owner, v[i].keys, v[i].nkeys, k), 0);
			assert_int_equal(kr_rrsig_check_time(s, (int64_t)s->inception + 3600), 0);
			assert_int_equal(kr_rrsig_check_time(s, (int64_t)s->expiration + 1), KR_ERANGE);
			assert_int_equal(kr_rrsig_check_time(s, (int64_t)s->inception - 1), KR_ERANGE);
			/* Key order in the input does not matter (canonical sorting). */
			struct kr_dnskey rev[8];
			for (size_t m = 0; m < v[i].nkeys; m++)
				rev[m] = v[i].keys[v[i].nkeys - 1 - m];
			assert_int_equal(kr_rrsig_verify(s, &v[i].owner, rev, v[i].nkeys, k), 0);
			verified++;
		}
	}
	assert_true(verified >= 5);
	/* The revoked KSK1 of the legacy set: tag 5145 with flags 385. */
	int found = 0;
	for (size_t m = 0; m < v[4].nkeys; m++)
		if (v[4].keys[m].flags == 385)
			found = kr_dnskey_keytag(&v[4].keys[m]) == 5145;
	assert_true(found);
}

static void test_forgeries_fail(void **state)
{
	(void)state;
	static struct vec v[8];
	load_vectors(v, 8);
	struct vec *b = &v[2]; /* 2018-Q1 bundle 1: two ZSKs, KSK-2010 and KSK-2017 */
	const struct kr_rrsig *s = &b->sigs[0];
	const struct kr_dnskey *k = signer_of(b, s);
	assert_int_equal(kr_rrsig_verify(s, &b->owner, b->keys, b->nkeys, k), 0);

	struct kr_rrsig bad = *s;
	bad.sig[bad.sig_len / 2] ^= 0x01; /* flipped bit in the signature */
	assert_int_equal(kr_rrsig_verify(&bad, &b->owner, b->keys, b->nkeys, k), KR_EBADSIG);

	bad = *s;
	bad.inception += 1; /* signed field changed */
	assert_int_equal(kr_rrsig_verify(&bad, &b->owner, b->keys, b->nkeys, k), KR_EBADSIG);

	bad = *s;
	bad.sig_len -= 1; /* truncated */
	assert_int_equal(kr_rrsig_verify(&bad, &b->owner, b->keys, b->nkeys, k), KR_EBADSIG);

	/* A key missing from the bundle. */
	assert_int_equal(kr_rrsig_verify(s, &b->owner, b->keys + 1, b->nkeys - 1, k), KR_EBADSIG);

	/* A flipped bit in one ZSK of the set. */
	struct kr_dnskey keys[8];
	memcpy(keys, b->keys, sizeof(keys));
	keys[0].pubkey[10] ^= 0x80;
	assert_int_equal(kr_rrsig_verify(s, &b->owner, keys, b->nkeys, k), KR_EBADSIG);

	/* The wrong signer: the other KSK (tag mismatch) and a key with the
	 * right tag field forced but different material. */
	for (size_t i = 0; i < b->nkeys; i++) {
		if (&b->keys[i] != k && b->keys[i].flags == 257)
			assert_int_equal(kr_rrsig_verify(s, &b->owner, b->keys, b->nkeys, &b->keys[i]),
					 KR_EBADSIG);
	}
	bad = *s;
	struct kr_name se;
	kr_name_from_str("se", &se);
	bad.signer = se; /* wrong signer name */
	assert_int_equal(kr_rrsig_verify(&bad, &b->owner, b->keys, b->nkeys, k), KR_EBADSIG);

	/* Signatures swapped between two bundles (as in ksr.bad.xml). */
	struct vec *c = &v[3];
	assert_int_equal(kr_rrsig_verify(&c->sigs[0], &b->owner, b->keys, b->nkeys,
					 signer_of(c, &c->sigs[0])),
			 KR_EBADSIG);
}

/* Generate a software key of each algorithm, sign a TLD DNSKEY RRset, verify
 * here and with dnspython. */
static EVP_PKEY *genkey(uint8_t alg)
{
	switch (alg) {
	case KR_ALG_RSASHA256:
	case KR_ALG_RSASHA512:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	case KR_ALG_ECDSAP256SHA256:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case KR_ALG_ECDSAP384SHA384:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	case KR_ALG_ED25519:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	}
	return NULL;
}

static void test_sign_all_algorithms(void **state)
{
	(void)state;
	const uint8_t algs[] = {KR_ALG_RSASHA256, KR_ALG_RSASHA512, KR_ALG_ECDSAP256SHA256,
				KR_ALG_ECDSAP384SHA384, KR_ALG_ED25519};
	const unsigned want_bits[] = {2048, 2048, 256, 384, 256};
	char path[] = "/tmp/kr-test-dnssec-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *out = fdopen(fd, "w");
	struct kr_name owner;
	assert_int_equal(kr_name_from_str("example.", &owner), 0);
	for (size_t i = 0; i < sizeof(algs); i++) {
		EVP_PKEY *ksk = genkey(algs[i]), *zsk = genkey(algs[i]);
		assert_non_null(ksk);
		assert_non_null(zsk);
		struct kr_signer signer;
		struct kr_dnskey keys[2];
		assert_int_equal(kr_signer_from_pkey(ksk, algs[i], 257, &signer), 0);
		assert_int_equal(kr_dnskey_from_pkey(zsk, algs[i], 256, &keys[0]), 0);
		keys[1] = signer.key;
		unsigned bits;
		assert_int_equal(kr_dnskey_params(&keys[1], &bits, NULL), 0);
		assert_int_equal(bits, want_bits[i]);
		/* DNSKEY -> EVP -> DNSKEY is the identity. */
		EVP_PKEY *pub = NULL;
		struct kr_dnskey again;
		assert_int_equal(kr_dnskey_to_pkey(&keys[1], &pub), 0);
		assert_int_equal(kr_dnskey_from_pkey(pub, algs[i], 257, &again), 0);
		assert_true(kr_dnskey_same_key(&again, &keys[1]));
		EVP_PKEY_free(pub);

		struct kr_rrsig sig;
		assert_int_equal(kr_rrsig_sign(&signer, &owner, keys, 2, 3600, 1700000000,
					       1700000000 + 21 * 86400, &sig),
				 0);
		assert_int_equal(sig.labels, 1);
		assert_int_equal(sig.key_tag, kr_dnskey_keytag(&keys[1]));
		if (algs[i] == KR_ALG_ECDSAP256SHA256)
			assert_int_equal(sig.sig_len, 64); /* r||s, RFC 6605 */
		if (algs[i] == KR_ALG_ECDSAP384SHA384)
			assert_int_equal(sig.sig_len, 96);
		if (algs[i] == KR_ALG_ED25519)
			assert_int_equal(sig.sig_len, 64);
		assert_int_equal(kr_rrsig_verify(&sig, &owner, keys, 2, &keys[1]), 0);
		sig.sig[3] ^= 4;
		assert_int_equal(kr_rrsig_verify(&sig, &owner, keys, 2, &keys[1]), KR_EBADSIG);
		sig.sig[3] ^= 4;

		/* A revoked signer signs with its revoked tag. */
		struct kr_signer rsigner = signer;
		rsigner.key.flags |= KR_DNSKEY_REVOKE;
		struct kr_dnskey rkeys[2] = {keys[0], rsigner.key};
		struct kr_rrsig rsig;
		assert_int_equal(kr_rrsig_sign(&rsigner, &owner, rkeys, 2, 3600, 1700000000,
					       1700000000 + 86400, &rsig),
				 0);
		assert_int_equal(rsig.key_tag, kr_dnskey_keytag(&rsigner.key));
		assert_int_not_equal(rsig.key_tag, sig.key_tag);

		char *line = NULL;
		for (int j = 0; j < 2; j++) {
			assert_int_equal(kr_dnskey_format(&owner, 3600, &keys[j], &line), 0);
			fprintf(out, "%s\n", line);
			free(line);
		}
		assert_int_equal(kr_rrsig_format(&owner, 3600, &sig, &line), 0);
		fprintf(out, "%s\n", line);
		/* The RRSIG parser reads back what the formatter wrote. */
		struct kr_rrsig back;
		assert_int_equal(kr_rrsig_parse(line, NULL, NULL, &back), 0);
		assert_memory_equal(&back, &sig, sizeof(sig));
		free(line);
		fprintf(out, "\n");
		EVP_PKEY_free(ksk);
		EVP_PKEY_free(zsk);
	}
	fclose(out);
	/* dnspython validates each RRSIG (one file per algorithm would need
	 * splitting; the checker takes all keys as one RRset, so run per block). */
	char cmd[8192];
	snprintf(cmd, sizeof(cmd),
		 "awk -v RS= '{ f = \"%s.\" NR; print > f; close(f) }' %s && "
		 "for f in %s.[0-9]*; do /usr/bin/python3 tests/data/verify-rrsig.py $f || exit 1; done; "
		 "rc=$?; rm -f %s.[0-9]*; exit $rc",
		 path, path, path, path);
	assert_int_equal(system(cmd), 0);
	unlink(path);
}

static void test_algorithms(void **state)
{
	(void)state;
	uint8_t a;
	assert_int_equal(kr_alg_from_name("rsasha256", &a), 0);
	assert_int_equal(a, 8);
	assert_int_equal(kr_alg_from_name("13", &a), 0);
	assert_int_equal(a, 13);
	assert_int_equal(kr_alg_from_name("NOPE", &a), KR_EALG);
	assert_int_equal(kr_alg_from_name("300", &a), KR_EALG);
	assert_string_equal(kr_alg_name(15), "ED25519");
	assert_non_null(kr_alg_refused(KR_ALG_RSAMD5));
	assert_non_null(kr_alg_refused(KR_ALG_DSA));
	assert_non_null(kr_alg_refused(KR_ALG_ECC_GOST));
	assert_non_null(kr_alg_refused(KR_ALG_RSASHA1));
	assert_null(kr_alg_refused(KR_ALG_RSASHA256));
	assert_null(kr_alg_refused(KR_ALG_ED25519));
	/* Malformed public keys are refused. */
	struct kr_dnskey k = {.flags = 257, .protocol = 3, .algorithm = 13, .pubkey_len = 63};
	assert_int_equal(kr_dnskey_params(&k, NULL, NULL), KR_EMALFORMED);
	k.pubkey_len = 64; /* all zero: not a point on P-256 */
	EVP_PKEY *pk = NULL;
	assert_int_not_equal(kr_dnskey_to_pkey(&k, &pk), 0);
	assert_null(pk);
	struct kr_dnskey r = {.flags = 257, .protocol = 3, .algorithm = 8, .pubkey_len = 3};
	memcpy(r.pubkey, "\x01\x03\x00", 3);
	assert_int_not_equal(kr_dnskey_params(&r, NULL, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_ksk_known_answers),
		cmocka_unit_test(test_rfc_examples),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_real_rrsigs),
		cmocka_unit_test(test_forgeries_fail),
		cmocka_unit_test(test_sign_all_algorithms),
		cmocka_unit_test(test_algorithms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
