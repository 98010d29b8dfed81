/*
 * DNSSEC primitives.  Everything that touches key material goes through
 * OpenSSL 3 EVP and OSSL_PARAM (no deprecated RSA/EC calls).  Encodings:
 * RSA public keys per RFC 3110, ECDSA keys and signatures as x||y and r||s
 * (RFC 6605), Ed25519 raw (RFC 8080).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "lib/dnssec.h"
#include "lib/encode.h"
#include "lib/error.h"
#include "lib/timeutil.h"

/* --- names --------------------------------------------------------------- */

int kr_name_from_str(const char *s, struct kr_name *out)
{
	if (s == NULL || out == NULL || *s == '\0')
		return KR_EINVAL;
	struct kr_name n = {0};
	if (strcmp(s, ".") == 0) {
		out->len = 1;
		out->wire[0] = 0;
		return KR_OK;
	}
	size_t o = 0;
	const char *p = s;
	while (*p) {
		size_t lenpos = o++;
		uint8_t llen = 0;
		while (*p && *p != '.') {
			int c = (unsigned char)*p++;
			if (c == '\\') {
				if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
				    isdigit((unsigned char)p[2])) {
					c = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
					if (c > 255)
						return KR_EMALFORMED;
					p += 3;
				} else if (*p) {
					c = (unsigned char)*p++;
				} else {
					return KR_EMALFORMED;
				}
			}
			if (llen == 63 || o >= KR_NAME_MAX - 1)
				return KR_ERANGE;
			n.wire[o++] = (uint8_t)tolower(c);
			llen++;
		}
		if (llen == 0)
			return KR_EMALFORMED; /* empty label */
		n.wire[lenpos] = llen;
		if (*p == '.')
			p++;
	}
	if (o >= KR_NAME_MAX)
		return KR_ERANGE;
	n.wire[o++] = 0;
	n.len = (uint8_t)o;
	*out = n;
	return KR_OK;
}

int kr_name_to_str(const struct kr_name *n, char *buf, size_t size)
{
	if (n == NULL || buf == NULL || size == 0)
		return KR_EINVAL;
	size_t o = 0, i = 0;
	if (n->len == 0)
		return KR_EINVAL;
	if (n->wire[0] == 0) {
		if (size < 2)
			return KR_ETOOBIG;
		strcpy(buf, ".");
		return KR_OK;
	}
	while (i < n->len && n->wire[i] != 0) {
		uint8_t l = n->wire[i++];
		for (uint8_t j = 0; j < l && i < n->len; j++, i++) {
			uint8_t c = n->wire[i];
			char tmp[5];
			int k;
			if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')')
				k = snprintf(tmp, sizeof(tmp), "\\%c", c);
			else if (c <= 0x20 || c >= 0x7f)
				k = snprintf(tmp, sizeof(tmp), "\\%03u", c);
			else
				k = snprintf(tmp, sizeof(tmp), "%c", c);
			if (o + (size_t)k + 1 >= size)
				return KR_ETOOBIG;
			memcpy(buf + o, tmp, (size_t)k);
			o += (size_t)k;
		}
		if (o + 2 > size)
			return KR_ETOOBIG;
		buf[o++] = '.';
	}
	buf[o] = '\0';
	return KR_OK;
}

unsigned kr_name_labels(const struct kr_name *n)
{
	unsigned count = 0;
	size_t i = 0;
	if (n->len > 2 && n->wire[0] == 1 && n->wire[1] == '*')
		i = 2; /* a wildcard label is not counted */
	while (i < n->len && n->wire[i] != 0) {
		count++;
		i += n->wire[i] + 1u;
	}
	return count;
}

int kr_name_equal(const struct kr_name *a, const struct kr_name *b)
{
	return a->len == b->len && memcmp(a->wire, b->wire, a->len) == 0;
}

/* --- algorithms ------------------------------------------------------------ */

static const struct {
	uint8_t num;
	const char *name;
} alg_names[] = {
	{KR_ALG_RSAMD5, "RSAMD5"},
	{KR_ALG_DSA, "DSA"},
	{KR_ALG_RSASHA1, "RSASHA1"},
	{KR_ALG_DSA_NSEC3_SHA1, "DSA-NSEC3-SHA1"},
	{KR_ALG_RSASHA1_NSEC3_SHA1, "RSASHA1-NSEC3-SHA1"},
	{KR_ALG_RSASHA256, "RSASHA256"},
	{KR_ALG_RSASHA512, "RSASHA512"},
	{KR_ALG_ECC_GOST, "ECC-GOST"},
	{KR_ALG_ECDSAP256SHA256, "ECDSAP256SHA256"},
	{KR_ALG_ECDSAP384SHA384, "ECDSAP384SHA384"},
	{KR_ALG_ED25519, "ED25519"},
	{KR_ALG_ED448, "ED448"},
};

