/*
 * test_accept.c - SKR acceptance on ICANN's real files: the 2017-Q2 SKR
 * answers its KSR, is signed by KSK-2010 (trusted by root-anchors.xml, not
 * by an anchor listing only KSK-2017/KSK-2024) and continues the 2017-Q1
 * SKR; forgeries, replays and gaps fail by name.  Plus the bundle in force
 * at a time, and the anchor readers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ksr/accept.h"
#include "lib/error.h"
#include "lib/ksr.h"
#include "lib/timeutil.h"

static char td[1024];

static struct kr_ksr_doc *doc(const char *rel)
{
	char path[1200], err[256] = "";
	struct kr_ksr_doc *d = NULL;

	snprintf(path, sizeof(path), "%s/icann/%s", td, rel);
	if (kr_ksr_read_file(path, &d, err, sizeof(err)) != KR_OK)
		fail_msg("%s: %s", rel, err);
	return d;
}

static struct kr_trust *trust(const char *rel)
{
	char path[1200], err[256] = "";
	struct kr_trust *t = NULL;

	snprintf(path, sizeof(path), "%s/icann/%s", td, rel);
	if (kr_trust_load(path, &t, err, sizeof(err)) != KR_OK)
		fail_msg("%s: %s", rel, err);
	return t;
}

static struct kr_trust *trust_text(const char *text, int expect_rc)
{
	char path[] = "/tmp/test_accept.XXXXXX", err[256] = "";
	struct kr_trust *t = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(kr_trust_load(path, &t, err, sizeof(err)), expect_rc);
	unlink(path);
	return t;
}

static void expect(const struct kr_accept_result *res, const int want[KR_ACCEPT_NCHECKS])
{
	for (size_t i = 0; i < KR_ACCEPT_NCHECKS; i++)
		if (res[i].status != want[i])
			fail_msg("%s: status %d, want %d (%s)", res[i].id, res[i].status, want[i],
				 res[i].detail);
}

static void test_real_2017_q2(void **state)
{
	struct kr_ksr_doc *ksr = doc("dnssec-keytools/ksr-root-2017-q2-0.xml");
	struct kr_ksr_doc *skr = doc("dnssec-keytools/skr-root-2017-q2-0.xml");
	struct kr_ksr_doc *prev = doc("dnssec-keytools/skr-root-2017-q1-0.xml");
	struct kr_trust *xml = trust("get-trust-anchor/root-anchors.xml");
	struct kr_trust *ds = trust("get-trust-anchor/ksk-as-ds.txt");
	struct kr_trust *dnskey = trust("get-trust-anchor/ksk-as-dnskey.txt");
	struct kr_trust *old = trust("miekg-dns/root-anchors.xml");
	struct kr_accept_result res[KR_ACCEPT_NCHECKS];

	(void)state;
	assert_int_equal(kr_skr_accept(ksr, skr, prev, xml, res), KR_OK);
	expect(res, (int[]){0, 0, 0, 0});
	/* the 2010 root-anchors.xml (KSK-2010 only) trusts it too */
	assert_int_equal(kr_skr_accept(ksr, skr, NULL, old, res), KR_OK);
	expect(res, (int[]){0, 0, 0, 2});
	/* anchors naming only KSK-2017 and KSK-2024 do not */
	assert_int_equal(kr_skr_accept(ksr, skr, prev, ds, res), KR_EPOLICY);
	expect(res, (int[]){0, 0, 1, 0});
	assert_int_equal(kr_skr_accept(ksr, skr, prev, dnskey, res), KR_EPOLICY);
	expect(res, (int[]){0, 0, 1, 0});
	/* a replay: the previous SKR given as the new one */
	assert_int_equal(kr_skr_accept(ksr, skr, skr, xml, res), KR_EPOLICY);
	expect(res, (int[]){0, 0, 0, 1});
	/* out of order: Q2 as the predecessor of Q1 */
	assert_int_equal(kr_skr_accept(ksr, prev, skr, xml, res), KR_EPOLICY);
	expect(res, (int[]){0, 1, 0, 1});
	/* a flipped bit in one signature */
	skr->bundles[4].sigs[0].rrsig.sig[17] ^= 0x40;
	assert_int_equal(kr_skr_accept(ksr, skr, prev, xml, res), KR_EPOLICY);
	expect(res, (int[]){1, 1, 1, 0});
	assert_non_null(strstr(res[0].detail, skr->bundles[4].id));
	skr->bundles[4].sigs[0].rrsig.sig[17] ^= 0x40;
	/* a gap after the previous SKR */
	skr->bundles[0].inception += 30 * 86400;
	assert_int_equal(kr_skr_accept(ksr, skr, prev, xml, res), KR_EPOLICY);
	assert_int_equal(res[KR_ACCEPT_CHAIN].status, 1);
	kr_trust_free(xml);
	kr_trust_free(ds);
	kr_trust_free(dnskey);
	kr_trust_free(old);
	kr_ksr_free(prev);
	kr_ksr_free(skr);
	kr_ksr_free(ksr);
}

