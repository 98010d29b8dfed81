/*
 * The keystore on a throw-away SoftHSM2 token: generation for all five
 * algorithms with the KSK template as the token reports it, signing a DNSKEY
 * RRset inside the token and verifying it in software (OpenSSL), the
 * recorded algorithm, import of the legacy ICANN test key (known key tags),
 * and the failures: duplicate label, wrong PIN, missing token and module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "hsm/keystore.h"
#include "lib/error.h"
#include "lib/fileio.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define TOKEN "unit-ksk"
#define PIN "4711-unit"
#define SO_PIN "so-secret-1"

static char tmpdir[4096];

static int setup_token(void **state)
{
	(void)state;
	const char *build = getenv("BUILD");
	char conf[4200], tokens[4200], text[8600];
	snprintf(tmpdir, sizeof(tmpdir), "%s/ks.XXXXXX", build != NULL ? build : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(tokens, sizeof(tokens), "%s/tokens", tmpdir);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", tmpdir);
	if (mkdir(tokens, 0700) != 0)
		return -1;
	int n = snprintf(text, sizeof(text), "directories.tokendir = %s\nobjectstore.backend = file\n"
					     "log.level = ERROR\n", tokens);
	if (kr_write_file_atomic(conf, text, (size_t)n, 0600) != 0)
		return -1;
	setenv("SOFTHSM2_CONF", conf, 1);
	return kr_keystore_init_token(MODULE, TOKEN, SO_PIN, PIN) == KR_OK ? 0 : -1;
}

static int teardown_token(void **state)
{
	(void)state;
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct kr_keystore *open_token(void)
{
	struct kr_keystore_opts o = {.module = MODULE, .token_label = TOKEN};
	struct kr_keystore *ks = NULL;
	assert_int_equal(kr_keystore_open(&o, &ks), KR_OK);
	assert_int_equal(kr_keystore_login(ks, PIN), KR_OK);
	return ks;
}

/* A DNSKEY RRset of the KSK and a ZSK (any Ed25519 point will do as data). */
static void sign_and_verify(const struct kr_signer *signer)
{
	struct kr_name root;
	struct kr_dnskey zsk = {.flags = 256, .protocol = 3, .algorithm = 15, .pubkey_len = 32};
	memset(zsk.pubkey, 0x5a, 32);
	struct kr_dnskey keys[2] = {signer->key, zsk};
	struct kr_rrsig sig;
	assert_int_equal(kr_name_from_str(".", &root), KR_OK);
	assert_int_equal(kr_rrsig_sign(signer, &root, keys, 2, 172800, 1700000000, 1701814400, &sig),
			 KR_OK);
	assert_int_equal(sig.key_tag, kr_dnskey_keytag(&signer->key));
	/* Verified again here, by OpenSSL alone, and a flipped bit must fail. */
	assert_int_equal(kr_rrsig_verify(&sig, &root, keys, 2, &signer->key), KR_OK);
	sig.sig[sig.sig_len / 2] ^= 0x01;
	assert_int_equal(kr_rrsig_verify(&sig, &root, keys, 2, &signer->key), KR_EBADSIG);
	sig.sig[sig.sig_len / 2] ^= 0x01;
	keys[1].pubkey[0] ^= 0x80; /* a changed RRset */
	assert_int_equal(kr_rrsig_verify(&sig, &root, keys, 2, &signer->key), KR_EBADSIG);
}

static void check_template(const struct kr_keyinfo *ki)
{
	assert_int_equal(ki->sensitive, 1);
	assert_int_equal(ki->always_sensitive, 1);
	assert_int_equal(ki->extractable, 0);
	assert_int_equal(ki->never_extractable, 1);
	assert_int_equal(ki->can_sign, 1);
	assert_int_equal(ki->can_decrypt, 0);
	assert_int_equal(ki->can_unwrap, 0);
	assert_int_equal(ki->can_derive, 0);
	assert_int_equal(ki->local, 1);
	assert_int_equal(ki->dnskey.flags, 257);
	assert_int_equal(ki->id_len, KR_KEYID_PREFIX_LEN + KR_KEYID_RANDOM_LEN);
}

