/*
 * The KSR checks against real ICANN files.  The genuine 2017-Q2 KSR with
 * its real predecessor SKR (2017-Q1) passes every check in its era; every
 * check is then made to fail by mutating one of those real files (or, for
 * the operator's limits, the policy) and the test asserts the exact set of
 * checks that fail, so a mutation that trips an unrelated check is noticed
 * too.  Real quirks: the 2016-Q3 KSR fails what SOURCES.md says it fails,
 * ksr.bad.xml fails KSR-BUNDLE-POP.  KSRs for a TLD with ECDSA, Ed25519
 * and RSA ZSKs are built from software keys and must pass the TLD policy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ksr/checks.h"
#include "ksr/policy.h"
#include "lib/dnssec.h"
#include "lib/error.h"
#include "lib/ksr.h"
#include "lib/timeutil.h"
#include "tests/unit/ksr_testutil.h"

#define Q2_KSR "icann/dnssec-keytools/ksr-root-2017-q2-0.xml"
#define Q1_SKR "icann/dnssec-keytools/skr-root-2017-q1-0.xml"

static int64_t T(const char *s)
{
	int64_t t = 0;
	assert_int_equal(kr_time_parse(s, &t), 0);
	return t;
}

static struct kr_ksr_doc *parse_text(const char *text)
{
	struct kr_ksr_doc *d = NULL;
	char err[512];
	int rc = kr_ksr_parse((const uint8_t *)text, strlen(text), &d, err, sizeof(err));
	if (rc != 0)
		fail_msg("parse: %s (%s)", kr_strerror(rc), err);
	return d;
}

static struct kr_ksr_doc *load(const char *rel)
{
	size_t len = 0;
	char *text = slurp(rel, &len);
	struct kr_ksr_doc *d = parse_text(text);
	free(text);
	return d;
}

/* A file with one text mutation. */
static struct kr_ksr_doc *load_mut(const char *rel, const char *old, const char *repl, int nth)
{
	size_t len = 0;
	char *text = slurp(rel, &len);
	char *m = mutate(text, old, repl, nth);
	struct kr_ksr_doc *d = parse_text(m);
	free(m);
	free(text);
	return d;
}

static struct kr_policy *policy2(const char *file, const char *old, const char *repl,
			          const char *old2, const char *repl2)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct kr_policy *p = NULL;
	char err[300];
	assert_int_equal(kr_read_file(file, 1 << 20, &buf, &len), 0);
	char *text = old ? mutate((char *)buf, old, repl, 1) : strdup((char *)buf);
	if (old2 != NULL) {
		char *t2 = mutate(text, old2, repl2, 1);
		free(text);
		text = t2;
	}
	int rc = kr_policy_load_mem(text, strlen(text), file, &p, err, sizeof(err));
	if (rc != 0)
		fail_msg("policy: %s", err);
	free(text);
	free(buf);
	return p;
}

static struct kr_policy *policy(const char *file, const char *old, const char *repl)
{
	return policy2(file, old, repl, NULL, NULL);
}

#define ROOT "skr/policies/root.yaml"
#define TLD "skr/policies/tld-example.yaml"

/*
 * Run the checks and require that exactly the ids in want (NULL-terminated)
 * fail, that every one of them names its problem, and that the return
 * code says so.
 */
static void expect_fails(const struct kr_ksr_doc *ksr, const struct kr_ksr_doc *prev,
			 const struct kr_policy *pol, int64_t now, const char *const *want)
{
	struct kr_check_report rep = {0};
	int rc = kr_ksr_check(ksr, prev, pol, now, &rep);
	size_t nwant = 0;
	for (; want[nwant] != NULL; nwant++) {
		const struct kr_check_result *r = kr_check_report_find(&rep, want[nwant]);
		if (r == NULL || r->status != KR_CHECK_FAIL) {
			for (size_t i = 0; i < rep.n; i++)
				print_message("%s %s: %s\n", kr_check_status_name(rep.items[i].status),
					      rep.items[i].id, rep.items[i].msg);
			fail_msg("%s did not fail", want[nwant]);
		}
		assert_true(strlen(r->msg) > 10);
	}
	if (rep.nfail != nwant) {
		for (size_t i = 0; i < rep.n; i++)
			if (rep.items[i].status == KR_CHECK_FAIL)
				print_message("FAIL %s: %s\n", rep.items[i].id, rep.items[i].msg);
		fail_msg("%zu checks failed, expected %zu", rep.nfail, nwant);
	}
	assert_int_equal(rc, nwant ? KR_EPOLICY : KR_OK);
	/* Every check id of DESIGN.md is always in the report. */
	static const char *const all[] = {
		"KSR-DOMAIN", "KSR-ID", "KSR-BUNDLE-UNIQUE", "KSR-BUNDLE-KEYS", "KSR-BUNDLE-POP",
		"KSR-BUNDLE-COUNT", "KSR-BUNDLE-CYCLE-DURATION", "KSR-POLICY-KEYS",
		"KSR-POLICY-ALG", "KSR-POLICY-SIG-OVERLAP", "KSR-POLICY-SIG-VALIDITY",
		"KSR-POLICY-SIG-HORIZON", "KSR-POLICY-BUNDLE-INTERVALS", "KSR-POLICY-SAFETY",
		"KSR-POLICY-SAFETY-PUBLISH", "KSR-POLICY-SAFETY-RETIRE", "KSR-PREVIOUS",
		"KSR-CHAIN-KEYS", "KSR-CHAIN-OVERLAP", "SKR-POLICY-TTL",
		"SKR-POLICY-SIG-VALIDITY", "SKR-POLICY-SIG-OVERLAP", NULL};
	for (size_t i = 0; all[i] != NULL; i++)
		assert_non_null(kr_check_report_find(&rep, all[i]));
	assert_int_equal(rep.n, 22);
	kr_check_report_clear(&rep);
}

