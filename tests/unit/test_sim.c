/*
 * The RFC 5011 simulator: timer formulas, every state transition, the
 * exact and fast engines against each other, lint, presets and SKR input.
 *
 * Independent facts used: ICANN's announcement of 2019-01-11 (the root
 * DNSKEY response grew from 1414 to 1425 bytes when KSK-2010 was revoked,
 * its tag changing from 19036 to 19164); the real KSK-2017/KSK-2024 DNSKEYs
 * and the real root SKRs in testdata.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/dnssec.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/timeutil.h"
#include "trustanchor/sim.h"
#include "trustanchor/sim_out.h"

#define D(n) ((int64_t)(n) * SIM_DAY)

/* ---- timers ---------------------------------------------------------------- */

static void test_timers(void **state)
{
	struct sim_profile p;
	(void)state;

	sim_profile_defaults(&p, SIM_IMPL_RFC5011);
	/* the root: TTL 2 d, 21-day signatures -> refresh 1 d, retry 4.8 h */
	assert_int_equal(sim_refresh_interval(&p, 172800, D(21)), D(1));
	assert_int_equal(sim_retry_interval(&p, 172800, D(21)), 17280);
	/* the signature term binds: 10 h left -> 5 h and 1 h */
	assert_int_equal(sim_refresh_interval(&p, 172800, 36000), 18000);
	assert_int_equal(sim_retry_interval(&p, 172800, 36000), 3600);
	/* clamps: never below 1 h, never above 15 d / 1 d */
	assert_int_equal(sim_refresh_interval(&p, 60, D(21)), 3600);
	assert_int_equal(sim_refresh_interval(&p, D(60), D(60)), D(15));
	assert_int_equal(sim_retry_interval(&p, D(60), D(60)), D(1));
	assert_int_equal(sim_retry_interval(&p, 600, D(21)), 3600);
	/* add hold-down: 30 d, or the TTL when longer */
	assert_int_equal(sim_add_holddown(&p, 172800), D(30));
	assert_int_equal(sim_add_holddown(&p, D(40)), D(40));
	/* Knot Resolver ignores the signature expiry */
	sim_profile_defaults(&p, SIM_IMPL_KNOT);
	assert_int_equal(sim_refresh_interval(&p, 172800, 36000), D(1));
	assert_int_equal(sim_retry_interval(&p, 172800, 36000), 17280);
}

/* ---- response size ----------------------------------------------------------- */

static void test_response_size(void **state)
{
	unsigned pk = 0, sg = 0, keys[4], sigs[2];
	(void)state;

	assert_int_equal(sim_alg_lengths(8, 2048, &pk, &sg), 0);
	assert_int_equal(pk, 260);
	assert_int_equal(sg, 256);
	for (int i = 0; i < 4; i++)
		keys[i] = pk;
	sigs[0] = sigs[1] = sg;
	/* 2 KSKs + 2 ZSKs signed by one KSK: the 1414 bytes of the 2017-2018 roll */
	assert_int_equal(sim_response_size(1, keys, 4, sigs, 1), 1414);
	/* 2019-01-11: revoked KSK-2010 + KSK-2017 + one ZSK, two signatures */
	assert_int_equal(sim_response_size(1, keys, 3, sigs, 2), 1425);
	assert_int_equal(sim_alg_lengths(13, 0, &pk, &sg), 0);
	assert_int_equal(pk, 64);
	assert_int_equal(sim_alg_lengths(99, 0, &pk, &sg), KR_EALG);
}

/* ---- presets against the real keys -------------------------------------------- */

