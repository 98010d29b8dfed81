/*
 * The keystore: libp11 finds the token, opens its session and logs in;
 * everything key-related goes through raw PKCS#11 on a second session of the
 * same module (the login is per application and token, so it covers both).
 * Keys are found with C_FindObjects by label and class, never with
 * PKCS11_enumerate_keys, which fails for every key once one Ed25519 key is
 * on the token (libp11 0.4.12).  Signing is raw C_Sign for all algorithms:
 * one path that works on every token, and ECDSA comes back as r||s.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "hsm/keystore.h"
#include "hsm/p11.h"
#include "lib/error.h"

struct kr_keystore {
	struct kr_p11_module *mod;
	CK_FUNCTION_LIST_PTR f;
	PKCS11_SLOT *slots;
	unsigned nslots;
	PKCS11_SLOT *slot;
	CK_SLOT_ID slot_id;
	CK_SESSION_HANDLE s;
	int have_session;
};

/* A signer's context: the private key handle in the keystore's session. */
struct p11_signer {
	struct kr_keystore *ks;
	CK_OBJECT_HANDLE priv, pub;
	unsigned modulus_bytes;
	int ephemeral; /* a session pair, destroyed with the signer */
};

static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
/* PrintableString "edwards25519", the other form PKCS#11 3.0 allows. */
static const uint8_t name_ed25519[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd',
				       's', '2', '5', '5', '1', '9'};

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

#define MAX_OBJECTS 1024

/* --- open, login, close ---------------------------------------------------- */

int kr_keystore_open(const struct kr_keystore_opts *opts, struct kr_keystore **out)
{
	if (opts == NULL || out == NULL || (opts->token_label == NULL && opts->token_serial == NULL))
		return KR_EINVAL;
	struct kr_keystore *ks = calloc(1, sizeof(*ks));
	char why[256];
	int rc = KR_ENOMEM;
	if (ks == NULL)
		goto out;
	rc = kr_p11_module_get(opts->module, &ks->mod, why, sizeof(why));
	if (rc)
		goto out;
	ks->f = ks->mod->f;
	rc = KR_EHSM;
	if (PKCS11_enumerate_slots(ks->mod->ctx, &ks->slots, &ks->nslots) != 0)
		goto out;
	for (unsigned i = 0; i < ks->nslots; i++) {
		PKCS11_TOKEN *t = ks->slots[i].token;
		if (t == NULL || !t->initialized)
			continue;
		if (opts->token_label != NULL && strcmp(t->label, opts->token_label) != 0)
			continue;
		if (opts->token_serial != NULL && strcmp(t->serialnr, opts->token_serial) != 0)
			continue;
		if (ks->slot != NULL) {
			rc = KR_EEXIST; /* two tokens answer to the name */
			goto out;
		}
		ks->slot = &ks->slots[i];
	}
	if (ks->slot == NULL) {
		rc = KR_ENOTFOUND;
		goto out;
	}
	ks->slot_id = PKCS11_get_slotid_from_slot(ks->slot);
	if (PKCS11_open_session(ks->slot, 1) != 0)
		goto out;
	if (ks->f->C_OpenSession(ks->slot_id, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
				 &ks->s) != CKR_OK)
		goto out;
	ks->have_session = 1;
	*out = ks;
	ks = NULL; /* transferred */
	rc = KR_OK;
out:
	kr_keystore_close(ks);
	ERR_clear_error();
	return rc;
}

static int session_logged_in(struct kr_keystore *ks)
{
	CK_SESSION_INFO info;
	if (ks->f->C_GetSessionInfo(ks->s, &info) != CKR_OK)
		return 0;
	return info.state == CKS_RW_USER_FUNCTIONS || info.state == CKS_RO_USER_FUNCTIONS;
}

int kr_keystore_login(struct kr_keystore *ks, const char *pin)
{
	if (ks == NULL || pin == NULL)
		return KR_EINVAL;
	if (PKCS11_login(ks->slot, 0, pin) != 0) {
		unsigned long e = ERR_peek_last_error();
		int rc = KR_EHSM;
		if (e != 0 && ERR_GET_LIB(e) == ERR_get_CKR_code())
			rc = kr_p11_error((CK_RV)ERR_GET_REASON(e));
		ERR_clear_error();
		return rc == KR_EPIN ? KR_EPIN : KR_EHSM;
	}
	/* The raw session must see the login libp11 made. */
	return session_logged_in(ks) ? KR_OK : KR_EHSM;
}

void kr_keystore_close(struct kr_keystore *ks)
{
	if (ks == NULL)
		return;
	/* Closing the application's last session on the token logs it out:
	 * with the last keystore of the module (kr_p11_module_retire_slots). */
	if (ks->have_session)
		ks->f->C_CloseSession(ks->s);
	if (ks->slots != NULL)
		kr_p11_module_retire_slots(ks->mod, ks->slots, ks->nslots);
	kr_p11_module_put(ks->mod);
	free(ks);
}

int kr_keystore_info(struct kr_keystore *ks, struct kr_tokeninfo *out)
{
	if (ks == NULL || out == NULL)
		return KR_EINVAL;
	memset(out, 0, sizeof(*out));
	CK_INFO info;
	CK_TOKEN_INFO ti;
	if (ks->f->C_GetInfo(&info) != CKR_OK || ks->f->C_GetTokenInfo(ks->slot_id, &ti) != CKR_OK)
		return KR_EHSM;
	snprintf(out->module, sizeof(out->module), "%s", ks->mod->path);
	kr_p11_string(info.libraryDescription, sizeof(info.libraryDescription), out->library,
		      sizeof(out->library));
	out->lib_major = info.libraryVersion.major;
	out->lib_minor = info.libraryVersion.minor;
	kr_p11_string(ti.label, sizeof(ti.label), out->label, sizeof(out->label));
	kr_p11_string(ti.manufacturerID, sizeof(ti.manufacturerID), out->manufacturer,
		      sizeof(out->manufacturer));
	kr_p11_string(ti.model, sizeof(ti.model), out->model, sizeof(out->model));
	kr_p11_string(ti.serialNumber, sizeof(ti.serialNumber), out->serial, sizeof(out->serial));
	out->logged_in = session_logged_in(ks);
	return KR_OK;
}