static void test_generate_all_algorithms(void **state)
{
	(void)state;
	static const struct {
		const char *label;
		uint8_t alg;
		unsigned bits, want_bits;
	} cases[] = {
		{"k-rsasha256", KR_ALG_RSASHA256, 0, 2048},
		{"k-rsasha512", KR_ALG_RSASHA512, 3072, 3072},
		{"k-p256", KR_ALG_ECDSAP256SHA256, 0, 256},
		{"k-p384", KR_ALG_ECDSAP384SHA384, 384, 384},
		{"k-ed25519", KR_ALG_ED25519, 0, 256},
	};
	struct kr_keystore *ks = open_token();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kr_keyinfo made, found;
		struct kr_signer signer, revoked;
		assert_int_equal(kr_keystore_generate(ks, cases[i].label, cases[i].alg, cases[i].bits,
						      &made), KR_OK);
		assert_string_equal(made.label, cases[i].label);
		assert_int_equal(made.algorithm, cases[i].alg);
		assert_int_equal(made.bits, cases[i].want_bits);
		check_template(&made);
		/* The recorded algorithm survives a fresh read (RSASHA512 is not the RSA default). */
		assert_int_equal(kr_keystore_find(ks, cases[i].label, &found), KR_OK);
		assert_int_equal(found.algorithm, cases[i].alg);
		assert_true(kr_dnskey_same_key(&found.dnskey, &made.dnskey));
		assert_int_equal(kr_keystore_signer(ks, cases[i].label, 257, &signer), KR_OK);
		assert_true(kr_dnskey_same_key(&signer.key, &made.dnskey));
		sign_and_verify(&signer);
		kr_keystore_signer_free(&signer);
		assert_int_equal(kr_keystore_signer(ks, cases[i].label, 385, &revoked), KR_OK);
		assert_int_not_equal(kr_dnskey_keytag(&revoked.key), kr_dnskey_keytag(&made.dnskey));
		sign_and_verify(&revoked);
		kr_keystore_signer_free(&revoked);
	}
	/* All five listed, in label order, with an Ed25519 key on the token. */
	struct kr_keyinfo *keys = NULL;
	size_t n = 0;
	assert_int_equal(kr_keystore_list(ks, &keys, &n), KR_OK);
	assert_int_equal(n, 5);
	assert_string_equal(keys[0].label, "k-ed25519");
	assert_string_equal(keys[4].label, "k-rsasha512");
	assert_int_equal(keys[4].algorithm, KR_ALG_RSASHA512);
	free(keys);
	kr_keystore_close(ks);
}

static void test_bad_requests(void **state)
{
	(void)state;
	struct kr_keystore *ks = open_token();
	struct kr_keyinfo ki;
	struct kr_signer s;
	assert_int_equal(kr_keystore_generate(ks, "dup", KR_ALG_ECDSAP256SHA256, 0, &ki), KR_OK);
	assert_int_equal(kr_keystore_generate(ks, "dup", KR_ALG_ED25519, 0, &ki), KR_EEXIST);
	assert_int_equal(kr_keystore_generate(ks, "rsa-small", KR_ALG_RSASHA256, 1024, &ki),
			 KR_ERANGE);
	assert_int_equal(kr_keystore_generate(ks, "rsa-big", KR_ALG_RSASHA256, 8192, &ki), KR_ERANGE);
	assert_int_equal(kr_keystore_generate(ks, "ec-mismatch", KR_ALG_ECDSAP256SHA256, 384, &ki),
			 KR_ERANGE);
	assert_int_equal(kr_keystore_generate(ks, "sha1", KR_ALG_RSASHA1, 2048, &ki), KR_EALG);
	assert_int_equal(kr_keystore_generate(ks, "", KR_ALG_ED25519, 0, &ki), KR_EINVAL);
	assert_int_equal(kr_keystore_find(ks, "no-such-key", &ki), KR_ENOTFOUND);
	assert_int_equal(kr_keystore_signer(ks, "no-such-key", 257, &s), KR_ENOTFOUND);
	assert_int_equal(kr_keystore_signer(ks, "dup", 0x1234, &s), KR_EINVAL);
	/* Delete removes both halves; a second delete finds nothing. */
	CK_OBJECT_HANDLE priv, pub;
	assert_int_equal(kr_keystore_handles(ks, "dup", &priv, &pub), KR_OK);
	assert_int_equal(kr_keystore_delete(ks, "dup"), KR_OK);
	assert_int_equal(kr_keystore_find(ks, "dup", &ki), KR_ENOTFOUND);
	assert_int_equal(kr_keystore_delete(ks, "dup"), KR_ENOTFOUND);
	assert_int_equal(kr_keystore_generate(ks, "dup", KR_ALG_ED25519, 0, &ki), KR_OK);
	assert_int_equal(kr_keystore_delete(ks, "dup"), KR_OK);
	kr_keystore_close(ks);
}

