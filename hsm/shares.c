#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libgfshare.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "hsm/shares.h"
#include "lib/cbor.h"
#include "lib/error.h"

#define CHECK_CONTEXT "keyroll card check v1"
#define SCRYPT_N (1u << 16)
#define SCRYPT_R 8
#define SCRYPT_P 1

/* libgfshare draws its polynomial coefficients through this hook (and
 * scrubs contexts with it when freeing them); it must never be random(). */
static int rand_failed;
static void fill_rand(unsigned char *buf, unsigned int n)
{
	if (RAND_bytes(buf, (int)n) != 1)
		rand_failed = 1;
}

int kr_card_check(const char *kind, const char *serial, const uint8_t *secret, size_t len,
		  uint8_t out[KR_CARD_CHECK_LEN])
{
	if (kind == NULL || secret == NULL || out == NULL)
		return KR_EINVAL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(md, CHECK_CONTEXT, sizeof(CHECK_CONTEXT)) == 1 &&
		 EVP_DigestUpdate(md, kind, strlen(kind) + 1) == 1 &&
		 EVP_DigestUpdate(md, serial ? serial : "", strlen(serial ? serial : "") + 1) == 1 &&
		 EVP_DigestUpdate(md, secret, len) == 1 && EVP_DigestFinal_ex(md, out, &n) == 1;
	EVP_MD_CTX_free(md);
	return ok ? KR_OK : KR_ECRYPTO;
}

void kr_card_wipe(struct kr_card *card)
{
	if (card != NULL)
		OPENSSL_cleanse(card, sizeof(*card));
}

int kr_cards_split(const uint8_t *secret, size_t len, unsigned threshold, unsigned count,
		   const char *kind, const char *const *names, const char *token,
		   const char *serial, struct kr_card *cards)
{
	if (secret == NULL || len == 0 || len > KR_SHARE_MAX || threshold < 2 ||
	    threshold > count || count > 255 || kind == NULL || names == NULL || cards == NULL)
		return KR_EINVAL;
	uint8_t set[KR_CARD_SET_LEN], check[KR_CARD_CHECK_LEN], x[255], buf[KR_SHARE_MAX];
	if (RAND_bytes(set, sizeof(set)) != 1)
		return KR_ECRYPTO;
	int rc = kr_card_check(kind, serial, secret, len, check);
	if (rc != KR_OK)
		return rc;
	for (unsigned i = 0; i < count; i++)
		x[i] = (uint8_t)(i + 1);
	gfshare_fill_rand = fill_rand;
	rand_failed = 0;
	uint8_t *copy = OPENSSL_malloc(len);
	gfshare_ctx *g = copy ? gfshare_ctx_init_enc(x, count, (unsigned char)threshold, (unsigned)len) : NULL;
	if (g == NULL) {
		OPENSSL_free(copy);
		return KR_ENOMEM;
	}
	memcpy(copy, secret, len);
	gfshare_ctx_enc_setsecret(g, copy); /* draws the coefficients */
	for (unsigned i = 0; i < count && rc == KR_OK; i++) {
		struct kr_card *c = &cards[i];
		memset(c, 0, sizeof(*c));
		if (snprintf(c->kind, sizeof(c->kind), "%s", kind) >= (int)sizeof(c->kind) ||
		    snprintf(c->name, sizeof(c->name), "%s", names[i]) >= (int)sizeof(c->name) ||
		    snprintf(c->token, sizeof(c->token), "%s", token ? token : "") >= (int)sizeof(c->token) ||
		    snprintf(c->serial, sizeof(c->serial), "%s", serial ? serial : "") >= (int)sizeof(c->serial)) {
			rc = KR_ETOOBIG;
			break;
		}
		c->index = i + 1;
		c->threshold = threshold;
		c->count = count;
		memcpy(c->set, set, sizeof(set));
		memcpy(c->check, check, sizeof(check));
		gfshare_ctx_enc_getshare(g, (unsigned char)i, buf);
		memcpy(c->share, buf, len);
		c->share_len = len;
	}
	if (rc == KR_OK && rand_failed)
		rc = KR_ECRYPTO;
	gfshare_ctx_free(g);
	OPENSSL_clear_free(copy, len);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc != KR_OK)
		for (unsigned i = 0; i < count; i++)
			kr_card_wipe(&cards[i]);
	return rc;
}

