#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "hsm/backup.h"
#include "hsm/p11.h"
#include "hsm/shares.h"
#include "lib/cbor.h"
#include "lib/error.h"

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

int kr_kek_fingerprint(const uint8_t kek[KR_KEK_LEN], uint8_t fp[32])
{
	return kr_card_check("recovery", "", kek, KR_KEK_LEN, fp);
}

void kr_backup_clear(struct kr_backup *b)
{
	if (b == NULL)
		return;
	free(b->wrapped);
	memset(b, 0, sizeof(*b));
}

/* --- container ----------------------------------------------------------------- */

static const char *const backup_keys[] = {"v",	       "type", "label",	    "id",
					  "algorithm", "dnskey", "zone",    "ds",
					  "key-tag",   "mechanism", "wrapped", "kek",
					  "source",    "created"};
#define MECHANISM "CKM_AES_KEY_WRAP_PAD"
#define TYPE "keyroll-key-backup"

int kr_backup_encode(const struct kr_backup *b, uint8_t **out, size_t *len)
{
	if (b == NULL || out == NULL || len == NULL || b->wrapped == NULL)
		return KR_EINVAL;
	uint8_t rdata[4 + KR_PUBKEY_MAX];
	size_t rlen = 0;
	char zone[KR_NAME_MAX * 4 + 2];
	int rc = kr_dnskey_rdata(&b->dnskey, rdata, sizeof(rdata), &rlen);
	if (rc == KR_OK)
		rc = kr_name_to_str(&b->zone, zone, sizeof(zone));
	if (rc != KR_OK)
		return rc;
	cbor_item_t *m = cbor_new_definite_map(14);
	rc = m ? KR_OK : KR_ENOMEM;
#define PUT(k, v) if (rc == KR_OK) rc = kr_cbor_put(m, k, v)
	PUT("v", kr_cbor_uint(1));
	PUT("type", kr_cbor_text(TYPE));
	PUT("label", kr_cbor_text(b->label));
	PUT("id", kr_cbor_bytes(b->id, b->id_len));
	PUT("algorithm", kr_cbor_uint(b->dnskey.algorithm));
	PUT("dnskey", kr_cbor_bytes(rdata, rlen));
	PUT("zone", kr_cbor_text(zone));
	PUT("ds", kr_cbor_bytes(b->ds, sizeof(b->ds)));
	PUT("key-tag", kr_cbor_uint(kr_dnskey_keytag(&b->dnskey)));
	PUT("mechanism", kr_cbor_text(MECHANISM));
	PUT("wrapped", kr_cbor_bytes(b->wrapped, b->wrapped_len));
	PUT("kek", kr_cbor_bytes(b->kek, sizeof(b->kek)));
	PUT("source", kr_cbor_text(b->source));
	PUT("created", kr_cbor_uint(b->created));
#undef PUT
	if (rc == KR_OK)
		rc = kr_cbor_encode(m, out, len);
	if (m != NULL)
		cbor_decref(&m);
	return rc;
}

static int fixed_bytes(const cbor_item_t *m, const char *key, uint8_t *dst, size_t min, size_t max,
		       size_t *got)
{
	uint8_t *p = NULL;
	size_t n = 0;
	int rc = kr_cbor_get_bytes(m, key, max, &p, &n);
	if (rc == KR_OK && n < min)
		rc = KR_EMALFORMED;
	if (rc == KR_OK) {
		memcpy(dst, p, n);
		if (got != NULL)
			*got = n;
	}
	free(p);
	return rc == KR_OK ? KR_OK : KR_EMALFORMED;
}