static void test_preset_tags(void **state)
{
	char path[1024], *line, *save = NULL;
	const char *td = getenv("TESTDATA");
	struct sim_timeline *tl = NULL;
	uint8_t *buf = NULL;
	size_t len;
	int found = 0;
	(void)state;

	assert_non_null(td);
	snprintf(path, sizeof(path), "%s/icann/get-trust-anchor/ksk-as-dnskey.txt", td);
	assert_int_equal(kr_read_file(path, 1 << 20, &buf, &len), 0);
	assert_int_equal(sim_preset("root-2026", &tl, NULL, 0), 0);
	for (line = strtok_r((char *)buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct kr_dnskey k;
		uint16_t tag, rtag;
		if (kr_dnskey_parse(line, NULL, NULL, &k) != 0)
			continue;
		tag = kr_dnskey_keytag(&k);
		k.flags |= KR_DNSKEY_REVOKE;
		rtag = kr_dnskey_keytag(&k);
		for (size_t i = 0; i < tl->nkeys; i++)
			if (tl->keys[i].tag == tag) {
				assert_int_equal(tl->keys[i].tag_revoked, rtag);
				assert_int_equal(tl->keys[i].pubkey_len, k.pubkey_len);
				found++;
			}
	}
	assert_int_equal(found, 2); /* KSK-2017 and KSK-2024 */
	free(buf);
	sim_timeline_free(tl);
	assert_int_equal(sim_preset("root-2018", &tl, NULL, 0), 0);
	assert_int_equal(tl->keys[0].tag, 19036);
	assert_int_equal(tl->keys[0].tag_revoked, 19164);
	/* the revoked RRset of 2019-01-11 */
	{
		int64_t t;
		const struct sim_seg *g;
		kr_time_parse("2019-01-11T12:00:00Z", &t);
		g = &tl->segs[sim_timeline_find(tl, t)];
		assert_int_equal(g->size, 1425);
		assert_int_equal(g->revoked, 1);
		assert_int_equal(g->rsigners, 1);
		assert_int_equal(g->signers, 2);
	}
	sim_timeline_free(tl);
	assert_int_equal(sim_preset("root-1999", &tl, NULL, 0), KR_ENOTFOUND);
}

/* ---- helpers for single-validator scenarios --------------------------------- */

static const char *plan_head = "start: 2020-01-01\n"
			       "end: 2020-07-01\n"
			       "ttl: P2D\n"
			       "keys:\n"
			       "  - {name: A, tag: 1000}\n"
			       "  - {name: B, tag: 2000}\n";

static struct sim_timeline *plan(const char *body)
{
	char yaml[4096], err[512] = "";
	struct sim_timeline *tl = NULL;
	int rc;

	snprintf(yaml, sizeof(yaml), "%s%s%s", plan_head, body,
		 strstr(body, "signatures:") ? "" : "signatures: {validity: P21D, interval: P10D}\n");
	rc = sim_plan_parse(yaml, strlen(yaml), &tl, err, sizeof(err));
	if (rc)
		fail_msg("plan: %s", err);
	return tl;
}

/* One validator installed at the start, never offline, restarting never. */
static struct sim_population *one(const struct sim_timeline *tl, const char *extra)
{
	char yaml[2048], err[512] = "";
	struct sim_population *pop = NULL;

	snprintf(yaml, sizeof(yaml),
		 "size: 1\nprofiles:\n  - install: {from: 2020-01-01, to: 2020-01-01}\n"
		 "    offline: {fraction: 0}\n    tcp: 1\n"
		 "    loss: {above: 65535, probability: 0}\n%s%s",
		 strstr(extra, "restart:") ? "" : "    restart: {fraction: 0}\n", extra);
	if (sim_population_parse(yaml, strlen(yaml), tl, &pop, err, sizeof(err)))
		fail_msg("population: %s", err);
	return pop;
}

/* Run both engines; they must agree; return the outcome. */
static struct sim_outcome run1(const struct sim_timeline *tl, const struct sim_population *pop)
{
	struct sim_options o = {0};
	struct sim_outcome a, b;
	struct sim_result *r = NULL;

	o.seed = 7;
	o.step = SIM_DAY;
	o.outcomes = &a;
	o.exact = 1;
	assert_int_equal(sim_run(tl, pop, &o, &r), 0);
	sim_result_free(r);
	o.outcomes = &b;
	o.exact = 0;
	assert_int_equal(sim_run(tl, pop, &o, &r), 0);
	sim_result_free(r);
	assert_memory_equal(&a, &b, sizeof(a));
	return a;
}

#define KS(o, k) ((o).kstate[k] & 0x0f)

/* Start -> AddPend -> Valid after the 30-day hold-down. */
static void test_addpend_valid(void **state)
{
	struct sim_timeline *tl = plan("initial: {publish: A, sign: A}\n"
				       "events:\n  - {date: 2020-01-11, publish: B}\n");
	struct sim_population *pop = one(tl, "    implementation: rfc5011\n    anchors: [A]\n");
	struct sim_outcome o = run1(tl, pop);
	(void)state;

	assert_int_equal(KS(o, 1), SIM_K_VALID);
	/* seen first on day 10, Valid at the first probe 30 days later */
	assert_int_equal(o.new_valid, D(40) + 1);
	assert_int_equal(o.ktime[1], D(40));
	assert_int_equal(o.cls, SIM_C_NEW);
	assert_int_equal(o.first_fail, 0);
	sim_population_free(pop);
	sim_timeline_free(tl);
}

/* The two-observations rule: with the hold-down at the TTL (1 h), the key
 * needs pending_min validated sightings. */
static void test_two_observations(void **state)
{
	char yaml[1024];
	struct sim_timeline *tl = NULL;
	struct sim_population *pop;
	struct sim_outcome o;
	(void)state;

	snprintf(yaml, sizeof(yaml),
		 "start: 2020-01-01\nend: 2020-02-01\nttl: PT1H\n"
		 "signatures: {validity: P21D, interval: P10D}\n"
		 "keys: [{name: A, tag: 1}, {name: B, tag: 2}]\n"
		 "initial: {publish: A, sign: A}\n"
		 "events: [{date: 2020-01-02, publish: B}]\n");
	assert_int_equal(sim_plan_parse(yaml, strlen(yaml), &tl, NULL, 0), 0);
	pop = one(tl, "    implementation: rfc5011\n    anchors: [A]\n    add_holddown: PT0S\n");
	o = run1(tl, pop);
	/* refresh is 1 h (TTL/2 clamped); seen at day 1, valid one probe later */
	assert_int_equal(o.new_valid, D(1) + 3600 + 1);
	sim_population_free(pop);
	pop = one(tl, "    implementation: rfc5011\n    anchors: [A]\n    add_holddown: PT0S\n"
		      "    pending_min: 3\n");
	o = run1(tl, pop);
	assert_int_equal(o.new_valid, D(1) + 7200 + 1);
	sim_population_free(pop);
	pop = one(tl, "    implementation: rfc5011\n    anchors: [A]\n    add_holddown: PT0S\n"
		      "    pending_min: 1\n");
	o = run1(tl, pop);
	assert_int_equal(o.new_valid, D(1) + 3600 + 1); /* hold-down (TTL) still applies */
	sim_population_free(pop);
	sim_timeline_free(tl);
}

/* AddPend -> Start when the key goes away (RFC 5011); BIND restarts the
 * timer when it sees the key missing. */
static void test_addpend_missing(void **state)
{
	struct sim_timeline *tl = plan("initial: {publish: A, sign: A}\n"
				       "events:\n  - {date: 2020-01-11, publish: B}\n"
				       "  - {date: 2020-01-21, remove: B}\n"
				       "  - {date: 2020-01-26, publish: B}\n");
	struct sim_population *pop = one(tl, "    implementation: rfc5011\n    anchors: [A]\n");
	struct sim_outcome o = run1(tl, pop);
	(void)state;

	assert_int_equal(o.new_valid, D(55) + 1); /* timer from the second sighting */
	sim_population_free(pop);
	pop = one(tl, "    implementation: bind\n    anchors: [A]\n");
	o = run1(tl, pop);
	assert_int_equal(o.new_valid, D(50) + 1); /* timer from the missing observation */
	sim_population_free(pop);
	sim_timeline_free(tl);
}

/* AddPend -> Revoked: a pending key seen revoked (and self-signed) is never
 * trusted, and removed after the remove hold-down. */
static void test_addpend_revoked(void **state)
{
	struct sim_timeline *tl = plan("initial: {publish: A, sign: A}\n"
				       "events:\n  - {date: 2020-01-11, publish: B}\n"
				       "  - {date: 2020-01-16, revoke: B}\n");
	struct sim_population *pop = one(tl, "    implementation: rfc5011\n    anchors: [A]\n");
	struct sim_outcome o = run1(tl, pop);
	(void)state;

	assert_int_equal(KS(o, 1), SIM_K_REMOVED);
	assert_int_equal(o.ktime[1], D(45)); /* revoked day 15 */
	assert_int_equal(o.new_valid, 0);
	assert_int_equal(o.changes, 3);      /* AddPend, Revoked, Removed */
	sim_population_free(pop);
	sim_timeline_free(tl);
}

/* Valid -> Missing -> Valid, and Missing -> Removed after keep-missing. */
static void test_missing(void **state)
{
	struct sim_timeline *tl = plan("initial: {publish: [A, B], sign: A}\n"
				       "events:\n  - {date: 2020-01-11, remove: B}\n"
				       "  - {date: 2020-01-21, publish: B}\n");
	struct sim_population *pop = one(tl, "    implementation: rfc5011\n    anchors: [A, B]\n");
	struct sim_outcome o = run1(tl, pop);
	(void)state;

	assert_int_equal(KS(o, 1), SIM_K_VALID);
	assert_int_equal(o.ktime[1], D(20));
	assert_int_equal(o.changes, 2);
	sim_population_free(pop);
	pop = one(tl, "    implementation: unbound\n    jitter: 0\n    anchors: [A, B]\n"
		      "    keep_missing: P5D\n");
	o = run1(tl, pop);
	assert_int_equal(KS(o, 1), SIM_K_REMOVED); /* removed on day 15, not re-added */
	assert_int_equal(o.ktime[1], D(15));
	sim_population_free(pop);
	sim_timeline_free(tl);
}

/* Valid -> Revoked -> Removed after the remove hold-down; Missing -> Revoked. */
static void test_revoked(void **state)
{
	struct sim_timeline *tl = plan("initial: {publish: [A, B], sign: A}\n"
				       "events:\n  - {date: 2020-01-11, sign: B}\n"
				       "  - {date: 2020-01-13, revoke: A}\n");
	struct sim_population *pop = one(tl, "    implementation: rfc5011\n    anchors: [A, B]\n");
	struct sim_outcome o = run1(tl, pop);
	(void)state;

	assert_int_equal(KS(o, 0), SIM_K_REMOVED);
	assert_int_equal(o.ktime[0], D(42)); /* revoked day 12, removed 30 days later */
	assert_int_equal(o.cls, SIM_C_NEW); /* B (shipped) signs now */
	sim_population_free(pop);
	sim_timeline_free(tl);

	tl = plan("initial: {publish: [A, B], sign: B}\n"
		  "events:\n  - {date: 2020-01-11, remove: A}\n"
		  "  - {date: 2020-01-16, publish: A}\n"
		  "  - {date: 2020-01-16, revoke: A}\n");
	pop = one(tl, "    implementation: rfc5011\n    anchors: [A, B]\n");
	o = run1(tl, pop);
	assert_int_equal(KS(o, 0), SIM_K_REMOVED);
	assert_int_equal(o.ktime[0], D(45)); /* Missing day 10, Revoked day 15 */
	sim_population_free(pop);
	sim_timeline_free(tl);
}

/* Revoking the last anchor leaves the validator insecure. */
static void test_revoke_last_anchor(void **state)
{
	struct sim_timeline *tl = plan("initial: {publish: A, sign: A}\n"
				       "events:\n  - {date: 2020-02-20, publish: B}\n"
				       "  - {date: 2020-02-21, sign: B, unsign: A}\n"
				       "  - {date: 2020-02-22, revoke: A}\n");
	struct sim_population *pop = one(tl, "    implementation: rfc5011\n    anchors: [A]\n");
	struct sim_outcome o = run1(tl, pop);
	struct sim_lint_options lo;
	struct sim_lint *l = NULL;
	(void)state;

	assert_int_equal(o.first_fail, D(51) + 1);
	assert_int_equal(KS(o, 0), SIM_K_REVOKED);
	assert_int_equal(o.ktime[0], D(52));
	assert_int_equal(KS(o, 1), SIM_K_ADDPEND);
	assert_int_equal(o.cls, SIM_C_INSECURE);
	sim_population_free(pop);
	/* a static validator does not process the revocation: it stays failing */
	pop = one(tl, "    implementation: static\n    anchors: [A]\n");
	o = run1(tl, pop);
	assert_int_equal(o.cls, SIM_C_FAILING);
	assert_int_equal(KS(o, 0), SIM_K_VALID);
	sim_population_free(pop);
	/* and lint: the roll came one day after the publication */
	sim_lint_defaults(&lo);
	assert_int_equal(sim_lint_run(tl, &lo, &l), 0);
	assert_true(l->errors >= 1);
	assert_string_equal(l->findings[0].check, "ADD-WAIT");
	sim_lint_free(l);
	sim_timeline_free(tl);
}

/* A revoked key that does not sign: the revocation is not accepted. */
static void test_revoke_unsigned(void **state)
{
	struct sim_timeline *tl = plan("initial: {publish: [A, B], sign: B}\n"
				       "events:\n  - {date: 2020-01-11, revoke: A, unsign: A}\n");
	struct sim_population *pop = one(tl, "    implementation: rfc5011\n    anchors: [A, B]\n");
	struct sim_outcome o = run1(tl, pop);
	struct sim_lint_options lo;
	struct sim_lint *l = NULL;
	int seen = 0;
	(void)state;

	assert_int_equal(KS(o, 0), SIM_K_MISSING);
	sim_lint_defaults(&lo);
	assert_int_equal(sim_lint_run(tl, &lo, &l), 0);
	for (size_t i = 0; i < l->nfindings; i++)
		seen += !strcmp(l->findings[i].check, "REVOKE-SELFSIGN");
	assert_int_equal(seen, 1);
	sim_lint_free(l);
	sim_population_free(pop);
	sim_timeline_free(tl);
}

/* A validator that cannot keep state starts over at every restart. */
static void test_no_persist(void **state)
{
	struct sim_timeline *tl = plan("initial: {publish: A, sign: A}\n"
				       "events:\n  - {date: 2020-01-06, publish: B}\n");
	struct sim_population *pop = one(tl, "    implementation: rfc5011\n    anchors: [A]\n"
					     "    persist: false\n"
					     "    restart: {fraction: 1, every: P20D}\n");
	struct sim_outcome o = run1(tl, pop);
	(void)state;

	assert_int_equal(o.new_valid, 0);
	assert_int_equal(KS(o, 1), SIM_K_ADDPEND);
	assert_int_equal(o.ktime[1], D(180)); /* the last restart re-added it */
	sim_population_free(pop);
	pop = one(tl, "    implementation: rfc5011\n    anchors: [A]\n"
		      "    restart: {fraction: 1, every: P20D}\n");
	o = run1(tl, pop);
	assert_int_equal(o.new_valid, D(35) + 1); /* persisted through restarts */
	sim_population_free(pop);
	sim_timeline_free(tl);
}

/* An algorithm the validator cannot validate is never a trust anchor. */
static void test_algorithm(void **state)
{
	char yaml[1024];
	struct sim_timeline *tl = NULL;
	struct sim_population *pop;
	struct sim_outcome o;
	(void)state;

	snprintf(yaml, sizeof(yaml),
		 "start: 2020-01-01\nend: 2020-07-01\n"
		 "keys: [{name: A, tag: 1}, {name: B, tag: 2, algorithm: ECDSAP256SHA256}]\n"
		 "initial: {publish: A, sign: A}\n"
		 "events:\n  - {date: 2020-01-11, publish: B}\n"
		 "  - {date: 2020-03-01, sign: B}\n  - {date: 2020-04-01, unsign: A}\n");
	assert_int_equal(sim_plan_parse(yaml, strlen(yaml), &tl, NULL, 0), 0);
	{
		/* B is published 50 days before it signs, A stays published
		 * after it stops signing: RFC 4035 2.2 is broken twice */
		struct sim_lint_options lo;
		struct sim_lint *l = NULL;
		int64_t t;
		sim_lint_defaults(&lo);
		assert_int_equal(sim_lint_run(tl, &lo, &l), 0);
		assert_int_equal(l->errors, 2);
		kr_time_parse("2020-01-11", &t);
		assert_string_equal(l->findings[0].check, "ALG-UNSIGNED");
		assert_int_equal(l->findings[0].when, t);
		kr_time_parse("2020-04-01", &t);
		assert_string_equal(l->findings[1].check, "ALG-UNSIGNED");
		assert_int_equal(l->findings[1].when, t);
		sim_lint_free(l);
	}
	pop = one(tl, "    implementation: rfc5011\n    anchors: [A]\n    algorithms: [8]\n");
	o = run1(tl, pop);
	assert_int_equal(KS(o, 1), SIM_K_START);
	assert_int_equal(o.cls, SIM_C_FAILING);
	assert_int_equal(o.first_fail, D(91) + 1);
	sim_population_free(pop);
	pop = one(tl, "    implementation: rfc5011\n    anchors: [A]\n    algorithms: [8, 13]\n");
	o = run1(tl, pop);
	assert_int_equal(o.cls, SIM_C_NEW);
	assert_int_equal(o.first_fail, 0);
	sim_population_free(pop);
	sim_timeline_free(tl);
}

/* ---- exact vs fast on random populations ------------------------------------- */

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = (*s += 0x9e3779b97f4a7c15ULL);
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void random_population(uint64_t *s, const struct sim_timeline *tl, char *buf, size_t size)
{
	static const char *const impls[] = {"rfc5011", "unbound", "bind", "knot", "static"};
	char from[32], to[32];
	size_t off;

	kr_time_format(tl->start - D(400), from, sizeof(from));
	kr_time_format(tl->end, to, sizeof(to));
	off = (size_t)snprintf(buf, size, "size: 400\nprofiles:\n");
	for (int i = 0; i < 4; i++)
		off += (size_t)snprintf(
			buf + off, size - off,
			"  - implementation: %s\n    weight: %u\n    persist: %s\n"
			"    install: {from: %s, to: %s}\n    image_age: {min: P0D, max: P%uD}\n"
			"    restart: {fraction: 0.%u, every: {min: P1D, max: P%uD}}\n"
			"    offline: {fraction: 0.%u, at: {from: %s, to: %s}, for: {min: PT1H, max: P%uD}}\n"
			"    edns: [{size: 1232, weight: 1}, {size: 1400, weight: 1}, {size: 4096, weight: 1}]\n"
			"    tcp: 0.%u\n    loss: {above: %u, probability: 0.%u}\n"
			"    add_holddown: P%uD\n    keep_missing: P%uD\n",
			impls[rnd(s) % 5], (unsigned)(rnd(s) % 5 + 1), rnd(s) % 3 ? "true" : "false",
			from, to, (unsigned)(rnd(s) % 900), (unsigned)(rnd(s) % 9),
			(unsigned)(rnd(s) % 90 + 2), (unsigned)(rnd(s) % 5), from, to,
			(unsigned)(rnd(s) % 90 + 1), (unsigned)(rnd(s) % 10),
			(unsigned)(1100 + rnd(s) % 400), (unsigned)(rnd(s) % 5),
			(unsigned)(rnd(s) % 40), (unsigned)(rnd(s) % 400 + 1));
}

static uint64_t events_exact, events_fast;

static void compare_engines(const struct sim_timeline *tl, uint64_t seed)
{
	char yaml[8192], err[256] = "";
	uint64_t s = seed;
	struct sim_population *pop = NULL;
	struct sim_options o = {0};
	struct sim_result *ra = NULL, *rb = NULL;
	struct sim_outcome *a, *b;
	size_t n;

	random_population(&s, tl, yaml, sizeof(yaml));
	if (sim_population_parse(yaml, strlen(yaml), tl, &pop, err, sizeof(err)))
		fail_msg("population: %s\n%s", err, yaml);
	n = pop->size;
	a = calloc(n, sizeof(*a));
	b = calloc(n, sizeof(*b));
	assert_non_null(a);
	assert_non_null(b);
	o.seed = seed;
	o.step = 6 * SIM_HOUR;
	o.exact = 1;
	o.outcomes = a;
	assert_int_equal(sim_run(tl, pop, &o, &ra), 0);
	o.exact = 0;
	o.outcomes = b;
	o.threads = 2;
	assert_int_equal(sim_run(tl, pop, &o, &rb), 0);
	for (size_t i = 0; i < n; i++)
		if (memcmp(&a[i], &b[i], sizeof(a[i]))) {
			for (size_t k = 0; k < tl->nkeys; k++)
				print_message("key %zu: exact %x/%u, fast %x/%u\n", k, a[i].kstate[k],
					      a[i].ktime[k], b[i].kstate[k], b[i].ktime[k]);
			print_message("first_fail %u/%u new_valid %u/%u changes %u/%u class %u/%u\n",
				      a[i].first_fail, b[i].first_fail, a[i].new_valid, b[i].new_valid,
				      a[i].changes, b[i].changes, a[i].cls, b[i].cls);
			fail_msg("seed %llu: validator %zu differs", (unsigned long long)seed, i);
		}
	assert_int_equal(ra->nsamples, rb->nsamples);
	assert_memory_equal(ra->counts, rb->counts, ra->nsamples * SIM_NCLASSES * sizeof(uint32_t));
	assert_memory_equal(ra->signals, rb->signals, ra->nsamples * ra->nmasks * sizeof(uint32_t));
	assert_memory_equal(ra->sentinels, rb->sentinels, ra->nsamples * ra->nmasks * sizeof(uint32_t));
	assert_true(rb->total_events <= ra->total_events);
	events_exact += ra->total_events;
	events_fast += rb->total_events;
	sim_result_free(ra);
	sim_result_free(rb);
	free(a);
	free(b);
	sim_population_free(pop);
}

static void test_exact_vs_fast(void **state)
{
	struct sim_timeline *tl = NULL;
	(void)state;

	assert_int_equal(sim_preset("root-2018", &tl, NULL, 0), 0);
	for (uint64_t seed = 1; seed <= 10; seed++)
		compare_engines(tl, seed);
	sim_timeline_free(tl);
	assert_int_equal(sim_preset("root-2026", &tl, NULL, 0), 0);
	for (uint64_t seed = 11; seed <= 14; seed++)
		compare_engines(tl, seed);
	sim_timeline_free(tl);
	/* a bad plan: short signatures that expire, an early roll, BIND restarts */
	tl = plan("signatures: {validity: P8D, interval: P10D}\n"
		  "initial: {publish: A, sign: A}\n"
		  "events:\n  - {date: 2020-01-11, publish: B}\n"
		  "  - {date: 2020-01-25, remove: B}\n  - {date: 2020-02-03, publish: B}\n"
		  "  - {date: 2020-03-01, sign: B, unsign: A}\n"
		  "  - {date: 2020-03-05, revoke: A}\n  - {date: 2020-03-20, remove: A}\n");
	for (uint64_t seed = 21; seed <= 30; seed++)
		compare_engines(tl, seed);
	sim_timeline_free(tl);
	/* and the fast engine must actually skip work */
	assert_true(events_fast < events_exact);
}

static void test_seed(void **state)
{
	struct sim_timeline *tl = NULL;
	struct sim_population *pop = NULL;
	struct sim_options o = {0};
	struct sim_result *r1 = NULL, *r2 = NULL, *r3 = NULL;
	size_t cells;
	(void)state;

	assert_int_equal(sim_preset("root-2018", &tl, NULL, 0), 0);
	assert_int_equal(sim_population_default(tl, &pop), 0);
	o.validators = 20000;
	o.step = SIM_DAY;
	o.seed = 5;
	assert_int_equal(sim_run(tl, pop, &o, &r1), 0);
	o.threads = 1;
	assert_int_equal(sim_run(tl, pop, &o, &r2), 0);
	o.seed = 6;
	assert_int_equal(sim_run(tl, pop, &o, &r3), 0);
	cells = r1->nsamples * SIM_NCLASSES * sizeof(uint32_t);
	assert_memory_equal(r1->counts, r2->counts, cells);
	assert_memory_not_equal(r1->counts, r3->counts, cells);
	sim_result_free(r1);
	sim_result_free(r2);
	sim_result_free(r3);
	sim_population_free(pop);
	sim_timeline_free(tl);
}

/* ---- lint and the simulation agree on a bad plan ------------------------------- */

static void test_lint_bad_plan(void **state)
{
	struct sim_timeline *good = plan("initial: {publish: A, sign: A}\n"
					 "events:\n  - {date: 2020-01-11, publish: B}\n"
					 "  - {date: 2020-03-01, sign: B, unsign: A}\n"
					 "  - {date: 2020-04-01, revoke: A}\n"
					 "  - {date: 2020-06-01, remove: A}\n");
	struct sim_timeline *early = plan("initial: {publish: A, sign: A}\n"
					  "events:\n  - {date: 2020-01-11, publish: B}\n"
					  "  - {date: 2020-01-31, sign: B, revoke: A}\n"
					  "  - {date: 2020-02-10, remove: A}\n");
	struct sim_lint_options lo;
	struct sim_lint *l = NULL;
	struct sim_population *pop;
	struct sim_options o = {0};
	struct sim_result *r = NULL;
	struct sim_summary sum;
	int addw = 0, remw = 0;
	(void)state;

	sim_lint_defaults(&lo);
	assert_int_equal(sim_lint_run(good, &lo, &l), 0);
	assert_int_equal(l->errors, 0);
	sim_lint_free(l);
	assert_int_equal(sim_lint_run(early, &lo, &l), 0);
	for (size_t i = 0; i < l->nfindings; i++) {
		addw += !strcmp(l->findings[i].check, "ADD-WAIT");
		remw += !strcmp(l->findings[i].check, "REMOVE-WAIT");
	}
	assert_int_equal(addw, 1);
	assert_int_equal(remw, 1);
	/* earliest safe revoke: publish + 30 d hold-down + 10 d of signatures
	 * left + 2 x 1 d refresh + 2 x 4.8 h retry */
	assert_int_equal(l->steps[1].earliest, l->steps[0].planned + D(43) + 2 * 17280);
	assert_int_equal(l->errors, 2);

	/* the simulation shows the damage: RFC 5011 validators go insecure */
	o.validators = 500;
	o.step = SIM_HOUR;
	o.seed = 3;
	pop = one(early, "    implementation: rfc5011\n    anchors: [A]\n");
	pop->size = 500;
	assert_int_equal(sim_run(early, pop, &o, &r), 0);
	assert_int_equal(sim_summarize(early, r, l, &sum), 0);
	assert_true(sum.events[1].insecure_day1 > 0.99);
	sim_result_free(r);
	sim_lint_free(l);
	assert_int_equal(sim_run(good, pop, &o, &r), 0);
	assert_int_equal(sim_summarize(good, r, NULL, &sum), 0);
	for (size_t i = 0; i < sum.nevents; i++)
		assert_true(sum.events[i].failing_peak == 0 && sum.events[i].insecure_day1 == 0);
	sim_result_free(r);
	sim_population_free(pop);
	sim_timeline_free(good);
	sim_timeline_free(early);
}

/* The root rolls: RFC 5011 validators running since before the new KSK
 * was published trust it 30 to 32 days after its publication,
 * long before the roll, and nobody fails at the roll. */
static void preset_outcome(const char *preset, const char *installed, const char *published,
			   const char *rolled)
{
	struct sim_timeline *tl = NULL;
	struct sim_population *pop = NULL;
	struct sim_options o = {0};
	struct sim_result *r = NULL;
	struct sim_summary sum;
	struct sim_outcome *oc;
	int64_t roll, pub;
	char yaml[2048];
	size_t off = 0;
	static const char *const impls[] = {"unbound", "bind", "knot", "rfc5011"};

	assert_int_equal(sim_preset(preset, &tl, NULL, 0), 0);
	/* installed years before from images that shipped the old key only,
	 * always online, TCP fallback working */
	off = (size_t)snprintf(yaml, sizeof(yaml), "size: 3000\nprofiles:\n");
	for (int i = 0; i < 4; i++)
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off,
					"  - {implementation: %s, install: %s, image_age: P0D, "
					"offline: {fraction: 0}, tcp: 1}\n",
					impls[i], installed);
	assert_int_equal(sim_population_parse(yaml, off, tl, &pop, NULL, 0), 0);
	oc = calloc(pop->size, sizeof(*oc));
	o.outcomes = oc;
	o.seed = 2018;
	o.step = SIM_HOUR;
	assert_int_equal(sim_run(tl, pop, &o, &r), 0);
	kr_time_parse(rolled, &roll);
	kr_time_parse(published, &pub);
	for (size_t i = 0; i < pop->size; i++) {
		int64_t at = tl->start + (int64_t)oc[i].new_valid - 1;
		assert_true(oc[i].new_valid > 0);
		assert_true(at >= pub + D(30) && at <= pub + D(32)); /* sighting and acceptance each within a 1-day refresh */
		assert_true(at < roll);
	}
	assert_int_equal(sim_summarize(tl, r, NULL, &sum), 0);
	assert_int_equal(sum.events[1].failing_peak, 0);
	assert_true(sum.uptake[2] > 0 && sum.uptake[2] <= pub + D(32));
	/* at the roll every RFC 8145 signal and RFC 8509 sentinel shows the new key */
	assert_true(sum.events[1].signal_new_day1 == 1.0 && sum.events[1].sentinel_new_day1 == 1.0);
	assert_true(sum.events[0].signal_new_day1 < 0.01);
	sim_result_free(r);
	free(oc);
	sim_population_free(pop);
	sim_timeline_free(tl);
}

