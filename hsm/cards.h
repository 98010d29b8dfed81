/*
 * cards.h - crypto officer cards: M of N officers activate the HSM instead
 * of one person typing the PIN.  kr_hsm_open() calls kr_cards_pin_serial()
 * when --card options are given.  Tool side: these print their errors.
 *
 * A sealed card's passphrase comes from $KEYROLL_PASSPHRASE_DIR/NAME.pass
 * (NAME: the card file's name; for rehearsals and tests), else from a
 * no-echo prompt on the terminal; never from the command line.
 */
#ifndef KR_HSM_CARDS_H
#define KR_HSM_CARDS_H

#include <stddef.h>

#include "hsm/shares.h"

/*
 * Recover the user PIN of token_label from the officer cards (file paths,
 * NULL-terminated) into pin (capacity size, NUL-terminated).  On failure it
 * has printed an "error: ..." line and pin is wiped.
 */
int kr_cards_pin(const char *const *cards, const char *token_label, char *pin, size_t size);
/* The same, also requiring the cards to name the token's serial. */
int kr_cards_pin_serial(const char *const *cards, const char *token_label, const char *serial,
			char *pin, size_t size);

/*
 * Read, decode and (with a passphrase, see above) unseal the card files
 * paths[0..n) of kind ("officer" or "recovery") into cards[].  Prints the
 * error naming the file.  The caller wipes cards[] (kr_card_wipe).
 */
int kr_cards_read(const char *const *paths, size_t n, const char *kind, struct kr_card *cards);

/* KR_OK if none of DIR/PREFIX-1.card .. DIR/PREFIX-N.card exists; else
 * prints which one does and returns KR_EEXIST (cards are never overwritten). */
int kr_cards_free(const char *dir, const char *prefix, unsigned n);

/*
 * Split secret into n cards of kind, any m of which rebuild it, and write
 * them to DIR/PREFIX-I.card (mode 0600, atomically; DIR is created), sealing
 * each under its holder's passphrase first when seal is set (passphrase as
 * above; on a terminal asked twice).  Holder I is names[I-1] if given, else
 * "officer I" / "holder I".  token and serial bind officer cards (NULL for
 * recovery cards).  Prints errors; the cards are wiped before returning.
 */
int kr_cards_issue(const uint8_t *secret, size_t len, const char *kind, unsigned m, unsigned n,
		   const char *const *names, size_t nnames, const char *token, const char *serial,
		   const char *dir, const char *prefix, int seal);

#endif
