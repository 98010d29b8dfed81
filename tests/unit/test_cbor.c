/* Canonical CBOR reader/writer (lib/cbor.h): shortest heads, strict subset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/cbor.h"
#include "lib/error.h"

static void encode_uint(uint64_t v, const uint8_t *want, size_t want_len)
{
	cbor_item_t *i = kr_cbor_uint(v);
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_non_null(i);
	assert_int_equal(kr_cbor_encode(i, &buf, &len), KR_OK);
	assert_int_equal(len, want_len);
	assert_memory_equal(buf, want, len);
	free(buf);
	cbor_decref(&i);
}

/* RFC 8949 Appendix A vectors for unsigned integers. */
static void test_uint_widths(void **state)
{
	(void)state;
	encode_uint(0, (const uint8_t *)"\x00", 1);
	encode_uint(23, (const uint8_t *)"\x17", 1);
	encode_uint(24, (const uint8_t *)"\x18\x18", 2);
	encode_uint(1000, (const uint8_t *)"\x19\x03\xe8", 3);
	encode_uint(1000000, (const uint8_t *)"\x1a\x00\x0f\x42\x40", 5);
	encode_uint(1000000000000ULL, (const uint8_t *)"\x1b\x00\x00\x00\xe8\xd4\xa5\x10\x00", 9);
}

static int decode(const char *hex_bytes, size_t len)
{
	cbor_item_t *i = NULL;
	int rc = kr_cbor_decode((const uint8_t *)hex_bytes, len, &i);
	if (i != NULL)
		cbor_decref(&i);
	return rc;
}

static void test_strict_decode(void **state)
{
	(void)state;
	/* {"a": 1} */
	assert_int_equal(decode("\xa1\x61\x61\x01", 4), KR_OK);
	/* non-shortest integer 1 as 0x18 0x01 */
	assert_int_equal(decode("\xa1\x61\x61\x18\x01", 5), KR_EMALFORMED);
	/* non-shortest string length */
	assert_int_equal(decode("\xa1\x78\x01\x61\x01", 5), KR_EMALFORMED);
	/* trailing byte */
	assert_int_equal(decode("\xa1\x61\x61\x01\x00", 5), KR_EMALFORMED);
	/* truncated */
	assert_int_equal(decode("\xa1\x61\x61", 3), KR_ETRUNC);
	/* indefinite map, tag, float, negative integer, null */
	assert_int_equal(decode("\xbf\x61\x61\x01\xff", 5), KR_EMALFORMED);
	assert_int_equal(decode("\xc1\x01", 2), KR_EMALFORMED);
	assert_int_equal(decode("\xf9\x3c\x00", 3), KR_EMALFORMED);
	assert_int_equal(decode("\x20", 1), KR_EMALFORMED);
	assert_int_equal(decode("\xf6", 1), KR_EMALFORMED);
	/* an array claiming 2^32-1 elements in 5 bytes: refused before allocation */
	assert_int_equal(decode("\x9a\xff\xff\xff\xff", 5), KR_ETRUNC);
	/* nesting deeper than the cap */
	char deep[KR_CBOR_MAX_DEPTH + 2];
	memset(deep, 0x81, sizeof(deep));
	deep[sizeof(deep) - 1] = 0x00;
	assert_int_equal(decode(deep, sizeof(deep)), KR_EMALFORMED);
	assert_int_equal(decode(deep + 2, sizeof(deep) - 2), KR_OK);
}

static void test_getters(void **state)
{
	(void)state;
	cbor_item_t *m = cbor_new_definite_map(3), *d = NULL;
	assert_int_equal(kr_cbor_put(m, "n", kr_cbor_uint(300)), KR_OK);
	assert_int_equal(kr_cbor_put(m, "s", kr_cbor_text("hi")), KR_OK);
	assert_int_equal(kr_cbor_put(m, "b", kr_cbor_bytes((const uint8_t *)"\x01\x02", 2)), KR_OK);
	uint8_t *buf = NULL, *b = NULL;
	size_t len = 0, blen = 0;
	assert_int_equal(kr_cbor_encode(m, &buf, &len), KR_OK);
	assert_int_equal(kr_cbor_decode(buf, len, &d), KR_OK);
	uint64_t n = 0;
	char *s = NULL;
	assert_int_equal(kr_cbor_get_uint(d, "n", 1000, &n), KR_OK);
	assert_int_equal(n, 300);
	assert_int_equal(kr_cbor_get_uint(d, "n", 299, &n), KR_ERANGE);
	assert_int_equal(kr_cbor_get_uint(d, "s", 10, &n), KR_EMALFORMED);
	assert_int_equal(kr_cbor_get_uint(d, "x", 10, &n), KR_ENOTFOUND);
	assert_int_equal(kr_cbor_get_text(d, "s", 10, &s), KR_OK);
	assert_string_equal(s, "hi");
	free(s);
	assert_int_equal(kr_cbor_get_text(d, "s", 1, &s), KR_ERANGE);
	assert_int_equal(kr_cbor_get_bytes(d, "b", 2, &b, &blen), KR_OK);
	assert_int_equal(blen, 2);
	free(b);
	static const char *const ok[] = {"n", "?x", "s", "b"};
	static const char *const missing[] = {"n", "s", "b", "c"};
	static const char *const order[] = {"s", "n", "b"};
	static const char *const fewer[] = {"n", "s"};
	assert_int_equal(kr_cbor_map_check(d, ok, 4), KR_OK);
	assert_int_equal(kr_cbor_map_check(d, missing, 4), KR_EMALFORMED);
	assert_int_equal(kr_cbor_map_check(d, order, 3), KR_EMALFORMED);
	assert_int_equal(kr_cbor_map_check(d, fewer, 2), KR_EMALFORMED);
	free(buf);
	cbor_decref(&d);
	cbor_decref(&m);
	/* duplicate keys: {"a":1,"a":2} */
	assert_int_equal(kr_cbor_decode((const uint8_t *)"\xa2\x61\x61\x01\x61\x61\x02", 7, &d),
			 KR_OK);
	assert_int_equal(kr_cbor_get_uint(d, "a", 10, &n), KR_EMALFORMED);
	cbor_decref(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint_widths),
		cmocka_unit_test(test_strict_decode),
		cmocka_unit_test(test_getters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
