/*
 * fuzz_card.c - libFuzzer harness for the officer/recovery card and key
 * backup container decoders (hsm/shares.c, hsm/backup.c).  A card or
 * container that decodes re-encodes to exactly its input (one encoding per
 * value); a card never combines with itself.
 * Seed corpus: tests/fuzz/corpus/fuzz_card (cards, sealed cards, a backup).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hsm/backup.h"
#include "hsm/shares.h"
#include "lib/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_card c[2];
	uint8_t *enc = NULL, secret[KR_SHARE_MAX];
	size_t len = 0, slen = 0;
	if (kr_card_decode(data, size, &c[0]) == KR_OK) {
		if (kr_card_encode(&c[0], &enc, &len) != KR_OK || len != size ||
		    memcmp(enc, data, size) != 0)
			abort();
		free(enc);
		c[1] = c[0];
		if (!c[0].sealed &&
		    kr_cards_combine(c, 2, c[0].kind, NULL, secret, &slen, NULL, 0) != KR_EPOLICY)
			abort();
	}
	struct kr_backup b;
	if (kr_backup_decode(data, size, &b) == KR_OK) {
		if (kr_backup_encode(&b, &enc, &len) != KR_OK || len != size ||
		    memcmp(enc, data, size) != 0)
			abort();
		free(enc);
		kr_backup_clear(&b);
	}
	return 0;
}