int kr_keystore_p11(struct kr_keystore *ks, CK_FUNCTION_LIST_PTR *funcs, CK_SESSION_HANDLE *session)
{
	if (ks == NULL || funcs == NULL || session == NULL)
		return KR_EINVAL;
	*funcs = ks->f;
	*session = ks->s;
	return KR_OK;
}

/* --- token initialisation -------------------------------------------------- */

static void pad_label(const char *label, CK_UTF8CHAR field[32])
{
	size_t n = strlen(label);
	memset(field, ' ', 32);
	memcpy(field, label, n > 32 ? 32 : n);
}

int kr_keystore_init_token(const char *module, const char *label, const char *so_pin,
			   const char *pin)
{
	if (label == NULL || *label == '\0' || strlen(label) > 32 || so_pin == NULL || pin == NULL)
		return KR_EINVAL;
	struct kr_p11_module *m = NULL;
	CK_SLOT_ID *ids = NULL, free_slot = 0;
	CK_SESSION_HANDLE s = 0;
	int have_free = 0, have_session = 0, rc;
	char why[256];
	rc = kr_p11_module_get(module, &m, why, sizeof(why));
	if (rc)
		return rc;
	CK_FUNCTION_LIST_PTR f = m->f;
	CK_ULONG n = 0;
	rc = KR_EHSM;
	if (f->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_OK)
		goto out;
	ids = calloc(n + 1, sizeof(*ids));
	if (ids == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	if (f->C_GetSlotList(CK_TRUE, ids, &n) != CKR_OK)
		goto out;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (f->C_GetTokenInfo(ids[i], &ti) != CKR_OK)
			continue;
		if (ti.flags & CKF_TOKEN_INITIALIZED) {
			char have[33];
			kr_p11_string(ti.label, sizeof(ti.label), have, sizeof(have));
			if (strcmp(have, label) == 0) {
				rc = KR_EEXIST;
				goto out;
			}
		} else if (!have_free) {
			free_slot = ids[i];
			have_free = 1;
			/* Check the PINs first: a failed C_InitPIN would leave a token behind. */
			size_t so_len = strlen(so_pin), len = strlen(pin);
			if (so_len < ti.ulMinPinLen || so_len > ti.ulMaxPinLen ||
			    len < ti.ulMinPinLen || len > ti.ulMaxPinLen) {
				rc = KR_EPIN;
				goto out;
			}
		}
	}
	if (!have_free) {
		rc = KR_ENOTFOUND;
		goto out;
	}
	CK_UTF8CHAR field[32];
	pad_label(label, field);
	CK_RV rv = f->C_InitToken(free_slot, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin), field);
	if (rv != CKR_OK) {
		rc = kr_p11_error(rv);
		goto out;
	}
	rv = f->C_OpenSession(free_slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK)
		goto out;
	have_session = 1;
	rv = f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin));
	if (rv == CKR_OK)
		rv = f->C_InitPIN(s, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	if (rv != CKR_OK) {
		rc = kr_p11_error(rv);
		goto out;
	}
	f->C_Logout(s);
	rc = KR_OK;
out:
	if (have_session)
		f->C_CloseSession(s);
	free(ids);
	kr_p11_module_put(m);
	return rc;
}

/* --- finding keys and reading them back ------------------------------------ */

static int find_by_label(struct kr_keystore *ks, CK_OBJECT_CLASS cls, const char *label,
			 CK_OBJECT_HANDLE *h, size_t max, size_t *n)
{
	CK_ATTRIBUTE t[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_LABEL, (void *)label, strlen(label)},
	};
	return kr_p11_find(ks->f, ks->s, t, 2, h, max, n);
}

/* The one private key labelled label. */
static int find_private(struct kr_keystore *ks, const char *label, CK_OBJECT_HANDLE *priv)
{
	size_t n = 0;
	int rc = find_by_label(ks, CKO_PRIVATE_KEY, label, priv, 1, &n);
	if (rc)
		return rc;
	if (n == 0)
		return KR_ENOTFOUND;
	return n > 1 ? KR_EEXIST : KR_OK;
}

/* The public key of a pair: same CKA_ID, preferring the same label. */
static int find_public(struct kr_keystore *ks, const char *label, const uint8_t *id, size_t id_len,
		       CK_OBJECT_HANDLE *pub)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE t[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_ID, (void *)id, id_len},
		{CKA_LABEL, (void *)label, strlen(label)},
	};
	size_t n = 0;
	int rc = kr_p11_find(ks->f, ks->s, t, 3, pub, 1, &n);
	if (rc == KR_OK && n == 0)
		rc = kr_p11_find(ks->f, ks->s, t, 2, pub, 1, &n);
	if (rc)
		return rc;
	if (n == 0)
		return KR_ENOTFOUND;
	return n > 1 ? KR_EEXIST : KR_OK;
}

int kr_keystore_handles(struct kr_keystore *ks, const char *label, CK_OBJECT_HANDLE *priv,
			CK_OBJECT_HANDLE *pub)
{
	if (ks == NULL || label == NULL || priv == NULL)
		return KR_EINVAL;
	int rc = find_private(ks, label, priv);
	if (rc || pub == NULL)
		return rc;
	uint8_t *id = NULL;
	size_t id_len = 0;
	rc = kr_p11_attr(ks->f, ks->s, *priv, CKA_ID, &id, &id_len);
	if (rc == KR_OK)
		rc = find_public(ks, label, id, id_len, pub);
	free(id);
	return rc;
}

/* The EC point of CKA_EC_POINT: DER OCTET STRING (the standard) or raw. */
static int ec_point(const uint8_t *p, size_t len, size_t want, const uint8_t **out)
{
	if (len == want) {
		*out = p;
		return KR_OK;
	}
	if (len == want + 2 && p[0] == 0x04 && p[1] == want && want < 128) {
		*out = p + 2;
		return KR_OK;
	}
	if (len == want + 3 && p[0] == 0x04 && p[1] == 0x81 && p[2] == want) {
		*out = p + 3;
		return KR_OK;
	}
	return KR_EMALFORMED;
}

static int same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* DNSSEC algorithm recorded in a keyroll CKA_ID, or 0. */
static uint8_t id_alg(const uint8_t *id, size_t len)
{
	if (len == KR_KEYID_PREFIX_LEN + KR_KEYID_RANDOM_LEN && id[0] == 'K' && id[1] == 'R' &&
	    id[2] == 0x01)
		return id[3];
	return 0;
}