const char *kr_alg_name(uint8_t alg)
{
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (alg_names[i].num == alg)
			return alg_names[i].name;
	return NULL;
}

int kr_alg_from_name(const char *s, uint8_t *alg)
{
	if (s == NULL || alg == NULL || *s == '\0')
		return KR_EINVAL;
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++) {
		if (strcasecmp(s, alg_names[i].name) == 0) {
			*alg = alg_names[i].num;
			return KR_OK;
		}
	}
	unsigned v = 0;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p) || (v = v * 10 + (unsigned)(*p - '0')) > 255)
			return KR_EALG;
	}
	*alg = (uint8_t)v;
	return KR_OK;
}

int kr_alg_supported(uint8_t alg)
{
	switch (alg) {
	case KR_ALG_RSASHA256:
	case KR_ALG_RSASHA512:
	case KR_ALG_ECDSAP256SHA256:
	case KR_ALG_ECDSAP384SHA384:
	case KR_ALG_ED25519:
		return 1;
	}
	return 0;
}

const char *kr_alg_refused(uint8_t alg)
{
	switch (alg) {
	case KR_ALG_RSAMD5:
	case KR_ALG_DSA:
	case KR_ALG_DSA_NSEC3_SHA1:
	case KR_ALG_ECC_GOST:
		return "MUST NOT be used for signing (RFC 8624 section 3.1)";
	case KR_ALG_RSASHA1:
	case KR_ALG_RSASHA1_NSEC3_SHA1:
		return "SHA-1 based, NOT RECOMMENDED for signing (RFC 8624) and deprecated";
	}
	return NULL;
}

/* --- DNSKEY ---------------------------------------------------------------- */

int kr_dnskey_rdata(const struct kr_dnskey *k, uint8_t *buf, size_t size, size_t *len)
{
	if (k == NULL || buf == NULL || len == NULL)
		return KR_EINVAL;
	size_t n = 4u + k->pubkey_len;
	if (size < n || k->pubkey_len > KR_PUBKEY_MAX)
		return KR_ETOOBIG;
	buf[0] = (uint8_t)(k->flags >> 8);
	buf[1] = (uint8_t)k->flags;
	buf[2] = k->protocol;
	buf[3] = k->algorithm;
	memcpy(buf + 4, k->pubkey, k->pubkey_len);
	*len = n;
	return KR_OK;
}

int kr_dnskey_from_rdata(const uint8_t *rdata, size_t len, struct kr_dnskey *out)
{
	if (rdata == NULL || out == NULL)
		return KR_EINVAL;
	if (len < 4)
		return KR_ETRUNC;
	if (len - 4 > KR_PUBKEY_MAX)
		return KR_ETOOBIG;
	memset(out, 0, sizeof(*out));
	out->flags = (uint16_t)(rdata[0] << 8 | rdata[1]);
	out->protocol = rdata[2];
	out->algorithm = rdata[3];
	out->pubkey_len = (uint16_t)(len - 4);
	memcpy(out->pubkey, rdata + 4, len - 4);
	return KR_OK;
}

uint16_t kr_dnskey_keytag(const struct kr_dnskey *k)
{
	uint8_t rdata[4 + KR_PUBKEY_MAX];
	size_t len;
	if (kr_dnskey_rdata(k, rdata, sizeof(rdata), &len) != KR_OK)
		return 0;
	if (k->algorithm == KR_ALG_RSAMD5) /* RFC 4034 B.1 */
		return len >= 7 ? (uint16_t)(rdata[len - 3] << 8 | rdata[len - 2]) : 0;
	uint32_t ac = 0;
	for (size_t i = 0; i < len; i++)
		ac += (i & 1) ? rdata[i] : (uint32_t)rdata[i] << 8;
	ac += (ac >> 16) & 0xffff;
	return (uint16_t)(ac & 0xffff);
}

/* Split an RFC 3110 RSA public key into exponent and modulus. */
static int rsa_split(const struct kr_dnskey *k, const uint8_t **e, size_t *elen,
		     const uint8_t **n, size_t *nlen)
{
	const uint8_t *p = k->pubkey;
	size_t len = k->pubkey_len, off;
	if (len < 1)
		return KR_ETRUNC;
	if (p[0] != 0) {
		*elen = p[0];
		off = 1;
	} else {
		if (len < 3)
			return KR_ETRUNC;
		*elen = (size_t)p[1] << 8 | p[2];
		off = 3;
	}
	if (*elen == 0 || off + *elen >= len)
		return KR_EMALFORMED;
	*e = p + off;
	*n = p + off + *elen;
	*nlen = len - off - *elen;
	if ((*e)[0] == 0 || (*n)[0] == 0)
		return KR_EMALFORMED; /* leading zero octets are not allowed */
	return KR_OK;
}

