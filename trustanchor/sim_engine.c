/*
 * sim_engine.c - validators over a timeline.
 *
 * Each validator is independent of the others, so its whole life is one
 * stream of events: install, probes of the DNSKEY RRset (RFC 5011 active
 * refresh or retry), restarts, an offline period, and the boundaries of the
 * timeline where the RRset changes.  Both engines run that stream through
 * the same handler (v_step):
 *
 *   - exact: one event queue over all validators, every probe processed,
 *     classes counted by scanning every validator at every output sample;
 *   - fast: one validator at a time (threads split the ids); after a probe
 *     it walks the runs of segments ahead in which the probe interval stays
 *     the same, no timer expires, no packet can be lost and a probe tried on
 *     a copy of the state changes nothing, and jumps to the first probe after
 *     them (restarts of a validator that keeps its state only move its grid
 *     there, so only the last one counts; RRset boundaries crossed change at
 *     most the class).  Class changes go into per-sample difference rows.
 *
 * Jumping needs probe times that do not depend on the probes skipped: probes
 * lie on a grid anchored at the last event that re-anchored it, t_n =
 * anchor + n*(I - J*I/2) - u_n*J*I/2 (whole seconds), u_n a hash of
 * (validator, anchor, n) and J the profile's jitter, so consecutive probes
 * are (1-J)*I to I apart (Unbound's 90-100 %) and t_n is known in O(1).  A
 * probe whose interval differs from the grid's re-anchors the grid at itself.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/error.h"
#include "trustanchor/sim_int.h"

_Static_assert(sizeof(struct sim_vstate) <= 64, "validator state must fit in 64 bytes");

const char *const sim_class_names[SIM_NCLASSES] = {"trusts_old", "trusts_new", "pending",
						    "failing",    "insecure",   "offline"};

/* splitmix64: the one mixing function behind every random draw. */
static uint64_t sim_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Uniform double in [0, 1) from 53 bits of h. */
static double sim_unit(uint64_t h)
{
	return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

#define NEVER UINT32_MAX
#define KS_MASK 0x0f
#define KS_OBS_SHIFT 4

enum { VF_OFFLINE = 1, VF_OFF_DONE = 2, VF_STARTED = 4 };

/* ---- timers (DESIGN.md, RFC 5011 2.3) ---------------------------------- */

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

int64_t sim_refresh_interval(const struct sim_profile *p, int64_t ttl, int64_t sig_remaining)
{
	int64_t v = min64(p->refresh_max, ttl / 2);

	if (p->use_sig_expiry)
		v = min64(v, sig_remaining / 2);
	return max64(p->refresh_min, v);
}

int64_t sim_retry_interval(const struct sim_profile *p, int64_t ttl, int64_t sig_remaining)
{
	int64_t v = min64(p->retry_max, ttl / 10);

	if (p->use_sig_expiry)
		v = min64(v, sig_remaining / 10);
	return max64(p->retry_min, v);
}

int64_t sim_add_holddown(const struct sim_profile *p, int64_t ttl)
{
	return max64(p->add_holddown, ttl);
}

/* ---- run context ---------------------------------------------------------- */

struct ctx {
	const struct sim_timeline *tl;
	const struct sim_population *pop;
	uint64_t seed;
	int64_t epoch;      /* run start: relative time 0 */
	uint32_t end;       /* run end, relative */
	int64_t step;       /* output spacing */
	size_t nsamples;
	size_t nmasks;
	uint32_t *seg_start; /* relative, clamped to [0, end] */
	/* [1]: every change of the RRset; [0]: ignoring the response size, for
	 * validators the size never affects (TCP works or every response fits,
	 * and no loss applies) */
	size_t *bnext[2];    /* first segment after s with another behavior */
	uint16_t max_size;
	/* per profile x segment: probes before this time (relative) have the
	 * same RRset behavior and a constant interval as at s */
	uint32_t *cend[2][2]; /* [sensitive][0 refresh, 1 retry] */
	uint8_t key_ok[SIM_MAX_PROFILES];
	double cum_weight[SIM_MAX_PROFILES];
};

/* A validator's parameters: recomputed from (seed, id) whenever needed. */
struct vparams {
	const struct sim_profile *p;
	uint8_t prof;
	uint8_t shipped;
	uint8_t key_ok;
	uint8_t tcp, signal, sentinel;
	uint8_t sens;           /* the response size matters to this validator */
	uint16_t edns;
	uint32_t start;         /* NEVER: installed after the run */
	uint32_t restart_every; /* 0: never */
	uint32_t off_from, off_to;
	uint64_t key;           /* hash key for per-probe draws */
};

struct draw {
	uint64_t s;
};

static double draw_unit(struct draw *d)
{
	d->s += 0x9e3779b97f4a7c15ULL;
	return sim_unit(sim_mix64(d->s));
}

static int64_t draw_range(struct draw *d, const struct sim_range *r)
{
	double u = draw_unit(d);

	if (r->hi <= r->lo)
		return r->lo;
	return r->lo + (int64_t)floor(u * (double)(r->hi - r->lo + 1));
}

static uint32_t rel(const struct ctx *c, int64_t t)
{
	if (t <= c->epoch)
		return 0;
	if (t - c->epoch >= (int64_t)c->end)
		return c->end;
	return (uint32_t)(t - c->epoch);
}

static void vparams_make(const struct ctx *c, uint64_t id, struct vparams *v)
{
	struct draw d = {sim_mix64(c->seed ^ sim_mix64(id + 0x5851f42d4c957f2dULL))};
	const struct sim_population *pop = c->pop;
	double u = draw_unit(&d) * c->cum_weight[pop->nprofiles - 1];
	const struct sim_profile *p;
	size_t k = 0;
	int64_t install, image;

	memset(v, 0, sizeof(*v));
	while (k + 1 < pop->nprofiles && u >= c->cum_weight[k])
		k++;
	p = &pop->profiles[k];
	v->p = p;
	v->prof = (uint8_t)k;
	v->key_ok = c->key_ok[k];
	install = draw_range(&d, &p->install);
	image = install - draw_range(&d, &p->image_age);
	if (p->anchors_auto) {
		for (size_t i = 0; i < c->tl->nkeys; i++) {
			const struct sim_key *key = &c->tl->keys[i];
			if (key->anchor_from <= image && (!key->anchor_until || image < key->anchor_until))
				v->shipped |= (uint8_t)(1u << i);
		}
	} else {
		v->shipped = p->anchors;
	}
	v->start = install >= c->epoch + (int64_t)c->end ? NEVER : rel(c, install);
	if (draw_unit(&d) < p->restart_fraction) {
		int64_t every = draw_range(&d, &p->restart_every);
		v->restart_every = (uint32_t)(every < SIM_HOUR ? SIM_HOUR : every);
	} else {
		(void)draw_unit(&d);
	}
	if (draw_unit(&d) < p->offline_fraction) {
		int64_t at = draw_range(&d, &p->offline_at), dur = draw_range(&d, &p->offline_for);
		v->off_from = rel(c, at);
		v->off_to = rel(c, at + dur);
	} else {
		(void)draw_unit(&d);
		(void)draw_unit(&d);
	}
	u = draw_unit(&d);
	v->edns = 4096;
	for (size_t i = 0; i < p->nedns; i++) {
		v->edns = p->edns[i];
		if (u < p->edns_weight[i])
			break;
		u -= p->edns_weight[i];
	}
	v->tcp = draw_unit(&d) < p->tcp;
	v->signal = draw_unit(&d) < p->signal_8145;
	v->sentinel = draw_unit(&d) < p->sentinel_8509;
	v->key = sim_mix64(d.s ^ 0xd1b54a32d192ed03ULL);
	v->sens = (!v->tcp && c->max_size > v->edns) || (p->loss > 0 && c->max_size > p->loss_above);
}

/* ---- per-validator mechanics -------------------------------------------- */

static unsigned kst(const struct sim_vstate *st, size_t k)
{
	return st->kstate[k] & KS_MASK;
}

static uint8_t trusted(const struct sim_vstate *st, const struct vparams *v, size_t nkeys)
{
	uint8_t m = 0;

	for (size_t k = 0; k < nkeys; k++)
		if (kst(st, k) == SIM_K_VALID || kst(st, k) == SIM_K_MISSING)
			m |= (uint8_t)(1u << k);
	return m & v->key_ok;
}

static int online(const struct sim_vstate *st)
{
	return (st->flags & VF_STARTED) && !(st->flags & VF_OFFLINE);
}

static int fetch_fits(const struct vparams *v, const struct sim_seg *g)
{
	return g->size <= v->edns || v->tcp;
}

static uint8_t vclass(const struct ctx *c, const struct vparams *v, const struct sim_vstate *st,
		      const struct sim_seg *g)
{
	const struct sim_timeline *tl = c->tl;
	uint8_t tr;

	if (!(st->flags & VF_STARTED))
		return SIM_C_NONE;
	if (st->flags & VF_OFFLINE)
		return SIM_C_OFFLINE;
	tr = trusted(st, v, tl->nkeys);
	if (!tr)
		return SIM_C_INSECURE;
	if (!fetch_fits(v, g) || !g->sigs_valid)
		return SIM_C_FAILING;
	/*
	 * Unbound runs its RFC 5011 processing whenever it fetches the trust
	 * point's DNSKEY RRset (autr_process_prime) and validates with the RRset
	 * it last accepted until then: a trusted key that appears revoked and
	 * self-signed is handled at that fetch, so the validator goes from secure
	 * straight to insecure (or on with its other anchors) and never through a
	 * window of failures.  Other implementations fail until they probe.
	 * Measured against real Unbound in the test bed (docs/testbed.md).
	 */
	if (!(g->signers & tr) &&
	    !(v->p->impl == SIM_IMPL_UNBOUND && (g->rsigners & tr)))
		return SIM_C_FAILING;
	if (tl->new_key >= 0) {
		unsigned s = kst(st, (size_t)tl->new_key);
		if (s == SIM_K_VALID || s == SIM_K_MISSING)
			return SIM_C_NEW;
		if (s == SIM_K_ADDPEND)
			return SIM_C_PENDING;
	}
	return SIM_C_OLD;
}

/* The jitter part of the grid spacing: J * I / 2 in whole seconds. */
static uint32_t grid_jitter(const struct vparams *v, const struct sim_vstate *st)
{
	return (uint32_t)(v->p->jitter * (double)st->step / 2);
}

/* Time of grid probe n: anchor + n * (I - J*I/2) - u_n * J*I/2. */
static uint32_t grid_time(const struct vparams *v, const struct sim_vstate *st, uint32_t n)
{
	uint32_t js = grid_jitter(v, st);
	uint64_t t, off = 0;

	if (n == 0)
		return st->anchor;
	if (js)
		off = ((sim_mix64(v->key ^ ((uint64_t)st->anchor << 24) ^ n) >> 32) * js) >> 32;
	t = (uint64_t)st->anchor + (uint64_t)n * (st->step - js) - off;
	return t >= NEVER ? NEVER - 1 : (uint32_t)t;
}

static uint32_t next_probe(const struct sim_vstate *st)
{
	if (!st->step || !online(st))
		return NEVER;
	return st->next;
}

/* Move the probe grid (and the cached time of its next probe). */
static void set_grid(const struct vparams *v, struct sim_vstate *st, uint32_t anchor, uint32_t step,
		     uint32_t n)
{
	st->anchor = anchor;
	st->step = step;
	st->n = n;
	st->next = grid_time(v, st, n);
}

static uint32_t next_restart(const struct vparams *v, const struct sim_vstate *st)
{
	uint64_t t;

	if (!v->restart_every || !(st->flags & VF_STARTED))
		return NEVER;
	t = (uint64_t)v->start + (uint64_t)(st->restart_n + 1) * v->restart_every;
	return t >= NEVER ? NEVER : (uint32_t)t;
}

/* The offline period counts only if it begins after the install. */
static uint32_t next_offline(const struct vparams *v, const struct sim_vstate *st)
{
	if (!(st->flags & VF_STARTED) || (st->flags & VF_OFF_DONE))
		return NEVER;
	return (st->flags & VF_OFFLINE) ? v->off_to : v->off_from;
}

static uint32_t next_boundary(const struct ctx *c, const struct vparams *v,
			      const struct sim_vstate *st)
{
	size_t b;

	if (!(st->flags & VF_STARTED))
		return NEVER;
	b = c->bnext[v->sens][st->seg];
	return b < c->tl->nsegs ? c->seg_start[b] : NEVER;
}

static void seek_seg(const struct ctx *c, struct sim_vstate *st, uint32_t t)
{
	while ((size_t)st->seg + 1 < c->tl->nsegs && c->seg_start[st->seg + 1] <= t)
		st->seg++;
}

static void load_shipped(const struct ctx *c, const struct vparams *v, struct sim_vstate *st,
			 uint32_t t)
{
	for (size_t k = 0; k < c->tl->nkeys; k++) {
		int have = (v->shipped & v->key_ok & (1u << k)) != 0;
		st->kstate[k] = have ? SIM_K_VALID : SIM_K_START;
		st->ktime[k] = have ? t : 0;
	}
}

/* Immediate probe at t, unless nothing is trusted (no RFC 5011 tracking
 * without an anchor) or the validator never probes (static anchors). */
static void reanchor(const struct ctx *c, const struct vparams *v, struct sim_vstate *st, uint32_t t)
{
	set_grid(v, st, t, (v->p->impl != SIM_IMPL_STATIC && trusted(st, v, c->tl->nkeys)) ? 1 : 0, 0);
}

static void set_k(struct sim_vstate *st, size_t k, unsigned state, uint32_t t, struct sim_outcome *oc,
		  int is_new)
{
	st->kstate[k] = (uint8_t)state;
	st->ktime[k] = t;
	if (oc) {
		oc->changes++;
		if (is_new && state == SIM_K_VALID && !oc->new_valid)
			oc->new_valid = t + 1;
	}
}

/*
 * One probe at t: fetch the DNSKEY RRset of segment g, validate it with the
 * current anchors and run every key through the RFC 5011 state machine.
 * Returns 1 if the fetch validated, 0 if not; the probe grid moves on.
 */
static int probe(const struct ctx *c, const struct vparams *v, struct sim_vstate *st, uint32_t t,
		 struct sim_outcome *oc, int dry)
{
	const struct sim_timeline *tl = c->tl;
	const struct sim_profile *p = v->p;
	const struct sim_seg *g = &tl->segs[st->seg];
	int64_t abs_t = c->epoch + t, rem = g->sig_expiration - abs_t, interval;
	uint8_t tr = trusted(st, v, tl->nkeys), rvalid = 0;
	int ok = 0, fetched = fetch_fits(v, g);

	if (fetched && p->loss > 0 && g->size > p->loss_above &&
	    sim_unit(sim_mix64(v->key ^ 0xa0761d6478bd642fULL ^ (uint64_t)abs_t)) < p->loss)
		fetched = 0;
	if (fetched && g->sigs_valid) {
		ok = (g->signers & tr) != 0;
		rvalid = (uint8_t)(g->rsigners & g->revoked & tr);
	}
	if (p->impl != SIM_IMPL_STATIC && (ok || rvalid)) {
		for (size_t k = 0; k < tl->nkeys; k++) {
			uint8_t bit = (uint8_t)(1u << k);
			unsigned s = kst(st, k), obs = st->kstate[k] >> KS_OBS_SHIFT;
			int seen = (g->present & bit) && (v->key_ok & bit);
			int rev = (g->revoked & g->rsigners & bit) != 0;
			int is_new = (int)k == tl->new_key;

			if (!ok) { /* validated only by a revoked key: only its revocation counts */
				if (rvalid & bit)
					set_k(st, k, SIM_K_REVOKED, t, oc, is_new);
				continue;
			}
			switch (s) {
			case SIM_K_START:
				if (seen) {
					set_k(st, k, SIM_K_ADDPEND, t, oc, is_new);
					st->kstate[k] |= 1u << KS_OBS_SHIFT;
				}
				break;
			case SIM_K_ADDPEND:
				if (rev) {
					set_k(st, k, SIM_K_REVOKED, t, oc, is_new);
				} else if (!seen) {
					/* BIND keeps the key and restarts its timer now;
					 * RFC 5011 forgets it (AddPend -> Start) */
					if (!p->pending_missing_restart)
						set_k(st, k, SIM_K_START, 0, oc, is_new);
					else if (obs)
						set_k(st, k, SIM_K_ADDPEND, t, oc, is_new);
				} else {
					if (obs < p->pending_min)
						obs++;
					if (t >= (int64_t)st->ktime[k] + sim_add_holddown(p, g->ttl) &&
					    obs >= p->pending_min)
						set_k(st, k, SIM_K_VALID, t, oc, is_new);
					else
						st->kstate[k] = (uint8_t)(SIM_K_ADDPEND | obs << KS_OBS_SHIFT);
				}
				break;
			case SIM_K_VALID:
				if (rev)
					set_k(st, k, SIM_K_REVOKED, t, oc, is_new);
				else if (!seen)
					set_k(st, k, SIM_K_MISSING, t, oc, is_new);
				break;
			case SIM_K_MISSING:
				if (rev)
					set_k(st, k, SIM_K_REVOKED, t, oc, is_new);
				else if (seen)
					set_k(st, k, SIM_K_VALID, t, oc, is_new);
				else if (p->keep_missing && t >= (int64_t)st->ktime[k] + p->keep_missing)
					set_k(st, k, SIM_K_REMOVED, t, oc, is_new);
				break;
			case SIM_K_REVOKED:
				if (t >= (int64_t)st->ktime[k] + p->del_holddown)
					set_k(st, k, SIM_K_REMOVED, t, oc, is_new);
				break;
			default:
				break;
			}
		}
	}
	if (!ok && oc && !oc->first_fail)
		oc->first_fail = t + 1;

	interval = ok ? sim_refresh_interval(p, g->ttl, rem) : sim_retry_interval(p, g->ttl, rem);
	if (!trusted(st, v, tl->nkeys)) {
		st->step = 0; /* nothing left to track */
	} else if (dry) {
		/* a trial on a copy: only whether the grid would go on matters */
		if ((uint32_t)interval != st->step || st->n == 0)
			st->step = (uint32_t)interval;
	} else if ((uint32_t)interval == st->step && st->n > 0) {
		set_grid(v, st, st->anchor, st->step, st->n + 1);
	} else {
		set_grid(v, st, t, (uint32_t)interval, 1);
	}
	return ok;
}

/* Would a probe at x in segment seg leave the keys and the probe grid of st
 * as they are (validating as ok says)?  Tried on a copy. */
static int noop_probe(const struct ctx *c, const struct vparams *v, const struct sim_vstate *st,
		      size_t seg, uint32_t x, int ok)
{
	const struct sim_profile *p = v->p;
	const struct sim_seg *g = &c->tl->segs[seg];
	struct sim_vstate cp = *st;

	if (p->loss > 0 && g->size > p->loss_above)
		return 0;
	cp.seg = (uint16_t)seg;
	return probe(c, v, &cp, x, NULL, 1) == ok && cp.step == st->step &&
	       !memcmp(cp.kstate, st->kstate, sizeof(cp.kstate)) &&
	       !memcmp(cp.ktime, st->ktime, sizeof(cp.ktime));
}

/*
 * After a probe: the relative time before which no further probe can change
 * anything, or 0.  Walks the runs of segments ahead: in each, probes get the
 * same interval as now, meet no timer, lose no packet, and one probe tried
 * on a copy of the state leaves the keys and the grid as they are.  Then
 * every probe in the run is a no-op: the state machine depends on the time
 * only through the timers.  The RRset may differ between runs (the class
 * with it, which the caller accounts at each boundary).
 */
static uint32_t quiet_until(const struct ctx *c, const struct vparams *v,
			    const struct sim_vstate *st, int ok)
{
	const struct sim_timeline *tl = c->tl;
	const struct sim_profile *p = v->p;
	const struct sim_seg *g = &tl->segs[st->seg];
	const uint32_t *cend = c->cend[v->sens][ok ? 0 : 1] + (size_t)v->prof * tl->nsegs;
	uint32_t due_min = NEVER, h = 0, x = st->next;
	size_t seg = st->seg;

	for (size_t k = 0; k < tl->nkeys; k++) {
		int64_t due = NEVER;
		switch (kst(st, k)) {
		case SIM_K_ADDPEND:
			due = (int64_t)st->ktime[k] + sim_add_holddown(p, g->ttl);
			break;
		case SIM_K_MISSING:
			if (p->keep_missing)
				due = (int64_t)st->ktime[k] + p->keep_missing;
			break;
		case SIM_K_REVOKED:
			due = (int64_t)st->ktime[k] + p->del_holddown;
			break;
		default:
			break;
		}
		if (due < due_min)
			due_min = (uint32_t)max64(due, 0);
	}
	while (x < due_min && x < cend[seg]) {
		size_t next;
		if (g->ttl != tl->segs[seg].ttl || !noop_probe(c, v, st, seg, x, ok))
			break;
		h = cend[seg];
		next = c->bnext[v->sens][seg];
		/* on to the next run only if this one ended with the RRset */
		if (next >= tl->nsegs || c->seg_start[next] != h)
			break;
		seg = next;
		x = h;
	}
	return h < due_min ? h : due_min;
}

struct emitter {
	const struct ctx *c;
	/* per sample, one row of differences (a class change costs one cache
	 * line): SIM_NCLASSES classes, nmasks RFC 8145 sets, nmasks RFC 8509 */
	int32_t *d;
	size_t stride;
};

static size_t bucket(const struct ctx *c, uint32_t t)
{
	return (size_t)(((int64_t)t + c->step - 1) / c->step);
}

static void emit(struct emitter *e, const struct vparams *v, uint32_t t, uint8_t ocls, uint8_t omask,
		 uint8_t ncls, uint8_t nmask)
{
	size_t b;

	int32_t *row;

	if (!e->d || (ocls == ncls && omask == nmask))
		return;
	if ((b = bucket(e->c, t)) > e->c->nsamples)
		return;
	row = e->d + b * e->stride;
	if (ocls != SIM_C_NONE)
		row[ocls]--;
	if (ncls != SIM_C_NONE)
		row[ncls]++;
	if (v->signal) {
		if (omask)
			row[SIM_NCLASSES + omask]--;
		if (nmask)
			row[SIM_NCLASSES + nmask]++;
	}
	if (v->sentinel) {
		if (omask)
			row[SIM_NCLASSES + e->c->nmasks + omask]--;
		if (nmask)
			row[SIM_NCLASSES + e->c->nmasks + nmask]++;
	}
}

/* The anchor set a validator signals (RFC 8145) and answers sentinel queries
 * with (RFC 8509): only while online. */
static uint8_t signal_mask(const struct ctx *c, const struct vparams *v, const struct sim_vstate *st)
{
	return online(st) ? trusted(st, v, c->tl->nkeys) : 0;
}

/* Handle the earliest pending event of a validator; returns its time, or
 * NEVER when nothing is left before the end of the run. *probed is set to
 * 1 + validation result when the event was a probe. */
static uint32_t v_step(const struct ctx *c, const struct vparams *v, struct sim_vstate *st,
		       struct sim_outcome *oc, struct emitter *e, int *probed)
{
	uint32_t tb, to, tr, tp, t;
	uint8_t ocls = st->cls, omask;

	*probed = 0;
	if (!(st->flags & VF_STARTED)) {
		if (v->start >= c->end)
			return NEVER;
		t = v->start;
		omask = 0;
		st->flags |= VF_STARTED;
		st->seg = 0;
		seek_seg(c, st, t);
		load_shipped(c, v, st, t);
		reanchor(c, v, st, t);
		if (v->off_to <= v->off_from || v->off_from < t)
			st->flags |= VF_OFF_DONE;
	} else {
		tb = next_boundary(c, v, st);
		to = next_offline(v, st);
		tr = next_restart(v, st);
		tp = next_probe(st);
		t = tb;
		if (to < t)
			t = to;
		if (tr < t)
			t = tr;
		if (tp < t)
			t = tp;
		if (t >= c->end)
			return NEVER;
		seek_seg(c, st, t);
		omask = signal_mask(c, v, st);
		if (t == tb) {
			/* the RRset changed: only the class can */
		} else if (t == to) {
			if (st->flags & VF_OFFLINE) {
				st->flags = (uint8_t)((st->flags & ~VF_OFFLINE) | VF_OFF_DONE);
				reanchor(c, v, st, t);
			} else {
				st->flags |= VF_OFFLINE;
			}
		} else if (t == tr) {
			st->restart_n++;
			if (!(st->flags & VF_OFFLINE)) {
				if (!v->p->persist)
					load_shipped(c, v, st, t);
				reanchor(c, v, st, t);
			}
		} else {
			/* A probe moves the class only with the keys: the RRset is
			 * the one of the last event (boundaries are events). */
			struct sim_vstate before = *st;
			*probed = 1 + probe(c, v, st, t, oc, 0);
			if (!memcmp(before.kstate, st->kstate, sizeof(st->kstate)) &&
			    !memcmp(before.ktime, st->ktime, sizeof(st->ktime)))
				return t;
		}
	}
	st->cls = vclass(c, v, st, &c->tl->segs[st->seg]);
	if (e)
		emit(e, v, t, ocls, omask, st->cls, signal_mask(c, v, st));
	return t;
}

static void outcome_fill(const struct ctx *c, const struct sim_vstate *st, struct sim_outcome *oc)
{
	for (size_t k = 0; k < c->tl->nkeys; k++) {
		oc->kstate[k] = st->kstate[k];
		oc->ktime[k] = st->ktime[k];
	}
	oc->cls = st->cls;
}

/* ---- fast engine ------------------------------------------------------------ */

struct worker {
	const struct ctx *c;
	const struct sim_options *opt;
	uint64_t from, to, total;
	struct emitter e;
	uint64_t events;
	atomic_uint_fast64_t *done;
	int report;
	int rc;
};

/*
 * Restarts of a validator that keeps its state, inside a stretch where no
 * probe changes anything, only move the probe grid: each re-anchors it and
 * probes at once (a no-op), leaving anchor = restart time, the same interval
 * and n = 1.  Only the last restart before h matters.
 */
static void fold_restarts(const struct vparams *v, struct sim_vstate *st, uint32_t h)
{
	uint64_t m;

	if (next_restart(v, st) >= h)
		return;
	m = ((uint64_t)h - 1 - v->start) / v->restart_every;
	st->restart_n = (uint32_t)m;
	set_grid(v, st, (uint32_t)(v->start + m * v->restart_every), st->step, 1);
}

/*
 * A validator that loses its state at every restart lives in cycles: reset
 * to its shipped anchors, probe, maybe put the new key in AddPend, ...,
 * restart.  A cycle whose end state is its start state shifted by the restart
 * period (key states equal, each timer equal or moved by the period), whose
 * class changed only at its restart instant (so its changes cancel within
 * that sample) and that lies in one run of the same RRset and probe
 * intervals repeats exactly while the run lasts: the following cycles are
 * applied at once.
 */
struct cycle {
	int have, clean;
	uint32_t r;               /* restart that began the cycle */
	struct sim_vstate start;  /* the state just before it */
	struct sim_outcome oc;    /* the outcome then */
};

static void fold_cycles(const struct ctx *c, const struct vparams *v, struct sim_vstate *st,
			struct sim_outcome *oc, const struct cycle *cy, uint32_t r2)
{
	const struct sim_profile *p = v->p;
	uint32_t per = v->restart_every, shifted = 0, limit;
	uint64_t m;
	size_t seg = cy->start.seg;

	if (!cy->have || !cy->clean || r2 != cy->r + per || st->flags != cy->start.flags ||
	    (st->flags & VF_OFFLINE) || st->cls != cy->start.cls)
		return;
	if (oc && (oc->first_fail != cy->oc.first_fail || oc->new_valid != cy->oc.new_valid))
		return;
	while ((size_t)seg + 1 < c->tl->nsegs && c->seg_start[seg + 1] <= cy->r)
		seg++;
	for (size_t k = 0; k < c->tl->nkeys; k++) {
		unsigned ks = kst(st, k), obs = st->kstate[k] >> KS_OBS_SHIFT;
		if (st->kstate[k] != cy->start.kstate[k])
			return;
		if (st->ktime[k] == cy->start.ktime[k] + per)
			shifted |= 1u << k;
		else if (st->ktime[k] != cy->start.ktime[k] ||
			 (ks != SIM_K_START && ks != SIM_K_VALID && ks != SIM_K_REMOVED))
			return;
		if (!(shifted & (1u << k)) || p->jitter <= 0)
			continue;
		/* With jitter the probes of each cycle fall elsewhere: fold only
		 * if nothing depends on where.  The key changed at the restart
		 * instant (the immediate probe has no jitter), no timer can fire
		 * within a cycle, and the observations of a pending key come out
		 * the same for any probe times. */
		if (st->ktime[k] != cy->r)
			return;
		if ((ks == SIM_K_ADDPEND && sim_add_holddown(p, c->tl->segs[seg].ttl) < per) ||
		    (ks == SIM_K_MISSING && p->keep_missing && p->keep_missing < per) ||
		    (ks == SIM_K_REVOKED && p->del_holddown < per))
			return;
		if (ks == SIM_K_ADDPEND && st->step) {
			uint64_t spacing = st->step - grid_jitter(v, st), js = grid_jitter(v, st);
			if (obs >= p->pending_min ? (uint64_t)(p->pending_min - 1) * spacing >= per
						  : obs * spacing < per + js)
				return;
		}
	}
	if (p->loss > 0 && c->tl->segs[seg].size > p->loss_above)
		return;
	limit = c->cend[v->sens][0][(size_t)v->prof * c->tl->nsegs + seg];
	if (c->cend[v->sens][1][(size_t)v->prof * c->tl->nsegs + seg] < limit)
		limit = c->cend[v->sens][1][(size_t)v->prof * c->tl->nsegs + seg];
	if (!(st->flags & VF_OFF_DONE) && v->off_from < limit)
		limit = v->off_from;
	if (c->end < limit)
		limit = c->end;
	if (r2 > limit || (m = (limit - r2) / per) == 0)
		return;
	for (size_t k = 0; k < c->tl->nkeys; k++)
		if (shifted & (1u << k))
			st->ktime[k] += (uint32_t)(m * per);
	st->restart_n += (uint32_t)m;
	st->next = NEVER; /* the next event is the restart at r2 + m * per */
	if (oc)
		oc->changes += (uint32_t)m * (oc->changes - cy->oc.changes);
}

static void run_one_fast(const struct ctx *c, uint64_t id, struct emitter *e,
			 struct sim_outcome *oc, uint64_t *events)
{
	struct vparams v;
	struct sim_vstate st;
	struct cycle cy = {0};
	int probed;

	vparams_make(c, id, &v);
	memset(&st, 0, sizeof(st));
	st.cls = SIM_C_NONE;
	if (oc)
		memset(oc, 0, sizeof(*oc));
	for (;;) {
		uint32_t h, lim, t, tr = NEVER;
		uint8_t cls, mask;
		if (!v.p->persist && (tr = next_restart(&v, &st)) != NEVER &&
		    tr < next_boundary(c, &v, &st) && tr < next_offline(&v, &st) &&
		    tr <= next_probe(&st)) {
			fold_cycles(c, &v, &st, oc, &cy, tr);
			cy.have = cy.clean = 1;
			cy.r = tr = next_restart(&v, &st);
			cy.start = st;
			if (oc)
				cy.oc = *oc;
		}
		cls = st.cls;
		mask = cy.have ? signal_mask(c, &v, &st) : 0;
		if ((t = v_step(c, &v, &st, oc, e, &probed)) == NEVER)
			break;
		(*events)++;
		if (cy.have && t != cy.r && (st.cls != cls || signal_mask(c, &v, &st) != mask))
			cy.clean = 0;
		if (!probed || !st.step)
			continue;
		/* jump over the probes that cannot change anything */
		h = quiet_until(c, &v, &st, probed == 2);
		if ((lim = next_offline(&v, &st)) < h)
			h = lim;
		if (h <= st.next)
			continue;
		if (v.p->persist)
			fold_restarts(&v, &st, h);
		if ((lim = next_restart(&v, &st)) < h)
			h = lim;
		if (h <= st.next)
			continue;
		/* the RRset boundaries before h change at most the class */
		while ((lim = next_boundary(c, &v, &st)) < h) {
			uint8_t ocls = st.cls, m = signal_mask(c, &v, &st);
			st.seg = (uint16_t)c->bnext[v.sens][st.seg];
			st.cls = vclass(c, &v, &st, &c->tl->segs[st.seg]);
			emit(e, &v, lim, ocls, m, st.cls, m);
			if (st.cls != ocls)
				cy.clean = 0;
		}
		{
			uint64_t n = (h - st.anchor) / (st.step - grid_jitter(&v, &st));
			uint32_t tn;
			if (n < st.n)
				n = st.n;
			while ((tn = grid_time(&v, &st, (uint32_t)n)) < h)
				n++;
			st.n = (uint32_t)n;
			st.next = tn;
		}
	}
	if (oc)
		outcome_fill(c, &st, oc);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t since = 0;

	for (uint64_t id = w->from; id < w->to; id++) {
		run_one_fast(w->c, id, &w->e, w->opt->outcomes ? &w->opt->outcomes[id] : NULL,
			     &w->events);
		if (++since == 65536) {
			uint64_t d = atomic_fetch_add(w->done, since) + since;
			since = 0;
			if (w->report && w->opt->progress)
				w->opt->progress(w->opt->progress_ctx, d, w->total);
		}
	}
	atomic_fetch_add(w->done, since);
	return NULL;
}

static int run_fast(const struct ctx *c, const struct sim_options *opt, uint64_t n,
		    struct sim_result *r)
{
	unsigned nt = opt->threads;
	struct worker *w = NULL;
	pthread_t *th = NULL;
	atomic_uint_fast64_t done = 0;
	size_t stride = SIM_NCLASSES + 2 * c->nmasks;
	int rc = 0;

	if (!nt) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		nt = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (nt > 64)
		nt = 64;
	if ((uint64_t)nt > n / 1024 + 1)
		nt = (unsigned)(n / 1024 + 1);
	if (!(w = calloc(nt, sizeof(*w))) || !(th = calloc(nt, sizeof(*th)))) {
		rc = KR_ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < nt; i++) {
		w[i].c = c;
		w[i].opt = opt;
		w[i].from = n * i / nt;
		w[i].to = n * (i + 1) / nt;
		w[i].total = n;
		w[i].done = &done;
		w[i].report = i == 0;
		w[i].e.c = c;
		w[i].e.stride = stride;
		if (!(w[i].e.d = calloc((c->nsamples + 1) * stride, sizeof(int32_t)))) {
			rc = KR_ENOMEM;
			goto out;
		}
	}
	for (unsigned i = 1; i < nt; i++)
		if (pthread_create(&th[i], NULL, worker_main, &w[i]) != 0) {
			for (unsigned j = 1; j < i; j++)
				pthread_join(th[j], NULL);
			rc = KR_ESYS;
			goto out;
		}
	worker_main(&w[0]);
	for (unsigned i = 1; i < nt; i++)
		pthread_join(th[i], NULL);
	if (opt->progress)
		opt->progress(opt->progress_ctx, n, n);

	/* Sum the difference arrays over threads, then over time. */
	{
		int64_t acc[SIM_NCLASSES] = {0};
		int64_t *macc = calloc(c->nmasks * 2, sizeof(int64_t));
		if (!macc) {
			rc = KR_ENOMEM;
			goto out;
		}
		for (size_t s = 0; s < c->nsamples; s++) {
			for (unsigned i = 0; i < nt; i++) {
				const int32_t *row = w[i].e.d + s * stride;
				for (size_t k = 0; k < SIM_NCLASSES; k++)
					acc[k] += row[k];
				for (size_t m = 0; m < 2 * c->nmasks; m++)
					macc[m] += row[SIM_NCLASSES + m];
			}
			for (size_t k = 0; k < SIM_NCLASSES; k++)
				r->counts[s * SIM_NCLASSES + k] = (uint32_t)acc[k];
			for (size_t m = 0; m < c->nmasks; m++) {
				r->signals[s * c->nmasks + m] = (uint32_t)macc[m];
				r->sentinels[s * c->nmasks + m] = (uint32_t)macc[c->nmasks + m];
			}
		}
		free(macc);
	}
	for (unsigned i = 0; i < nt; i++)
		r->total_events += w[i].events;
out:
	if (w)
		for (unsigned i = 0; i < nt; i++) {
			free(w[i].e.d);
		}
	free(w);
	free(th);
	return rc;
}

/* ---- exact engine ------------------------------------------------------------- */

struct heap_item {
	uint32_t t;
	uint32_t id;
};

static int hi_less(const struct heap_item *a, const struct heap_item *b)
{
	return a->t < b->t || (a->t == b->t && a->id < b->id);
}

static void heap_push(struct heap_item *h, size_t *n, struct heap_item x)
{
	size_t i = (*n)++;

	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!hi_less(&x, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = x;
}

static struct heap_item heap_pop(struct heap_item *h, size_t *n)
{
	struct heap_item top = h[0], x = h[--(*n)];
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		const struct heap_item *best = &x;
		if (l < *n && hi_less(&h[l], best)) {
			m = l;
			best = &h[l];
		}
		if (l + 1 < *n && hi_less(&h[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		h[i] = h[m];
		i = m;
	}
	h[i] = x;
	return top;
}

/* The time of the event v_step would handle next (without handling it). */
static uint32_t v_peek(const struct ctx *c, const struct vparams *v, const struct sim_vstate *st)
{
	uint32_t t, x;

	if (!(st->flags & VF_STARTED))
		return v->start < c->end ? v->start : NEVER;
	t = next_boundary(c, v, st);
	if ((x = next_offline(v, st)) < t)
		t = x;
	if ((x = next_restart(v, st)) < t)
		t = x;
	if ((x = next_probe(st)) < t)
		t = x;
	return t < c->end ? t : NEVER;
}

static int run_exact(const struct ctx *c, const struct sim_options *opt, uint64_t n,
		     struct sim_result *r)
{
	struct vparams *vp = NULL;
	struct sim_vstate *st = NULL;
	struct heap_item *heap = NULL;
	size_t hn = 0;
	int rc = 0;

	if (n > UINT32_MAX) {
		rc = KR_ERANGE;
		goto out;
	}
	vp = calloc(n ? n : 1, sizeof(*vp));
	st = calloc(n ? n : 1, sizeof(*st));
	heap = calloc(n ? n : 1, sizeof(*heap));
	if (!vp || !st || !heap) {
		rc = KR_ENOMEM;
		goto out;
	}
	for (uint64_t id = 0; id < n; id++) {
		uint32_t t;
		vparams_make(c, id, &vp[id]);
		st[id].cls = SIM_C_NONE;
		if (opt->outcomes)
			memset(&opt->outcomes[id], 0, sizeof(opt->outcomes[id]));
		if ((t = v_peek(c, &vp[id], &st[id])) != NEVER)
			heap_push(heap, &hn, (struct heap_item){t, (uint32_t)id});
	}
	for (size_t s = 0; s < c->nsamples; s++) {
		uint32_t ts = (uint32_t)((int64_t)s * c->step);
		size_t seg = sim_timeline_find(c->tl, c->epoch + ts);

		while (hn && heap[0].t <= ts) {
			struct heap_item it = heap_pop(heap, &hn);
			int probed;
			uint32_t t;
			v_step(c, &vp[it.id], &st[it.id], opt->outcomes ? &opt->outcomes[it.id] : NULL,
			       NULL, &probed);
			r->total_events++;
			if ((t = v_peek(c, &vp[it.id], &st[it.id])) != NEVER)
				heap_push(heap, &hn, (struct heap_item){t, it.id});
		}
		/* Count from scratch: the class each validator has at ts. */
		for (uint64_t id = 0; id < n; id++) {
			uint8_t cls = vclass(c, &vp[id], &st[id], &c->tl->segs[seg]), m;
			if (cls == SIM_C_NONE)
				continue;
			r->counts[s * SIM_NCLASSES + cls]++;
			m = signal_mask(c, &vp[id], &st[id]);
			if (m && vp[id].signal)
				r->signals[s * c->nmasks + m]++;
			if (m && vp[id].sentinel)
				r->sentinels[s * c->nmasks + m]++;
		}
		if (opt->progress && (s % 64 == 0))
			opt->progress(opt->progress_ctx, s, c->nsamples);
	}
	/* Events after the last sample up to the end of the run. */
	while (hn) {
		struct heap_item it = heap_pop(heap, &hn);
		int probed;
		uint32_t t;
		v_step(c, &vp[it.id], &st[it.id], opt->outcomes ? &opt->outcomes[it.id] : NULL, NULL,
		       &probed);
		r->total_events++;
		if ((t = v_peek(c, &vp[it.id], &st[it.id])) != NEVER)
			heap_push(heap, &hn, (struct heap_item){t, it.id});
	}
	if (opt->outcomes)
		for (uint64_t id = 0; id < n; id++)
			outcome_fill(c, &st[id], &opt->outcomes[id]);
	if (opt->progress)
		opt->progress(opt->progress_ctx, c->nsamples, c->nsamples);
out:
	free(vp);
	free(st);
	free(heap);
	return rc;
}

/* ---- setup ---------------------------------------------------------------------- */

static void ctx_free(struct ctx *c)
{
	free(c->seg_start);
	for (int i = 0; i < 2; i++) {
		free(c->bnext[i]);
		free(c->cend[i][0]);
		free(c->cend[i][1]);
	}
}

/* Same behavior, counting the response size or not. */
static int same_behavior(const struct sim_seg *a, const struct sim_seg *b, int sens)
{
	if (sens)
		return a->behavior == b->behavior;
	return a->present == b->present && a->revoked == b->revoked && a->signers == b->signers &&
	       a->rsigners == b->rsigners && a->sigs_valid == b->sigs_valid && a->ttl == b->ttl;
}

/* Probes at relative times < the returned limit in segment s have the
 * constant interval of the segment's behavior for profile p. */
static uint32_t const_limit(const struct ctx *c, const struct sim_profile *p, size_t s, int retry)
{
	const struct sim_seg *g = &c->tl->segs[s];
	int64_t cap, lim;

	if (!p->use_sig_expiry)
		return NEVER;
	cap = retry ? min64(p->retry_max, g->ttl / 10) : min64(p->refresh_max, g->ttl / 2);
	/* the signature term binds once (exp - t) / k < cap */
	lim = g->sig_expiration - (retry ? 10 : 2) * cap - c->epoch;
	if (lim < 0)
		return 0;
	return lim >= (int64_t)NEVER ? NEVER : (uint32_t)lim + 1;
}

static int ctx_init(struct ctx *c, const struct sim_timeline *tl, const struct sim_population *pop,
		    const struct sim_options *opt)
{
	size_t ns = tl->nsegs, np = pop->nprofiles;
	int64_t from = opt->from ? opt->from : tl->start, to = opt->to ? opt->to : tl->end;
	double w = 0;

	memset(c, 0, sizeof(*c));
	if (to <= from || to - from >= (int64_t)NEVER || np == 0 || ns == 0 || ns > UINT16_MAX)
		return KR_EINVAL;
	c->tl = tl;
	c->pop = pop;
	c->seed = opt->seed;
	c->epoch = from;
	c->end = (uint32_t)(to - from);
	c->step = opt->step > 0 ? opt->step : SIM_HOUR;
	c->nsamples = (size_t)((to - from + c->step - 1) / c->step);
	c->nmasks = (size_t)1 << tl->nkeys;
	for (size_t i = 0; i < np; i++) {
		const struct sim_profile *p = &pop->profiles[i];
		w += p->weight;
		c->cum_weight[i] = w;
		for (size_t k = 0; k < tl->nkeys; k++)
			if (tl->keys[k].algorithm < 32 && (p->algorithms & (1u << tl->keys[k].algorithm)))
				c->key_ok[i] |= (uint8_t)(1u << k);
	}
	if (w <= 0)
		return KR_EINVAL;
	c->seg_start = calloc(ns, sizeof(*c->seg_start));
	for (int z = 0; z < 2; z++) {
		c->bnext[z] = calloc(ns, sizeof(size_t));
		c->cend[z][0] = calloc(ns * np, sizeof(uint32_t));
		c->cend[z][1] = calloc(ns * np, sizeof(uint32_t));
		if (!c->bnext[z] || !c->cend[z][0] || !c->cend[z][1])
			return KR_ENOMEM;
	}
	if (!c->seg_start)
		return KR_ENOMEM;
	for (size_t s = 0; s < ns; s++) {
		c->seg_start[s] = rel(c, tl->segs[s].start);
		if (tl->segs[s].size > c->max_size)
			c->max_size = tl->segs[s].size;
	}
	for (int z = 0; z < 2; z++) {
		for (size_t s = ns; s-- > 0;)
			c->bnext[z][s] = (s + 1 < ns && same_behavior(&tl->segs[s + 1], &tl->segs[s], z))
						 ? c->bnext[z][s + 1]
						 : s + 1;
		for (size_t i = 0; i < np; i++)
			for (int k = 0; k < 2; k++)
				for (size_t s = ns; s-- > 0;) {
					uint32_t send = s + 1 < ns ? c->seg_start[s + 1] : c->end;
					uint32_t lim = const_limit(c, &pop->profiles[i], s, k);
					uint32_t v = lim < send ? lim : send;
					if (lim >= send && s + 1 < ns &&
					    same_behavior(&tl->segs[s + 1], &tl->segs[s], z))
						v = c->cend[z][k][i * ns + s + 1];
					c->cend[z][k][i * ns + s] = v;
				}
	}
	return 0;
}

void sim_result_free(struct sim_result *r)
{
	if (!r)
		return;
	free(r->counts);
	free(r->signals);
	free(r->sentinels);
	free(r);
}

int sim_run(const struct sim_timeline *tl, const struct sim_population *pop,
	    const struct sim_options *opt, struct sim_result **out)
{
	struct ctx c;
	struct sim_result *r = NULL;
	uint64_t n = opt->validators ? opt->validators : pop->size;
	int rc;

	if ((rc = ctx_init(&c, tl, pop, opt)))
		goto out;
	if (!(r = calloc(1, sizeof(*r))) ||
	    !(r->counts = calloc(c.nsamples * SIM_NCLASSES, sizeof(uint32_t))) ||
	    !(r->signals = calloc(c.nsamples * c.nmasks, sizeof(uint32_t))) ||
	    !(r->sentinels = calloc(c.nsamples * c.nmasks, sizeof(uint32_t)))) {
		rc = KR_ENOMEM;
		goto out;
	}
	r->t0 = c.epoch;
	r->step = c.step;
	r->nsamples = c.nsamples;
	r->nmasks = c.nmasks;
	r->validators = n;
	rc = opt->exact ? run_exact(&c, opt, n, r) : run_fast(&c, opt, n, r);
	if (rc)
		goto out;
	*out = r;
	r = NULL; /* transferred */
out:
	ctx_free(&c);
	sim_result_free(r);
	return rc;
}
