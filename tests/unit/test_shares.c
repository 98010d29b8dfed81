/* M-of-N cards (hsm/shares.h): split, combine, seal, encode/decode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hsm/shares.h"
#include "lib/error.h"

static const char *const names[] = {"A", "B", "C", "D"};
static const uint8_t secret[] = "correct horse battery";

static void split(struct kr_card *cards, const char *kind, const char *serial)
{
	assert_int_equal(kr_cards_split(secret, sizeof(secret) - 1, 3, 4, kind, names,
					 serial ? "tok" : NULL, serial, cards),
			 KR_OK);
}

static int combine(const struct kr_card *c, size_t n, const char *serial, char *why)
{
	uint8_t out[KR_SHARE_MAX];
	size_t len = 0;
	int rc = kr_cards_combine(c, n, "officer", serial, out, &len, why, 256);
	if (rc == KR_OK) {
		assert_int_equal(len, sizeof(secret) - 1);
		assert_memory_equal(out, secret, len);
	}
	return rc;
}

static void test_quorum(void **state)
{
	(void)state;
	struct kr_card c[4], pick[4];
	char why[256];
	split(c, "officer", "SERIAL1");
	/* every 3-subset and the full set rebuild the secret */
	for (int skip = 0; skip < 4; skip++) {
		size_t n = 0;
		for (int i = 0; i < 4; i++)
			if (i != skip)
				pick[n++] = c[i];
		assert_int_equal(combine(pick, 3, "SERIAL1", why), KR_OK);
	}
	assert_int_equal(combine(c, 4, "SERIAL1", why), KR_OK);
	assert_int_equal(combine(c, 2, "SERIAL1", why), KR_EPOLICY);
	assert_non_null(strstr(why, "quorum is 3 of 4"));
	pick[0] = c[0], pick[1] = c[1], pick[2] = c[1];
	assert_int_equal(combine(pick, 3, "SERIAL1", why), KR_EPOLICY);
	assert_non_null(strstr(why, "given twice"));
	assert_int_equal(combine(c, 3, "OTHER", why), KR_EDENIED);
	pick[0] = c[0], pick[1] = c[1], pick[2] = c[2];
	pick[2].share[3] ^= 1;
	assert_int_equal(combine(pick, 3, "SERIAL1", why), KR_EBADSIG);
	assert_non_null(strstr(why, "forged"));
	/* a card of another split of the same secret */
	struct kr_card d[4];
	split(d, "officer", "SERIAL1");
	pick[2] = d[2];
	assert_int_equal(combine(pick, 3, "SERIAL1", why), KR_EDENIED);
	assert_non_null(strstr(why, "different card sets"));
	/* a recovery card among officer cards */
	struct kr_card r[4];
	split(r, "recovery", NULL);
	pick[2] = r[2];
	assert_int_equal(combine(pick, 3, NULL, why), KR_EDENIED);
	/* bad split parameters */
	assert_int_equal(kr_cards_split(secret, 4, 1, 4, "officer", names, NULL, NULL, d), KR_EINVAL);
	assert_int_equal(kr_cards_split(secret, 4, 5, 4, "officer", names, NULL, NULL, d), KR_EINVAL);
}

static void test_seal_and_codec(void **state)
{
	(void)state;
	struct kr_card c[4], back;
	char why[256];
	uint8_t *buf = NULL;
	size_t len = 0;
	split(c, "officer", "SERIAL1");
	struct kr_card plain = c[0];
	assert_int_equal(kr_card_seal(&c[0], "pass phrase"), KR_OK);
	assert_true(c[0].sealed);
	assert_memory_not_equal(c[0].share, plain.share, plain.share_len);
	assert_int_equal(kr_card_encode(&c[0], &buf, &len), KR_OK);
	assert_int_equal(kr_card_decode(buf, len, &back), KR_OK);
	assert_true(back.sealed);
	struct kr_card wrong = back;
	assert_int_equal(kr_card_unseal(&wrong, "pass phrasE"), KR_EPIN);
	/* the associated data binds the holder: a renamed sealed card fails */
	struct kr_card renamed = back;
	strcpy(renamed.name, "Mallory");
	assert_int_equal(kr_card_unseal(&renamed, "pass phrase"), KR_EPIN);
	assert_int_equal(kr_card_unseal(&back, "pass phrase"), KR_OK);
	assert_memory_equal(back.share, plain.share, plain.share_len);
	c[0] = back;
	assert_int_equal(combine(c, 3, "SERIAL1", why), KR_OK);
	/* every truncation and every appended byte is refused */
	for (size_t i = 0; i < len; i++)
		assert_int_not_equal(kr_card_decode(buf, i, &back), KR_OK);
	uint8_t *longer = malloc(len + 1);
	memcpy(longer, buf, len);
	longer[len] = 0;
	assert_int_equal(kr_card_decode(longer, len + 1, &back), KR_EMALFORMED);
	free(longer);
	free(buf);
	/* unsealed round trip, byte-identical re-encoding */
	uint8_t *b2 = NULL, *b3 = NULL;
	size_t l2 = 0, l3 = 0;
	assert_int_equal(kr_card_encode(&c[1], &b2, &l2), KR_OK);
	assert_int_equal(kr_card_decode(b2, l2, &back), KR_OK);
	assert_int_equal(kr_card_encode(&back, &b3, &l3), KR_OK);
	assert_int_equal(l2, l3);
	assert_memory_equal(b2, b3, l2);
	free(b2);
	free(b3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quorum),
		cmocka_unit_test(test_seal_and_codec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