#define FAILS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const[]){NULL})

static struct kr_policy *root;
static int64_t era; /* 2017-03-15, when the 2017-Q2 KSR was processed */

static int setup(void **state)
{
	(void)state;
	root = policy(ROOT, NULL, NULL);
	era = T("2017-03-15T00:00:00Z");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kr_policy_free(root);
	return 0;
}

/* The genuine pair passes everything, including the chain checks. */
static void test_real_chain_passes(void **state)
{
	(void)state;
	struct kr_ksr_doc *ksr = load(Q2_KSR), *prev = load(Q1_SKR);
	expect_fails(ksr, prev, root, era, NONE);
	struct kr_check_report rep = {0};
	assert_int_equal(kr_ksr_check(ksr, prev, root, era, &rep), KR_OK);
	assert_int_equal(rep.nskip, 0);
	kr_check_report_clear(&rep);
	/* Without the previous SKR the chain checks are skipped, not passed. */
	assert_int_equal(kr_ksr_check(ksr, NULL, root, era, &rep), KR_OK);
	assert_int_equal(rep.nskip, 4);
	assert_int_equal(kr_check_report_find(&rep, "KSR-CHAIN-KEYS")->status, KR_CHECK_SKIP);
	assert_non_null(strstr(kr_check_report_find(&rep, "KSR-ID")->msg, "no previous SKR"));
	kr_check_report_clear(&rep);
	/* An SKR is not a KSR. */
	assert_int_equal(kr_ksr_check(prev, NULL, root, era, &rep), KR_EINVAL);
	kr_ksr_free(ksr);
	kr_ksr_free(prev);
}

/* SOURCES.md: 2016-Q3 fails kskm's SIG-VALIDITY, SIG-OVERLAP and ALG (1024
 * bits); our KSK-operator limits (21-day signatures) reject it as well. */
static void test_real_2016_q3(void **state)
{
	(void)state;
	struct kr_ksr_doc *ksr = load("icann/dnssec-keytools/ksr-root-2016-q3-0.xml");
	expect_fails(ksr, NULL, root, T("2016-06-15T00:00:00Z"),
		     FAILS("KSR-POLICY-SIG-VALIDITY", "KSR-POLICY-SIG-OVERLAP", "KSR-POLICY-ALG",
			   "SKR-POLICY-SIG-VALIDITY", "SKR-POLICY-SIG-OVERLAP"));
	/* Today its dates are long past: the horizon check fails too. */
	expect_fails(ksr, NULL, root, T("2026-01-01T00:00:00Z"),
		     FAILS("KSR-POLICY-SIG-VALIDITY", "KSR-POLICY-SIG-OVERLAP", "KSR-POLICY-ALG",
			   "SKR-POLICY-SIG-VALIDITY", "SKR-POLICY-SIG-OVERLAP",
			   "KSR-POLICY-SIG-HORIZON"));
	kr_ksr_free(ksr);
}

/* SOURCES.md: 2018-Q1 passes everything but the horizon (now in the past);
 * ksr.bad.xml (two swapped signatures) fails KSR-BUNDLE-POP. */
static void test_real_2018_q1_and_bad(void **state)
{
	(void)state;
	struct kr_ksr_doc *ksr = load("icann/dnssec-keytools/ksr-root-2018-q1-0-d_to_e.xml");
	expect_fails(ksr, NULL, root, T("2017-10-20T00:00:00Z"), NONE);
	expect_fails(ksr, NULL, root, T("2026-01-01T00:00:00Z"), FAILS("KSR-POLICY-SIG-HORIZON"));
	kr_ksr_free(ksr);
	ksr = load("icann/dnssec-keytools/ksr.bad.xml");
	expect_fails(ksr, NULL, root, T("2017-10-20T00:00:00Z"), FAILS("KSR-BUNDLE-POP"));
	kr_ksr_free(ksr);
}