int kr_backup_decode(const uint8_t *buf, size_t len, struct kr_backup *out)
{
	if (buf == NULL || out == NULL)
		return KR_EINVAL;
	if (len > KR_BACKUP_MAX_SIZE)
		return KR_ETOOBIG;
	struct kr_backup b;
	cbor_item_t *m = NULL;
	char *text = NULL;
	uint8_t rdata[4 + KR_PUBKEY_MAX], ds[KR_DIGEST_MAX];
	size_t rlen = 0, dslen = 0;
	uint64_t v = 0, alg = 0, tag = 0;
	memset(&b, 0, sizeof(b));
	int rc = kr_cbor_decode(buf, len, &m);
	if (rc != KR_OK)
		return rc == KR_ETRUNC ? KR_ETRUNC : KR_EMALFORMED;
	rc = KR_EMALFORMED;
	if (kr_cbor_map_check(m, backup_keys, sizeof(backup_keys) / sizeof(backup_keys[0])) != KR_OK ||
	    kr_cbor_get_uint(m, "v", 1, &v) != KR_OK || v != 1 ||
	    kr_cbor_get_text(m, "type", 64, &text) != KR_OK || strcmp(text, TYPE) != 0)
		goto out;
	free(text);
	text = NULL;
	if (kr_cbor_get_text(m, "mechanism", 64, &text) != KR_OK || strcmp(text, MECHANISM) != 0)
		goto out;
	free(text);
	text = NULL;
	if (kr_cbor_get_text(m, "label", sizeof(b.label) - 1, &text) != KR_OK || text[0] == '\0')
		goto out;
	memcpy(b.label, text, strlen(text) + 1);
	free(text);
	text = NULL;
	if (kr_cbor_get_text(m, "zone", KR_NAME_MAX * 4, &text) != KR_OK ||
	    kr_name_from_str(text, &b.zone) != KR_OK)
		goto out;
	free(text);
	text = NULL;
	if (kr_cbor_get_text(m, "source", sizeof(b.source) - 1, &text) != KR_OK)
		goto out;
	memcpy(b.source, text, strlen(text) + 1);
	if (fixed_bytes(m, "id", b.id, 1, sizeof(b.id), &b.id_len) != KR_OK ||
	    fixed_bytes(m, "dnskey", rdata, 5, sizeof(rdata), &rlen) != KR_OK ||
	    kr_dnskey_from_rdata(rdata, rlen, &b.dnskey) != KR_OK ||
	    fixed_bytes(m, "ds", b.ds, 32, 32, NULL) != KR_OK ||
	    fixed_bytes(m, "kek", b.kek, 32, 32, NULL) != KR_OK ||
	    kr_cbor_get_uint(m, "algorithm", 255, &alg) != KR_OK || alg != b.dnskey.algorithm ||
	    kr_cbor_get_uint(m, "key-tag", 65535, &tag) != KR_OK ||
	    tag != kr_dnskey_keytag(&b.dnskey) ||
	    kr_cbor_get_uint(m, "created", UINT64_MAX, &b.created) != KR_OK ||
	    kr_cbor_get_bytes(m, "wrapped", KR_BACKUP_MAX_SIZE, &b.wrapped, &b.wrapped_len) != KR_OK ||
	    b.wrapped_len < 16 || b.dnskey.flags != (KR_DNSKEY_ZONE | KR_DNSKEY_SEP) ||
	    kr_dnskey_params(&b.dnskey, NULL, NULL) != KR_OK)
		goto out;
	/* the DS the container shows must be the DNSKEY's */
	if (kr_ds_digest(&b.zone, &b.dnskey, KR_DS_SHA256, ds, &dslen) != KR_OK || dslen != 32 ||
	    memcmp(ds, b.ds, 32) != 0)
		goto out;
	*out = b;
	b.wrapped = NULL; /* transferred */
	rc = KR_OK;
out:
	free(text);
	kr_backup_clear(&b);
	cbor_decref(&m);
	return rc;
}

/* --- token side ------------------------------------------------------------------ */

