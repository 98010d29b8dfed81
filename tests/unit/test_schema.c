/*
 * test_schema.c - rollover schemas: the built-ins against ICANN's published
 * 9-slot tables (kskm's ksrsigner.yaml), custom YAML schemas and every
 * error the loader must raise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/error.h"
#include "skr/schema.h"

/* Expected slot actions as text, "publish ... sign ..." per slot 1..9,
 * transcribed from ICANN's schema tables. */
static const struct {
	const char *name;
	const char *slot[9];
} icann[] = {
    {"normal",
     {"publish current sign current", "publish current sign current",
      "publish current sign current", "publish current sign current",
      "publish current sign current", "publish current sign current",
      "publish current sign current", "publish current sign current",
      "publish current sign current"}},
    {"pre-publish",
     {"publish current sign current", "publish current+next sign current",
      "publish current+next sign current", "publish current+next sign current",
      "publish current+next sign current", "publish current+next sign current",
      "publish current+next sign current", "publish current+next sign current",
      "publish current+next sign current"}},
    {"rollover",
     {"publish current+next sign current", "publish current+next sign next",
      "publish current+next sign next", "publish current+next sign next",
      "publish current+next sign next", "publish current+next sign next",
      "publish current+next sign next", "publish current+next sign next",
      "publish current+next sign next"}},
    {"revoke",
     {"publish current+next sign next", "publish next revoke current sign current+next",
      "publish next revoke current sign current+next",
      "publish next revoke current sign current+next",
      "publish next revoke current sign current+next",
      "publish next revoke current sign current+next",
      "publish next revoke current sign current+next",
      "publish next revoke current sign current+next", "publish next sign next"}},
    {"publish+",
     {"publish current+next sign current", "publish current+next sign current",
      "publish current+next sign current", "publish current+next sign current",
      "publish current+next sign current", "publish current+next sign current",
      "publish current+next sign current", "publish current+next sign current",
      "publish current+next sign current"}},
    {"rollover+",
     {"publish current+next sign next", "publish current+next sign next",
      "publish current+next sign next", "publish current+next sign next",
      "publish current+next sign next", "publish current+next sign next",
      "publish current+next sign next", "publish current+next sign next",
      "publish current+next sign next"}},
    {"revoke+",
     {"publish next sign next", "publish next revoke current sign current+next",
      "publish next revoke current sign current+next",
      "publish next revoke current sign current+next",
      "publish next revoke current sign current+next",
      "publish next revoke current sign current+next",
      "publish next revoke current sign current+next",
      "publish next revoke current sign current+next", "publish next sign next"}},
};

static void slot_text(const struct kr_schema *s, size_t slot, size_t n, char *buf, size_t size)
{
	struct kr_schema_action a;

	assert_int_equal(kr_schema_slot(s, slot, n, &a), KR_OK);
	assert_int_equal(kr_schema_action_format(s, &a, buf, size), KR_OK);
}

static void test_builtins_match_icann(void **state)
{
	(void)state;
	assert_int_equal(kr_schema_builtin_count(), sizeof(icann) / sizeof(icann[0]));
	for (size_t i = 0; i < sizeof(icann) / sizeof(icann[0]); i++) {
		struct kr_schema s;
		char buf[128];

		assert_string_equal(kr_schema_builtin_name(i), icann[i].name);
		assert_int_equal(kr_schema_builtin(icann[i].name, &s), KR_OK);
		assert_int_equal(kr_schema_check(&s, 9, NULL, 0), KR_OK);
		for (size_t slot = 1; slot <= 9; slot++) {
			slot_text(&s, slot, 9, buf, sizeof(buf));
			assert_string_equal(buf, icann[i].slot[slot - 1]);
		}
	}
	assert_null(kr_schema_builtin_name(kr_schema_builtin_count()));
}