static void test_preset_outcomes(void **state)
{
	(void)state;
	preset_outcome("root-2018", "{from: 2015-01-01, to: 2016-12-31}", "2017-07-11", "2018-10-11");
	preset_outcome("root-2026", "{from: 2022-01-01, to: 2024-06-30}", "2025-01-11", "2026-10-11");
}

/* ---- YAML input errors ------------------------------------------------------------ */

static void expect_plan_error(const char *yaml, const char *needle)
{
	char err[512] = "";
	struct sim_timeline *tl = NULL;

	assert_int_not_equal(sim_plan_parse(yaml, strlen(yaml), &tl, err, sizeof(err)), 0);
	assert_null(tl);
	if (!strstr(err, needle))
		fail_msg("expected '%s' in '%s'", needle, err);
}

static void test_plan_errors(void **state)
{
	char buf[2048];
	(void)state;

	snprintf(buf, sizeof(buf), "%sinitial: {publish: A, sign: A}\ncolour: blue\n", plan_head);
	expect_plan_error(buf, "unknown key 'colour'");
	snprintf(buf, sizeof(buf), "%sinitial: {publish: A, sign: A}\nevents: [{date: 2020-02-30, publish: B}]\n",
		 plan_head);
	expect_plan_error(buf, "bad date");
	snprintf(buf, sizeof(buf), "%sinitial: {publish: A, sign: A}\nevents: [{date: 2020-02-01, publish: C}]\n",
		 plan_head);
	expect_plan_error(buf, "no key named 'C'");
	snprintf(buf, sizeof(buf), "%sinitial: {publish: A, sign: A}\nevents: [{date: 2020-02-01, sign: B}]\n",
		 plan_head);
	expect_plan_error(buf, "not published");
	snprintf(buf, sizeof(buf), "%sinitial: {publish: A, sign: A}\nevents: [{date: 2020-02-01, revoke: B}]\n",
		 plan_head);
	expect_plan_error(buf, "cannot revoke");
	snprintf(buf, sizeof(buf), "%sinitial: &x {publish: A, sign: A}\nroll: *x\n", plan_head);
	expect_plan_error(buf, "alias");
	expect_plan_error("start: [unclosed\n", "YAML");
	/* libfyaml 0.7.12 hangs on this one: refused before it gets there */
	expect_plan_error("%# a\225 b\n", "byte 0: YAML directives (%) are not accepted");
	expect_plan_error("start: 2020-01-01\n%YAML 1.2\n", "YAML directive");
	expect_plan_error("start: 2020-01-01\nend: 2020-02-01\nkeys: []\ninitial: {publish: A, sign: A}\n",
			  "KSK");
	snprintf(buf, sizeof(buf), "%sinitial: {publish: A, sign: A}\nevents: [{date: 2021-02-01, publish: B}]\n",
		 plan_head);
	expect_plan_error(buf, "outside");
}