/* --- passphrase sealing ------------------------------------------------------ */

static int card_aad(const struct kr_card *c, uint8_t *buf, size_t size, size_t *len)
{
	int n = snprintf((char *)buf + KR_CARD_SET_LEN + 3, size - KR_CARD_SET_LEN - 3,
			 "%s%c%s%c%s%c%s", c->kind, 0, c->name, 0, c->token, 0, c->serial);
	if (n < 0 || (size_t)n + KR_CARD_SET_LEN + 3 + KR_CARD_CHECK_LEN > size)
		return KR_ETOOBIG;
	memcpy(buf, c->set, KR_CARD_SET_LEN);
	buf[KR_CARD_SET_LEN] = (uint8_t)c->index;
	buf[KR_CARD_SET_LEN + 1] = (uint8_t)c->threshold;
	buf[KR_CARD_SET_LEN + 2] = (uint8_t)c->count;
	memcpy(buf + KR_CARD_SET_LEN + 3 + n, c->check, KR_CARD_CHECK_LEN);
	*len = KR_CARD_SET_LEN + 3 + (size_t)n + KR_CARD_CHECK_LEN;
	return KR_OK;
}

static int scrypt_key(const char *pass, const struct kr_card *c, uint8_t key[32])
{
	uint64_t n = c->scrypt_n;
	uint32_t r = c->scrypt_r, p = c->scrypt_p;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *k = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pass, strlen(pass)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)c->salt, sizeof(c->salt)),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
		OSSL_PARAM_construct_end(),
	};
	int rc = k != NULL && EVP_KDF_derive(k, key, 32, params) == 1 ? KR_OK : KR_ECRYPTO;
	EVP_KDF_CTX_free(k);
	EVP_KDF_free(kdf);
	return rc;
}

static int gcm(int enc, const uint8_t key[32], struct kr_card *c)
{
	uint8_t aad[512], out[KR_SHARE_MAX + 16];
	size_t aad_len = 0;
	int n = 0, m = 0, rc = card_aad(c, aad, sizeof(aad), &aad_len);
	if (rc != KR_OK)
		return rc;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	rc = KR_ECRYPTO;
	if (ctx == NULL || EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, c->nonce, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, c->share, (int)c->share_len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, c->tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + n, &m) != 1) {
		rc = enc ? KR_ECRYPTO : KR_EPIN;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, c->tag) != 1)
		goto out;
	memcpy(c->share, out, c->share_len);
	c->sealed = enc;
	rc = KR_OK;
