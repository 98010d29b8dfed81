/*
 * hsm_sign - DNSKEY RRset signatures per second, for one token key:
 *   raw C_Sign        the token's own cost (C_SignInit + C_Sign; ECDSA with
 *                     the host-side hash CKM_ECDSA needs)
 *   keystore signer   kr_keystore_signer()'s sign(): what keyroll adds to it
 *   kr_rrsig_sign     the whole RRSIG: signed data, token signature, and the
 *                     software re-verification the SKR path requires
 *   libp11 EVP        the same key through libp11's EVP_PKEY (CMS's path)
 *   OpenSSL           EVP_DigestSign with a software key of the same type
 * Rates are per CPU second of this process (the token is SoftHSM, in-process).
 * Usage: hsm_sign TOKEN LABEL ALG [SECONDS]; PIN from $KEYROLL_PIN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "hsm/keystore.h"
#include "lib/dnssec.h"
#include "lib/error.h"

/* CPU time of this process: SoftHSM runs in-process, so this counts the
 * token's work too, and other load on the machine does not skew it. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct ctx {
	uint8_t alg;
	const uint8_t *data;
	size_t len;
	struct kr_signer *signer;
	CK_FUNCTION_LIST_PTR f;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE priv;
	EVP_PKEY *pkey;
	const struct kr_name *owner;
	const struct kr_dnskey *keys;
	size_t nkeys;
};

typedef int (*op_fn)(struct ctx *c);

static int op_raw(struct ctx *c)
{
	uint8_t md[64], sig[1024];
	unsigned mdlen = 0;
	CK_MECHANISM m = {CKM_SHA256_RSA_PKCS, NULL, 0};
	const uint8_t *in = c->data;
	CK_ULONG inlen = c->len, siglen = sizeof(sig);
	if (c->alg == KR_ALG_ECDSAP256SHA256) {
		m.mechanism = CKM_ECDSA;
		if (EVP_Digest(c->data, c->len, md, &mdlen, EVP_sha256(), NULL) != 1)
			return -1;
		in = md;
		inlen = mdlen;
	}
	if (c->f->C_SignInit(c->s, &m, c->priv) != CKR_OK ||
	    c->f->C_Sign(c->s, (CK_BYTE_PTR)in, inlen, sig, &siglen) != CKR_OK)
		return -1;
	return 0;
}

static int op_signer(struct ctx *c)
{
	uint8_t sig[1024];
	size_t siglen = sizeof(sig);
	return c->signer->sign(c->signer->ctx, c->alg, c->data, c->len, sig, &siglen);
}

static int op_rrsig(struct ctx *c)
{
	struct kr_rrsig sig;
	return kr_rrsig_sign(c->signer, c->owner, c->keys, c->nkeys, 172800, 1700000000,
			     1701814400, &sig);
}

static int op_evp(struct ctx *c)
{
	uint8_t sig[1024];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, c->pkey) == 1 &&
		 EVP_DigestSign(md, sig, &siglen, c->data, c->len) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

/* Signatures per second over about secs seconds. */
static double rate(op_fn fn, struct ctx *c, double secs)
{
	long n = 0;
	double t0 = now(), t;
	do {
		for (int i = 0; i < 10; i++, n++)
			if (fn(c) != 0)
				return -1;
		t = now();
	} while (t - t0 < secs);
	return (double)n / (t - t0);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: hsm_sign TOKEN LABEL ALG [SECONDS]\n");
		return 2;
	}
	const char *pin = getenv("KEYROLL_PIN");
	double secs = argc > 4 ? atof(argv[4]) : 1.0;
	uint8_t alg = 0;
	struct kr_keystore *ks = NULL;
	struct kr_keystore_opts o = {.token_label = argv[1]};
	struct kr_signer signer;
	struct kr_name owner;
	struct ctx c = {0};
	if (pin == NULL || kr_alg_from_name(argv[3], &alg) != KR_OK ||
	    (alg != KR_ALG_RSASHA256 && alg != KR_ALG_ECDSAP256SHA256)) {
		fprintf(stderr, "hsm_sign: need $KEYROLL_PIN and ALG RSASHA256 or ECDSAP256SHA256\n");
		return 2;
	}
	if (kr_keystore_open(&o, &ks) || kr_keystore_login(ks, pin) ||
	    kr_keystore_signer(ks, argv[2], 257, &signer) ||
	    kr_keystore_p11(ks, &c.f, &c.s) || kr_keystore_handles(ks, argv[2], &c.priv, NULL)) {
		fprintf(stderr, "hsm_sign: cannot use key %s on token %s\n", argv[2], argv[1]);
		return 3;
	}
	/* A root-like DNSKEY RRset: the KSK and two RSA-2048-sized ZSKs. */
	struct kr_dnskey keys[3] = {signer.key};
	for (int i = 1; i < 3; i++) {
		keys[i] = (struct kr_dnskey){.flags = 256, .protocol = 3, .algorithm = alg};
		keys[i].pubkey_len = alg == KR_ALG_RSASHA256 ? 260 : 64;
		memset(keys[i].pubkey, 0x30 + i, keys[i].pubkey_len);
		keys[i].pubkey[0] = 3;
	}
	struct kr_rrsig tmpl = {.type_covered = KR_TYPE_DNSKEY, .algorithm = alg,
				.original_ttl = 172800, .expiration = 1701814400,
				.inception = 1700000000, .key_tag = kr_dnskey_keytag(&signer.key)};
	uint8_t *data = NULL;
	size_t len = 0;
	kr_name_from_str(".", &owner);
	tmpl.signer = owner;
	if (kr_rrset_signed_data(&tmpl, &owner, keys, 3, &data, &len) != KR_OK)
		return 3;
	c.alg = alg;
	c.data = data;
	c.len = len;
	c.signer = &signer;
	c.owner = &owner;
	c.keys = keys;
	c.nkeys = 3;

	/* The methods take turns in short slices, and each keeps its best slice:
	 * other load on the machine then hits them alike instead of skewing one. */
	EVP_PKEY *token_pkey = NULL, *soft = NULL;
	if (kr_keystore_pkey(ks, argv[2], &token_pkey) != KR_OK)
		token_pkey = NULL;
	soft = alg == KR_ALG_RSASHA256 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
				       : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	double raw = 0, ks_sign = 0, rrsig = 0, p11evp = -1, ossl = -1, r;
	enum { ROUNDS = 8 };
	for (int round = 0; round < ROUNDS; round++) {
		double slice = secs / ROUNDS;
		if ((r = rate(op_raw, &c, slice)) > raw)
			raw = r;
		if ((r = rate(op_signer, &c, slice)) > ks_sign)
			ks_sign = r;
		if ((r = rate(op_rrsig, &c, slice)) > rrsig)
			rrsig = r;
		if (token_pkey != NULL) {
			c.pkey = token_pkey;
			if ((r = rate(op_evp, &c, slice)) > p11evp)
				p11evp = r;
		}
		if (soft != NULL) {
			c.pkey = soft;
			if ((r = rate(op_evp, &c, slice)) > ossl)
				ossl = r;
		}
	}
	EVP_PKEY_free(token_pkey);
	EVP_PKEY_free(soft);

	const char *name = alg == KR_ALG_RSASHA256 ? "RSA-2048 (RSASHA256)" : "P-256 (ECDSAP256SHA256)";
	printf("%s, DNSKEY RRset of 3 keys (%zu bytes signed), best of %d slices of %.2f CPU s\n",
	       name, len, ROUNDS, secs / ROUNDS);
	printf("  %-34s %10.0f sig/s\n", "token raw C_Sign", raw);
	printf("  %-34s %10.0f sig/s  keystore overhead %+.1f %%\n", "keystore signer (C_Sign path)",
	       ks_sign, (raw / ks_sign - 1) * 100);
	printf("  %-34s %10.0f sig/s  %+.1f %% over raw C_Sign\n",
	       "kr_rrsig_sign (+ software verify)", rrsig, (raw / rrsig - 1) * 100);
	if (p11evp > 0)
		printf("  %-34s %10.0f sig/s  %+.1f %% over raw C_Sign\n", "libp11 EVP_PKEY", p11evp,
		       (raw / p11evp - 1) * 100);
	printf("  %-34s %10.0f sig/s  %.1fx the token's rate\n", "OpenSSL EVP, software key", ossl,
	       ossl / raw);
	if (alg == KR_ALG_ECDSAP256SHA256)
		printf("  (kr_rrsig_sign re-verifies each signature in software; for ECDSA the\n"
		       "   verification costs more than the token's signing)\n");
	free(data);
	kr_keystore_signer_free(&signer);
	kr_keystore_close(ks);
	return raw > 0 && ks_sign > 0 && rrsig > 0 && ossl > 0 ? 0 : 1;
}
