/*
 * keystore.h - KSKs in a PKCS#11 token.
 *
 * libp11 handles module, token, session, login and EVP signing (RSA, ECDSA);
 * raw PKCS#11 is used where libp11 0.4.12 falls short (EC and Ed25519 key
 * generation, exact templates, EdDSA signing, attribute reads).  Tokens are
 * selected by label or serial, never by slot id.  Private keys never leave
 * the token: a struct kr_signer from kr_keystore_signer() signs inside it.
 */
#ifndef KR_KEYSTORE_H
#define KR_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "lib/dnssec.h"

struct kr_keystore; /* a loaded module with an open session on one token */

struct kr_keystore_opts {
	const char *module;       /* NULL: $KEYROLL_PKCS11_MODULE, else SoftHSM2's module */
	const char *token_label;  /* select by label ... */
	const char *token_serial; /* ... or by serial (either may be NULL, not both) */
};

/* Load the module and open a read-write session on the token.
 * KR_ENOTFOUND: no such token; KR_EHSM: module missing or failing. */
int kr_keystore_open(const struct kr_keystore_opts *opts, struct kr_keystore **out);
/* User login.  KR_EPIN on a wrong PIN.  The caller wipes pin afterwards. */
int kr_keystore_login(struct kr_keystore *ks, const char *pin);
/* Log out, close, unload.  NULL-safe. */
void kr_keystore_close(struct kr_keystore *ks);

/* One key pair as the token reports it. */
struct kr_keyinfo {
	char label[128];
	uint8_t id[64];
	size_t id_len;
	uint8_t algorithm;       /* DNSSEC algorithm (RSA keys: as recorded at keygen, else 8) */
	unsigned bits;
	struct kr_dnskey dnskey; /* public key with flags 257 */
	/* private key attributes */
	int sensitive, always_sensitive, extractable, never_extractable;
	int can_sign, can_decrypt, can_unwrap, can_derive, local;
};

/* All key pairs with a private key on the token; *keys is allocated (caller
 * frees with free()). */
int kr_keystore_list(struct kr_keystore *ks, struct kr_keyinfo **keys, size_t *n);
/* The key pair labelled label.  KR_ENOTFOUND if none, KR_EEXIST if several. */
int kr_keystore_find(struct kr_keystore *ks, const char *label, struct kr_keyinfo *out);

/* Generate a KSK pair inside the token with the DESIGN.md template.  bits is
 * used for RSA only (0 = 2048).  KR_EEXIST if the label is taken. */
int kr_keystore_generate(struct kr_keystore *ks, const char *label, uint8_t alg, unsigned bits,
			 struct kr_keyinfo *out);
/* Bring a software key pair into the token (migration, test vectors). */
int kr_keystore_import(struct kr_keystore *ks, const char *label, uint8_t alg, EVP_PKEY *pkey,
		       struct kr_keyinfo *out);
/* Destroy both halves of the pair. */
int kr_keystore_delete(struct kr_keystore *ks, const char *label);

/*
 * A signer for the key labelled label, signing as the DNSKEY with the given
 * flags (257, or 385 for its revoked form).  Valid until kr_keystore_close();
 * release with kr_keystore_signer_free().
 */
int kr_keystore_signer(struct kr_keystore *ks, const char *label, uint16_t flags,
		       struct kr_signer *out);
void kr_keystore_signer_free(struct kr_signer *signer);

/* An EVP_PKEY whose private operations run in the token (RSA and ECDSA, via
 * libp11): for OpenSSL consumers such as CMS.  Caller frees with EVP_PKEY_free(). */
int kr_keystore_pkey(struct kr_keystore *ks, const char *label, EVP_PKEY **out);

/* --- tool side: the options every HSM-using command shares ----------------- */

struct kr_hsm_opts {
	const char *module;
	const char *token;    /* label; also $KEYROLL_TOKEN */
	const char *pin_file; /* PIN source: this file, else $KEYROLL_PIN, else a no-echo prompt */
	const char *const *cards; /* officer cards (M-of-N activation) instead of a PIN; NULL-terminated */
};

/* Open the token and log in per opts; the PIN is wiped right after login. */
int kr_hsm_open(const struct kr_hsm_opts *opts, struct kr_keystore **out);

/* Read a PIN from file (first line; trailing newline removed), else
 * $KEYROLL_PIN, else prompt without echo on /dev/tty.  buf is wiped on error. */
int kr_pin_read(const char *pin_file, const char *prompt, char *buf, size_t size);

#endif
