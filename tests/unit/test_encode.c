/* Base64 and hex: RFC 4648 test vectors and strictness. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/encode.h"
#include "lib/error.h"

static const struct {
	const char *plain, *b64;
} rfc4648[] = {
	{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
	{"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

static void test_base64_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		char *enc = NULL;
		uint8_t *dec = NULL;
		size_t len = 0, plen = strlen(rfc4648[i].plain);
		assert_int_equal(kr_base64_encode((const uint8_t *)rfc4648[i].plain, plen, &enc), 0);
		assert_string_equal(enc, rfc4648[i].b64);
		assert_int_equal(kr_base64_decode(enc, strlen(enc), 100, &dec, &len), 0);
		assert_int_equal(len, plen);
		assert_memory_equal(dec, rfc4648[i].plain, plen);
		free(enc);
		free(dec);
	}
}

static void test_base64_strict(void **state)
{
	(void)state;
	const char *bad[] = {"Zg=", "Zg===", "Z", "Zm9v!", "Zh==", "Zm9=", "Zg==Zg==", "Zm=9"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *dec = NULL;
		size_t len = 0;
		assert_int_equal(kr_base64_decode(bad[i], strlen(bad[i]), 100, &dec, &len),
				 KR_EMALFORMED);
		assert_null(dec);
	}
	/* White space (XML line wrapping) is fine; the cap is enforced. */
	uint8_t *dec = NULL;
	size_t len = 0;
	assert_int_equal(kr_base64_decode(" Zm9v\n YmFy\t", 12, 100, &dec, &len), 0);
	assert_int_equal(len, 6);
	free(dec);
	assert_int_equal(kr_base64_decode("Zm9vYmFy", 8, 5, &dec, &len), KR_ETOOBIG);
}

static void test_hex(void **state)
{
	(void)state;
	const uint8_t data[] = {0x00, 0xde, 0xad, 0xBE, 0xef};
	char *s = NULL;
	assert_int_equal(kr_hex_encode(data, sizeof(data), 1, &s), 0);
	assert_string_equal(s, "00DEADBEEF");
	free(s);
	uint8_t *dec = NULL;
	size_t len = 0;
	assert_int_equal(kr_hex_decode("00de adBE\nef", 12, 10, &dec, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(dec, data, 5);
	free(dec);
	assert_int_equal(kr_hex_decode("abc", 3, 10, &dec, &len), KR_EMALFORMED);
	assert_int_equal(kr_hex_decode("zz", 2, 10, &dec, &len), KR_EMALFORMED);
	assert_int_equal(kr_hex_decode("aabb", 4, 1, &dec, &len), KR_ETOOBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_strict),
		cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