static void test_population_errors(void **state)
{
	struct sim_timeline *tl = NULL;
	struct sim_population *pop = NULL;
	char err[512];
	const char *bad[][2] = {
		{"profiles: [{implementation: nsd}]\n", "implementation is"},
		{"profiles: [{implementation: bind, speed: 3}]\n", "unknown key 'speed'"},
		{"profiles: [{implementation: bind, tcp: 2}]\n", "expected a number"},
		{"profiles: [{implementation: bind, anchors: [KSK-1999]}]\n", "no key named"},
		{"profiles: [{implementation: bind, weight: 0}]\n", "weights"},
		{"size: -1\nprofiles: [{implementation: bind}]\n", "integer"},
	};
	(void)state;

	assert_int_equal(sim_preset("root-2026", &tl, NULL, 0), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(sim_population_parse(bad[i][0], strlen(bad[i][0]), tl, &pop, err,
						      sizeof(err)),
				 KR_EMALFORMED);
		if (!strstr(err, bad[i][1]))
			fail_msg("expected '%s' in '%s'", bad[i][1], err);
	}
	sim_timeline_free(tl);
}

/* ---- SKR input ------------------------------------------------------------------------ */

static void skr_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/icann/dnssec-keytools/%s", getenv("TESTDATA"), name);
}