static void rsa_pubkey(const uint8_t *e, size_t elen, const uint8_t *n, size_t nlen,
		       struct kr_dnskey *k, int *rc)
{
	while (elen > 0 && *e == 0)
		e++, elen--;
	while (nlen > 0 && *n == 0)
		n++, nlen--;
	size_t off = elen < 256 ? 1 : 3;
	if (elen == 0 || nlen == 0 || off + elen + nlen > KR_PUBKEY_MAX) {
		*rc = KR_EMALFORMED;
		return;
	}
	if (off == 1) {
		k->pubkey[0] = (uint8_t)elen;
	} else {
		k->pubkey[0] = 0;
		k->pubkey[1] = (uint8_t)(elen >> 8);
		k->pubkey[2] = (uint8_t)elen;
	}
	memcpy(k->pubkey + off, e, elen);
	memcpy(k->pubkey + off + elen, n, nlen);
	k->pubkey_len = (uint16_t)(off + elen + nlen);
	*rc = KR_OK;
}

/* Public DNSKEY of a pair from the token's attributes.  Leaves algorithm 0
 * for key types keyroll does not sign with. */
static int load_public(struct kr_keystore *ks, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub,
		       int have_pub, CK_KEY_TYPE type, uint8_t recorded, struct kr_keyinfo *ki)
{
	CK_FUNCTION_LIST_PTR f = ks->f;
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	int rc = KR_OK;
	struct kr_dnskey *k = &ki->dnskey;
	k->flags = KR_DNSKEY_ZONE | KR_DNSKEY_SEP;
	k->protocol = 3;
	if (type == CKK_RSA) {
		/* Modulus and exponent are public attributes of the private key too. */
		CK_OBJECT_HANDLE o = have_pub ? pub : priv;
		if ((rc = kr_p11_attr(f, ks->s, o, CKA_PUBLIC_EXPONENT, &a, &alen)) ||
		    (rc = kr_p11_attr(f, ks->s, o, CKA_MODULUS, &b, &blen)))
			goto out;
		rsa_pubkey(a, alen, b, blen, k, &rc);
		if (rc)
			goto out;
		k->algorithm = recorded == KR_ALG_RSASHA512 ? KR_ALG_RSASHA512 : KR_ALG_RSASHA256;
	} else if (type == CKK_EC || type == CKK_EC_EDWARDS) {
		if (!have_pub) {
			rc = KR_ENOTFOUND; /* EC private keys do not carry the point */
			goto out;
		}
		if ((rc = kr_p11_attr(f, ks->s, pub, CKA_EC_PARAMS, &a, &alen)) ||
		    (rc = kr_p11_attr(f, ks->s, pub, CKA_EC_POINT, &b, &blen)))
			goto out;
		uint8_t alg = 0;
		size_t want = 0;
		if (type == CKK_EC && same_bytes(a, alen, oid_p256, sizeof(oid_p256)))
			alg = KR_ALG_ECDSAP256SHA256, want = 65;
		else if (type == CKK_EC && same_bytes(a, alen, oid_p384, sizeof(oid_p384)))
			alg = KR_ALG_ECDSAP384SHA384, want = 97;
		else if (type == CKK_EC_EDWARDS &&
			 (same_bytes(a, alen, oid_ed25519, sizeof(oid_ed25519)) ||
			  same_bytes(a, alen, name_ed25519, sizeof(name_ed25519))))
			alg = KR_ALG_ED25519, want = 32;
		if (alg == 0)
			goto out; /* another curve: listed, not usable */
		const uint8_t *pt = NULL;
		if ((rc = ec_point(b, blen, want, &pt)))
			goto out;
		if (alg == KR_ALG_ED25519) {
			memcpy(k->pubkey, pt, 32);
			k->pubkey_len = 32;
		} else {
			if (pt[0] != 0x04) {
				rc = KR_EMALFORMED; /* only uncompressed points */
				goto out;
			}
			memcpy(k->pubkey, pt + 1, want - 1);
			k->pubkey_len = (uint16_t)(want - 1);
		}
		k->algorithm = alg;
	}
	if (k->algorithm != 0 && (rc = kr_dnskey_params(k, &ki->bits, NULL)))
		goto out;
	ki->algorithm = k->algorithm;
out:
	free(a);
	free(b);
	return rc;
}

static int load_keyinfo(struct kr_keystore *ks, CK_OBJECT_HANDLE priv, struct kr_keyinfo *ki)
{
	CK_FUNCTION_LIST_PTR f = ks->f;
	uint8_t *label = NULL, *id = NULL;
	size_t label_len = 0, id_len = 0;
	CK_KEY_TYPE type = 0;
	CK_ATTRIBUTE ta = {CKA_KEY_TYPE, &type, sizeof(type)};
	CK_OBJECT_HANDLE pub = 0;
	int rc;
	memset(ki, 0, sizeof(*ki));
	if (f->C_GetAttributeValue(ks->s, priv, &ta, 1) != CKR_OK)
		return KR_EHSM;
	rc = kr_p11_attr(f, ks->s, priv, CKA_LABEL, &label, &label_len);
	if (rc == KR_ENOTFOUND)
		rc = KR_OK, label_len = 0;
	if (rc)
		goto out;
	rc = kr_p11_attr(f, ks->s, priv, CKA_ID, &id, &id_len);
	if (rc == KR_ENOTFOUND)
		rc = KR_OK, id_len = 0;
	if (rc)
		goto out;
	if (label_len >= sizeof(ki->label) || id_len > sizeof(ki->id)) {
		rc = KR_ETOOBIG;
		goto out;
	}
	if (label_len > 0)
		memcpy(ki->label, label, label_len);
	if (id_len > 0)
		memcpy(ki->id, id, id_len);
	ki->id_len = id_len;
	int have_pub = find_public(ks, ki->label, ki->id, id_len, &pub) == KR_OK;
	rc = load_public(ks, priv, pub, have_pub, type, id_alg(ki->id, id_len), ki);
	if (rc)
		goto out;
	ki->sensitive = kr_p11_bool(f, ks->s, priv, CKA_SENSITIVE);
	ki->always_sensitive = kr_p11_bool(f, ks->s, priv, CKA_ALWAYS_SENSITIVE);
	ki->extractable = kr_p11_bool(f, ks->s, priv, CKA_EXTRACTABLE);
	ki->never_extractable = kr_p11_bool(f, ks->s, priv, CKA_NEVER_EXTRACTABLE);
	ki->can_sign = kr_p11_bool(f, ks->s, priv, CKA_SIGN);
	ki->can_decrypt = kr_p11_bool(f, ks->s, priv, CKA_DECRYPT);
	ki->can_unwrap = kr_p11_bool(f, ks->s, priv, CKA_UNWRAP);
	ki->can_derive = kr_p11_bool(f, ks->s, priv, CKA_DERIVE);
	ki->local = kr_p11_bool(f, ks->s, priv, CKA_LOCAL);
	ki->wrap_with_trusted = kr_p11_bool(f, ks->s, priv, CKA_WRAP_WITH_TRUSTED);
out:
	free(label);
	free(id);
	return rc;
}

