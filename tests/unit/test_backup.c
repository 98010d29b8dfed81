/* Key backup and restore (hsm/backup.h) between two SoftHSM2 tokens: the
 * restored key has the same DNSKEY and signs byte for byte like the original
 * (RSA PKCS#1 v1.5 is deterministic); keys not generated for backup cannot
 * be wrapped, by the library or by the token itself; only a trusted KEK
 * wraps a backup-capable key; wrong KEK and damaged containers fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/rand.h>

#include "hsm/backup.h"
#include "hsm/keystore.h"
#include "hsm/p11.h"
#include "lib/error.h"
#include "lib/fileio.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define PIN "4711-unit"
#define SO_PIN "so-secret-1"

static char tmpdir[4096];
static uint8_t kek[KR_KEK_LEN];

static int setup(void **state)
{
	(void)state;
	const char *build = getenv("BUILD");
	char conf[4200], tokens[4200], text[8600];
	snprintf(tmpdir, sizeof(tmpdir), "%s/bk.XXXXXX", build != NULL ? build : "/tmp");
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
	if (RAND_bytes(kek, sizeof(kek)) != 1)
		return -1;
	return kr_keystore_init_token(MODULE, "old", SO_PIN, PIN) == KR_OK &&
			       kr_keystore_init_token(MODULE, "new", SO_PIN, PIN) == KR_OK
		       ? 0
		       : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct kr_keystore *open_token(const char *label, int login)
{
	struct kr_keystore_opts o = {.module = MODULE, .token_label = label};
	struct kr_keystore *ks = NULL;
	assert_int_equal(kr_keystore_open(&o, &ks), KR_OK);
	if (login)
		assert_int_equal(kr_keystore_login(ks, PIN), KR_OK);
	return ks;
}

static void sign(struct kr_keystore *ks, const char *label, uint8_t *sig, size_t *len)
{
	static const uint8_t data[] = "the same DNSKEY RRset, signed twice";
	struct kr_signer s;
	assert_int_equal(kr_keystore_signer(ks, label, 257, &s), KR_OK);
	*len = KR_SIG_MAX;
	assert_int_equal(s.sign(s.ctx, s.key.algorithm, data, sizeof(data), sig, len), KR_OK);
	assert_int_equal(kr_verify_raw(&s.key, data, sizeof(data), sig, *len), KR_OK);
	kr_keystore_signer_free(&s);
}

static size_t secret_keys(struct kr_keystore *ks)
{
	CK_FUNCTION_LIST_PTR f = NULL;
	CK_SESSION_HANDLE s = 0;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)}};
	CK_OBJECT_HANDLE h[4];
	size_t n = 0;
	assert_int_equal(kr_keystore_p11(ks, &f, &s), KR_OK);
	assert_int_equal(kr_p11_find(f, s, t, 1, h, 4, &n), KR_OK);
	return n;
}

static void test_backup_restore(void **state)
{
	(void)state;
	struct kr_name root;
	struct kr_keyinfo ki, ko, kn, plain;
	struct kr_backup b, d;
	uint8_t *buf = NULL, sig1[KR_SIG_MAX], sig2[KR_SIG_MAX];
	size_t len = 0, l1 = 0, l2 = 0;
	CK_FUNCTION_LIST_PTR f = NULL;
	CK_SESSION_HANDLE s = 0;
	CK_OBJECT_HANDLE kh = 0, priv = 0;
	assert_int_equal(kr_name_from_str(".", &root), KR_OK);

	/* the security officer installs the KEK; the user cannot */
	struct kr_keystore *old = open_token("old", 0);
	assert_int_equal(kr_backup_kek_install(old, "wrong-so-pin", kek), KR_EPIN);
	assert_int_equal(kr_backup_kek_install(old, SO_PIN, kek), KR_OK);
	assert_int_equal(kr_backup_kek_install(old, SO_PIN, kek), KR_EEXIST);
	assert_int_equal(kr_keystore_login(old, PIN), KR_OK);

	assert_int_equal(kr_keystore_generate_ex(old, "ksk", KR_ALG_RSASHA256, 2048,
						 KR_KEYGEN_BACKUP, &ki), KR_OK);
	assert_int_equal(ki.extractable, 1);
	assert_int_equal(ki.wrap_with_trusted, 1);
	assert_int_equal(kr_keystore_generate(old, "plain", KR_ALG_RSASHA256, 2048, &plain), KR_OK);
	assert_int_equal(plain.extractable, 0);

	/* a key not generated for backup: refused by the library first ... */
	assert_int_equal(kr_backup_wrap(old, "plain", &root, &b), KR_EDENIED);
	/* ... and by the token itself, even under the trusted KEK */
	assert_int_equal(kr_keystore_p11(old, &f, &s), KR_OK);
	assert_int_equal(kr_backup_kek_find(old, &kh, NULL), KR_OK);
	assert_int_equal(kr_keystore_handles(old, "plain", &priv, NULL), KR_OK);
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
	uint8_t out[4096];
	CK_ULONG olen = sizeof(out);
	assert_int_equal(f->C_WrapKey(s, &mech, kh, priv, out, &olen), CKR_KEY_UNEXTRACTABLE);
	/* a user-made (untrusted) KEK cannot wrap the backup-capable key */
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE aes = CKK_AES;
	uint8_t other[32] = {1};
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_KEY_TYPE, &aes, sizeof(aes)},
			    {CKA_TOKEN, &no, 1}, {CKA_WRAP, &yes, 1}, {CKA_VALUE, other, 32}};
	CK_OBJECT_HANDLE uk = 0;
	assert_int_equal(f->C_CreateObject(s, t, 5, &uk), CKR_OK);
	assert_int_equal(kr_keystore_handles(old, "ksk", &priv, NULL), KR_OK);
	olen = sizeof(out);
	assert_int_equal(f->C_WrapKey(s, &mech, uk, priv, out, &olen), CKR_KEY_NOT_WRAPPABLE);
	f->C_DestroyObject(s, uk);
	/* nor can the user mark a KEK trusted */
	CK_ATTRIBUTE tt[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_KEY_TYPE, &aes, sizeof(aes)},
			     {CKA_TOKEN, &no, 1}, {CKA_WRAP, &yes, 1}, {CKA_VALUE, other, 32},
			     {CKA_TRUSTED, &yes, 1}};
	assert_int_not_equal(f->C_CreateObject(s, tt, 6, &uk), CKR_OK);

	/* the backup, through its encoding */
	assert_int_equal(kr_backup_wrap(old, "ksk", &root, &b), KR_OK);
	assert_int_equal(kr_backup_encode(&b, &buf, &len), KR_OK);
	assert_int_equal(kr_backup_decode(buf, len, &d), KR_OK);
	assert_true(kr_dnskey_same_key(&d.dnskey, &ki.dnskey));
	uint8_t fp[32];
	assert_int_equal(kr_kek_fingerprint(kek, fp), KR_OK);
	assert_memory_equal(d.kek, fp, 32);
	sign(old, "ksk", sig1, &l1);

	/* restore on the other token */
	struct kr_keystore *nt = open_token("new", 1);
	uint8_t wrong[KR_KEK_LEN];
	memcpy(wrong, kek, sizeof(wrong));
	wrong[0] ^= 1;
	assert_int_equal(kr_backup_restore(nt, &d, wrong, NULL, &kn), KR_EDENIED);
	assert_int_equal(kr_backup_restore(nt, &d, kek, NULL, &kn), KR_OK);
	assert_int_equal(secret_keys(nt), 0); /* the KEK is gone */
	assert_int_equal(kr_backup_restore(nt, &d, kek, NULL, &kn), KR_EEXIST);
	assert_int_equal(kr_keystore_find(nt, "ksk", &ko), KR_OK);
	assert_true(kr_dnskey_same_key(&ko.dnskey, &ki.dnskey));
	assert_int_equal(kr_dnskey_keytag(&ko.dnskey), kr_dnskey_keytag(&ki.dnskey));
	assert_int_equal(ko.sensitive, 1);
	assert_int_equal(ko.can_decrypt == 1 || ko.can_unwrap == 1 || ko.can_derive == 1, 0);
	assert_int_equal(ko.wrap_with_trusted, 1);
	sign(nt, "ksk", sig2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(sig1, sig2, l1); /* byte-identical signatures */

	/* a damaged wrapped key: AES-KWP's integrity check refuses it */
	d.wrapped[d.wrapped_len / 2] ^= 0x10;
	assert_int_equal(kr_backup_restore(nt, &d, kek, "ksk-damaged", &kn), KR_EBADSIG);
	assert_int_equal(secret_keys(nt), 0);
	assert_int_equal(kr_keystore_find(nt, "ksk-damaged", &kn), KR_ENOTFOUND);
	/* a container whose DNSKEY is another key's: the restored key does not
	 * sign for it and is destroyed */
	d.wrapped[d.wrapped_len / 2] ^= 0x10;
	d.dnskey = plain.dnskey;
	assert_int_equal(kr_backup_restore(nt, &d, kek, "ksk-other", &kn), KR_EBADSIG);
	assert_int_equal(kr_keystore_find(nt, "ksk-other", &kn), KR_ENOTFOUND);

	/* every truncation of the container is refused */
	for (size_t i = 0; i < len; i++) {
		struct kr_backup e;
		assert_int_not_equal(kr_backup_decode(buf, i, &e), KR_OK);
	}
	free(buf);
	kr_backup_clear(&b);
	kr_backup_clear(&d);
	kr_keystore_close(nt);
	kr_keystore_close(old);
}