static void shift_bundle(struct kr_ksr_bundle *b, int64_t secs)
{
	b->inception += secs;
	b->expiration += secs;
}

static void test_header_and_bundles(void **state)
{
	(void)state;
	struct kr_ksr_doc *prev = load(Q1_SKR), *ksr;

	/* KSR-DOMAIN: another zone's KSR (the signatures then fail too). */
	ksr = load_mut(Q2_KSR, "domain=\".\"", "domain=\"se.\"", 1);
	expect_fails(ksr, prev, root, era, FAILS("KSR-DOMAIN", "KSR-BUNDLE-POP", "KSR-PREVIOUS"));
	kr_ksr_free(ksr);
	ksr = load(Q2_KSR);
	struct kr_policy *se = policy(ROOT, "zone: \".\"", "zone: se.");
	expect_fails(ksr, prev, se, era, FAILS("KSR-DOMAIN"));
	kr_policy_free(se);
	kr_ksr_free(ksr);

	/* KSR-ID: a replay of the previous SKR's id. */
	ksr = load_mut(Q2_KSR, "23e34059-7725-46a8-a7d2-662d657aab2b",
		       "122992ea-297d-4f12-845b-0fb448c33ccb", 1);
	expect_fails(ksr, prev, root, era, FAILS("KSR-ID"));
	kr_ksr_free(ksr);

	/* KSR-BUNDLE-UNIQUE: bundle 2 reuses bundle 1's id; bundle 3 an id of SKR(n-1). */
	ksr = load(Q2_KSR);
	char *saved = ksr->bundles[1].id;
	ksr->bundles[1].id = ksr->bundles[0].id;
	expect_fails(ksr, prev, root, era, FAILS("KSR-BUNDLE-UNIQUE"));
	ksr->bundles[1].id = saved;
	saved = ksr->bundles[2].id;
	ksr->bundles[2].id = prev->bundles[4].id;
	expect_fails(ksr, prev, root, era, FAILS("KSR-BUNDLE-UNIQUE"));
	ksr->bundles[2].id = saved;
	kr_ksr_free(ksr);

	/* KSR-BUNDLE-KEYS: a wrong keyTag attribute. */
	ksr = load_mut(Q2_KSR, "keyTag=\"14796\"", "keyTag=\"14797\"", 4);
	expect_fails(ksr, prev, root, era, FAILS("KSR-BUNDLE-KEYS"));
	kr_ksr_free(ksr);
	/* ...a ZSK with the SEP flag (its signature cannot match any more). */
	ksr = load_mut(Q2_KSR, "<Flags>256</Flags>", "<Flags>257</Flags>", 6);
	expect_fails(ksr, prev, root, era, FAILS("KSR-BUNDLE-KEYS", "KSR-BUNDLE-POP"));
	kr_ksr_free(ksr);
	/* ...one identifier naming two keys: bundle 4's key (and its signature)
	 * relabelled with the identifier of 61045 from bundle 1. */
	ksr = load(Q2_KSR);
	const char *id61045 = ksr->bundles[0].keys[1].key_identifier;
	assert_int_equal(ksr->bundles[0].keys[1].key_tag, 61045);
	free(ksr->bundles[3].keys[0].key_identifier);
	free(ksr->bundles[3].sigs[0].key_identifier);
	ksr->bundles[3].keys[0].key_identifier = strdup(id61045);
	ksr->bundles[3].sigs[0].key_identifier = strdup(id61045);
	expect_fails(ksr, prev, root, era, FAILS("KSR-BUNDLE-KEYS"));
	kr_ksr_free(ksr);
	/* ...a key the KSR's own RequestPolicy does not list (RSA-2048 -> 4096 claimed). */
	ksr = load_mut(Q2_KSR, "<RSA size=\"2048\"", "<RSA size=\"4096\"", 1);
	expect_fails(ksr, prev, root, era, FAILS("KSR-BUNDLE-KEYS", "KSR-POLICY-ALG"));
	kr_ksr_free(ksr);

	/* KSR-BUNDLE-POP: bundle 1 loses the signature by 61045. */
	ksr = load(Q2_KSR);
	assert_int_equal(ksr->bundles[0].nsigs, 2);
	assert_int_equal(ksr->bundles[0].sigs[1].rrsig.key_tag, 61045);
	ksr->bundles[0].nsigs = 1;
	expect_fails(ksr, prev, root, era, FAILS("KSR-BUNDLE-POP"));
	ksr->bundles[0].nsigs = 2;
	/* ...a flipped bit in a signature. */
	ksr->bundles[5].sigs[0].rrsig.sig[100] ^= 0x04;
	expect_fails(ksr, prev, root, era, FAILS("KSR-BUNDLE-POP"));
	kr_ksr_free(ksr);

	/* KSR-BUNDLE-COUNT: the last bundle dropped (it also shortens the cycle
	 * and removes the pre-published key the policy expects). */
	ksr = load(Q2_KSR);
	ksr->nbundles--;
	expect_fails(ksr, prev, root, era,
		     FAILS("KSR-BUNDLE-COUNT", "KSR-BUNDLE-CYCLE-DURATION", "KSR-POLICY-KEYS"));
	ksr->nbundles++;
	kr_ksr_free(ksr);
	struct kr_policy *ten = policy2(ROOT, "num_bundles: 9", "min_bundles: 10\n  max_bundles: 12",
					"num_keys_per_bundle: [2, 1, 1, 1, 1, 1, 1, 1, 2]",
					"min_keys_per_bundle: 1");
	ksr = load(Q2_KSR);
	expect_fails(ksr, prev, ten, era, FAILS("KSR-BUNDLE-COUNT"));
	kr_policy_free(ten);

	/* KSR-BUNDLE-CYCLE-DURATION: bundles 6-9 one day later, 8-9 two: every
	 * interval stays within 9-11 days but the cycle grows to 82 days. */
	for (size_t i = 5; i < 9; i++)
		shift_bundle(&ksr->bundles[i], 86400 * (i >= 7 ? 2 : 1));
	expect_fails(ksr, prev, root, era, FAILS("KSR-BUNDLE-CYCLE-DURATION"));
	kr_ksr_free(ksr);
	kr_ksr_free(prev);
}