static int keyinfo_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kr_keyinfo *)a)->label, ((const struct kr_keyinfo *)b)->label);
}

int kr_keystore_list(struct kr_keystore *ks, struct kr_keyinfo **keys, size_t *n)
{
	if (ks == NULL || keys == NULL || n == NULL)
		return KR_EINVAL;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)}};
	CK_OBJECT_HANDLE *h = calloc(MAX_OBJECTS, sizeof(*h));
	struct kr_keyinfo *ki = NULL;
	size_t found = 0;
	int rc = KR_ENOMEM;
	if (h == NULL)
		goto out;
	rc = kr_p11_find(ks->f, ks->s, t, 1, h, MAX_OBJECTS, &found);
	if (rc)
		goto out;
	if (found > MAX_OBJECTS) {
		rc = KR_ETOOBIG;
		goto out;
	}
	ki = calloc(found ? found : 1, sizeof(*ki));
	if (ki == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < found; i++) {
		rc = load_keyinfo(ks, h[i], &ki[i]);
		if (rc)
			goto out;
	}
	qsort(ki, found, sizeof(*ki), keyinfo_cmp);
	*keys = ki;
	*n = found;
	ki = NULL; /* transferred */
	rc = KR_OK;
out:
	free(ki);
	free(h);
	return rc;
}

int kr_keystore_find(struct kr_keystore *ks, const char *label, struct kr_keyinfo *out)
{
	if (ks == NULL || label == NULL || out == NULL)
		return KR_EINVAL;
	CK_OBJECT_HANDLE priv = 0;
	int rc = find_private(ks, label, &priv);
	if (rc)
		return rc;
	return load_keyinfo(ks, priv, out);
}

/* --- generation and import ------------------------------------------------- */

static int check_label(struct kr_keystore *ks, const char *label)
{
	size_t len = strlen(label);
	if (len == 0 || len >= sizeof(((struct kr_keyinfo *)0)->label))
		return KR_EINVAL;
	CK_ATTRIBUTE t[] = {{CKA_LABEL, (void *)label, len}};
	CK_OBJECT_HANDLE h;
	size_t n = 0;
	int rc = kr_p11_find(ks->f, ks->s, t, 1, &h, 1, &n);
	if (rc)
		return rc;
	return n > 0 ? KR_EEXIST : KR_OK;
}

static int make_id(uint8_t alg, uint8_t id[KR_KEYID_PREFIX_LEN + KR_KEYID_RANDOM_LEN])
{
	id[0] = 'K';
	id[1] = 'R';
	id[2] = 0x01;
	id[3] = alg;
	return RAND_bytes(id + KR_KEYID_PREFIX_LEN, KR_KEYID_RANDOM_LEN) == 1 ? KR_OK : KR_ECRYPTO;
}

/* Public template entries shared by generation and import (first n_pub_common). */
#define PUB_COMMON(label, id)                                                                    \
	{CKA_TOKEN, &yes, sizeof(yes)}, {CKA_PRIVATE, &no, sizeof(no)},                          \
		{CKA_VERIFY, &yes, sizeof(yes)}, {CKA_ENCRYPT, &no, sizeof(no)},                 \
		{CKA_WRAP, &no, sizeof(no)}, {CKA_LABEL, (void *)(label), strlen(label)},        \
		{CKA_ID, (id), KR_KEYID_PREFIX_LEN + KR_KEYID_RANDOM_LEN}
#define PRIV_COMMON(label, id)                                                                   \
	{CKA_TOKEN, &yes, sizeof(yes)}, {CKA_PRIVATE, &yes, sizeof(yes)},                        \
		{CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &no, sizeof(no)},          \
		{CKA_SIGN, &yes, sizeof(yes)}, {CKA_DECRYPT, &no, sizeof(no)},                   \
		{CKA_UNWRAP, &no, sizeof(no)}, {CKA_DERIVE, &no, sizeof(no)},                    \
		{CKA_LABEL, (void *)(label), strlen(label)},                                     \
		{CKA_ID, (id), KR_KEYID_PREFIX_LEN + KR_KEYID_RANDOM_LEN}

/* Read back what the token made: a KSK that is not locked in is destroyed. */
static int check_made(struct kr_keystore *ks, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub,
		      struct kr_keyinfo *out)
{
	struct kr_keyinfo ki;
	int rc = load_keyinfo(ks, priv, &ki);
	/* extractable only for a backup-capable key, which the token lets out
	 * under a trusted KEK alone */
	int locked = ki.extractable == 0 || (ki.extractable == 1 && ki.wrap_with_trusted == 1);
	if (rc == KR_OK && (ki.sensitive != 1 || !locked || ki.can_sign != 1 ||
			    ki.can_decrypt == 1 || ki.can_unwrap == 1 || ki.can_derive == 1 ||
			    ki.algorithm == 0))
		rc = KR_EDENIED;
	if (rc) {
		ks->f->C_DestroyObject(ks->s, priv);
		ks->f->C_DestroyObject(ks->s, pub);
		return rc;
	}
	if (out != NULL)
		*out = ki;
	return KR_OK;
}