static size_t ec_point_len(uint8_t alg)
{
	return alg == KR_ALG_ECDSAP256SHA256 ? 64 : alg == KR_ALG_ECDSAP384SHA384 ? 96 : 0;
}

int kr_dnskey_params(const struct kr_dnskey *k, unsigned *bits, uint64_t *exponent)
{
	if (k == NULL)
		return KR_EINVAL;
	unsigned b = 0;
	uint64_t ex = 0;
	switch (k->algorithm) {
	case KR_ALG_RSASHA1:
	case KR_ALG_RSASHA1_NSEC3_SHA1:
	case KR_ALG_RSASHA256:
	case KR_ALG_RSASHA512: {
		const uint8_t *e, *n;
		size_t elen, nlen;
		int rc = rsa_split(k, &e, &elen, &n, &nlen);
		if (rc)
			return rc;
		if (elen > 8)
			return KR_ERANGE;
		for (size_t i = 0; i < elen; i++)
			ex = ex << 8 | e[i];
		b = (unsigned)nlen * 8;
		for (uint8_t top = n[0]; !(top & 0x80); top <<= 1)
			b--;
		break;
	}
	case KR_ALG_ECDSAP256SHA256:
	case KR_ALG_ECDSAP384SHA384:
		if (k->pubkey_len != ec_point_len(k->algorithm))
			return KR_EMALFORMED;
		b = (unsigned)k->pubkey_len * 4;
		break;
	case KR_ALG_ED25519:
		if (k->pubkey_len != 32)
			return KR_EMALFORMED;
		b = 256;
		break;
	case KR_ALG_ED448:
		if (k->pubkey_len != 57)
			return KR_EMALFORMED;
		b = 456;
		break;
	default:
		return KR_EALG;
	}
	if (bits)
		*bits = b;
	if (exponent)
		*exponent = ex;
	return KR_OK;
}

int kr_dnskey_same_key(const struct kr_dnskey *a, const struct kr_dnskey *b)
{
	return a->algorithm == b->algorithm && a->protocol == b->protocol &&
	       a->pubkey_len == b->pubkey_len && memcmp(a->pubkey, b->pubkey, a->pubkey_len) == 0;
}

static int pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out)
{
	int rc = KR_ECRYPTO;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (params != NULL && ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) == 1)
		rc = KR_OK;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return rc;
}

int kr_dnskey_to_pkey(const struct kr_dnskey *k, EVP_PKEY **out)
{
	if (k == NULL || out == NULL)
		return KR_EINVAL;
	int rc = kr_dnskey_params(k, NULL, NULL);
	if (rc)
		return rc;
	*out = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	switch (k->algorithm) {
	case KR_ALG_RSASHA1:
	case KR_ALG_RSASHA1_NSEC3_SHA1:
	case KR_ALG_RSASHA256:
	case KR_ALG_RSASHA512: {
		const uint8_t *e, *n;
		size_t elen, nlen;
		rsa_split(k, &e, &elen, &n, &nlen);
		rc = KR_ECRYPTO;
		bn_n = BN_bin2bn(n, (int)nlen, NULL);
		bn_e = BN_bin2bn(e, (int)elen, NULL);
		bld = OSSL_PARAM_BLD_new();
		if (bn_n && bn_e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
			rc = pkey_fromdata("RSA", bld, out);
		break;
	}
	case KR_ALG_ECDSAP256SHA256:
	case KR_ALG_ECDSAP384SHA384: {
		uint8_t point[1 + 96];
		point[0] = 0x04; /* uncompressed */
		memcpy(point + 1, k->pubkey, k->pubkey_len);
		const char *group = k->algorithm == KR_ALG_ECDSAP256SHA256 ? "P-256" : "P-384";
		rc = KR_ECRYPTO;
		bld = OSSL_PARAM_BLD_new();
		if (bld &&
		    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
		    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
						     1 + k->pubkey_len))
			rc = pkey_fromdata("EC", bld, out);
		/* fromdata does not check the point is on the curve; a check does. */
		if (rc == KR_OK) {
			EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL);
			if (c == NULL || EVP_PKEY_public_check(c) != 1) {
				EVP_PKEY_free(*out);
				*out = NULL;
				rc = KR_EMALFORMED;
			}
			EVP_PKEY_CTX_free(c);
		}
		break;
	}
	case KR_ALG_ED25519:
	case KR_ALG_ED448:
		*out = EVP_PKEY_new_raw_public_key(
			k->algorithm == KR_ALG_ED25519 ? EVP_PKEY_ED25519 : EVP_PKEY_ED448, NULL,
			k->pubkey, k->pubkey_len);
		rc = *out ? KR_OK : KR_ECRYPTO;
		break;
	default:
		rc = KR_EALG;
	}
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return rc;
}