/* ECDSA signatures are randomised: the restored key's signature verifies
 * under the original DNSKEY. */
static void test_ecdsa(void **state)
{
	(void)state;
	struct kr_name root;
	struct kr_keyinfo ki, kn;
	struct kr_backup b;
	uint8_t sig[KR_SIG_MAX];
	size_t l = 0;
	static const uint8_t data[] = "the same DNSKEY RRset, signed twice";
	assert_int_equal(kr_name_from_str("example.", &root), KR_OK);
	struct kr_keystore *old = open_token("old", 1);
	assert_int_equal(kr_keystore_generate_ex(old, "ec", KR_ALG_ECDSAP256SHA256, 0,
						 KR_KEYGEN_BACKUP, &ki), KR_OK);
	assert_int_equal(kr_backup_wrap(old, "ec", &root, &b), KR_OK);
	struct kr_keystore *nt = open_token("new", 1);
	assert_int_equal(kr_backup_restore(nt, &b, kek, NULL, &kn), KR_OK);
	sign(nt, "ec", sig, &l);
	assert_int_equal(kr_verify_raw(&ki.dnskey, data, sizeof(data), sig, l), KR_OK);
	kr_backup_clear(&b);
	kr_keystore_close(nt);
	kr_keystore_close(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backup_restore),
		cmocka_unit_test(test_ecdsa),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