/* Check alg and bits (0 = the default size); bits gets the size to make. */
static int check_size(uint8_t alg, unsigned *bits)
{
	if (!kr_alg_supported(alg))
		return KR_EALG;
	if (alg == KR_ALG_RSASHA256 || alg == KR_ALG_RSASHA512) {
		if (*bits == 0)
			*bits = 2048;
		return *bits < 2048 || *bits > 4096 ? KR_ERANGE : KR_OK;
	}
	unsigned fixed = alg == KR_ALG_ECDSAP384SHA384 ? 384 : 256;
	if (*bits != 0 && *bits != fixed)
		return KR_ERANGE;
	*bits = fixed;
	return KR_OK;
}

/* The KSK private template with its backup-capable variant: EXTRACTABLE
 * (entry 3) true only together with WRAP_WITH_TRUSTED. */
#define PRIV_EXTRACTABLE 3
static void backup_template(CK_ATTRIBUTE *priv, CK_ULONG *n)
{
	priv[PRIV_EXTRACTABLE].pValue = &yes;
	priv[(*n)++] = (CK_ATTRIBUTE){CKA_WRAP_WITH_TRUSTED, &yes, sizeof(yes)};
}

/* C_GenerateKeyPair with the KSK template; on_token 0 makes a session pair. */
static int gen_pair(struct kr_keystore *ks, const char *label, uint8_t *id, uint8_t alg,
		    unsigned bits, int on_token, unsigned flags, CK_OBJECT_HANDLE *hpriv,
		    CK_OBJECT_HANDLE *hpub)
{
	CK_ULONG modulus_bits = bits;
	static const uint8_t f4[] = {0x01, 0x00, 0x01};
	CK_MECHANISM mech = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE pub[10] = {PUB_COMMON(label, id)};
	CK_ATTRIBUTE priv[12] = {PRIV_COMMON(label, id)};
	CK_ULONG npub = 7, npriv = 10;
	if (!on_token) {
		pub[0].pValue = &no;
		priv[0].pValue = &no;
	}
	if (flags & KR_KEYGEN_BACKUP)
		backup_template(priv, &npriv);
	if (alg == KR_ALG_RSASHA256 || alg == KR_ALG_RSASHA512) {
		pub[npub++] = (CK_ATTRIBUTE){CKA_MODULUS_BITS, &modulus_bits, sizeof(modulus_bits)};
		pub[npub++] = (CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, (void *)f4, sizeof(f4)};
	} else if (alg == KR_ALG_ED25519) {
		mech.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
		pub[npub++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)oid_ed25519, sizeof(oid_ed25519)};
	} else {
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		if (alg == KR_ALG_ECDSAP256SHA256)
			pub[npub++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256)};
		else
			pub[npub++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)oid_p384, sizeof(oid_p384)};
	}
	CK_RV rv = ks->f->C_GenerateKeyPair(ks->s, &mech, pub, npub, priv, npriv, hpub, hpriv);
	return kr_p11_error(rv);
}

int kr_keystore_generate(struct kr_keystore *ks, const char *label, uint8_t alg, unsigned bits,
			 struct kr_keyinfo *out)
{
	return kr_keystore_generate_ex(ks, label, alg, bits, 0, out);
}

int kr_keystore_generate_ex(struct kr_keystore *ks, const char *label, uint8_t alg, unsigned bits,
			    unsigned flags, struct kr_keyinfo *out)
{
	if (ks == NULL || label == NULL || (flags & ~(unsigned)KR_KEYGEN_BACKUP) != 0)
		return KR_EINVAL;
	int rc = check_size(alg, &bits);
	if (rc == KR_OK)
		rc = check_label(ks, label);
	if (rc)
		return rc;
	uint8_t id[KR_KEYID_PREFIX_LEN + KR_KEYID_RANDOM_LEN];
	CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
	if ((rc = make_id(alg, id)) ||
	    (rc = gen_pair(ks, label, id, alg, bits, 1, flags, &hpriv, &hpub)))
		return rc;
	return check_made(ks, hpriv, hpub, out);
}

/* A big number of an OpenSSL key as big-endian bytes in buf (wiped by the caller). */
static int bn_param(EVP_PKEY *pkey, const char *name, uint8_t *buf, size_t size, size_t *len)
{
	BIGNUM *bn = NULL;
	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		return KR_ECRYPTO;
	int n = BN_num_bytes(bn);
	int rc = KR_OK;
	if (n <= 0 || (size_t)n > size)
		rc = KR_ETOOBIG;
	else
		*len = (size_t)BN_bn2bin(bn, buf);
	BN_clear_free(bn);
	return rc;
}

int kr_keystore_import(struct kr_keystore *ks, const char *label, uint8_t alg, EVP_PKEY *pkey,
		       struct kr_keyinfo *out)
{
	if (ks == NULL || label == NULL || pkey == NULL)
		return KR_EINVAL;
	/* The public half first: it checks the algorithm fits the key. */
	struct kr_dnskey dk;
	int rc = kr_dnskey_from_pkey(pkey, alg, KR_DNSKEY_ZONE | KR_DNSKEY_SEP, &dk);
	if (rc)
		return rc == KR_EINVAL ? KR_EALG : rc;
	unsigned bits = 0;
	if ((rc = kr_dnskey_params(&dk, &bits, NULL)))
		return rc;
	int rsa = alg == KR_ALG_RSASHA256 || alg == KR_ALG_RSASHA512;
	if (rsa && (bits < 2048 || bits > 4096))
		return KR_ERANGE;
	if ((rc = check_label(ks, label)))
		return rc;
	uint8_t id[KR_KEYID_PREFIX_LEN + KR_KEYID_RANDOM_LEN];
	if ((rc = make_id(alg, id)))
		return rc;