int kr_dnskey_from_pkey(EVP_PKEY *pkey, uint8_t alg, uint16_t flags, struct kr_dnskey *out)
{
	if (pkey == NULL || out == NULL)
		return KR_EINVAL;
	struct kr_dnskey k = {.flags = flags, .protocol = 3, .algorithm = alg};
	int rc = KR_ECRYPTO;
	switch (alg) {
	case KR_ALG_RSASHA256:
	case KR_ALG_RSASHA512: {
		BIGNUM *n = NULL, *e = NULL;
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
			return KR_EALG;
		if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
		    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1) {
			size_t elen = (size_t)BN_num_bytes(e), nlen = (size_t)BN_num_bytes(n);
			size_t off = elen < 256 ? 1 : 3;
			if (off + elen + nlen > KR_PUBKEY_MAX) {
				rc = KR_ETOOBIG;
			} else {
				if (off == 1) {
					k.pubkey[0] = (uint8_t)elen;
				} else {
					k.pubkey[0] = 0;
					k.pubkey[1] = (uint8_t)(elen >> 8);
					k.pubkey[2] = (uint8_t)elen;
				}
				BN_bn2bin(e, k.pubkey + off);
				BN_bn2bin(n, k.pubkey + off + elen);
				k.pubkey_len = (uint16_t)(off + elen + nlen);
				rc = KR_OK;
			}
		}
		BN_free(n);
		BN_free(e);
		break;
	}
	case KR_ALG_ECDSAP256SHA256:
	case KR_ALG_ECDSAP384SHA384: {
		char group[32];
		uint8_t point[1 + 96];
		size_t plen = 0, want = ec_point_len(alg);
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
		    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), NULL) != 1)
			return KR_EALG;
		if (strcmp(group, alg == KR_ALG_ECDSAP256SHA256 ? "prime256v1" : "secp384r1") != 0 &&
		    strcmp(group, alg == KR_ALG_ECDSAP256SHA256 ? "P-256" : "P-384") != 0)
			return KR_EALG;
		if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
						    sizeof(point), &plen) == 1 &&
		    plen == want + 1 && point[0] == 0x04) {
			memcpy(k.pubkey, point + 1, want);
			k.pubkey_len = (uint16_t)want;
			rc = KR_OK;
		}
		break;
	}
	case KR_ALG_ED25519: {
		size_t len = 32;
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519)
			return KR_EALG;
		if (EVP_PKEY_get_raw_public_key(pkey, k.pubkey, &len) == 1 && len == 32) {
			k.pubkey_len = 32;
			rc = KR_OK;
		}
		break;
	}
	default:
		return KR_EALG;
	}
	if (rc == KR_OK)
		*out = k;
	return rc;
}

int kr_ds_digest(const struct kr_name *owner, const struct kr_dnskey *k, uint8_t digest_type,
		 uint8_t *digest, size_t *len)
{
	if (owner == NULL || k == NULL || digest == NULL || len == NULL)
		return KR_EINVAL;
	const EVP_MD *md = digest_type == KR_DS_SHA1     ? EVP_sha1()
			   : digest_type == KR_DS_SHA256 ? EVP_sha256()
			   : digest_type == KR_DS_SHA384 ? EVP_sha384()
							 : NULL;
	if (md == NULL)
		return KR_EALG;
	uint8_t rdata[4 + KR_PUBKEY_MAX];
	size_t rlen;
	int rc = kr_dnskey_rdata(k, rdata, sizeof(rdata), &rlen);
	if (rc)
		return rc;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int dlen = 0;
	rc = KR_ECRYPTO;
	if (ctx && EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, owner->wire, owner->len) == 1 &&
	    EVP_DigestUpdate(ctx, rdata, rlen) == 1 && EVP_DigestFinal_ex(ctx, digest, &dlen) == 1) {
		*len = dlen;
		rc = KR_OK;
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* --- presentation ------------------------------------------------------------- */

static int aprintf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int aprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(out, fmt, ap);
	va_end(ap);
	if (n < 0) {
		*out = NULL;
		return KR_ENOMEM;
	}
	return KR_OK;
}

int kr_dnskey_format(const struct kr_name *owner, uint32_t ttl, const struct kr_dnskey *k,
		     char **out)
{
	char name[1024], *b64 = NULL;
	int rc = kr_name_to_str(owner, name, sizeof(name));
	if (rc || (rc = kr_base64_encode(k->pubkey, k->pubkey_len, &b64)))
		return rc;
	rc = aprintf(out, "%s %u IN DNSKEY %u %u %u %s", name, ttl, k->flags, k->protocol,
		     k->algorithm, b64);
	free(b64);
	return rc;
}

