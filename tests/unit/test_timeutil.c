/* ISO 8601 times and durations, RRSIG times.  Expected epoch values were
 * computed with `date -u -d ... +%s`. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "lib/error.h"
#include "lib/timeutil.h"

static void test_time_parse(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(kr_time_parse("2017-04-01T00:00:00+00:00", &t), 0);
	assert_int_equal(t, 1491004800);
	assert_int_equal(kr_time_parse("2017-04-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 1491004800);
	assert_int_equal(kr_time_parse("2017-04-01T00:00:00", &t), 0);
	assert_int_equal(t, 1491004800);
	assert_int_equal(kr_time_parse("2017-04-01", &t), 0);
	assert_int_equal(t, 1491004800);
	assert_int_equal(kr_time_parse("2017-04-01T02:00:00+02:00", &t), 0);
	assert_int_equal(t, 1491004800);
	assert_int_equal(kr_time_parse("2017-03-31T19:00:00-0500", &t), 0);
	assert_int_equal(t, 1491004800);
	assert_int_equal(kr_time_parse("2017-04-01T00:00:00.000Z", &t), 0);
	assert_int_equal(t, 1491004800);
	assert_int_equal(kr_time_parse("@1491004800", &t), 0);
	assert_int_equal(t, 1491004800);
	assert_int_equal(kr_time_parse("2000-02-29T12:00:00Z", &t), 0);
	assert_int_equal(t, 951825600);
	assert_int_equal(kr_time_parse("2100-02-29", &t), KR_ERANGE);
	assert_int_equal(kr_time_parse("2019-02-29", &t), KR_ERANGE);
	assert_int_equal(kr_time_parse("2017-13-01", &t), KR_ERANGE);
	assert_int_equal(kr_time_parse("2017-04-01T24:00:00", &t), KR_ERANGE);
	assert_int_equal(kr_time_parse("2017-04-01T00:00:00.5Z", &t), KR_ERANGE);
	assert_int_equal(kr_time_parse("2017-4-01", &t), KR_EMALFORMED);
	assert_int_equal(kr_time_parse("2017-04-01T00:00", &t), KR_EMALFORMED);
	assert_int_equal(kr_time_parse("2017-04-01T00:00:00Zjunk", &t), KR_EMALFORMED);
	assert_int_equal(kr_time_parse("", &t), KR_EMALFORMED);
}

static void test_time_format(void **state)
{
	(void)state;
	char buf[32];
	assert_int_equal(kr_time_format(1491004800, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2017-04-01T00:00:00Z");
	assert_int_equal(kr_time_format_icann(951825600, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2000-02-29T12:00:00+00:00");
	assert_int_equal(kr_time_format(1491004800, buf, 10), KR_ETOOBIG);
	/* Round trip across many days, including leap years. */
	for (int64_t t = 0; t < INT64_C(4102444800); t += 86400 * 37 + 3661) {
		int64_t back;
		assert_int_equal(kr_time_format(t, buf, sizeof(buf)), 0);
		assert_int_equal(kr_time_parse(buf, &back), 0);
		assert_int_equal(back, t);
	}
}

static void test_duration(void **state)
{
	(void)state;
	int64_t d;
	char buf[32];
	assert_int_equal(kr_duration_parse("P21D", &d), 0);
	assert_int_equal(d, 21 * 86400);
	assert_int_equal(kr_duration_parse("PT0S", &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(kr_duration_parse("P1W", &d), 0);
	assert_int_equal(d, 7 * 86400);
	assert_int_equal(kr_duration_parse("P1DT12H", &d), 0);
	assert_int_equal(d, 86400 + 12 * 3600);
	assert_int_equal(kr_duration_parse("PT1H30M15S", &d), 0);
	assert_int_equal(d, 5415);
	assert_int_equal(kr_duration_parse("P1Y", &d), KR_ERANGE);
	assert_int_equal(kr_duration_parse("P1M", &d), KR_ERANGE);
	assert_int_equal(kr_duration_parse("P", &d), KR_EMALFORMED);
	assert_int_equal(kr_duration_parse("PT", &d), KR_EMALFORMED);
	assert_int_equal(kr_duration_parse("P1DT", &d), KR_EMALFORMED);
	assert_int_equal(kr_duration_parse("PT1S1H", &d), KR_EMALFORMED);
	assert_int_equal(kr_duration_parse("P1D1W", &d), KR_EMALFORMED);
	assert_int_equal(kr_duration_parse("21D", &d), KR_EMALFORMED);
	assert_int_equal(kr_duration_parse("P-1D", &d), KR_EMALFORMED);
	const struct {
		int64_t secs;
		const char *text;
	} fmt[] = {{0, "PT0S"}, {21 * 86400, "P21D"}, {86400 + 7200, "P1DT2H"},
		   {5415, "PT1H30M15S"}, {1209599, "P13DT23H59M59S"}};
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		assert_int_equal(kr_duration_format(fmt[i].secs, buf, sizeof(buf)), 0);
		assert_string_equal(buf, fmt[i].text);
		assert_int_equal(kr_duration_parse(buf, &d), 0);
		assert_int_equal(d, fmt[i].secs);
	}
}

static void test_rrsig_time(void **state)
{
	(void)state;
	uint32_t t;
	char buf[16];
	assert_int_equal(kr_rrsig_time_parse("20170422000000", &t), 0);
	assert_int_equal(t, 1492819200u);
	assert_int_equal(kr_rrsig_time_format(t, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "20170422000000");
	assert_int_equal(kr_rrsig_time_parse("1492819200", &t), 0);
	assert_int_equal(t, 1492819200u);
	assert_int_equal(kr_rrsig_time_parse("20171301000000", &t), KR_ERANGE);
	assert_int_equal(kr_rrsig_time_parse("2017042200000x", &t), KR_EMALFORMED);
	assert_int_equal(kr_rrsig_time_parse("99999999999", &t), KR_ERANGE);
	/* Serial arithmetic: a time just past 2^32 s (year 2106) wraps. */
	int64_t ref = INT64_C(4294967296) + 100;
	assert_int_equal(kr_rrsig_time_abs(50, ref), INT64_C(4294967296) + 50);
	assert_int_equal(kr_rrsig_time_abs(4294967200u, ref), INT64_C(4294967200));
	assert_int_equal(kr_rrsig_time_abs(1492819200u, 1491004800), 1492819200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_rrsig_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
