/*
 * backup.h - moving a KSK between tokens under an M-of-N key-encryption key.
 *
 * The KEK is 32 random bytes (RAND_bytes) that exist outside a token only
 * as recovery cards (hsm/shares.h, kind "recovery"): keyroll-hsm backup-kek
 * splits it and has the security officer install it in the source token as
 * a trusted, wrap-only, non-extractable AES key (CKA_TRUSTED can only be set
 * by the SO; SoftHSM 2.6.1 enforces this).  A backup-capable KSK
 * (KR_KEYGEN_BACKUP: EXTRACTABLE with WRAP_WITH_TRUSTED) can then be wrapped
 * with CKM_AES_KEY_WRAP_PAD - by that KEK only; any other key stays inside.
 * Restoring rebuilds the KEK from M recovery cards as a session key in the
 * target token, unwraps, and destroys the KEK.
 *
 * The container is a canonical CBOR map, keys in this order: "v" 1, "type"
 * "keyroll-key-backup", "label", "id" (CKA_ID), "algorithm", "dnskey"
 * (RDATA, flags 257), "zone", "ds" (SHA-256 digest), "key-tag",
 * "mechanism" "CKM_AES_KEY_WRAP_PAD", "wrapped", "kek" (the KEK fingerprint,
 * which is its recovery cards' check value), "source" (token serial),
 * "created" (seconds since the epoch).
 */
#ifndef KR_HSM_BACKUP_H
#define KR_HSM_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "hsm/keystore.h"

#define KR_KEK_LEN 32
#define KR_KEK_LABEL "keyroll-backup-kek"
#define KR_BACKUP_MAX_SIZE (64 * 1024)

struct kr_backup {
	char label[128];
	uint8_t id[64];
	size_t id_len;
	struct kr_dnskey dnskey;
	struct kr_name zone;
	uint8_t ds[32];
	uint8_t kek[32];   /* KEK fingerprint */
	char source[33];   /* serial of the token it came from */
	uint64_t created;
	uint8_t *wrapped;  /* owned; kr_backup_clear() frees */
	size_t wrapped_len;
};

int kr_backup_encode(const struct kr_backup *b, uint8_t **out, size_t *len);
/* Strict decode (KR_EMALFORMED for anything unexpected; the DS is
 * recomputed and must match the DNSKEY). */
int kr_backup_decode(const uint8_t *buf, size_t len, struct kr_backup *out);
void kr_backup_clear(struct kr_backup *b);

/* The fingerprint of a KEK (= kr_card_check("recovery", "", kek)). */
int kr_kek_fingerprint(const uint8_t kek[KR_KEK_LEN], uint8_t fp[32]);

/*
 * Install kek in the token as the trusted backup KEK (token object labelled
 * KR_KEK_LABEL, CKA_ID its fingerprint): logs in as security officer with
 * so_pin, creates it, logs out.  ks must not be logged in.  KR_EEXIST if the
 * token has a backup KEK already, KR_EPIN if the SO PIN is refused.
 */
int kr_backup_kek_install(struct kr_keystore *ks, const char *so_pin, const uint8_t kek[KR_KEK_LEN]);
/* The token's backup KEK and its fingerprint; KR_ENOTFOUND if none. */
int kr_backup_kek_find(struct kr_keystore *ks, CK_OBJECT_HANDLE *kek, uint8_t fp[32]);

/*
 * Wrap the key pair labelled label under the token's backup KEK into b
 * (user logged in).  KR_EDENIED, before any wrapping is tried, when the key
 * was not generated for backup; KR_ENOTFOUND when the token has no KEK.
 */
int kr_backup_wrap(struct kr_keystore *ks, const char *label, const struct kr_name *zone,
		   struct kr_backup *b);

/*
 * Restore b into the token under label (NULL: b's label): load kek as a
 * session key, unwrap with the backup-capable KSK template, destroy the KEK
 * on every path.  KR_EDENIED if kek's fingerprint is not b's.
 */
int kr_backup_restore(struct kr_keystore *ks, const struct kr_backup *b,
		      const uint8_t kek[KR_KEK_LEN], const char *label, struct kr_keyinfo *out);

#endif