int kr_ds_format(const struct kr_name *owner, uint32_t ttl, const struct kr_dnskey *k,
		 uint8_t digest_type, char **out)
{
	char name[1024], *hex = NULL;
	uint8_t d[KR_DIGEST_MAX];
	size_t dlen;
	int rc = kr_name_to_str(owner, name, sizeof(name));
	if (rc || (rc = kr_ds_digest(owner, k, digest_type, d, &dlen)) ||
	    (rc = kr_hex_encode(d, dlen, 1, &hex)))
		return rc;
	rc = aprintf(out, "%s %u IN DS %u %u %u %s", name, ttl, kr_dnskey_keytag(k), k->algorithm,
		     digest_type, hex);
	free(hex);
	return rc;
}

int kr_rrsig_format(const struct kr_name *owner, uint32_t ttl, const struct kr_rrsig *sig,
		    char **out)
{
	char name[1024], signer[1024], exp[16], inc[16], *b64 = NULL;
	int rc;
	if ((rc = kr_name_to_str(owner, name, sizeof(name))) ||
	    (rc = kr_name_to_str(&sig->signer, signer, sizeof(signer))) ||
	    (rc = kr_rrsig_time_format(sig->expiration, exp, sizeof(exp))) ||
	    (rc = kr_rrsig_time_format(sig->inception, inc, sizeof(inc))) ||
	    (rc = kr_base64_encode(sig->sig, sig->sig_len, &b64)))
		return rc;
	rc = aprintf(out, "%s %u IN RRSIG %s %u %u %u %s %s %u %s %s", name, ttl,
		     sig->type_covered == KR_TYPE_DNSKEY ? "DNSKEY" : "TYPE?", sig->algorithm,
		     sig->labels, sig->original_ttl, exp, inc, sig->key_tag, signer, b64);
	free(b64);
	return rc;
}

/* Split a zone-file line into tokens (in place); parentheses and comments dropped. */
static int tokenize(char *line, char **tok, int max)
{
	int n = 0;
	char *c = strchr(line, ';');
	if (c)
		*c = '\0';
	for (char *p = line; *p; p++)
		if (*p == '(' || *p == ')')
			*p = ' ';
	for (char *save = NULL, *t = strtok_r(line, " \t\r\n", &save); t;
	     t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return -1;
		tok[n++] = t;
	}
	return n;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *v)
{
	if (*s == '\0')
		return KR_EMALFORMED;
	uint64_t x = 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return KR_EMALFORMED;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > max)
			return KR_ERANGE;
	}
	*v = (uint32_t)x;
	return KR_OK;
}

/* Owner, optional TTL and class, then the type; returns the index after the type. */
static int parse_rr_head(char **tok, int n, const char *type, struct kr_name *owner,
			 uint32_t *ttl)
{
	struct kr_name name;
	uint32_t t = 0;
	if (n < 2 || kr_name_from_str(tok[0], &name) != KR_OK)
		return KR_EMALFORMED;
	int i = 1;
	for (int k = 0; k < 2 && i < n; k++) {
		if (strcasecmp(tok[i], "IN") == 0)
			i++;
		else if (isdigit((unsigned char)tok[i][0])) {
			if (parse_u32(tok[i], INT32_MAX, &t))
				return KR_EMALFORMED;
			i++;
		}
	}
	if (i >= n || strcasecmp(tok[i], type) != 0)
		return KR_EMALFORMED;
	if (owner)
		*owner = name;
	if (ttl)
		*ttl = t;
	return i + 1;
}

static int join_tokens(char **tok, int from, int n, char **out)
{
	size_t total = 1;
	for (int i = from; i < n; i++)
		total += strlen(tok[i]);
	char *s = malloc(total);
	if (s == NULL)
		return KR_ENOMEM;
	s[0] = '\0';
	for (int i = from; i < n; i++)
		strcat(s, tok[i]);
	*out = s;
	return KR_OK;
}

#define MAX_TOKENS 256

int kr_dnskey_parse(const char *line, struct kr_name *owner, uint32_t *ttl, struct kr_dnskey *out)
{
	if (line == NULL || out == NULL)
		return KR_EINVAL;
	char *copy = strdup(line), *tok[MAX_TOKENS], *b64 = NULL;
	uint8_t *key = NULL;
	size_t keylen = 0;
	if (copy == NULL)
		return KR_ENOMEM;
	int rc = KR_EMALFORMED, n = tokenize(copy, tok, MAX_TOKENS);
	int i = parse_rr_head(tok, n, "DNSKEY", owner, ttl);
	uint32_t flags, proto;
	uint8_t alg;
	if (i < 0 || n - i < 4 || parse_u32(tok[i], 65535, &flags) ||
	    parse_u32(tok[i + 1], 255, &proto) || kr_alg_from_name(tok[i + 2], &alg))
		goto out;
	if ((rc = join_tokens(tok, i + 3, n, &b64)) ||
	    (rc = kr_base64_decode(b64, strlen(b64), KR_PUBKEY_MAX, &key, &keylen)))
		goto out;
	memset(out, 0, sizeof(*out));
	out->flags = (uint16_t)flags;
	out->protocol = (uint8_t)proto;
	out->algorithm = alg;
	out->pubkey_len = (uint16_t)keylen;
	memcpy(out->pubkey, key, keylen);
	rc = KR_OK;
out:
	free(copy);
	free(b64);
	free(key);
	return rc;
}