static void test_builtin_unknown_and_other_sizes(void **state)
{
	struct kr_schema s;
	char buf[128];

	(void)state;
	assert_int_equal(kr_schema_builtin("Normal", &s), KR_ENOTFOUND);
	assert_int_equal(kr_schema_builtin("revoke", &s), KR_OK);
	/* A 6-bundle KSR: first, four middle slots, last. */
	slot_text(&s, 1, 6, buf, sizeof(buf));
	assert_string_equal(buf, "publish current+next sign next");
	slot_text(&s, 5, 6, buf, sizeof(buf));
	assert_string_equal(buf, "publish next revoke current sign current+next");
	slot_text(&s, 6, 6, buf, sizeof(buf));
	assert_string_equal(buf, "publish next sign next");
	assert_int_equal(kr_schema_slot(&s, 7, 6, &(struct kr_schema_action){0}), KR_EINVAL);
	assert_int_equal(kr_schema_slot(&s, 0, 6, &(struct kr_schema_action){0}), KR_EINVAL);
	assert_int_equal(kr_schema_check(&s, 0, NULL, 0), KR_EPOLICY);
}

/* The legacy ksrsigner's in-quarter roll (KSK1 -> KSK2 with revocation) and
 * revoke-all, as custom schemas. */
static const char legacy_yaml[] =
    "ksk:\n"
    "  ttl: 172800\n"
    "schemas:\n"
    "  legacy-roll:\n"
    "    first: {publish: current, sign: current}\n"
    "    2-6:\n"
    "      publish: [current, next]\n"
    "      sign: current\n"
    "    7-8: {publish: next, revoke: current, sign: [current, next]}\n"
    "    last: {publish: next, sign: next}\n"
    "  revoke-all:\n"
    "    default: {revoke: ksk_current, sign: ksk_current}\n"
    "  by-label:\n"
    "    default: {publish: [KSK1, KSK2], sign: KSK2}\n";

static void test_custom_yaml(void **state)
{
	struct kr_schema *v = NULL, s;
	size_t n = 0, idx[KR_SCHEMA_MAX_REFS];
	const char *labels[] = {"KSK1", "KSK2"};
	char buf[128], err[256];

	(void)state;
	assert_int_equal(
	    kr_schema_parse_yaml(legacy_yaml, strlen(legacy_yaml), &v, &n, err, sizeof(err)),
	    KR_OK);
	assert_int_equal(n, 3);
	assert_int_equal(kr_schema_find("legacy-roll", v, n, &s), KR_OK);
	assert_int_equal(kr_schema_check(&s, 9, err, sizeof(err)), KR_OK);
	slot_text(&s, 1, 9, buf, sizeof(buf));
	assert_string_equal(buf, "publish current sign current");
	slot_text(&s, 4, 9, buf, sizeof(buf));
	assert_string_equal(buf, "publish current+next sign current");
	slot_text(&s, 8, 9, buf, sizeof(buf));
	assert_string_equal(buf, "publish next revoke current sign current+next");
	slot_text(&s, 9, 9, buf, sizeof(buf));
	assert_string_equal(buf, "publish next sign next");
	/* legacy-roll has no rule for slot 7 of a 7-bundle KSR beyond 7-8 */
	assert_int_equal(kr_schema_check(&s, 7, err, sizeof(err)), KR_EPOLICY);
	assert_non_null(strstr(err, "slot 8"));
	assert_int_equal(kr_schema_resolve(&s, labels, 2, idx, err, sizeof(err)), KR_OK);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[1], 1);
	/* "next" needs a second --ksk */
	assert_int_equal(kr_schema_resolve(&s, labels, 1, idx, err, sizeof(err)), KR_ENOTFOUND);

	assert_int_equal(kr_schema_find("revoke-all", v, n, &s), KR_OK);
	slot_text(&s, 3, 6, buf, sizeof(buf));
	assert_string_equal(buf, "revoke ksk_current sign ksk_current");
	assert_int_equal(kr_schema_resolve(&s, labels, 1, idx, err, sizeof(err)), KR_OK);
	assert_int_equal(idx[0], 0);
	/* a KSK given but unused by the schema is refused */
	assert_int_equal(kr_schema_resolve(&s, labels, 2, idx, err, sizeof(err)), KR_EINVAL);
	assert_non_null(strstr(err, "KSK2 is not used"));

	assert_int_equal(kr_schema_find("by-label", v, n, &s), KR_OK);
	assert_int_equal(kr_schema_resolve(&s, labels, 2, idx, err, sizeof(err)), KR_OK);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[1], 1);
	{
		const char *other[] = {"KSK1", "KSK3"};
		assert_int_equal(kr_schema_resolve(&s, other, 2, idx, err, sizeof(err)),
				 KR_ENOTFOUND);
		assert_non_null(strstr(err, "KSK2"));
	}
	/* built-ins are still found; unknown names are not */
	assert_int_equal(kr_schema_find("rollover", v, n, &s), KR_OK);
	assert_int_equal(kr_schema_find("nope", v, n, &s), KR_ENOTFOUND);
	free(v);
}

