/* PGP word list: the example fingerprint published with the pgp-words
 * tool, and the even/odd alternation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/encode.h"
#include "lib/pgpwords.h"

static void test_known_fingerprint(void **state)
{
	(void)state;
	const char *hex = "d1c225e426c633dd94d1a7e8c3f408aa9b342488";
	uint8_t *bytes = NULL;
	size_t len = 0;
	assert_int_equal(kr_hex_decode(hex, strlen(hex), 64, &bytes, &len), 0);
	char *words = NULL;
	assert_int_equal(kr_pgp_words(bytes, len, &words), 0);
	assert_string_equal(words, "stairway repellent bombast tradition bookshelf responsive "
				   "chisel tambourine Pluto scavenger repay typewriter snowcap "
				   "Virginia aimless pedigree puppy confidence bluebird maritime");
	free(words);
	free(bytes);
}

static void test_alternation(void **state)
{
	(void)state;
	assert_string_equal(kr_pgp_word(0x00, 0), "aardvark");
	assert_string_equal(kr_pgp_word(0x00, 1), "adroitness");
	assert_string_equal(kr_pgp_word(0xff, 2), "Zulu");
	assert_string_equal(kr_pgp_word(0xff, 3), "Yucatan");
	/* All 512 words are distinct, so a dropped or swapped word is noticed. */
	for (int a = 0; a < 512; a++)
		for (int b = a + 1; b < 512; b++)
			assert_string_not_equal(kr_pgp_word((uint8_t)a, (size_t)(a / 256)),
						kr_pgp_word((uint8_t)b, (size_t)(b / 256)));
	char *w = NULL;
	assert_int_equal(kr_pgp_words(NULL, 0, &w), 0);
	assert_string_equal(w, "");
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_fingerprint),
		cmocka_unit_test(test_alternation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