int kr_ds_parse(const char *line, struct kr_name *owner, uint16_t *tag, uint8_t *alg,
		uint8_t *digest_type, uint8_t *digest, size_t *digest_len)
{
	if (line == NULL || tag == NULL || alg == NULL || digest_type == NULL || digest == NULL ||
	    digest_len == NULL)
		return KR_EINVAL;
	char *copy = strdup(line), *tok[MAX_TOKENS], *hex = NULL;
	uint8_t *d = NULL;
	size_t dlen = 0;
	if (copy == NULL)
		return KR_ENOMEM;
	int rc = KR_EMALFORMED, n = tokenize(copy, tok, MAX_TOKENS);
	int i = parse_rr_head(tok, n, "DS", owner, NULL);
	uint32_t t, dt;
	uint8_t a;
	if (i < 0 || n - i < 4 || parse_u32(tok[i], 65535, &t) || kr_alg_from_name(tok[i + 1], &a) ||
	    parse_u32(tok[i + 2], 255, &dt))
		goto out;
	if ((rc = join_tokens(tok, i + 3, n, &hex)) ||
	    (rc = kr_hex_decode(hex, strlen(hex), KR_DIGEST_MAX, &d, &dlen)))
		goto out;
	*tag = (uint16_t)t;
	*alg = a;
	*digest_type = (uint8_t)dt;
	memcpy(digest, d, dlen);
	*digest_len = dlen;
	rc = KR_OK;
out:
	free(copy);
	free(hex);
	free(d);
	return rc;
}

int kr_rrsig_parse(const char *line, struct kr_name *owner, uint32_t *ttl, struct kr_rrsig *out)
{
	if (line == NULL || out == NULL)
		return KR_EINVAL;
	char *copy = strdup(line), *tok[MAX_TOKENS], *b64 = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	if (copy == NULL)
		return KR_ENOMEM;
	struct kr_rrsig s = {.type_covered = KR_TYPE_DNSKEY};
	uint32_t labels, origttl, tag;
	int rc = KR_EMALFORMED, n = tokenize(copy, tok, MAX_TOKENS);
	int i = parse_rr_head(tok, n, "RRSIG", owner, ttl);
	if (i < 0 || n - i < 9 || strcasecmp(tok[i], "DNSKEY") != 0 ||
	    kr_alg_from_name(tok[i + 1], &s.algorithm) || parse_u32(tok[i + 2], 255, &labels) ||
	    parse_u32(tok[i + 3], UINT32_MAX, &origttl) ||
	    kr_rrsig_time_parse(tok[i + 4], &s.expiration) ||
	    kr_rrsig_time_parse(tok[i + 5], &s.inception) || parse_u32(tok[i + 6], 65535, &tag) ||
	    kr_name_from_str(tok[i + 7], &s.signer))
		goto out;
	if ((rc = join_tokens(tok, i + 8, n, &b64)) ||
	    (rc = kr_base64_decode(b64, strlen(b64), KR_SIG_MAX, &sig, &siglen)))
		goto out;
	s.labels = (uint8_t)labels;
	s.original_ttl = origttl;
	s.key_tag = (uint16_t)tag;
	s.sig_len = (uint16_t)siglen;
	memcpy(s.sig, sig, siglen);
	*out = s;
	rc = KR_OK;
out:
	free(copy);
	free(b64);
	free(sig);
	return rc;
}

/* --- RRSIG ---------------------------------------------------------------------- */

struct rr {
	uint16_t len;
	uint8_t rdata[4 + KR_PUBKEY_MAX];
};

static int rr_cmp(const void *a, const void *b)
{
	const struct rr *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->rdata, y->rdata, n);
	if (c)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#define MAX_RRSET 64