	/* Private parts, in one buffer wiped at the end. */
	enum { PART = 1024 };
	uint8_t *sec = OPENSSL_secure_zalloc(8 * PART);
	uint8_t pubbuf[1 + 2 + 97];
	size_t len[8] = {0};
	CK_OBJECT_CLASS cpriv = CKO_PRIVATE_KEY, cpub = CKO_PUBLIC_KEY;
	CK_KEY_TYPE type = rsa ? CKK_RSA : alg == KR_ALG_ED25519 ? CKK_EC_EDWARDS : CKK_EC;
	CK_ATTRIBUTE tpriv[24] = {PRIV_COMMON(label, id)};
	CK_ATTRIBUTE tpub[16] = {PUB_COMMON(label, id)};
	CK_ULONG npriv = 10, npub = 7;
	CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
	if (sec == NULL)
		return KR_ENOMEM;
	tpriv[npriv++] = (CK_ATTRIBUTE){CKA_CLASS, &cpriv, sizeof(cpriv)};
	tpriv[npriv++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &type, sizeof(type)};
	tpub[npub++] = (CK_ATTRIBUTE){CKA_CLASS, &cpub, sizeof(cpub)};
	tpub[npub++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &type, sizeof(type)};
	if (rsa) {
		static const struct {
			const char *param;
			CK_ATTRIBUTE_TYPE attr;
		} parts[8] = {
			{OSSL_PKEY_PARAM_RSA_N, CKA_MODULUS},
			{OSSL_PKEY_PARAM_RSA_E, CKA_PUBLIC_EXPONENT},
			{OSSL_PKEY_PARAM_RSA_D, CKA_PRIVATE_EXPONENT},
			{OSSL_PKEY_PARAM_RSA_FACTOR1, CKA_PRIME_1},
			{OSSL_PKEY_PARAM_RSA_FACTOR2, CKA_PRIME_2},
			{OSSL_PKEY_PARAM_RSA_EXPONENT1, CKA_EXPONENT_1},
			{OSSL_PKEY_PARAM_RSA_EXPONENT2, CKA_EXPONENT_2},
			{OSSL_PKEY_PARAM_RSA_COEFFICIENT1, CKA_COEFFICIENT},
		};
		for (int i = 0; i < 8; i++) {
			rc = bn_param(pkey, parts[i].param, sec + i * PART, PART, &len[i]);
			if (rc)
				goto out;
			tpriv[npriv++] = (CK_ATTRIBUTE){parts[i].attr, sec + i * PART, len[i]};
			if (i < 2)
				tpub[npub++] = (CK_ATTRIBUTE){parts[i].attr, sec + i * PART, len[i]};
		}
	} else {
		const uint8_t *params = alg == KR_ALG_ED25519	       ? oid_ed25519
					: alg == KR_ALG_ECDSAP256SHA256 ? oid_p256
									 : oid_p384;
		size_t plen = alg == KR_ALG_ED25519	       ? sizeof(oid_ed25519)
			      : alg == KR_ALG_ECDSAP256SHA256 ? sizeof(oid_p256)
							       : sizeof(oid_p384);
		size_t field = alg == KR_ALG_ECDSAP384SHA384 ? 48 : 32;
		if (alg == KR_ALG_ED25519) {
			len[0] = PART;
			if (EVP_PKEY_get_raw_private_key(pkey, sec, &len[0]) != 1 || len[0] != 32) {
				rc = KR_ECRYPTO;
				goto out;
			}
			pubbuf[0] = 0x04;
			pubbuf[1] = 32;
			memcpy(pubbuf + 2, dk.pubkey, 32);
			len[1] = 34;
		} else {
			/* CKA_VALUE: the scalar, left-padded to the field size. */
			size_t dl = 0;
			if ((rc = bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, sec + PART, PART, &dl)))
				goto out;
			if (dl > field) {
				rc = KR_EMALFORMED;
				goto out;
			}
			memcpy(sec + field - dl, sec + PART, dl);
			OPENSSL_cleanse(sec + PART, dl);
			len[0] = field;
			pubbuf[0] = 0x04;
			pubbuf[1] = (uint8_t)(1 + 2 * field);
			pubbuf[2] = 0x04;
			memcpy(pubbuf + 3, dk.pubkey, 2 * field);
			len[1] = 3 + 2 * field;
		}
		tpriv[npriv++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)params, plen};
		tpriv[npriv++] = (CK_ATTRIBUTE){CKA_VALUE, sec, len[0]};
		tpub[npub++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)params, plen};
		tpub[npub++] = (CK_ATTRIBUTE){CKA_EC_POINT, pubbuf, len[1]};
	}
	CK_RV rv = ks->f->C_CreateObject(ks->s, tpub, npub, &hpub);
	if (rv != CKR_OK) {
		rc = kr_p11_error(rv);
		goto out;
	}
	rv = ks->f->C_CreateObject(ks->s, tpriv, npriv, &hpriv);
	if (rv != CKR_OK) {
		ks->f->C_DestroyObject(ks->s, hpub);
		rc = kr_p11_error(rv);
		goto out;
	}
	rc = check_made(ks, hpriv, hpub, out);
	/* The token must hold the very key that was imported. */
	if (rc == KR_OK && out != NULL && !kr_dnskey_same_key(&out->dnskey, &dk)) {
		ks->f->C_DestroyObject(ks->s, hpriv);
		ks->f->C_DestroyObject(ks->s, hpub);
		rc = KR_EHSM;
	}
out:
	OPENSSL_secure_clear_free(sec, 8 * PART);
	return rc;
}

/* The public key object of dnskey (RSA: modulus and exponent; EC and
 * Ed25519: parameters and point), labelled, on the token. */