static void test_wrong_pin(void **state)
{
	(void)state;
	struct kr_keystore_opts o = {.module = MODULE, .token_label = TOKEN};
	struct kr_keystore *ks = NULL;
	assert_int_equal(kr_keystore_open(&o, &ks), KR_OK);
	assert_int_equal(kr_keystore_login(ks, "not-the-pin"), KR_EPIN);
	/* Without a login the private keys stay invisible. */
	struct kr_keyinfo ki;
	assert_int_equal(kr_keystore_find(ks, "k-p256", &ki), KR_ENOTFOUND);
	assert_int_equal(kr_keystore_login(ks, PIN), KR_OK);
	kr_keystore_close(ks);
}

/* Two keystores on one token in one process: each login checks its PIN,
 * closing one leaves the other working, closing both logs out. */
static void test_two_keystores(void **state)
{
	(void)state;
	struct kr_keystore_opts o = {.module = MODULE, .token_label = TOKEN};
	struct kr_keystore *a = open_token(), *b = NULL;
	struct kr_keyinfo ki;
	struct kr_signer s;
	assert_int_equal(kr_keystore_open(&o, &b), KR_OK);
	assert_int_equal(kr_keystore_login(b, "not-the-pin"), KR_EPIN);
	assert_int_equal(kr_keystore_login(b, PIN), KR_OK);
	kr_keystore_close(a);
	assert_int_equal(kr_keystore_find(b, "k-p256", &ki), KR_OK);
	assert_int_equal(kr_keystore_signer(b, "k-p256", 257, &s), KR_OK);
	sign_and_verify(&s);
	kr_keystore_signer_free(&s);
	kr_keystore_close(b);
	assert_int_equal(kr_keystore_open(&o, &a), KR_OK);
	assert_int_equal(kr_keystore_find(a, "k-p256", &ki), KR_ENOTFOUND);
	kr_keystore_close(a);
}

static void test_missing_token_and_module(void **state)
{
	(void)state;
	struct kr_keystore *ks = NULL;
	struct kr_keystore_opts no_token = {.module = MODULE, .token_label = "no-such-token"};
	assert_int_equal(kr_keystore_open(&no_token, &ks), KR_ENOTFOUND);
	assert_null(ks);
	struct kr_keystore_opts no_serial = {.module = MODULE, .token_serial = "0000000000000000"};
	assert_int_equal(kr_keystore_open(&no_serial, &ks), KR_ENOTFOUND);
	struct kr_keystore_opts no_module = {.module = "/nonexistent/libpkcs11.so",
					     .token_label = TOKEN};
	assert_int_equal(kr_keystore_open(&no_module, &ks), KR_EHSM);
	/* A library that is not a PKCS#11 module. */
	struct kr_keystore_opts not_p11 = {.module = "/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
					   .token_label = TOKEN};
	if (access(not_p11.module, R_OK) == 0)
		assert_int_equal(kr_keystore_open(&not_p11, &ks), KR_EHSM);
	struct kr_keystore_opts none = {.module = MODULE};
	assert_int_equal(kr_keystore_open(&none, &ks), KR_EINVAL);
	/* A second token with the same label is refused at init. */
	assert_int_equal(kr_keystore_init_token(MODULE, TOKEN, SO_PIN, PIN), KR_EEXIST);
}

