/*
 * sim_lint.c - publisher-side checks of a timeline against RFC 5011.
 *
 * A new KSK may be the only key that validates the RRset (old keys stop
 * signing or are revoked) only after every RFC 5011 validator had the chance
 * to accept it:
 *   add wait = add hold-down (max(30 d, TTL)) + signature validity still
 *              remaining when the key appeared (an RRset without it can be
 *              replayed until then) + 2 x active refresh + 2 x retry
 * and a revoked key must stay published, self-signed, for
 *   remove wait = remove hold-down (30 d) + remaining signature validity of
 *                 the unrevoked RRset + 2 x active refresh + 2 x retry
 * with active refresh = max(1 h, min(15 d, TTL/2, validity/2)) and retry =
 * max(1 h, min(1 d, TTL/10, validity/10)) at the plan's TTL and signature
 * validity (their largest values: the slowest validators).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/timeutil.h"
#include "trustanchor/sim_int.h"

void sim_lint_defaults(struct sim_lint_options *o)
{
	memset(o, 0, sizeof(*o));
	o->max_size = 1452;
	o->warn_size = 1232;
	o->add_holddown = 30 * SIM_DAY;
	o->del_holddown = 30 * SIM_DAY;
}

void sim_lint_free(struct sim_lint *l)
{
	if (!l)
		return;
	free(l->findings);
	free(l->steps);
	free(l);
}

static int add_finding(struct sim_lint *l, int64_t when, enum sim_severity sev, const char *check,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int add_finding(struct sim_lint *l, int64_t when, enum sim_severity sev, const char *check,
		       const char *fmt, ...)
{
	struct sim_finding *f;
	va_list ap;

	f = realloc(l->findings, (l->nfindings + 1) * sizeof(*f));
	if (!f)
		return KR_ENOMEM;
	l->findings = f;
	f = &l->findings[l->nfindings++];
	memset(f, 0, sizeof(*f));
	f->when = when;
	f->severity = sev;
	snprintf(f->check, sizeof(f->check), "%s", check);
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
	if (sev == SIM_ERROR)
		l->errors++;
	else if (sev == SIM_WARNING)
		l->warnings++;
	return 0;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static void fmt_days(int64_t secs, char *buf, size_t size)
{
	snprintf(buf, size, "%.1f d", (double)secs / SIM_DAY);
}

struct waits {
	int64_t refresh, retry, max_ttl;
};

/* Signature validity still left at t on the RRset served just before t. */
static int64_t sig_remaining(const struct sim_timeline *tl, int64_t t)
{
	size_t i;

	if (t <= tl->start)
		return 0;
	i = sim_timeline_find(tl, t - 1);
	return max64(0, tl->segs[i].sig_expiration - t);
}

static int64_t add_wait(const struct sim_timeline *tl, const struct sim_lint_options *o,
			const struct waits *w, int64_t published)
{
	return max64(o->add_holddown, w->max_ttl) + sig_remaining(tl, published) + 2 * w->refresh +
	       2 * w->retry;
}

static int64_t remove_wait(const struct sim_timeline *tl, const struct sim_lint_options *o,
			   const struct waits *w, int64_t revoked)
{
	return o->del_holddown + sig_remaining(tl, revoked) + 2 * w->refresh + 2 * w->retry;
}

static int add_step(struct sim_lint *l, int64_t planned, int64_t earliest, const char *what)
{
	struct sim_step_safety *s = realloc(l->steps, (l->nsteps + 1) * sizeof(*s));

	if (!s)
		return KR_ENOMEM;
	l->steps = s;
	s = &l->steps[l->nsteps++];
	s->planned = planned;
	s->earliest = earliest;
	snprintf(s->what, sizeof(s->what), "%s", what);
	return 0;
}

static int check_segments(const struct sim_timeline *tl, const struct sim_lint_options *o,
			  struct sim_lint *l)
{
	int in_big = 0, in_warn = 0, in_unsigned = 0, in_expired = 0;
	uint8_t selfsign_bad = 0;
	uint64_t alg_reported = 0;
	int rc = 0;