int kr_backup_kek_find(struct kr_keystore *ks, CK_OBJECT_HANDLE *kek, uint8_t fp[32])
{
	CK_FUNCTION_LIST_PTR f = NULL;
	CK_SESSION_HANDLE s = 0;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)},
			    {CKA_LABEL, (void *)KR_KEK_LABEL, strlen(KR_KEK_LABEL)}};
	CK_OBJECT_HANDLE h[2];
	size_t n = 0;
	uint8_t *id = NULL;
	size_t id_len = 0;
	int rc = kr_keystore_p11(ks, &f, &s);
	if (rc == KR_OK)
		rc = kr_p11_find(f, s, t, 2, h, 2, &n);
	if (rc != KR_OK)
		return rc;
	if (n == 0)
		return KR_ENOTFOUND;
	if (n > 1)
		return KR_EEXIST;
	if ((rc = kr_p11_attr(f, s, h[0], CKA_ID, &id, &id_len)) != KR_OK)
		return rc;
	if (id_len != 32)
		rc = KR_EMALFORMED;
	else if (fp != NULL)
		memcpy(fp, id, 32);
	free(id);
	if (rc == KR_OK && kek != NULL)
		*kek = h[0];
	return rc;
}

int kr_backup_kek_install(struct kr_keystore *ks, const char *so_pin, const uint8_t kek[KR_KEK_LEN])
{
	if (ks == NULL || so_pin == NULL || kek == NULL)
		return KR_EINVAL;
	CK_FUNCTION_LIST_PTR f = NULL;
	CK_SESSION_HANDLE s = 0;
	uint8_t fp[32];
	int rc = kr_keystore_p11(ks, &f, &s);
	if (rc != KR_OK || (rc = kr_kek_fingerprint(kek, fp)) != KR_OK)
		return rc;
	rc = kr_backup_kek_find(ks, NULL, NULL);
	if (rc != KR_ENOTFOUND)
		return rc == KR_OK ? KR_EEXIST : rc;
	CK_RV rv = f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin));
	if (rv != CKR_OK)
		return rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED ? KR_EPIN : kr_p11_error(rv);
	/* Trusted (only the SO may say so), wrap only: this token can put a
	 * backup-capable key out under it, but never take anything in. */
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE type = CKK_AES;
	CK_ATTRIBUTE t[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_KEY_TYPE, &type, sizeof(type)},
		{CKA_TOKEN, &yes, sizeof(yes)},
		{CKA_PRIVATE, &no, sizeof(no)},
		{CKA_SENSITIVE, &yes, sizeof(yes)},
		{CKA_EXTRACTABLE, &no, sizeof(no)},
		{CKA_TRUSTED, &yes, sizeof(yes)},
		{CKA_WRAP, &yes, sizeof(yes)},
		{CKA_UNWRAP, &no, sizeof(no)},
		{CKA_ENCRYPT, &no, sizeof(no)},
		{CKA_DECRYPT, &no, sizeof(no)},
		{CKA_SIGN, &no, sizeof(no)},
		{CKA_VERIFY, &no, sizeof(no)},
		{CKA_DERIVE, &no, sizeof(no)},
		{CKA_LABEL, (void *)KR_KEK_LABEL, strlen(KR_KEK_LABEL)},
		{CKA_ID, fp, sizeof(fp)},
		{CKA_VALUE, (void *)kek, KR_KEK_LEN},
	};
	CK_OBJECT_HANDLE h = 0;
	rv = f->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h);
	rc = kr_p11_error(rv);
	f->C_Logout(s);
	return rc;
}