static int create_public(struct kr_keystore *ks, const char *label, const uint8_t *id,
			 size_t id_len, const struct kr_dnskey *k, CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	uint8_t alg = k->algorithm;
	int rsa = alg == KR_ALG_RSASHA256 || alg == KR_ALG_RSASHA512;
	CK_KEY_TYPE type = rsa ? CKK_RSA : alg == KR_ALG_ED25519 ? CKK_EC_EDWARDS : CKK_EC;
	CK_ATTRIBUTE t[12] = {PUB_COMMON(label, (void *)id)};
	CK_ULONG n = 7;
	uint8_t point[3 + 96];
	t[6].ulValueLen = id_len;
	t[n++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
	t[n++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &type, sizeof(type)};
	if (rsa) {
		const uint8_t *p = k->pubkey;
		size_t elen = p[0], off = 1;
		if (elen == 0) {
			if (k->pubkey_len < 3)
				return KR_EMALFORMED;
			elen = (size_t)p[1] << 8 | p[2];
			off = 3;
		}
		if (off + elen >= k->pubkey_len)
			return KR_EMALFORMED;
		t[n++] = (CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, (void *)(p + off), elen};
		t[n++] = (CK_ATTRIBUTE){CKA_MODULUS, (void *)(p + off + elen), k->pubkey_len - off - elen};
	} else {
		size_t plen = k->pubkey_len, hdr = alg == KR_ALG_ED25519 ? 2 : 3;
		if (plen + 1 > 0x7f || plen > sizeof(point) - 3)
			return KR_EMALFORMED;
		point[0] = 0x04; /* DER OCTET STRING around the point */
		point[1] = (uint8_t)(plen + hdr - 2);
		point[2] = 0x04; /* uncompressed point (dropped below for Ed25519) */
		memcpy(point + hdr, k->pubkey, plen);
		const uint8_t *params = alg == KR_ALG_ED25519	       ? oid_ed25519
					: alg == KR_ALG_ECDSAP256SHA256 ? oid_p256
									 : oid_p384;
		size_t pl = alg == KR_ALG_ED25519	       ? sizeof(oid_ed25519)
			    : alg == KR_ALG_ECDSAP256SHA256 ? sizeof(oid_p256)
							     : sizeof(oid_p384);
		t[n++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)params, pl};
		t[n++] = (CK_ATTRIBUTE){CKA_EC_POINT, point, plen + hdr};
	}
	return kr_p11_error(ks->f->C_CreateObject(ks->s, t, n, out));
}