out:
	OPENSSL_cleanse(out, sizeof(out));
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int kr_card_seal(struct kr_card *card, const char *passphrase)
{
	if (card == NULL || passphrase == NULL || card->sealed || passphrase[0] == '\0')
		return KR_EINVAL;
	uint8_t key[32];
	card->scrypt_n = SCRYPT_N;
	card->scrypt_r = SCRYPT_R;
	card->scrypt_p = SCRYPT_P;
	if (RAND_bytes(card->salt, sizeof(card->salt)) != 1 ||
	    RAND_bytes(card->nonce, sizeof(card->nonce)) != 1)
		return KR_ECRYPTO;
	int rc = scrypt_key(passphrase, card, key);
	if (rc == KR_OK)
		rc = gcm(1, key, card);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int kr_card_unseal(struct kr_card *card, const char *passphrase)
{
	if (card == NULL || passphrase == NULL || !card->sealed)
		return KR_EINVAL;
	uint8_t key[32];
	int rc = scrypt_key(passphrase, card, key);
	if (rc == KR_OK)
		rc = gcm(0, key, card);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/* --- CBOR -------------------------------------------------------------------------- */

static const char *const card_keys[] = {"v",     "kind",  "name",  "index", "threshold",
					"count", "?token", "?serial", "set", "check",
					"?share", "?sealed"};
static const char *const sealed_keys[] = {"kdf", "salt", "n", "r", "p", "nonce", "ct", "tag"};

int kr_card_encode(const struct kr_card *c, uint8_t **out, size_t *len)
{
	if (c == NULL || out == NULL || len == NULL)
		return KR_EINVAL;
	int officer = strcmp(c->kind, "officer") == 0;
	cbor_item_t *m = cbor_new_definite_map(officer ? 11 : 9), *s = NULL;
	int rc = m ? KR_OK : KR_ENOMEM;
#define PUT(map, k, v) if (rc == KR_OK) rc = kr_cbor_put(map, k, v)
	PUT(m, "v", kr_cbor_uint(1));
	PUT(m, "kind", kr_cbor_text(c->kind));
	PUT(m, "name", kr_cbor_text(c->name));
	PUT(m, "index", kr_cbor_uint(c->index));
	PUT(m, "threshold", kr_cbor_uint(c->threshold));
	PUT(m, "count", kr_cbor_uint(c->count));
	if (officer) {
		PUT(m, "token", kr_cbor_text(c->token));
		PUT(m, "serial", kr_cbor_text(c->serial));
	}
	PUT(m, "set", kr_cbor_bytes(c->set, sizeof(c->set)));
	PUT(m, "check", kr_cbor_bytes(c->check, sizeof(c->check)));
	if (!c->sealed) {
		PUT(m, "share", kr_cbor_bytes(c->share, c->share_len));
	} else {
		s = cbor_new_definite_map(8);
		if (s == NULL)
			rc = KR_ENOMEM;
		PUT(s, "kdf", kr_cbor_text("scrypt"));
		PUT(s, "salt", kr_cbor_bytes(c->salt, sizeof(c->salt)));
		PUT(s, "n", kr_cbor_uint(c->scrypt_n));
		PUT(s, "r", kr_cbor_uint(c->scrypt_r));
		PUT(s, "p", kr_cbor_uint(c->scrypt_p));
		PUT(s, "nonce", kr_cbor_bytes(c->nonce, sizeof(c->nonce)));
		PUT(s, "ct", kr_cbor_bytes(c->share, c->share_len));
		PUT(s, "tag", kr_cbor_bytes(c->tag, sizeof(c->tag)));
		PUT(m, "sealed", s);
		s = NULL; /* transferred */
	}
#undef PUT
	if (rc == KR_OK)
		rc = kr_cbor_encode(m, out, len);
	if (m != NULL) {
		/* the share is in the item's buffers: wipe before freeing */
		cbor_item_t *sh = kr_cbor_get(m, "share", NULL);
		if (sh != NULL)
			OPENSSL_cleanse(cbor_bytestring_handle(sh), cbor_bytestring_length(sh));
		cbor_decref(&m);
	}
	if (s != NULL)
		cbor_decref(&s);
	return rc;
}

/* Copy a fixed-size byte field. */
static int get_fixed(const cbor_item_t *m, const char *key, uint8_t *dst, size_t want)
{
	uint8_t *b = NULL;
	size_t n = 0;
	int rc = kr_cbor_get_bytes(m, key, want, &b, &n);
	if (rc == KR_OK && n != want)
		rc = KR_EMALFORMED;
	if (rc == KR_OK)
		memcpy(dst, b, want);
	free(b);
	return rc;
}

static int get_str(const cbor_item_t *m, const char *key, char *dst, size_t size)
{
	char *s = NULL;
	int rc = kr_cbor_get_text(m, key, size - 1, &s);
	if (rc == KR_OK) {
		memcpy(dst, s, strlen(s) + 1);
		free(s);
	}
	return rc;
}

int kr_card_decode(const uint8_t *buf, size_t len, struct kr_card *out)
{
	if (buf == NULL || out == NULL)
		return KR_EINVAL;
	if (len > KR_CARD_MAX_SIZE)
		return KR_ETOOBIG;
	cbor_item_t *m = NULL;
	struct kr_card c;
	uint64_t v = 0, idx = 0, th = 0, cnt = 0;
	uint8_t *share = NULL;
	size_t share_len = 0;
	memset(&c, 0, sizeof(c));
	int rc = kr_cbor_decode(buf, len, &m);
	if (rc != KR_OK)
		return rc == KR_ETRUNC ? KR_ETRUNC : KR_EMALFORMED;
	rc = KR_EMALFORMED;
	if (kr_cbor_map_check(m, card_keys, sizeof(card_keys) / sizeof(card_keys[0])) != KR_OK ||
	    kr_cbor_get_uint(m, "v", 1, &v) != KR_OK || v != 1 ||
	    get_str(m, "kind", c.kind, sizeof(c.kind)) != KR_OK ||
	    get_str(m, "name", c.name, sizeof(c.name)) != KR_OK ||
	    kr_cbor_get_uint(m, "index", 255, &idx) != KR_OK || idx < 1 ||
	    kr_cbor_get_uint(m, "threshold", 255, &th) != KR_OK || th < 2 ||
	    kr_cbor_get_uint(m, "count", 255, &cnt) != KR_OK || cnt < th || idx > cnt ||
	    get_fixed(m, "set", c.set, sizeof(c.set)) != KR_OK ||
	    get_fixed(m, "check", c.check, sizeof(c.check)) != KR_OK)
		goto out;
	int officer = strcmp(c.kind, "officer") == 0;
	if (!officer && strcmp(c.kind, "recovery") != 0)
		goto out;
	/* officer cards name their token; recovery cards do not */
	if (officer != (kr_cbor_get(m, "token", NULL) != NULL) ||
	    officer != (kr_cbor_get(m, "serial", NULL) != NULL))
		goto out;
	if (officer && (get_str(m, "token", c.token, sizeof(c.token)) != KR_OK ||
			get_str(m, "serial", c.serial, sizeof(c.serial)) != KR_OK))
		goto out;
	cbor_item_t *sealed = kr_cbor_get(m, "sealed", NULL);
	if ((sealed != NULL) == (kr_cbor_get(m, "share", NULL) != NULL))
		goto out; /* exactly one of share, sealed */
	if (sealed == NULL) {
		if (kr_cbor_get_bytes(m, "share", KR_SHARE_MAX, &share, &share_len) != KR_OK)
			goto out;
	} else {
		char kdf[16];
		uint64_t n = 0, r = 0, p = 0;
		/* bounded work factors: a card cannot ask for gigabytes or hours */
		if (kr_cbor_map_check(sealed, sealed_keys, 8) != KR_OK ||
		    get_str(sealed, "kdf", kdf, sizeof(kdf)) != KR_OK || strcmp(kdf, "scrypt") != 0 ||
		    get_fixed(sealed, "salt", c.salt, sizeof(c.salt)) != KR_OK ||
		    kr_cbor_get_uint(sealed, "n", 1u << 20, &n) != KR_OK || n < (1u << 14) ||
		    (n & (n - 1)) != 0 || kr_cbor_get_uint(sealed, "r", 16, &r) != KR_OK || r < 1 ||
		    kr_cbor_get_uint(sealed, "p", 4, &p) != KR_OK || p < 1 ||
		    get_fixed(sealed, "nonce", c.nonce, sizeof(c.nonce)) != KR_OK ||
		    get_fixed(sealed, "tag", c.tag, sizeof(c.tag)) != KR_OK ||
		    kr_cbor_get_bytes(sealed, "ct", KR_SHARE_MAX, &share, &share_len) != KR_OK)
			goto out;
		c.sealed = 1;
		c.scrypt_n = n;
		c.scrypt_r = (uint32_t)r;
		c.scrypt_p = (uint32_t)p;
	}
	if (share_len == 0)
		goto out;
	memcpy(c.share, share, share_len);
	c.share_len = share_len;
	c.index = (unsigned)idx;
	c.threshold = (unsigned)th;
	c.count = (unsigned)cnt;
	*out = c;
	rc = KR_OK;
out:
	if (share != NULL)
		OPENSSL_clear_free(share, share_len);
	OPENSSL_cleanse(&c, sizeof(c));
	if (m != NULL)
		cbor_decref(&m);
	return rc;
}

/* --- combining ------------------------------------------------------------------- */

static void say(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t size, const char *fmt, ...)
{
	if (why == NULL || size == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

int kr_cards_combine(const struct kr_card *cards, size_t n, const char *kind, const char *serial,
		     uint8_t *secret, size_t *len, char *why, size_t whysize)
{
	if (cards == NULL || n == 0 || kind == NULL || secret == NULL || len == NULL)
		return KR_EINVAL;
	const struct kr_card *a = &cards[0];
	uint8_t x[255], check[KR_CARD_CHECK_LEN];
	for (size_t i = 0; i < n; i++) {
		const struct kr_card *c = &cards[i];
		if (strcmp(c->kind, kind) != 0) {
			say(why, whysize, "card of %s is a %s card, not an %s card", c->name, c->kind, kind);
			return KR_EDENIED;
		}
		if (c->sealed) {
			say(why, whysize, "card of %s is still sealed", c->name);
			return KR_EINVAL;
		}
		if (serial != NULL && strcmp(c->serial, serial) != 0) {
			say(why, whysize,
			    "card of %s belongs to token '%s' (serial %s), not to this token (serial %s)",
			    c->name, c->token, c->serial, serial);
			return KR_EDENIED;
		}
		if (memcmp(c->set, a->set, KR_CARD_SET_LEN) != 0 || strcmp(c->serial, a->serial) != 0 ||
		    strcmp(c->token, a->token) != 0) {
			say(why, whysize, "cards of %s and %s come from different card sets", a->name,
			    c->name);
			return KR_EDENIED;
		}
		if (c->threshold != a->threshold || c->count != a->count ||
		    c->share_len != a->share_len ||
		    memcmp(c->check, a->check, KR_CARD_CHECK_LEN) != 0) {
			say(why, whysize,
			    "cards of %s and %s disagree on the set's parameters: one is forged", a->name,
			    c->name);
			return KR_EBADSIG;
		}
		for (size_t j = 0; j < i; j++)
			if (cards[j].index == c->index) {
				say(why, whysize, "card %u (%s) is given twice: every card counts once",
				    c->index, c->name);
				return KR_EPOLICY;
			}
		x[i] = (uint8_t)c->index;
	}
	if (n < a->threshold) {
		say(why, whysize, "%zu card%s given, the quorum is %u of %u", n, n == 1 ? "" : "s",
		    a->threshold, a->count);
		return KR_EPOLICY;
	}
	gfshare_fill_rand = fill_rand; /* gfshare_ctx_free() scrubs with it */
	gfshare_ctx *g = gfshare_ctx_init_dec(x, (unsigned)n, (unsigned)a->share_len);
	if (g == NULL)
		return KR_ENOMEM;
	uint8_t buf[KR_SHARE_MAX];
	for (size_t i = 0; i < n; i++) {
		memcpy(buf, cards[i].share, a->share_len);
		gfshare_ctx_dec_giveshare(g, (unsigned char)i, buf);
	}
	gfshare_ctx_dec_extract(g, secret);
	gfshare_ctx_free(g);
	OPENSSL_cleanse(buf, sizeof(buf));
	int rc = kr_card_check(kind, a->serial, secret, a->share_len, check);
	if (rc == KR_OK && CRYPTO_memcmp(check, a->check, sizeof(check)) != 0) {
		say(why, whysize, "the cards do not rebuild the secret their check value names: a "
				  "card is forged or damaged");
		rc = KR_EBADSIG;
	}
	if (rc != KR_OK) {
		OPENSSL_cleanse(secret, KR_SHARE_MAX);
		return rc;
	}
	*len = a->share_len;
	return KR_OK;
}