static void test_select_by_serial(void **state)
{
	(void)state;
	struct kr_keystore *ks = open_token();
	struct kr_tokeninfo ti;
	assert_int_equal(kr_keystore_info(ks, &ti), KR_OK);
	assert_string_equal(ti.label, TOKEN);
	assert_true(ti.logged_in);
	kr_keystore_close(ks);
	struct kr_keystore_opts o = {.module = MODULE, .token_serial = ti.serial};
	assert_int_equal(kr_keystore_open(&o, &ks), KR_OK);
	struct kr_tokeninfo again;
	assert_int_equal(kr_keystore_info(ks, &again), KR_OK);
	assert_string_equal(again.label, TOKEN);
	kr_keystore_close(ks);
}

/* The legacy ICANN test KSK1: tag 5017, revoked 5145 (SOURCES.md). */
static void test_import_legacy_key(void **state)
{
	(void)state;
	const char *td = getenv("TESTDATA");
	char path[4096];
	snprintf(path, sizeof(path), "%s/icann/dnssec-keytools-legacy/test-keys/rsa2048-1.key",
		 td != NULL ? td : "/work/shared/testdata");
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(pkey);
	struct kr_keystore *ks = open_token();
	struct kr_keyinfo ki;
	assert_int_equal(kr_keystore_import(ks, "legacy-ksk1", KR_ALG_ECDSAP256SHA256, pkey, &ki),
			 KR_EALG);
	assert_int_equal(kr_keystore_import(ks, "legacy-ksk1", KR_ALG_RSASHA256, pkey, &ki), KR_OK);
	EVP_PKEY_free(pkey);
	assert_int_equal(kr_dnskey_keytag(&ki.dnskey), 5017);
	struct kr_dnskey rev = ki.dnskey;
	rev.flags |= KR_DNSKEY_REVOKE;
	assert_int_equal(kr_dnskey_keytag(&rev), 5145);
	assert_int_equal(ki.bits, 2048);
	/* Imported: sensitive now, but it was not always, and not generated here. */
	assert_int_equal(ki.sensitive, 1);
	assert_int_equal(ki.extractable, 0);
	assert_int_equal(ki.always_sensitive, 0);
	assert_int_equal(ki.never_extractable, 0);
	assert_int_equal(ki.local, 0);
	struct kr_signer s;
	assert_int_equal(kr_keystore_signer(ks, "legacy-ksk1", 385, &s), KR_OK);
	assert_int_equal(kr_dnskey_keytag(&s.key), 5145);
	sign_and_verify(&s);
	kr_keystore_signer_free(&s);
	assert_int_equal(kr_keystore_import(ks, "legacy-ksk1", KR_ALG_RSASHA256, pkey = NULL, &ki),
			 KR_EINVAL);
	kr_keystore_close(ks);
}

static void test_import_ec_and_ed25519(void **state)
{
	(void)state;
	struct kr_keystore *ks = open_token();
	static const struct {
		const char *type, *arg;
		uint8_t alg;
	} cases[] = {
		{"EC", "P-256", KR_ALG_ECDSAP256SHA256},
		{"EC", "P-384", KR_ALG_ECDSAP384SHA384},
		{"ED25519", NULL, KR_ALG_ED25519},
	};
	for (size_t i = 0; i < 3; i++) {
		EVP_PKEY *pkey = cases[i].arg != NULL
					 ? EVP_PKEY_Q_keygen(NULL, NULL, cases[i].type, cases[i].arg)
					 : EVP_PKEY_Q_keygen(NULL, NULL, cases[i].type);
		assert_non_null(pkey);
		struct kr_dnskey want;
		assert_int_equal(kr_dnskey_from_pkey(pkey, cases[i].alg, 257, &want), KR_OK);
		char label[32];
		snprintf(label, sizeof(label), "imported-%zu", i);
		struct kr_keyinfo ki;
		assert_int_equal(kr_keystore_import(ks, label, cases[i].alg, pkey, &ki), KR_OK);
		EVP_PKEY_free(pkey);
		assert_true(kr_dnskey_same_key(&ki.dnskey, &want));
		assert_int_equal(ki.never_extractable, 0);
		struct kr_signer s;
		assert_int_equal(kr_keystore_signer(ks, label, 257, &s), KR_OK);
		sign_and_verify(&s);
		kr_keystore_signer_free(&s);
		assert_int_equal(kr_keystore_delete(ks, label), KR_OK);
	}
	kr_keystore_close(ks);
}