	for (size_t i = 0; i < tl->nsegs && !rc; i++) {
		const struct sim_seg *g = &tl->segs[i];
		uint8_t bad = g->revoked & ~g->rsigners & ~selfsign_bad;
		int big = g->size > o->max_size, warn = !big && g->size > o->warn_size;

		if (big && !in_big)
			rc = add_finding(l, g->start, SIM_ERROR, "RESPONSE-SIZE",
					 "DNSKEY response of %u bytes exceeds %u: fragmented or "
					 "truncated for many validators",
					 g->size, o->max_size);
		else if (warn && !in_warn)
			rc = add_finding(l, g->start, SIM_WARNING, "RESPONSE-SIZE",
					 "DNSKEY response of %u bytes exceeds %u (the DNS flag day "
					 "2020 EDNS buffer): TCP fallback needed",
					 g->size, o->warn_size);
		in_big = big;
		in_warn = warn;
		if (!rc && !g->signers && !in_unsigned)
			rc = add_finding(l, g->start, SIM_ERROR, "UNSIGNED",
					 "no unrevoked KSK signs the DNSKEY RRset: every validator fails");
		in_unsigned = !g->signers;
		if (!rc && !g->sigs_valid && !in_expired)
			rc = add_finding(l, g->start, SIM_ERROR, "SIG-EXPIRED",
					 "the DNSKEY RRSIGs expired before the next signing");
		in_expired = !g->sigs_valid;
		for (size_t k = 0; k < tl->nkeys && !rc; k++)
			if (bad & (1u << k)) {
				rc = add_finding(l, g->start, SIM_ERROR, "REVOKE-SELFSIGN",
						 "%s is published revoked but does not sign the RRset: "
						 "validators cannot accept the revocation (RFC 5011 2.1)",
						 tl->keys[k].name);
				selfsign_bad |= (uint8_t)(1u << k);
			}
		selfsign_bad &= g->revoked & ~g->rsigners;
		/* RFC 4035 2.2: an RRSIG for each algorithm of the apex keys */
		for (size_t k = 0; k < tl->nkeys && !rc; k++) {
			uint8_t alg = tl->keys[k].algorithm, have = 0;
			if (!((g->present | g->revoked) & (1u << k)) || (alg_reported & (1ull << (alg & 63))))
				continue;
			for (size_t j = 0; j < tl->nkeys; j++)
				if (((g->signers | g->rsigners) & (1u << j)) && tl->keys[j].algorithm == alg)
					have = 1;
			if (!have) {
				rc = add_finding(l, g->start, SIM_ERROR, "ALG-UNSIGNED",
						 "%s (algorithm %u) is published but no key of algorithm %u "
						 "signs the DNSKEY RRset (RFC 4035 2.2; in an algorithm roll an "
						 "algorithm signs before its KSK is published and until it is "
						 "removed, RFC 6781 4.1.4)",
						 tl->keys[k].name, alg, alg);
				alg_reported |= 1ull << (alg & 63);
			}
		}
	}
	return rc;
}

static int check_tags(const struct sim_timeline *tl, struct sim_lint *l)
{
	int rc = 0;

	for (size_t a = 0; a < tl->nkeys && !rc; a++)
		for (size_t b = 0; b < tl->nkeys && !rc; b++) {
			const struct sim_key *x = &tl->keys[a], *y = &tl->keys[b];
			if (a < b && x->tag == y->tag && x->tag)
				rc = add_finding(l, tl->start, SIM_WARNING, "TAG-COLLISION",
						 "%s and %s have the same key tag %u", x->name, y->name,
						 x->tag);
			else if (a != b && x->tag_revoked == y->tag && y->tag)
				rc = add_finding(l, tl->start, SIM_WARNING, "TAG-COLLISION",
						 "revoked %s has the key tag %u of %s", x->name,
						 x->tag_revoked, y->name);
		}
	return rc;
}

static int cmp_finding(const void *a, const void *b)
{
	const struct sim_finding *x = a, *y = b;
	return (x->when > y->when) - (x->when < y->when);
}

int sim_lint_run(const struct sim_timeline *tl, const struct sim_lint_options *o,
		 struct sim_lint **out)
{
	struct sim_lint *l = calloc(1, sizeof(*l));
	struct waits w = {0};
	int64_t pub[SIM_MAX_KSK], rev[SIM_MAX_KSK];
	uint8_t anchors;
	char d1[32], d2[32], dur[32];
	int rc;

