/*
 * The YAML policy loader: the shipped policies load with the values written
 * in them; typos, bad values and inconsistent limits are refused with the
 * key named; the skrsign helper's "schemas:" section is left alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksr/policy.h"
#include "lib/error.h"
#include "lib/fileio.h"

static char *root_text(void)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_int_equal(kr_read_file("skr/policies/root.yaml", 1 << 20, &buf, &len), 0);
	return (char *)buf;
}

static char *replace(const char *text, const char *old, const char *repl)
{
	const char *p = strstr(text, old);
	assert_non_null(p);
	char *out = malloc(strlen(text) + strlen(repl) + 1);
	assert_non_null(out);
	size_t pre = (size_t)(p - text);
	memcpy(out, text, pre);
	strcpy(out + pre, repl);
	strcat(out, p + strlen(old));
	return out;
}

static void expect(const char *yaml, int rc, const char *msg)
{
	struct kr_policy *p = NULL;
	char err[300] = "";
	int got = kr_policy_load_mem(yaml, strlen(yaml), "t.yaml", &p, err, sizeof(err));
	if (got != rc || strstr(err, msg) == NULL)
		fail_msg("expected %s \"%s\", got %s \"%s\"", kr_strerror(rc), msg, kr_strerror(got),
			 err);
	if (rc == KR_OK)
		kr_policy_free(p);
	else
		assert_null(p);
}

static void test_root(void **state)
{
	(void)state;
	struct kr_policy *p = NULL;
	char err[300];
	char path[512];
	assert_int_equal(kr_policy_default_path(path, sizeof(path)), 0);
	assert_string_equal(path, "./skr/policies/root.yaml");
	assert_int_equal(kr_policy_load(path, &p, err, sizeof(err)), 0);
	assert_int_equal(p->zone.len, 1);
	assert_int_equal(p->dnskey_ttl, 172800);
	assert_int_equal(p->ksk.retire_safety, 28 * 86400);
	assert_int_equal(p->ksk.max_sig_validity, 21 * 86400);
	assert_int_equal(p->ksk.min_validity_overlap, 9 * 86400);
	assert_int_equal(p->min_bundles, 9);
	assert_int_equal(p->max_bundles, 9);
	assert_int_equal(p->min_bundle_interval, 9 * 86400);
	assert_int_equal(p->max_cycle_length, 81 * 86400);
	assert_int_equal(p->nkeys_per_bundle, 9);
	assert_int_equal(p->keys_per_bundle[0], 2);
	assert_int_equal(p->keys_per_bundle[4], 1);
	assert_int_equal(p->num_different_keys, 3);
	assert_int_equal(p->nalgs, 1);
	assert_int_equal(p->algs[0].algorithm, 8);
	assert_int_equal(p->algs[0].sizes[0], 2048);
	assert_int_equal(p->algs[0].exponents[0], 65537);
	assert_int_equal(p->signature_horizon, 180 * 86400);
	assert_int_equal(p->nksks, 3);
	const struct kr_policy_ksk *k = kr_policy_find_ksk(p, "Klajeyz");
	assert_non_null(k);
	assert_int_equal(k->key_tag, 20326);
	assert_true(k->has_ds);
	assert_int_equal(k->ds_sha256[0], 0xE0);
	assert_int_equal(k->ds_sha256[31], 0x8D);
	assert_null(kr_policy_find_ksk(p, "nope"));
	assert_non_null(p->yaml);
	assert_false(kr_policy_skips(p, "KSR-ID"));
	kr_policy_free(p);

	assert_int_equal(kr_policy_load("skr/policies/tld-example.yaml", &p, err, sizeof(err)), 0);
	assert_int_equal(p->zone.len, 9); /* \7example\0 */
	assert_int_equal(p->dnskey_ttl, 3600);
	assert_int_equal(p->min_bundles, 4);
	assert_int_equal(p->max_bundles, 6);
	assert_int_equal(p->nalgs, 3);
	assert_int_equal(p->algs[0].algorithm, 13);
	assert_int_equal(p->nkeys_per_bundle, 0);
	kr_policy_free(p);
}

