/*
 * cards.h - crypto officer cards: M of N officers activate the HSM instead
 * of one person typing the PIN.  kr_hsm_open() calls kr_cards_pin() when
 * --card options are given.
 */
#ifndef KR_HSM_CARDS_H
#define KR_HSM_CARDS_H

#include <stddef.h>

/*
 * Recover the user PIN of token_label from the officer cards (file paths,
 * NULL-terminated) into pin (capacity size, NUL-terminated).  On failure it
 * has printed an "error: ..." line and pin is wiped.
 */
int kr_cards_pin(const char *const *cards, const char *token_label, char *pin, size_t size);

#endif
