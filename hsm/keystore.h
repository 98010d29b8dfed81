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
#include <p11-kit/pkcs11.h>

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
	int wrap_with_trusted; /* backup-capable: wraps only under a trusted KEK */
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
/*
 * The same with options: KR_KEYGEN_BACKUP makes a backup-capable KSK,
 * EXTRACTABLE only together with WRAP_WITH_TRUSTED, so the token lets it out
 * solely wrapped under a KEK the security officer marked trusted
 * (hsm/backup.h).  Every other attribute is the KSK template.
 */
enum { KR_KEYGEN_BACKUP = 1 };
int kr_keystore_generate_ex(struct kr_keystore *ks, const char *label, uint8_t alg, unsigned bits,
			    unsigned flags, struct kr_keyinfo *out);
/*
 * Recreate a backed-up key pair: unwrap wrapped (CKM_AES_KEY_WRAP_PAD under
 * the secret key kek) into a token private key with the backup-capable KSK
 * template and CKA_ID id, and create its public half from dnskey.  The pair
 * is checked to sign for dnskey; otherwise both halves are destroyed
 * (KR_EBADSIG).  KR_EEXIST if label is taken.
 */
int kr_keystore_unwrap(struct kr_keystore *ks, const char *label, const uint8_t *id, size_t id_len,
		       const struct kr_dnskey *dnskey, CK_OBJECT_HANDLE kek, const uint8_t *wrapped,
		       size_t wrapped_len, struct kr_keyinfo *out);
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
/* A signer over a fresh session key pair (not stored on the token; destroyed
 * by kr_keystore_signer_free()), for self tests.  bits as for generate. */
int kr_keystore_ephemeral_signer(struct kr_keystore *ks, uint8_t alg, unsigned bits,
				 struct kr_signer *out);

/* An EVP_PKEY whose private operations run in the token (RSA and ECDSA, via
 * libp11): for OpenSSL consumers such as CMS.  Caller frees with EVP_PKEY_free(),
 * before kr_keystore_close().  libp11 0.4.12 cannot enumerate the keys of a
 * token holding an Ed25519 key: there this is KR_EHSM (kr_keystore_signer()
 * works on every token). */
int kr_keystore_pkey(struct kr_keystore *ks, const char *label, EVP_PKEY **out);

/*
 * How the DNSSEC algorithm of a key is recorded: keyroll gives every key it
 * generates or imports the CKA_ID  'K' 'R' 0x01 <alg>  followed by 16 random
 * bytes.  Keys with any other CKA_ID get the algorithm their type implies
 * (RSA: 8, EC: by curve, Ed25519: 15).
 */
enum { KR_KEYID_PREFIX_LEN = 4, KR_KEYID_RANDOM_LEN = 16 };

/* Token and module facts for reports (selftest). */
struct kr_tokeninfo {
	char module[256];
	char library[64];       /* module's libraryDescription */
	unsigned lib_major, lib_minor;
	char label[33], manufacturer[33], model[17], serial[17];
	int logged_in;
};
int kr_keystore_info(struct kr_keystore *ks, struct kr_tokeninfo *out);

/*
 * Initialise a token on a free (uninitialised) slot of module with label,
 * set the SO PIN and the user PIN.  KR_EEXIST if a token already has that
 * label, KR_ENOTFOUND if the module has no free slot, KR_EPIN if a PIN's length
 * is outside the token's limits (checked before anything is changed).  The
 * caller wipes the PINs.
 */
int kr_keystore_init_token(const char *module, const char *label, const char *so_pin,
			   const char *pin);

/*
 * Raw PKCS#11 access for operations the keystore does not wrap (key backup
 * with C_WrapKey/C_UnwrapKey): the module's function list and the keystore's
 * read-write session, valid until kr_keystore_close().  Never call
 * C_Finalize or C_CloseSession on them.
 */
int kr_keystore_p11(struct kr_keystore *ks, CK_FUNCTION_LIST_PTR *funcs, CK_SESSION_HANDLE *session);
/* The object handles of the pair labelled label (pub may be NULL). */
int kr_keystore_handles(struct kr_keystore *ks, const char *label, CK_OBJECT_HANDLE *priv,
			CK_OBJECT_HANDLE *pub);

/* --- tool side: the options every HSM-using command shares ----------------- */

struct kr_hsm_opts {
	const char *module;
	const char *token;    /* label; also $KEYROLL_TOKEN */
	const char *pin_file; /* PIN source: this file, else $KEYROLL_PIN, else a no-echo prompt */
	const char *const *cards; /* officer cards (M-of-N activation) instead of a PIN; NULL-terminated */
};

/*
 * Open the token and log in per opts; the PIN is wiped right after login.
 * Tool-side helper: on failure it has printed an "error: ..." line naming
 * the problem (module, token, PIN source, login), so the caller only returns
 * kr_exit_status(rc).  With SoftHSM2's module and SOFTHSM2_CONF unset, it uses
 * the embedded token store ./var/softhsm2.conf (see kr_hsm_embedded()).
 */
int kr_hsm_open(const struct kr_hsm_opts *opts, struct kr_keystore **out);
/* kr_hsm_open() in two halves, for work between opening and user login
 * (the security officer's session in keyroll-hsm backup-kek). */
int kr_hsm_connect(const struct kr_hsm_opts *opts, struct kr_keystore **out);
int kr_hsm_login(struct kr_keystore *ks, const struct kr_hsm_opts *opts);

/*
 * The embedded default token store: when module (after the NULL/env
 * defaults) is SoftHSM2's and SOFTHSM2_CONF is unset, point SOFTHSM2_CONF at
 * $PWD/var/softhsm2.conf; create it (tokendir $PWD/var/tokens) if create is
 * set, else KR_ENOTFOUND when it does not exist.  0 and nothing done otherwise.
 */
int kr_hsm_embedded(const char *module, int create);

/* Prompt on /dev/tty without echo and read one line into buf (passphrases). */
int kr_tty_secret(const char *prompt, char *buf, size_t size);

/* Read a PIN from file (first line; trailing newline removed), else
 * $KEYROLL_PIN, else prompt without echo on /dev/tty.  buf is wiped on error. */
int kr_pin_read(const char *pin_file, const char *prompt, char *buf, size_t size);

#endif