static void test_policy_checks(void **state)
{
	(void)state;
	struct kr_ksr_doc *prev = load(Q1_SKR), *ksr;

	/* KSR-POLICY-KEYS: the post-published ZSK 61045 dropped from bundle 1 -
	 * one key short; the old ZSK is withdrawn the moment its successor
	 * takes over (no retire safety) and missing from the chain; 14796's
	 * signature covered the two-key RRset, so it no longer verifies. */
	ksr = load(Q2_KSR);
	assert_int_equal(ksr->bundles[0].keys[1].key_tag, 61045);
	ksr->bundles[0].nkeys = 1;
	ksr->bundles[0].nsigs = 1;
	expect_fails(ksr, prev, root, era,
		     FAILS("KSR-POLICY-KEYS", "KSR-CHAIN-KEYS", "KSR-POLICY-SAFETY-RETIRE",
			   "KSR-BUNDLE-POP"));
	ksr->bundles[0].nkeys = 2;
	ksr->bundles[0].nsigs = 2;
	struct kr_policy *p = policy(ROOT, "num_different_keys_in_all_bundles: 3",
				     "num_different_keys_in_all_bundles: 4");
	expect_fails(ksr, prev, p, era, FAILS("KSR-POLICY-KEYS"));
	kr_policy_free(p);
	kr_ksr_free(ksr);

	/* KSR-POLICY-ALG: the KSR also announces RSASHA1 (RFC 8624 MUST NOT). */
	ksr = load_mut(Q2_KSR, "</SignatureAlgorithm>",
		       "</SignatureAlgorithm><SignatureAlgorithm algorithm=\"5\"><RSA size=\"2048\" "
		       "exponent=\"65537\"/></SignatureAlgorithm>",
		       1);
	expect_fails(ksr, prev, root, era, FAILS("KSR-POLICY-ALG"));
	kr_ksr_free(ksr);
	ksr = load(Q2_KSR);
	p = policy(ROOT, "    - algorithm: RSASHA256\n      sizes: [2048]",
		   "    - algorithm: ECDSAP256SHA256\n    - algorithm: RSASHA256\n      sizes: [3072]");
	expect_fails(ksr, prev, p, era, FAILS("KSR-POLICY-ALG"));
	kr_policy_free(p);
	kr_ksr_free(ksr);

	/* KSR-POLICY-SIG-OVERLAP: the KSR claims at most 10 days of overlap but
	 * its bundles overlap 11. */
	ksr = load_mut(Q2_KSR, "<MaxValidityOverlap>P12D", "<MaxValidityOverlap>P10D", 1);
	expect_fails(ksr, prev, root, era, FAILS("KSR-POLICY-SIG-OVERLAP"));
	kr_ksr_free(ksr);

	/* KSR-POLICY-SIG-VALIDITY: the KSR claims at most 20 days; bundles are 21. */
	ksr = load_mut(Q2_KSR, "<MaxSignatureValidity>P21D", "<MaxSignatureValidity>P20D", 1);
	expect_fails(ksr, prev, root, era, FAILS("KSR-POLICY-SIG-VALIDITY"));
	kr_ksr_free(ksr);
	/* ...one bundle a day longer breaks the claim and the KSK's 21-day cap. */
	ksr = load_mut(Q2_KSR, "<Expiration>2017-06-01T00:00:00", "<Expiration>2017-06-02T00:00:00", 1);
	expect_fails(ksr, prev, root, era,
		     FAILS("KSR-POLICY-SIG-VALIDITY", "SKR-POLICY-SIG-VALIDITY"));
	kr_ksr_free(ksr);

	/* KSR-POLICY-SIG-HORIZON: processed too early (beyond 180 days) or too late. */
	ksr = load(Q2_KSR);
	expect_fails(ksr, prev, root, T("2016-12-01T00:00:00Z"), FAILS("KSR-POLICY-SIG-HORIZON"));
	expect_fails(ksr, prev, root, T("2017-05-01T00:00:00Z"), FAILS("KSR-POLICY-SIG-HORIZON"));
	kr_ksr_free(ksr);

	/* KSR-POLICY-BUNDLE-INTERVALS: bundle 5 two days later (12 then 8 days). */
	ksr = load(Q2_KSR);
	shift_bundle(&ksr->bundles[4], 2 * 86400);
	expect_fails(ksr, prev, root, era,
		     FAILS("KSR-POLICY-BUNDLE-INTERVALS", "KSR-POLICY-SIG-OVERLAP"));
	kr_ksr_free(ksr);

	/* KSR-POLICY-SAFETY: a PublishSafety below the operator's minimum. */
	ksr = load_mut(Q2_KSR, "<PublishSafety>P10D", "<PublishSafety>P5D", 1);
	expect_fails(ksr, prev, root, era, FAILS("KSR-POLICY-SAFETY"));
	kr_ksr_free(ksr);
	ksr = load_mut(Q2_KSR, "<RetireSafety>P10D", "<RetireSafety>P31D", 1);
	expect_fails(ksr, prev, root, era, FAILS("KSR-POLICY-SAFETY", "KSR-POLICY-SAFETY-RETIRE"));
	kr_ksr_free(ksr);

	/* KSR-POLICY-SAFETY-PUBLISH / -RETIRE: ZSK 14796 was pre-published on
	 * 2017-03-21 and in sole use from 2017-04-11 (21 days). */
	ksr = load_mut(Q2_KSR, "<PublishSafety>P10D", "<PublishSafety>P22D", 1);
	expect_fails(ksr, prev, root, era,
		     FAILS("KSR-POLICY-SAFETY-PUBLISH", "KSR-POLICY-SAFETY-RETIRE"));
	kr_ksr_free(ksr);
	ksr = load_mut(Q2_KSR, "<RetireSafety>P10D", "<RetireSafety>P12D", 1);
	expect_fails(ksr, prev, root, era, FAILS("KSR-POLICY-SAFETY-RETIRE"));
	kr_ksr_free(ksr);
	kr_ksr_free(prev);
}