static void test_real_rollover_2018_q1(void **state)
{
	struct kr_ksr_doc *ksr = doc("dnssec-keytools/ksr-root-2018-q1-0-d_to_e.xml");
	struct kr_ksr_doc *skr = doc("dnssec-keytools/skr-root-2018-q1-0-d_to_e.xml");
	struct kr_trust *xml = trust("get-trust-anchor/root-anchors.xml");
	struct kr_trust *ds = trust("get-trust-anchor/ksk-as-ds.txt");
	struct kr_accept_result res[KR_ACCEPT_NCHECKS];

	(void)state;
	/* slot 1 signed by KSK-2010, slots 2-9 by KSK-2017: both in the anchor */
	assert_int_equal(kr_skr_accept(ksr, skr, NULL, xml, res), KR_OK);
	/* KSK-2017 alone does not cover slot 1 */
	assert_int_equal(kr_skr_accept(ksr, skr, NULL, ds, res), KR_EPOLICY);
	assert_non_null(strstr(res[KR_ACCEPT_TRUST].detail, "bundle 1 "));
	kr_trust_free(xml);
	kr_trust_free(ds);
	kr_ksr_free(skr);
	kr_ksr_free(ksr);
}

static void test_anchor_validity_window(void **state)
{
	struct kr_ksr_doc *skr = doc("dnssec-keytools/skr-root-2017-q2-0.xml");
	struct kr_trust *xml = trust("get-trust-anchor/root-anchors.xml");
	const struct kr_dnskey *ksk2010 = NULL;
	int64_t t;

	(void)state;
	for (size_t i = 0; i < skr->bundles[0].nkeys; i++)
		if (skr->bundles[0].keys[i].dnskey.flags == 257)
			ksk2010 = &skr->bundles[0].keys[i].dnskey;
	assert_non_null(ksk2010);
	assert_int_equal(kr_dnskey_keytag(ksk2010), 19036);
	assert_int_equal(kr_time_parse("2017-04-01", &t), KR_OK);
	assert_int_equal(kr_trust_match(xml, ksk2010, t), 1);
	/* KSK-2010's KeyDigest has validUntil 2019-01-11 */
	assert_int_equal(kr_time_parse("2019-06-01", &t), KR_OK);
	assert_int_equal(kr_trust_match(xml, ksk2010, t), 0);
	/* its revoked form is never a trust anchor */
	{
		struct kr_dnskey r = *ksk2010;
		r.flags |= 128;
		assert_int_equal(kr_time_parse("2017-04-01", &t), KR_OK);
		assert_int_equal(kr_trust_match(xml, &r, t), 0);
	}
	kr_trust_free(xml);
	kr_ksr_free(skr);
}

static void test_bundle_at(void **state)
{
	struct kr_ksr_doc *skr = doc("dnssec-keytools/skr-root-2017-q2-0.xml");
	size_t idx = 99;
	int64_t t;

	(void)state;
	/* 2017-04-01 .. 04-22 is bundle 1; from 04-11 bundle 2 takes over */
	assert_int_equal(kr_time_parse("2017-04-05T12:00:00Z", &t), KR_OK);
	assert_int_equal(kr_skr_bundle_at(skr, t, &idx), KR_OK);
	assert_int_equal(idx, 0);
	assert_int_equal(kr_time_parse("2017-04-11T00:00:00Z", &t), KR_OK);
	assert_int_equal(kr_skr_bundle_at(skr, t, &idx), KR_OK);
	assert_int_equal(idx, 1);
	assert_int_equal(kr_time_parse("2017-03-31T23:59:59Z", &t), KR_OK);
	assert_int_equal(kr_skr_bundle_at(skr, t, &idx), KR_ENOTFOUND);
	assert_int_equal(kr_time_parse("2017-12-31", &t), KR_OK);
	assert_int_equal(kr_skr_bundle_at(skr, t, &idx), KR_ENOTFOUND);
	kr_ksr_free(skr);
}

static void test_anchor_files(void **state)
{
	struct kr_trust *t;

	(void)state;
	t = trust_text("; comment\n\n. 172800 IN DS 20326 8 2 "
		       "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n",
		       KR_OK);
	assert_int_equal(t->n, 1);
	assert_int_equal(t->keys[0].key_tag, 20326);
	kr_trust_free(t);
	assert_null(trust_text("", KR_EMALFORMED));
	assert_null(trust_text("hello world\n", KR_EMALFORMED));
	{
		char path[] = "/tmp/test_accept.XXXXXX", err[256] = "";
		struct kr_trust *bad = NULL;
		const char *text = "; anchors\n\n\n. IN DS 1 8 2 zz\n";
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
		close(fd);
		assert_int_equal(kr_trust_load(path, &bad, err, sizeof(err)), KR_EMALFORMED);
		unlink(path);
		assert_non_null(strstr(err, "line 4"));
	}
	assert_null(trust_text(". IN DNSKEY 256 3 8 AwEAAQ==\n", KR_EMALFORMED));
	assert_null(trust_text(
	    ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
	    "se. IN DS 20326 8 2 "
	    "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n",
	    KR_EMALFORMED));
	assert_null(trust_text("<TrustAnchor/>", KR_EMALFORMED));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_2017_q2),
	    cmocka_unit_test(test_real_rollover_2018_q1),
	    cmocka_unit_test(test_anchor_validity_window),
	    cmocka_unit_test(test_bundle_at),
	    cmocka_unit_test(test_anchor_files),
	};
	const char *t = getenv("TESTDATA");

	snprintf(td, sizeof(td), "%s", t ? t : "../shared/testdata");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