static void test_ephemeral_signer(void **state)
{
	(void)state;
	struct kr_keystore *ks = open_token();
	struct kr_keyinfo *before = NULL, *after = NULL;
	size_t nb = 0, na = 0;
	assert_int_equal(kr_keystore_list(ks, &before, &nb), KR_OK);
	static const uint8_t algs[] = {8, 10, 13, 14, 15};
	for (size_t i = 0; i < sizeof(algs); i++) {
		struct kr_signer s;
		assert_int_equal(kr_keystore_ephemeral_signer(ks, algs[i], 0, &s), KR_OK);
		assert_int_equal(s.key.algorithm, algs[i]);
		s.key.flags = 257;
		sign_and_verify(&s);
		kr_keystore_signer_free(&s);
	}
	assert_int_equal(kr_keystore_list(ks, &after, &na), KR_OK);
	assert_int_equal(na, nb);
	free(before);
	free(after);
	kr_keystore_close(ks);
}

/* libp11's EVP_PKEY path (for CMS) works on a token without Ed25519 keys;
 * with one, libp11 0.4.12 cannot enumerate and the keystore says so. */
static void test_pkey(void **state)
{
	(void)state;
	struct kr_keystore *ks = open_token();
	EVP_PKEY *pk = NULL;
	assert_int_equal(kr_keystore_pkey(ks, "k-ed25519", &pk), KR_EALG);
	assert_int_equal(kr_keystore_pkey(ks, "k-p256", &pk), KR_EHSM);
	kr_keystore_close(ks);

	assert_int_equal(kr_keystore_init_token(MODULE, "unit-noed", SO_PIN, PIN), KR_OK);
	struct kr_keystore_opts o = {.module = MODULE, .token_label = "unit-noed"};
	assert_int_equal(kr_keystore_open(&o, &ks), KR_OK);
	assert_int_equal(kr_keystore_login(ks, PIN), KR_OK);
	static const uint8_t algs[] = {KR_ALG_ECDSAP256SHA256, KR_ALG_RSASHA256};
	static const char *labels[] = {"p256", "rsa"};
	for (size_t i = 0; i < 2; i++) {
		struct kr_keyinfo ki;
		uint8_t sig[512];
		size_t sig_len = sizeof(sig);
		static const uint8_t msg[] = "keyroll";
		assert_int_equal(kr_keystore_generate(ks, labels[i], algs[i], 0, &ki), KR_OK);
		assert_int_equal(kr_keystore_pkey(ks, labels[i], &pk), KR_OK);
		assert_int_equal(kr_pkey_sign(pk, algs[i], msg, sizeof(msg), sig, &sig_len), KR_OK);
		assert_int_equal(kr_verify_raw(&ki.dnskey, msg, sizeof(msg), sig, sig_len), KR_OK);
		sig[0] ^= 1;
		assert_int_equal(kr_verify_raw(&ki.dnskey, msg, sizeof(msg), sig, sig_len), KR_EBADSIG);
		EVP_PKEY_free(pk);
	}
	kr_keystore_close(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_all_algorithms),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_wrong_pin),
		cmocka_unit_test(test_two_keystores),
		cmocka_unit_test(test_missing_token_and_module),
		cmocka_unit_test(test_select_by_serial),
		cmocka_unit_test(test_import_legacy_key),
		cmocka_unit_test(test_import_ec_and_ed25519),
		cmocka_unit_test(test_ephemeral_signer),
		cmocka_unit_test(test_pkey),
	};
	return cmocka_run_group_tests(tests, setup_token, teardown_token);
}