int kr_rrset_signed_data(const struct kr_rrsig *sig, const struct kr_name *owner,
			 const struct kr_dnskey *keys, size_t nkeys, uint8_t **out, size_t *len)
{
	if (sig == NULL || owner == NULL || out == NULL || len == NULL || (keys == NULL && nkeys))
		return KR_EINVAL;
	if (nkeys == 0)
		return KR_EINVAL;
	if (nkeys > MAX_RRSET)
		return KR_ETOOBIG;
	struct rr *rrs = calloc(nkeys, sizeof(*rrs));
	if (rrs == NULL)
		return KR_ENOMEM;
	int rc = KR_OK;
	for (size_t i = 0; i < nkeys; i++) {
		size_t l;
		if ((rc = kr_dnskey_rdata(&keys[i], rrs[i].rdata, sizeof(rrs[i].rdata), &l)))
			goto out;
		rrs[i].len = (uint16_t)l;
	}
	qsort(rrs, nkeys, sizeof(*rrs), rr_cmp);
	size_t total = 18 + sig->signer.len;
	for (size_t i = 0; i < nkeys; i++)
		total += owner->len + 10u + rrs[i].len;
	uint8_t *buf = malloc(total), *p = buf;
	if (buf == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	put16(p, sig->type_covered);
	p[2] = sig->algorithm;
	p[3] = sig->labels;
	put32(p + 4, sig->original_ttl);
	put32(p + 8, sig->expiration);
	put32(p + 12, sig->inception);
	put16(p + 16, sig->key_tag);
	memcpy(p + 18, sig->signer.wire, sig->signer.len);
	p += 18 + sig->signer.len;
	for (size_t i = 0; i < nkeys; i++) {
		if (i > 0 && rr_cmp(&rrs[i - 1], &rrs[i]) == 0)
			continue; /* an RRset has no duplicates */
		memcpy(p, owner->wire, owner->len);
		p += owner->len;
		put16(p, KR_TYPE_DNSKEY);
		put16(p + 2, KR_CLASS_IN);
		put32(p + 4, sig->original_ttl);
		put16(p + 8, rrs[i].len);
		memcpy(p + 10, rrs[i].rdata, rrs[i].len);
		p += 10 + rrs[i].len;
	}
	*out = buf;
	*len = (size_t)(p - buf);
out:
	free(rrs);
	return rc;
}

static const EVP_MD *alg_md(uint8_t alg)
{
	switch (alg) {
	case KR_ALG_RSASHA1:
	case KR_ALG_RSASHA1_NSEC3_SHA1:
		return EVP_sha1();
	case KR_ALG_RSASHA256:
	case KR_ALG_ECDSAP256SHA256:
		return EVP_sha256();
	case KR_ALG_RSASHA512:
		return EVP_sha512();
	case KR_ALG_ECDSAP384SHA384:
		return EVP_sha384();
	}
	return NULL; /* EdDSA: no separate digest */
}

static int is_ecdsa(uint8_t alg)
{
	return alg == KR_ALG_ECDSAP256SHA256 || alg == KR_ALG_ECDSAP384SHA384;
}

/* r||s to DER for OpenSSL's verifier. */
static int ecdsa_rs_to_der(const uint8_t *sig, size_t len, uint8_t **der, size_t *der_len)
{
	int rc = KR_ECRYPTO;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)(len / 2), NULL);
	BIGNUM *s = BN_bin2bn(sig + len / 2, (int)(len / 2), NULL);
	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	*der = NULL;
	int n = i2d_ECDSA_SIG(es, der);
	if (n > 0) {
		*der_len = (size_t)n;
		rc = KR_OK;
	}
out:
	ECDSA_SIG_free(es);
	return rc;
}