static void test_no_schemas_key(void **state)
{
	struct kr_schema *v = NULL;
	size_t n = 7;
	const char y[] = "ksk:\n  ttl: 3600\n";

	(void)state;
	assert_int_equal(kr_schema_parse_yaml(y, strlen(y), &v, &n, NULL, 0), KR_OK);
	assert_null(v);
	assert_int_equal(n, 0);
}

static void expect_error(const char *yaml, int rc, const char *words)
{
	struct kr_schema *v = NULL;
	size_t n = 0;
	char err[256] = "";

	assert_int_equal(kr_schema_parse_yaml(yaml, strlen(yaml), &v, &n, err, sizeof(err)), rc);
	assert_null(v);
	if (!strstr(err, words))
		fail_msg("error '%s' lacks '%s'", err, words);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("schemas:\n  x:\n    1: {publish: current, sing: current}\n", KR_EMALFORMED,
		     "unknown action 'sing'");
	expect_error("schemas:\n  x:\n    one: {sign: current}\n", KR_EMALFORMED,
		     "unknown slot 'one'");
	expect_error("schemas:\n  x:\n    3-2: {sign: current}\n", KR_EMALFORMED, "unknown slot");
	expect_error("schemas:\n  x:\n    0: {sign: current}\n", KR_EMALFORMED, "unknown slot");
	expect_error("schemas:\n  x:\n    1: {publish: current}\n", KR_EPOLICY,
		     "at least one signing key");
	expect_error("schemas:\n  x:\n    1: {publish: current, revoke: current, sign: current}\n",
		     KR_EPOLICY, "both published and revoked");
	expect_error("schemas:\n  normal:\n    1: {sign: current}\n", KR_EPOLICY, "built in");
	expect_error("schemas:\n  x:\n    1-5: {sign: current}\n    5: {sign: next}\n", KR_EPOLICY,
		     "overlaps");
	expect_error("schemas:\n  x:\n    first: {sign: current}\n    first: {sign: next}\n",
		     KR_EMALFORMED, "duplicate key");
	expect_error("schemas:\n  x:\n    1: {sign: [current, current]}\n", KR_EPOLICY,
		     "listed twice");
	expect_error("schemas:\n  x:\n    1: {sign: [current, ksk_current]}\n", KR_EPOLICY,
		     "names current");
	expect_error("schemas:\n  x:\n    1: {sign: {a: b}}\n", KR_EMALFORMED, "key name");
	expect_error("schemas:\n  x: [1, 2]\n", KR_EMALFORMED, "mapping of slots");
	expect_error("schemas: 3\n", KR_EMALFORMED, "mapping of names");
	expect_error("schemas:\n  x:\n", KR_EMALFORMED, "mapping of slots");
	expect_error("- a\n- b\n", KR_EMALFORMED, "mapping");
	expect_error("schemas: [\n", KR_EMALFORMED, "YAML");
	/* libfyaml would loop forever on this one (fuzz_schema found it) */
	expect_error("%\x92", KR_EMALFORMED, "directives");
	expect_error("schemas:\n  x\xff:\n", KR_EMALFORMED, "UTF-8");
	expect_error("\r%=k(ey! a\xe0\x93\x93y", KR_EMALFORMED, "directives");
	expect_error("a: b\xe2\x80\xa8%x", KR_EMALFORMED, "directives");
	expect_error("%YAML 1.2\n---\nschemas: {}\n", KR_EMALFORMED, "directives");
	expect_error("schemas:\n  x:\n    1:\n      sign: current\n      extra: 1\n", KR_EMALFORMED,
		     "line 5");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtins_match_icann),
	    cmocka_unit_test(test_builtin_unknown_and_other_sizes),
	    cmocka_unit_test(test_custom_yaml),
	    cmocka_unit_test(test_no_schemas_key),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
