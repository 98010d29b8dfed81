/*
 * shares.h - M-of-N secret sharing (Shamir over GF(2^8), libgfshare) and the
 * cards that carry one share each: officer cards (the token's user PIN) and
 * recovery cards (a backup key-encryption key).
 *
 * A card is a canonical CBOR map (lib/cbor.h), keys in this order:
 *   "v" 1, "kind" "officer"|"recovery", "name" holder, "index" 1..255 (the
 *   share's x coordinate), "threshold" M, "count" N, "token" label and
 *   "serial" (officer cards only), "set" 16 random bytes shared by the N cards
 *   of one split, "check" 32 bytes, then "share" (the share in clear) or
 *   "sealed" {"kdf" "scrypt", "salt", "n", "r", "p", "nonce", "ct", "tag"}:
 *   the share under AES-256-GCM with a key from scrypt(passphrase), the
 *   card's set, index, kind and serial as associated data.
 *
 * "check" is SHA-256("keyroll card check v1" NUL kind NUL serial NUL secret):
 * after combining, a result that does not hash to it means a forged or
 * damaged card.  It reveals nothing usable: the secrets are 128+ random bits.
 * For recovery cards it is also the KEK fingerprint a backup names.
 */
#ifndef KR_HSM_SHARES_H
#define KR_HSM_SHARES_H

#include <stddef.h>
#include <stdint.h>

#define KR_SHARE_MAX 64        /* longest secret that can be split */
#define KR_CARD_MAX_SIZE 4096  /* a card file is never larger */
#define KR_CARD_SET_LEN 16
#define KR_CARD_CHECK_LEN 32

struct kr_card {
	char kind[16];        /* "officer" or "recovery" */
	char name[128];       /* the holder */
	unsigned index;       /* 1..255 */
	unsigned threshold;   /* M */
	unsigned count;       /* N */
	char token[33];       /* officer cards: token label ... */
	char serial[33];      /* ... and serial */
	uint8_t set[KR_CARD_SET_LEN];
	uint8_t check[KR_CARD_CHECK_LEN];
	int sealed;           /* share is still encrypted (see kr_card_unseal) */
	uint8_t share[KR_SHARE_MAX];
	size_t share_len;
	/* sealed cards */
	uint8_t salt[16], nonce[12], tag[16];
	uint64_t scrypt_n;
	uint32_t scrypt_r, scrypt_p;
};

/* The check value of secret for kind and serial ("" for none). */
int kr_card_check(const char *kind, const char *serial, const uint8_t *secret, size_t len,
		  uint8_t out[KR_CARD_CHECK_LEN]);

/*
 * Split secret (len <= KR_SHARE_MAX) into count cards (count <= 255) of which
 * any threshold (2..count) rebuild it.  names[i] is card i's holder; kind,
 * token and serial fill the cards' fields (token/serial NULL for recovery).
 * cards[] gets count entries, unsealed.  Randomness: OpenSSL RAND_bytes.
 */
int kr_cards_split(const uint8_t *secret, size_t len, unsigned threshold, unsigned count,
		   const char *kind, const char *const *names, const char *token,
		   const char *serial, struct kr_card *cards);

/* Encrypt card's share under passphrase (scrypt with N=2^16, r=8, p=1). */
int kr_card_seal(struct kr_card *card, const char *passphrase);
/* Decrypt a sealed card.  KR_EPIN when the passphrase is wrong (or the card
 * was altered: GCM cannot tell the two apart). */
int kr_card_unseal(struct kr_card *card, const char *passphrase);

/* Encode (out allocated, caller frees) and decode a card; decoding is
 * strict: unknown, missing or misordered keys and out-of-range values are
 * KR_EMALFORMED. */
int kr_card_encode(const struct kr_card *card, uint8_t **out, size_t *len);
int kr_card_decode(const uint8_t *buf, size_t len, struct kr_card *out);

/*
 * Rebuild the secret from n unsealed cards of one set.  Checks that they
 * agree (kind, set, threshold, count, token, serial, check), that
 * serial (if not NULL) is theirs, that no index repeats, that there are at
 * least threshold of them, and that the result matches the check value.
 * secret needs KR_SHARE_MAX bytes; on failure it is wiped and why names the
 * problem.  KR_EPOLICY: too few or duplicated cards; KR_EDENIED: cards of
 * another token or set; KR_EBADSIG: forged or damaged card.
 */
int kr_cards_combine(const struct kr_card *cards, size_t n, const char *kind, const char *serial,
		     uint8_t *secret, size_t *len, char *why, size_t whysize);

/* Wipe a card (it may hold a share). */
void kr_card_wipe(struct kr_card *card);

#endif