int kr_keystore_unwrap(struct kr_keystore *ks, const char *label, const uint8_t *id, size_t id_len,
		       const struct kr_dnskey *dnskey, CK_OBJECT_HANDLE kek, const uint8_t *wrapped,
		       size_t wrapped_len, struct kr_keyinfo *out)
{
	if (ks == NULL || label == NULL || id == NULL || id_len == 0 || id_len > 64 ||
	    dnskey == NULL || wrapped == NULL || !kr_alg_supported(dnskey->algorithm))
		return KR_EINVAL;
	int rc = check_label(ks, label);
	if (rc)
		return rc;
	uint8_t alg = dnskey->algorithm;
	int rsa = alg == KR_ALG_RSASHA256 || alg == KR_ALG_RSASHA512;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE type = rsa ? CKK_RSA : alg == KR_ALG_ED25519 ? CKK_EC_EDWARDS : CKK_EC;
	CK_ATTRIBUTE priv[14] = {PRIV_COMMON(label, (void *)id)};
	CK_ULONG n = 10;
	priv[9].ulValueLen = id_len;
	backup_template(priv, &n);
	priv[n++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
	priv[n++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &type, sizeof(type)};
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
	CK_OBJECT_HANDLE hpriv = 0, hpub = 0;
	CK_RV rv = ks->f->C_UnwrapKey(ks->s, &mech, kek, (CK_BYTE_PTR)wrapped, wrapped_len, priv, n,
				      &hpriv);
	/* SoftHSM 2.6.1 reports a failed AES-KWP integrity check (a damaged or
	 * forged wrapped key) as CKR_GENERAL_ERROR; the caller has already
	 * checked the KEK is the right one. */
	if (rv != CKR_OK)
		return rv == CKR_WRAPPED_KEY_INVALID || rv == CKR_WRAPPED_KEY_LEN_RANGE ||
				       rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_GENERAL_ERROR
			       ? KR_EBADSIG
			       : kr_p11_error(rv);
	if ((rc = create_public(ks, label, id, id_len, dnskey, &hpub)) != KR_OK) {
		ks->f->C_DestroyObject(ks->s, hpriv);
		return rc;
	}
	struct kr_keyinfo ki;
	if ((rc = check_made(ks, hpriv, hpub, &ki)) != KR_OK)
		return rc;
	/* The private key must sign for the public key the backup names. */
	static const uint8_t probe[] = "keyroll restore: does the private key match its DNSKEY?";
	struct kr_signer sg;
	uint8_t sig[KR_SIG_MAX];
	size_t sig_len = sizeof(sig);
	rc = kr_keystore_signer(ks, label, KR_DNSKEY_ZONE | KR_DNSKEY_SEP, &sg);
	if (rc == KR_OK) {
		rc = sg.sign(sg.ctx, alg, probe, sizeof(probe), sig, &sig_len);
		if (rc == KR_OK)
			rc = kr_verify_raw(dnskey, probe, sizeof(probe), sig, sig_len);
		kr_keystore_signer_free(&sg);
	}
	if (rc != KR_OK) {
		ks->f->C_DestroyObject(ks->s, hpriv);
		ks->f->C_DestroyObject(ks->s, hpub);
		return KR_EBADSIG;
	}
	if (out != NULL)
		*out = ki;
	return KR_OK;
}

int kr_keystore_delete(struct kr_keystore *ks, const char *label)
{
	if (ks == NULL || label == NULL)
		return KR_EINVAL;
	CK_OBJECT_HANDLE priv = 0, pub = 0;
	size_t n = 0;
	int rc = find_private(ks, label, &priv);
	if (rc == KR_ENOTFOUND) {
		/* A lone public key under the label still goes. */
		rc = find_by_label(ks, CKO_PUBLIC_KEY, label, &pub, 1, &n);
		if (rc)
			return rc;
		if (n != 1)
			return n == 0 ? KR_ENOTFOUND : KR_EEXIST;
		return kr_p11_error(ks->f->C_DestroyObject(ks->s, pub));
	}
	if (rc)
		return rc;
	uint8_t *id = NULL;
	size_t id_len = 0;
	rc = kr_p11_attr(ks->f, ks->s, priv, CKA_ID, &id, &id_len);
	int have_pub = rc == KR_OK && find_public(ks, label, id, id_len, &pub) == KR_OK;
	free(id);
	if (rc && rc != KR_ENOTFOUND)
		return rc;
	/* The private half first: once it is gone the key cannot sign. */
	CK_RV rv = ks->f->C_DestroyObject(ks->s, priv);
	if (rv == CKR_OK && have_pub)
		rv = ks->f->C_DestroyObject(ks->s, pub);
	return kr_p11_error(rv);
}

/* --- signing --------------------------------------------------------------- */

static int p11_sign(void *ctx, uint8_t alg, const uint8_t *data, size_t len, uint8_t *sig,
		    size_t *sig_len)
{
	struct p11_signer *ps = ctx;
	CK_FUNCTION_LIST_PTR f = ps->ks->f;
	CK_MECHANISM mech = {0, NULL, 0};
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	size_t want = 0;
	const uint8_t *in = data;
	CK_ULONG inlen = len;
	switch (alg) {
	case KR_ALG_RSASHA256:
		mech.mechanism = CKM_SHA256_RSA_PKCS;
		want = ps->modulus_bytes;
		break;
	case KR_ALG_RSASHA512:
		mech.mechanism = CKM_SHA512_RSA_PKCS;
		want = ps->modulus_bytes;
		break;
	case KR_ALG_ECDSAP256SHA256:
	case KR_ALG_ECDSAP384SHA384:
		/* SoftHSM's CKM_ECDSA signs a host-side hash and answers r||s. */
		mech.mechanism = CKM_ECDSA;
		want = alg == KR_ALG_ECDSAP256SHA256 ? 64 : 96;
		if (EVP_Digest(data, len, md, &mdlen,
			       alg == KR_ALG_ECDSAP256SHA256 ? EVP_sha256() : EVP_sha384(),
			       NULL) != 1)
			return KR_ECRYPTO;
		in = md;
		inlen = mdlen;
		break;
	case KR_ALG_ED25519:
		mech.mechanism = CKM_EDDSA;
		want = 64;
		break;
	default:
		return KR_EALG;
	}
	if (*sig_len < want)
		return KR_ETOOBIG;
	CK_RV rv = f->C_SignInit(ps->ks->s, &mech, ps->priv);
	if (rv != CKR_OK)
		return kr_p11_error(rv);
	CK_ULONG out_len = (CK_ULONG)*sig_len;
	rv = f->C_Sign(ps->ks->s, (CK_BYTE_PTR)in, inlen, sig, &out_len);
	if (rv != CKR_OK)
		return kr_p11_error(rv);
	if (out_len != want)
		return KR_EHSM;
	*sig_len = out_len;
	return KR_OK;
}

int kr_keystore_signer(struct kr_keystore *ks, const char *label, uint16_t flags,
		       struct kr_signer *out)
{
	if (ks == NULL || label == NULL || out == NULL)
		return KR_EINVAL;
	if (!(flags & KR_DNSKEY_ZONE) ||
	    (flags & ~(KR_DNSKEY_ZONE | KR_DNSKEY_SEP | KR_DNSKEY_REVOKE)) != 0)
		return KR_EINVAL;
	struct kr_keyinfo ki;
	CK_OBJECT_HANDLE priv = 0;
	int rc = find_private(ks, label, &priv);
	if (rc == KR_OK)
		rc = load_keyinfo(ks, priv, &ki);
	if (rc)
		return rc;
	if (ki.algorithm == 0)
		return KR_EALG;
	if (ki.can_sign != 1)
		return KR_EDENIED;
	struct p11_signer *ps = calloc(1, sizeof(*ps));
	if (ps == NULL)
		return KR_ENOMEM;
	ps->ks = ks;
	ps->priv = priv;
	ps->modulus_bytes = (ki.bits + 7) / 8;
	memset(out, 0, sizeof(*out));
	out->key = ki.dnskey;
	out->key.flags = flags;
	out->ctx = ps;
	out->sign = p11_sign;
	return KR_OK;
}

int kr_keystore_ephemeral_signer(struct kr_keystore *ks, uint8_t alg, unsigned bits,
				 struct kr_signer *out)
{
	if (ks == NULL || out == NULL)
		return KR_EINVAL;
	int rc = check_size(alg, &bits);
	if (rc)
		return rc;
	static const char label[] = "keyroll-selftest";
	uint8_t id[KR_KEYID_PREFIX_LEN + KR_KEYID_RANDOM_LEN];
	struct kr_keyinfo ki;
	struct p11_signer *ps = calloc(1, sizeof(*ps));
	if (ps == NULL)
		return KR_ENOMEM;
	ps->ks = ks;
	ps->ephemeral = 1;
	if ((rc = make_id(alg, id)) ||
	    (rc = gen_pair(ks, label, id, alg, bits, 0, 0, &ps->priv, &ps->pub))) {
		free(ps);
		return rc;
	}
	/* check_made destroys the pair when it fails. */
	if ((rc = check_made(ks, ps->priv, ps->pub, &ki))) {
		free(ps);
		return rc;
	}
	ps->modulus_bytes = (ki.bits + 7) / 8;
	memset(out, 0, sizeof(*out));
	out->key = ki.dnskey;
	out->ctx = ps;
	out->sign = p11_sign;
	return KR_OK;
}

void kr_keystore_signer_free(struct kr_signer *signer)
{
	if (signer == NULL)
		return;
	if (signer->sign == p11_sign && signer->ctx != NULL) {
		struct p11_signer *ps = signer->ctx;
		if (ps->ephemeral) {
			ps->ks->f->C_DestroyObject(ps->ks->s, ps->priv);
			ps->ks->f->C_DestroyObject(ps->ks->s, ps->pub);
		}
		free(ps);
	}
	signer->ctx = NULL;
	signer->sign = NULL;
}

int kr_keystore_pkey(struct kr_keystore *ks, const char *label, EVP_PKEY **out)
{
	if (ks == NULL || label == NULL || out == NULL)
		return KR_EINVAL;
	struct kr_keyinfo ki;
	int rc = kr_keystore_find(ks, label, &ki);
	if (rc)
		return rc;
	if (ki.algorithm == KR_ALG_ED25519 || ki.algorithm == 0)
		return KR_EALG;
	PKCS11_KEY *keys = NULL;
	unsigned n = 0;
	if (PKCS11_enumerate_keys(ks->slot->token, &keys, &n) != 0) {
		ERR_clear_error();
		return KR_EHSM;
	}
	rc = KR_ENOTFOUND;
	for (unsigned i = 0; i < n; i++) {
		if (keys[i].label == NULL || strcmp(keys[i].label, label) != 0 ||
		    !same_bytes(keys[i].id, keys[i].id_len, ki.id, ki.id_len))
			continue;
		EVP_PKEY *pk = PKCS11_get_private_key(&keys[i]);
		if (pk == NULL) {
			rc = KR_EHSM;
			break;
		}
		*out = pk;
		rc = KR_OK;
		break;
	}
	ERR_clear_error();
	return rc;
}