int kr_backup_wrap(struct kr_keystore *ks, const char *label, const struct kr_name *zone,
		   struct kr_backup *b)
{
	if (ks == NULL || label == NULL || zone == NULL || b == NULL || strlen(label) >= sizeof(b->label))
		return KR_EINVAL;
	struct kr_keyinfo ki;
	struct kr_tokeninfo ti;
	CK_FUNCTION_LIST_PTR f = NULL;
	CK_SESSION_HANDLE s = 0;
	CK_OBJECT_HANDLE priv = 0, kek = 0;
	size_t dslen = 0;
	memset(b, 0, sizeof(*b));
	int rc = kr_keystore_find(ks, label, &ki);
	if (rc != KR_OK)
		return rc;
	/* refuse before asking the token: only backup-capable keys leave */
	if (ki.extractable != 1 || ki.wrap_with_trusted != 1)
		return KR_EDENIED;
	if ((rc = kr_backup_kek_find(ks, &kek, b->kek)) != KR_OK ||
	    (rc = kr_keystore_handles(ks, label, &priv, NULL)) != KR_OK ||
	    (rc = kr_keystore_p11(ks, &f, &s)) != KR_OK || (rc = kr_keystore_info(ks, &ti)) != KR_OK)
		return rc;
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
	CK_ULONG n = 0;
	CK_RV rv = f->C_WrapKey(s, &mech, kek, priv, NULL, &n);
	if (rv == CKR_OK && (n == 0 || n > KR_BACKUP_MAX_SIZE / 2))
		rv = CKR_GENERAL_ERROR;
	if (rv == CKR_OK && (b->wrapped = malloc(n)) == NULL)
		return KR_ENOMEM;
	if (rv == CKR_OK)
		rv = f->C_WrapKey(s, &mech, kek, priv, b->wrapped, &n);
	if (rv != CKR_OK) {
		kr_backup_clear(b);
		return rv == CKR_KEY_UNEXTRACTABLE || rv == CKR_KEY_NOT_WRAPPABLE ? KR_EDENIED
										  : kr_p11_error(rv);
	}
	b->wrapped_len = n;
	memcpy(b->label, label, strlen(label) + 1);
	memcpy(b->id, ki.id, ki.id_len);
	b->id_len = ki.id_len;
	b->dnskey = ki.dnskey;
	b->zone = *zone;
	snprintf(b->source, sizeof(b->source), "%s", ti.serial);
	b->created = (uint64_t)time(NULL);
	if ((rc = kr_ds_digest(zone, &b->dnskey, KR_DS_SHA256, b->ds, &dslen)) != KR_OK)
		kr_backup_clear(b);
	return rc;
}

int kr_backup_restore(struct kr_keystore *ks, const struct kr_backup *b,
		      const uint8_t kek[KR_KEK_LEN], const char *label, struct kr_keyinfo *out)
{
	if (ks == NULL || b == NULL || kek == NULL)
		return KR_EINVAL;
	uint8_t fp[32];
	CK_FUNCTION_LIST_PTR f = NULL;
	CK_SESSION_HANDLE s = 0;
	int rc = kr_kek_fingerprint(kek, fp);
	if (rc != KR_OK)
		return rc;
	if (CRYPTO_memcmp(fp, b->kek, sizeof(fp)) != 0)
		return KR_EDENIED;
	if ((rc = kr_keystore_p11(ks, &f, &s)) != KR_OK)
		return rc;
	/* a session key, private, unwrap only: gone with the session at the latest */
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE type = CKK_AES;
	CK_ATTRIBUTE t[] = {
		{CKA_CLASS, &cls, sizeof(cls)},     {CKA_KEY_TYPE, &type, sizeof(type)},
		{CKA_TOKEN, &no, sizeof(no)},       {CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &no, sizeof(no)},
		{CKA_WRAP, &no, sizeof(no)},        {CKA_UNWRAP, &yes, sizeof(yes)},
		{CKA_ENCRYPT, &no, sizeof(no)},     {CKA_DECRYPT, &no, sizeof(no)},
		{CKA_VALUE, (void *)kek, KR_KEK_LEN},
	};
	CK_OBJECT_HANDLE h = 0;
	CK_RV rv = f->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h);
	if (rv != CKR_OK)
		return kr_p11_error(rv);
	rc = kr_keystore_unwrap(ks, label ? label : b->label, b->id, b->id_len, &b->dnskey, h,
				b->wrapped, b->wrapped_len, out);
	rv = f->C_DestroyObject(s, h);
	if (rc == KR_OK && rv != CKR_OK)
		rc = kr_p11_error(rv);
	return rc;
}
