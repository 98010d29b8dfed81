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

/*
 * Write cards[0..n) to DIR/PREFIX-I.card (mode 0600, atomically), sealing
 * each under its holder's passphrase first when seal is set (passphrase as
 * above; on a terminal asked twice).  Refuses to overwrite.  Prints errors.
 */
int kr_cards_write(const char *dir, const char *prefix, struct kr_card *cards, size_t n, int seal);

/* The N holder names: names[i] if given, else "officer I" / "holder I".
 * Returns a NULL-terminated vector (caller frees the vector and strings). */
char **kr_cards_names(const char *const *given, size_t ngiven, size_t n, const char *dflt);

#endif
