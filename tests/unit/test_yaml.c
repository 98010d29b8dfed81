/* lib/yaml.h: what reaches libfyaml and how its errors come back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/error.h"
#include "lib/yaml.h"

static int parse(const char *text, char *why)
{
	struct fy_document *doc = NULL;
	int rc = kr_yaml_parse(text, strlen(text), &doc, why, 256);
	if (doc != NULL)
		fy_document_destroy(doc);
	return rc;
}

static void test_yaml(void **state)
{
	(void)state;
	char why[256];
	assert_int_equal(parse("a: \"\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\"\nb: [1, 2]\n", why), KR_OK);
	/* a directive (libfyaml 0.7.12 can hang on malformed ones) */
	assert_int_equal(parse("%YAML 1.2\n---\na: 1\n", why), KR_EMALFORMED);
	assert_non_null(strstr(why, "byte 0"));
	assert_int_equal(parse("a: 1\n%\xff\xff\n", why), KR_EMALFORMED);
	/* invalid UTF-8: overlong, surrogate, truncated, stray continuation */
	assert_int_equal(parse("a: \xc0\x80\n", why), KR_EMALFORMED);
	assert_int_equal(parse("a: \xed\xa0\x80\n", why), KR_EMALFORMED);
	assert_int_equal(parse("a: \xe2\x9c\n", why), KR_EMALFORMED);
	assert_int_equal(parse("a: \x80\n", why), KR_EMALFORMED);
	/* control characters */
	assert_int_equal(parse("a: \x1b[31m\n", why), KR_EMALFORMED);
	assert_non_null(strstr(why, "byte 3"));
	/* syntax errors and duplicate keys come back with their place */
	assert_int_equal(parse("a: [1\n", why), KR_EMALFORMED);
	assert_non_null(strstr(why, "line 2 column 1"));
	assert_int_equal(parse("a: 1\na: 2\n", why), KR_EMALFORMED);
	assert_non_null(strstr(why, "duplicate key"));
	assert_int_equal(parse("", why), KR_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
