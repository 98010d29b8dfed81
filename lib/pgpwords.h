/*
 * pgpwords.h - the PGP word list (Juola & Zimmermann), for reading hashes
 * aloud in ceremonies: bytes at even positions (0, 2, ...) use the
 * two-syllable list, odd positions the three-syllable list.
 */
#ifndef KR_PGPWORDS_H
#define KR_PGPWORDS_H

#include <stddef.h>
#include <stdint.h>

/* The word for byte b at position pos. */
const char *kr_pgp_word(uint8_t b, size_t pos);
/* Words for len bytes, separated by single spaces; caller frees with free(). */
int kr_pgp_words(const uint8_t *data, size_t len, char **out);

#endif