static void test_chain_and_operator_limits(void **state)
{
	(void)state;
	struct kr_ksr_doc *ksr = load(Q2_KSR), *prev;

	/* KSR-PREVIOUS: a spoiled signature in the previous SKR. */
	prev = load(Q1_SKR);
	prev->bundles[2].sigs[0].rrsig.sig[7] ^= 0x80;
	expect_fails(ksr, prev, root, era, FAILS("KSR-PREVIOUS"));
	kr_ksr_free(prev);

	/* KSR-CHAIN-KEYS: the previous SKR's last bundle lacks the pre-published
	 * 14796 (its signature then fails, and 14796 is published only 10 days
	 * before 61045 goes: short of PublishSafety + RetireSafety). */
	prev = load(Q1_SKR);
	struct kr_ksr_bundle *last = &prev->bundles[8];
	assert_int_equal(last->keys[1].key_tag, 14796);
	free(last->keys[1].key_identifier);
	last->keys[1] = last->keys[2]; /* drop 14796; the KSK moves up */
	last->nkeys = 2;
	expect_fails(ksr, prev, root, era,
		     FAILS("KSR-CHAIN-KEYS", "KSR-PREVIOUS", "KSR-POLICY-SAFETY-RETIRE"));
	kr_ksr_free(prev);
	/* ...and the other direction: KSR(n)'s first bundle misses 61045 that
	 * SKR(n-1) post-publishes (see test_policy_checks) - and a wrong
	 * predecessor altogether. */
	prev = load("icann/dnssec-keytools/skr-root-2017-q3-0-c_to_d.xml");
	struct kr_check_report rep = {0};
	assert_int_equal(kr_ksr_check(ksr, prev, root, era, &rep), KR_EPOLICY);
	assert_int_equal(kr_check_report_find(&rep, "KSR-CHAIN-KEYS")->status, KR_CHECK_FAIL);
	assert_int_equal(kr_check_report_find(&rep, "KSR-CHAIN-OVERLAP")->status, KR_CHECK_FAIL);
	kr_check_report_clear(&rep);
	kr_ksr_free(prev);

	/* KSR-CHAIN-OVERLAP: SKR(n-1)'s last bundle ends 3 days later (13 > 12). */
	prev = load_mut(Q1_SKR, "<Expiration>2017-04-11T00:00:00+00:00",
			"<Expiration>2017-04-14T00:00:00+00:00", 1);
	expect_fails(ksr, prev, root, era, FAILS("KSR-CHAIN-OVERLAP"));
	kr_ksr_free(prev);
	prev = load(Q1_SKR);

	/* SKR-POLICY-TTL: one key with another TTL (keys are then inconsistent too). */
	struct kr_ksr_doc *m = load_mut(Q2_KSR, "<TTL>172800</TTL>", "<TTL>86400</TTL>", 5);
	expect_fails(m, prev, root, era, FAILS("SKR-POLICY-TTL", "KSR-BUNDLE-KEYS"));
	kr_ksr_free(m);
	struct kr_policy *p = policy(ROOT, "ttl: 172800", "ttl: 86400");
	expect_fails(ksr, prev, p, era, FAILS("SKR-POLICY-TTL"));
	kr_policy_free(p);

	/* SKR-POLICY-SIG-VALIDITY / -OVERLAP: the operator's own caps. */
	p = policy2(ROOT, "max_signature_validity: P21D", "max_signature_validity: P20D",
		    "min_signature_validity: P21D", "min_signature_validity: P20D");
	expect_fails(ksr, prev, p, era, FAILS("SKR-POLICY-SIG-VALIDITY"));
	kr_policy_free(p);
	p = policy(ROOT, "max_validity_overlap: P16D", "max_validity_overlap: P10D");
	expect_fails(ksr, prev, p, era, FAILS("SKR-POLICY-SIG-OVERLAP"));
	kr_policy_free(p);

	/* skip_checks: reported as SKIP, never PASS. */
	p = policy(ROOT, "zone: \".\"", "zone: \".\"\nskip_checks: [KSR-POLICY-SIG-HORIZON]");
	assert_int_equal(kr_ksr_check(ksr, prev, p, T("2030-01-01T00:00:00Z"), &rep), KR_OK);
	assert_int_equal(kr_check_report_find(&rep, "KSR-POLICY-SIG-HORIZON")->status,
			 KR_CHECK_SKIP);
	assert_non_null(strstr(kr_check_report_find(&rep, "KSR-POLICY-SIG-HORIZON")->msg,
			       "skip_checks"));
	kr_check_report_clear(&rep);
	kr_policy_free(p);
	kr_ksr_free(prev);
	kr_ksr_free(ksr);
}