static void test_skr(void **state)
{
	char p1[1024], p2[1024], err[512] = "";
	const char *paths[2] = {p1, p2};
	struct sim_timeline *tl = NULL;
	struct sim_lint_options lo;
	struct sim_lint *l = NULL;
	int64_t t;
	int expired = 0;
	(void)state;

	skr_path(p1, sizeof(p1), "skr-root-2017-q3-0-c_to_d.xml");
	skr_path(p2, sizeof(p2), "skr-root-2018-q1-0-d_to_e.xml");
	assert_int_equal(sim_skr_load(paths, 1, &tl, err, sizeof(err)), 0);
	assert_int_equal(tl->nkeys, 2);
	assert_int_equal(tl->keys[0].tag, 19036);
	assert_int_equal(tl->keys[0].tag_revoked, 19164);
	assert_int_equal(tl->keys[1].tag, 20326);
	assert_int_equal(tl->nevents, 1);
	kr_time_parse("2017-07-11", &t);
	assert_int_equal(tl->events[0].when, t);
	assert_int_equal(tl->events[0].publish, 2);
	assert_int_equal(tl->segs[0].size, 1139);              /* 2 ZSKs + KSK-2010 */
	assert_int_equal(tl->segs[1].size, 1139);              /* ZSK + 2 KSKs */
	assert_int_equal(tl->segs[tl->nsegs - 1].size, 1414);  /* slot 9: 2 + 2 keys */
	assert_int_equal(tl->segs[tl->nsegs - 1].signers, 1);
	sim_timeline_free(tl);

	/* two quarters with Q4 2017 missing between them: the signatures of the
	 * last Q3 bundle run out on 2017-10-10 */
	assert_int_equal(sim_skr_load(paths, 2, &tl, err, sizeof(err)), 0);
	kr_time_parse("2018-01-11", &t);
	assert_int_equal(tl->segs[sim_timeline_find(tl, t)].signers, 2);
	sim_lint_defaults(&lo);
	assert_int_equal(sim_lint_run(tl, &lo, &l), 0);
	kr_time_parse("2017-10-10", &t);
	for (size_t i = 0; i < l->nfindings; i++)
		expired += !strcmp(l->findings[i].check, "SIG-EXPIRED") && l->findings[i].when == t;
	assert_int_equal(expired, 1);
	sim_lint_free(l);
	sim_timeline_free(tl);
}