	if (!l)
		return KR_ENOMEM;
	for (size_t i = 0; i < tl->nsegs; i++)
		w.max_ttl = max64(w.max_ttl, tl->segs[i].ttl);
	w.refresh = max64(SIM_HOUR, min64(15 * SIM_DAY, min64(w.max_ttl / 2, tl->sig_validity / 2)));
	w.retry = max64(SIM_HOUR, min64(SIM_DAY, min64(w.max_ttl / 10, tl->sig_validity / 10)));

	/* Keys in the zone at the start are what validators already trust. */
	anchors = tl->segs[0].present | tl->segs[0].revoked;
	for (size_t k = 0; k < SIM_MAX_KSK; k++) {
		pub[k] = (anchors & (1u << k)) ? tl->start : 0;
		rev[k] = (tl->segs[0].revoked & (1u << k)) ? tl->start : 0;
	}
	if ((rc = check_segments(tl, o, l)) || (rc = check_tags(tl, l)))
		goto out;

	for (size_t i = 0; i < tl->nevents; i++) {
		const struct sim_event *e = &tl->events[i];
		const struct sim_seg *after = &tl->segs[sim_timeline_find(tl, e->when)];
		const struct sim_seg *before =
			e->when > tl->start ? &tl->segs[sim_timeline_find(tl, e->when - 1)] : after;
		int64_t earliest = 0;
		uint8_t new_signers = after->signers & ~anchors;

		for (size_t k = 0; k < tl->nkeys; k++)
			if ((e->publish & (1u << k)) && !pub[k])
				pub[k] = e->when;
		/* The old anchors stop validating the RRset here. */
		if ((before->signers & anchors) && !(after->signers & anchors)) {
			for (size_t k = 0; k < tl->nkeys; k++) {
				int64_t ready;
				if (!(new_signers & (1u << k)) || !pub[k])
					continue;
				ready = pub[k] + add_wait(tl, o, &w, pub[k]);
				if (ready > earliest)
					earliest = ready;
				if (ready > e->when) {
					kr_time_format(pub[k], d1, sizeof(d1));
					kr_time_format(ready, d2, sizeof(d2));
					fmt_days(ready - pub[k], dur, sizeof(dur));
					rc = add_finding(
						l, e->when, SIM_ERROR, "ADD-WAIT",
						"%s: from here only %s validates the RRset, but it was "
						"published %s; RFC 5011 validators need the add wait (%s) "
						"until %s",
						e->label, tl->keys[k].name, d1, dur, d2);
					if (rc)
						goto out;
				}
			}
		}
		for (size_t k = 0; k < tl->nkeys; k++) {
			uint8_t bit = (uint8_t)(1u << k);
			if (e->revoke & bit)
				rev[k] = e->when;
			if ((e->remove & bit) && (before->revoked & bit) && rev[k]) {
				int64_t ready = rev[k] + remove_wait(tl, o, &w, rev[k]);
				if (ready > earliest)
					earliest = ready;
				if (ready > e->when) {
					kr_time_format(rev[k], d1, sizeof(d1));
					kr_time_format(ready, d2, sizeof(d2));
					fmt_days(ready - rev[k], dur, sizeof(dur));
					if ((rc = add_finding(
						     l, e->when, SIM_ERROR, "REMOVE-WAIT",
						     "%s: revoked %s was published revoked since %s; "
						     "validators need the remove wait (%s) until %s",
						     e->label, tl->keys[k].name, d1, dur, d2)))
						goto out;
				}
			}
			if ((e->remove & bit) && (before->present & bit) &&
			    (rc = add_finding(l, e->when, SIM_WARNING, "REMOVE-UNREVOKED",
					      "%s removed without being revoked: RFC 5011 validators "
					      "keep it as a (Missing) trust anchor",
					      tl->keys[k].name)))
				goto out;
		}
		if ((rc = add_step(l, e->when, earliest, e->label)))
			goto out;
	}
	if (l->nfindings)
		qsort(l->findings, l->nfindings, sizeof(l->findings[0]), cmp_finding);
	*out = l;
	l = NULL; /* transferred */
out:
	sim_lint_free(l);
	return rc;
}