/* Every real SKR verifies on its own; forgeries do not. */
static void test_skr_verify(void **state)
{
	(void)state;
	static const char *const skrs[] = {
		"icann/dnssec-keytools/skr-root-2017-q1-0.xml",
		"icann/dnssec-keytools/skr-root-2017-q2-0.xml",
		"icann/dnssec-keytools/skr-root-2017-q3-0-c_to_d.xml",
		"icann/dnssec-keytools/skr-root-2018-q1-0-d_to_e.xml",
		"icann/dnssec-keytools-legacy/baseline/skr-root-2009-q4-2.xml",
		"icann/dnssec-keytools-legacy/baseline/skr-root-2010-q1-0.xml",
		"icann/dnssec-keytools-legacy/baseline/skr-root-2010-q2-0.xml",
		"icann/dnssec-keytools-legacy/baseline/skr-root-2010-q2-0-revoke.xml",
	};
	struct kr_check_report rep = {0};
	for (size_t i = 0; i < sizeof(skrs) / sizeof(skrs[0]); i++) {
		struct kr_ksr_doc *d = load(skrs[i]);
		if (kr_skr_check(d, &rep) != KR_OK)
			fail_msg("%s: %s %s", skrs[i], rep.items[0].msg, rep.items[1].msg);
		assert_int_equal(rep.n, 3);
		kr_check_report_clear(&rep);
		kr_ksr_free(d);
	}
	struct kr_ksr_doc *d = load(Q1_SKR);
	/* a flipped bit */
	d->bundles[3].sigs[0].rrsig.sig[9] ^= 1;
	assert_int_equal(kr_skr_check(d, &rep), KR_EPOLICY);
	assert_int_equal(kr_check_report_find(&rep, "SKR-VERIFY-SIGNATURES")->status, KR_CHECK_FAIL);
	assert_int_equal(rep.nfail, 1);
	kr_check_report_clear(&rep);
	d->bundles[3].sigs[0].rrsig.sig[9] ^= 1;
	/* swapped signatures between bundles: 2 and 3 hold the same RRset, so
	 * the signature verifies but its validity does not cover the bundle;
	 * 1 and 2 differ, so the signature itself fails. */
	struct kr_ksr_sig tmp = d->bundles[1].sigs[0];
	d->bundles[1].sigs[0].rrsig = d->bundles[2].sigs[0].rrsig;
	assert_int_equal(kr_skr_check(d, &rep), KR_EPOLICY);
	assert_int_equal(kr_check_report_find(&rep, "SKR-VERIFY-TIMES")->status, KR_CHECK_FAIL);
	assert_int_equal(rep.nfail, 1);
	kr_check_report_clear(&rep);
	d->bundles[1].sigs[0].rrsig = d->bundles[0].sigs[0].rrsig;
	assert_int_equal(kr_skr_check(d, &rep), KR_EPOLICY);
	assert_int_equal(kr_check_report_find(&rep, "SKR-VERIFY-SIGNATURES")->status, KR_CHECK_FAIL);
	kr_check_report_clear(&rep);
	d->bundles[1].sigs[0] = tmp;
	/* a ZSK (not a KSK) as signer: relabel the signature to the ZSK */
	char *sid = d->bundles[4].sigs[0].key_identifier;
	d->bundles[4].sigs[0].key_identifier = d->bundles[4].keys[0].key_identifier;
	d->bundles[4].sigs[0].rrsig.key_tag = d->bundles[4].keys[0].key_tag;
	assert_int_equal(kr_skr_check(d, &rep), KR_EPOLICY);
	assert_non_null(strstr(kr_check_report_find(&rep, "SKR-VERIFY-SIGNATURES")->msg,
			       "not a KSK"));
	kr_check_report_clear(&rep);
	d->bundles[4].sigs[0].key_identifier = sid;
	d->bundles[4].sigs[0].rrsig.key_tag = 19036;
	/* a bundle whose signature does not cover it */
	d->bundles[6].expiration += 86400;
	assert_int_equal(kr_skr_check(d, &rep), KR_EPOLICY);
	assert_int_equal(kr_check_report_find(&rep, "SKR-VERIFY-TIMES")->status, KR_CHECK_FAIL);
	assert_int_equal(rep.nfail, 1);
	kr_check_report_clear(&rep);
	d->bundles[6].expiration -= 86400;
	/* the KSK missing from a bundle */
	d->bundles[0].nkeys = 2;
	assert_int_equal(kr_skr_check(d, &rep), KR_EPOLICY);
	assert_int_equal(kr_check_report_find(&rep, "SKR-VERIFY-STRUCTURE")->status, KR_CHECK_FAIL);
	kr_check_report_clear(&rep);
	d->bundles[0].nkeys = 3;
	assert_int_equal(kr_skr_check(d, &rep), KR_OK);
	kr_check_report_clear(&rep);
	kr_ksr_free(d);
}