/* A flipped bit in a signature rejects the SKR. */
static void test_skr_forgery(void **state)
{
	char path[1024], tmp[] = "/tmp/sim-skr-XXXXXX", err[512] = "";
	const char *paths[1] = {tmp};
	struct sim_timeline *tl = NULL;
	uint8_t *buf = NULL;
	size_t len;
	char *p;
	int fd;
	(void)state;

	skr_path(path, sizeof(path), "skr-root-2017-q3-0-c_to_d.xml");
	assert_int_equal(kr_read_file(path, 1 << 20, &buf, &len), 0);
	p = strstr((char *)buf, "<SignatureData>");
	assert_non_null(p);
	p += strlen("<SignatureData>") + 10;
	*p = *p == 'A' ? 'B' : 'A';
	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(kr_write_file_atomic(tmp, buf, len, 0600), 0);
	assert_int_equal(sim_skr_load(paths, 1, &tl, err, sizeof(err)), KR_EBADSIG);
	assert_non_null(strstr(err, "does not verify"));
	assert_null(tl);
	unlink(tmp);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_response_size),
		cmocka_unit_test(test_preset_tags),
		cmocka_unit_test(test_addpend_valid),
		cmocka_unit_test(test_two_observations),
		cmocka_unit_test(test_addpend_missing),
		cmocka_unit_test(test_addpend_revoked),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_revoke_last_anchor),
		cmocka_unit_test(test_revoke_unsigned),
		cmocka_unit_test(test_no_persist),
		cmocka_unit_test(test_algorithm),
		cmocka_unit_test(test_exact_vs_fast),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_lint_bad_plan),
		cmocka_unit_test(test_preset_outcomes),
		cmocka_unit_test(test_plan_errors),
		cmocka_unit_test(test_population_errors),
		cmocka_unit_test(test_skr),
		cmocka_unit_test(test_skr_forgery),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