int kr_verify_raw(const struct kr_dnskey *key, const uint8_t *data, size_t len, const uint8_t *sig,
		  size_t sig_len)
{
	if (key == NULL || data == NULL || sig == NULL)
		return KR_EINVAL;
	uint8_t alg = key->algorithm;
	if (is_ecdsa(alg) && sig_len != ec_point_len(alg))
		return KR_EBADSIG;
	if (alg == KR_ALG_ED25519 && sig_len != 64)
		return KR_EBADSIG;
	EVP_PKEY *pkey = NULL;
	int rc = kr_dnskey_to_pkey(key, &pkey);
	if (rc)
		return rc;
	uint8_t *der = NULL;
	size_t der_len = 0;
	if (is_ecdsa(alg) && (rc = ecdsa_rs_to_der(sig, sig_len, &der, &der_len))) {
		EVP_PKEY_free(pkey);
		return rc;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	rc = KR_ECRYPTO;
	if (ctx && EVP_DigestVerifyInit(ctx, NULL, alg_md(alg), NULL, pkey) == 1) {
		int v = der ? EVP_DigestVerify(ctx, der, der_len, data, len)
			    : EVP_DigestVerify(ctx, sig, sig_len, data, len);
		rc = v == 1 ? KR_OK : v == 0 ? KR_EBADSIG : KR_ECRYPTO;
		/* A malformed signature is reported as an OpenSSL error: it is just bad. */
		if (rc == KR_ECRYPTO && ERR_peek_error() != 0) {
			ERR_clear_error();
			rc = KR_EBADSIG;
		}
	}
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	OPENSSL_free(der);
	return rc;
}

int kr_rrsig_verify(const struct kr_rrsig *sig, const struct kr_name *owner,
		    const struct kr_dnskey *keys, size_t nkeys, const struct kr_dnskey *key)
{
	if (sig == NULL || owner == NULL || keys == NULL || key == NULL)
		return KR_EINVAL;
	if (sig->type_covered != KR_TYPE_DNSKEY || sig->algorithm != key->algorithm ||
	    sig->key_tag != kr_dnskey_keytag(key) || !kr_name_equal(&sig->signer, owner) ||
	    sig->labels != kr_name_labels(owner) || key->protocol != 3 ||
	    !(key->flags & KR_DNSKEY_ZONE))
		return KR_EBADSIG;
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = kr_rrset_signed_data(sig, owner, keys, nkeys, &data, &len);
	if (rc)
		return rc;
	rc = kr_verify_raw(key, data, len, sig->sig, sig->sig_len);
	free(data);
	return rc;
}

int kr_rrsig_check_time(const struct kr_rrsig *sig, int64_t now)
{
	int32_t since_inception = (int32_t)((uint32_t)now - sig->inception);
	int32_t to_expiration = (int32_t)(sig->expiration - (uint32_t)now);
	return since_inception >= 0 && to_expiration >= 0 ? KR_OK : KR_ERANGE;
}

int kr_pkey_sign(EVP_PKEY *pkey, uint8_t alg, const uint8_t *data, size_t len, uint8_t *sig,
		 size_t *sig_len)
{
	if (pkey == NULL || data == NULL || sig == NULL || sig_len == NULL)
		return KR_EINVAL;
	if (!kr_alg_supported(alg))
		return KR_EALG;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *der = NULL;
	size_t der_len = 0;
	int rc = KR_ECRYPTO;
	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, alg_md(alg), NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &der_len, data, len) != 1 ||
	    (der = OPENSSL_malloc(der_len)) == NULL ||
	    EVP_DigestSign(ctx, der, &der_len, data, len) != 1)
		goto out;
	if (is_ecdsa(alg)) {
		size_t half = ec_point_len(alg) / 2;
		const uint8_t *p = der;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
		if (es == NULL)
			goto out;
		if (*sig_len < 2 * half ||
		    BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, (int)half) != (int)half ||
		    BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + half, (int)half) != (int)half) {
			ECDSA_SIG_free(es);
			rc = KR_ETOOBIG;
			goto out;
		}
		ECDSA_SIG_free(es);
		*sig_len = 2 * half;
	} else {
		if (der_len > *sig_len) {
			rc = KR_ETOOBIG;
			goto out;
		}
		memcpy(sig, der, der_len);
		*sig_len = der_len;
	}
	rc = KR_OK;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	return rc;
}

static int pkey_signer_sign(void *ctx, uint8_t alg, const uint8_t *data, size_t len, uint8_t *sig,
			    size_t *sig_len)
{
	return kr_pkey_sign(ctx, alg, data, len, sig, sig_len);
}

int kr_signer_from_pkey(EVP_PKEY *pkey, uint8_t alg, uint16_t flags, struct kr_signer *out)
{
	if (pkey == NULL || out == NULL)
		return KR_EINVAL;
	int rc = kr_dnskey_from_pkey(pkey, alg, flags, &out->key);
	if (rc)
		return rc;
	out->ctx = pkey;
	out->sign = pkey_signer_sign;
	return KR_OK;
}

int kr_rrsig_sign(const struct kr_signer *signer, const struct kr_name *owner,
		  const struct kr_dnskey *keys, size_t nkeys, uint32_t original_ttl,
		  uint32_t inception, uint32_t expiration, struct kr_rrsig *out)
{
	if (signer == NULL || signer->sign == NULL || owner == NULL || keys == NULL || out == NULL)
		return KR_EINVAL;
	struct kr_rrsig s = {
		.type_covered = KR_TYPE_DNSKEY,
		.algorithm = signer->key.algorithm,
		.labels = (uint8_t)kr_name_labels(owner),
		.original_ttl = original_ttl,
		.expiration = expiration,
		.inception = inception,
		.key_tag = kr_dnskey_keytag(&signer->key),
		.signer = *owner,
	};
	uint8_t *data = NULL;
	size_t len = 0, sig_len = sizeof(s.sig);
	int rc = kr_rrset_signed_data(&s, owner, keys, nkeys, &data, &len);
	if (rc)
		return rc;
	rc = signer->sign(signer->ctx, s.algorithm, data, len, s.sig, &sig_len);
	free(data);
	if (rc)
		return rc;
	s.sig_len = (uint16_t)sig_len;
	rc = kr_rrsig_verify(&s, owner, keys, nkeys, &signer->key);
	if (rc) {
		memset(out, 0, sizeof(*out));
		return rc == KR_EBADSIG ? KR_EBADSIG : rc;
	}
	*out = s;
	return KR_OK;
}