/* --- TLD KSRs from software keys ------------------------------------------ */

static EVP_PKEY *genkey(uint8_t alg)
{
	EVP_PKEY *k = NULL;
	if (alg == KR_ALG_ECDSAP256SHA256)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (alg == KR_ALG_ED25519)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(k);
	return k;
}

/*
 * A KSR for example. as tld-example.yaml wants it: 5 weekly bundles of 14
 * days; ZSK A retires after bundle 1, B signs throughout, C is
 * pre-published in bundle 5.  Every bundle is signed by each of its ZSKs.
 */
static struct kr_ksr_doc *tld_ksr(uint8_t alg, int64_t start)
{
	EVP_PKEY *pk[3];
	struct kr_ksr_key keys[3];
	struct kr_signer signers[3];
	struct kr_ksr_doc *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->kind = KR_KSR_REQUEST;
	d->id = strdup("5c7e9b7a-tld-example");
	d->serial = 7;
	assert_int_equal(kr_name_from_str("example.", &d->domain), 0);
	struct kr_ksr_policy *zp = &d->zsk_policy;
	zp->publish_safety = 86400;
	zp->retire_safety = 86400;
	zp->max_sig_validity = zp->min_sig_validity = 14 * 86400;
	zp->max_validity_overlap = zp->min_validity_overlap = 7 * 86400;
	zp->nalgs = 1;
	zp->algs[0].algorithm = alg;
	zp->algs[0].size = alg == KR_ALG_RSASHA256 ? 2048 : 256;
	zp->algs[0].exponent = alg == KR_ALG_RSASHA256 ? 65537 : 0;
	for (int i = 0; i < 3; i++) {
		pk[i] = genkey(alg);
		memset(&keys[i], 0, sizeof(keys[i]));
		assert_int_equal(kr_dnskey_from_pkey(pk[i], alg, 256, &keys[i].dnskey), 0);
		assert_int_equal(kr_signer_from_pkey(pk[i], alg, 256, &signers[i]), 0);
		keys[i].key_tag = kr_dnskey_keytag(&keys[i].dnskey);
		keys[i].ttl = 3600;
		char id[16];
		snprintf(id, sizeof(id), "zsk-%c", 'a' + i);
		keys[i].key_identifier = strdup(id);
	}
	d->nbundles = 5;
	d->bundles = calloc(5, sizeof(*d->bundles));
	assert_non_null(d->bundles);
	for (int b = 0; b < 5; b++) {
		struct kr_ksr_bundle *bu = &d->bundles[b];
		char id[40];
		snprintf(id, sizeof(id), "bundle-%d", b + 1);
		bu->id = strdup(id);
		bu->inception = start + (int64_t)b * 7 * 86400;
		bu->expiration = bu->inception + 14 * 86400;
		int use[3] = {b == 0, 1, b == 4};
		for (int i = 0; i < 3; i++)
			if (use[i])
				assert_int_equal(kr_ksr_bundle_add_key(bu, &keys[i]), 0);
		struct kr_dnskey rrset[3];
		for (size_t k = 0; k < bu->nkeys; k++)
			rrset[k] = bu->keys[k].dnskey;
		for (int i = 0; i < 3; i++) {
			if (!use[i])
				continue;
			struct kr_ksr_sig sig;
			memset(&sig, 0, sizeof(sig));
			sig.key_identifier = keys[i].key_identifier;
			sig.ttl = 3600;
			assert_int_equal(kr_rrsig_sign(&signers[i], &d->domain, rrset, bu->nkeys, 3600,
						       (uint32_t)(start - 86400),
						       (uint32_t)(start + 60 * 86400), &sig.rrsig),
					 0);
			assert_int_equal(kr_ksr_bundle_add_sig(bu, &sig), 0);
		}
	}
	for (int i = 0; i < 3; i++) {
		free(keys[i].key_identifier);
		EVP_PKEY_free(pk[i]);
	}
	/* Through the writer and parser, as a ZSK operator would send it. */
	char *xml = NULL;
	size_t len = 0;
	assert_int_equal(kr_ksr_write(d, &xml, &len), 0);
	kr_ksr_free(d);
	d = parse_text(xml);
	free(xml);
	return d;
}