static void test_rejects(void **state)
{
	(void)state;
	char *t = root_text(), *m;
	expect(t, KR_OK, "");
	m = replace(t, "max_bundle_interval:", "max_bundle_intervall:");
	expect(m, KR_EMALFORMED, "request_policy.max_bundle_intervall: unknown key");
	free(m);
	m = replace(t, "zone: \".\"", "zone: \".\"\nzones: x");
	expect(m, KR_EMALFORMED, "zones: unknown key");
	free(m);
	m = replace(t, "    size: 2048\n", "    sise: 2048\n");
	expect(m, KR_EMALFORMED, "keys[1].sise: unknown key");
	free(m);
	m = replace(t, "zone: \".\"", "zone: \".\"\nschemas:\n  normal: {1: {publish: x}}\n");
	expect(m, KR_OK, "");
	free(m);
	m = replace(t, "min_bundle_interval: P9D", "min_bundle_interval: P12D");
	expect(m, KR_ERANGE, "request_policy.min_bundle_interval: minimum is above maximum");
	free(m);
	m = replace(t, "retire_safety: P28D", "retire_safety: 28 days");
	expect(m, KR_EMALFORMED, "ksk_policy.retire_safety: bad duration");
	free(m);
	m = replace(t, "  ttl: 172800", "  ttl: -5");
	expect(m, KR_EMALFORMED, "ksk_policy.ttl: bad number");
	free(m);
	m = replace(t, "  signature_horizon_days: 180", "");
	expect(m, KR_EMALFORMED, "request_policy: missing key \"signature_horizon_days\"");
	free(m);
	m = replace(t, "    - algorithm: RSASHA256\n      sizes", "    - algorithm: RSASHA1\n      sizes");
	expect(m, KR_EPOLICY, "request_policy.approved_algorithms[1]: algorithm 5 must not be approved");
	free(m);
	m = replace(t, "num_bundles: 9", "num_bundles: [9]");
	expect(m, KR_EMALFORMED, "request_policy.num_bundles: expected a single value");
	free(m);
	m = replace(t, "  num_keys_per_bundle: [2, 1, 1, 1, 1, 1, 1, 1, 2]", "  num_keys_per_bundle: [2, 1, 2]");
	expect(m, KR_ERANGE, "request_policy.num_keys_per_bundle: has 3 entries");
	free(m);
	m = replace(t, "label: Klajeyz", "label: Kjqmt7v");
	expect(m, KR_EEXIST, "keys[2]: label \"Kjqmt7v\" listed twice");
	free(m);
	m = replace(t, "ds_sha256: E06D", "ds_sha256: E0");
	expect(m, KR_EMALFORMED, "keys[2].ds_sha256: expected 64 hex digits");
	free(m);
	m = replace(t, "zone: \".\"", "zone: [\n");
	expect(m, KR_EMALFORMED, "t.yaml: YAML error");
	free(m);
	m = replace(t, "zone: \".\"", "zone: \".\"\nskip_checks: [KSR-ID, nonsense]");
	expect(m, KR_EMALFORMED, "skip_checks[2]: \"nonsense\" is not a check id");
	free(m);
	/* libfyaml 0.7.12 loops forever on a directive line followed by bytes
	 * that are not UTF-8: such text is refused before it reaches libfyaml. */
	m = replace(t, "zone: \".\"", "%\x92\nzone: \".\"");
	expect(m, KR_EMALFORMED, "YAML directives (%) are not accepted");
	free(m);
	m = replace(t, "zone: \".\"", "zone: \"\xc0\xaf\"");
	expect(m, KR_EMALFORMED, "not UTF-8 text");
	free(m);
	expect("", KR_EMALFORMED, "t.yaml");
	expect("- a\n- b\n", KR_EMALFORMED, "expected a mapping");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