static void test_tld_algorithms(void **state)
{
	(void)state;
	struct kr_policy *tld = policy(TLD, NULL, NULL);
	int64_t start = T("2026-03-01T00:00:00Z"), now = T("2026-02-20T00:00:00Z");
	const uint8_t algs[] = {KR_ALG_ECDSAP256SHA256, KR_ALG_ED25519, KR_ALG_RSASHA256};
	for (size_t i = 0; i < sizeof(algs); i++) {
		struct kr_ksr_doc *ksr = tld_ksr(algs[i], start);
		expect_fails(ksr, NULL, tld, now, NONE);
		/* The root policy refuses it on every count that differs. */
		expect_fails(ksr, NULL, root, now,
			     algs[i] == KR_ALG_RSASHA256
				     ? FAILS("KSR-DOMAIN", "KSR-BUNDLE-COUNT",
					     "KSR-BUNDLE-CYCLE-DURATION", "KSR-POLICY-KEYS",
					     "KSR-POLICY-BUNDLE-INTERVALS", "KSR-POLICY-SAFETY",
					     "SKR-POLICY-TTL", "SKR-POLICY-SIG-VALIDITY",
					     "SKR-POLICY-SIG-OVERLAP")
				     : FAILS("KSR-DOMAIN", "KSR-BUNDLE-COUNT",
					     "KSR-BUNDLE-CYCLE-DURATION", "KSR-POLICY-KEYS",
					     "KSR-POLICY-ALG", "KSR-POLICY-BUNDLE-INTERVALS",
					     "KSR-POLICY-SAFETY", "SKR-POLICY-TTL",
					     "SKR-POLICY-SIG-VALIDITY", "SKR-POLICY-SIG-OVERLAP"));
		/* A forged signature in the TLD KSR is caught for every algorithm. */
		ksr->bundles[2].sigs[0].rrsig.sig[3] ^= 0x10;
		expect_fails(ksr, NULL, tld, now, FAILS("KSR-BUNDLE-POP"));
		kr_ksr_free(ksr);
	}
	kr_policy_free(tld);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_chain_passes),
		cmocka_unit_test(test_real_2016_q3),
		cmocka_unit_test(test_real_2018_q1_and_bad),
		cmocka_unit_test(test_header_and_bundles),
		cmocka_unit_test(test_policy_checks),
		cmocka_unit_test(test_chain_and_operator_limits),
		cmocka_unit_test(test_skr_verify),
		cmocka_unit_test(test_tld_algorithms),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
