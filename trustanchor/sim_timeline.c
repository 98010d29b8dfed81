/*
 * sim_timeline.c - DNSKEY timelines: segments from plan events, response
 * sizes, and the built-in root rollover presets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/dnssec.h"
#include "lib/error.h"
#include "lib/timeutil.h"
#include "trustanchor/sim_int.h"

int sim_err(char *errbuf, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (errbuf && errlen) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

void sim_spec_init(struct sim_spec *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->zone, ".");
	s->zsk_alg = KR_ALG_RSASHA256;
	s->zsk_bits = 2048;
	s->zsk_count = 1;
	s->ttl = 172800;
	s->sig_validity = 21 * SIM_DAY;
	s->sig_interval = 10 * SIM_DAY;
	s->old_key = s->new_key = -1;
}

int sim_spec_key(const struct sim_spec *s, const char *name)
{
	for (size_t i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

int64_t sim_quarter_start(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	tm.tm_mon -= tm.tm_mon % 3;
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return (int64_t)timegm(&tm);
}

int64_t sim_quarter_next(int64_t t)
{
	time_t tt = (time_t)sim_quarter_start(t);
	struct tm tm;

	gmtime_r(&tt, &tm);
	tm.tm_mon += 3;
	return (int64_t)timegm(&tm);
}

int sim_alg_lengths(uint8_t alg, unsigned bits, unsigned *pubkey_len, unsigned *sig_len)
{
	switch (alg) {
	case KR_ALG_RSASHA1:
	case KR_ALG_RSASHA1_NSEC3_SHA1:
	case KR_ALG_RSASHA256:
	case KR_ALG_RSASHA512:
		if (bits < 512 || bits > 8192 || bits % 8)
			return KR_ERANGE;
		/* exponent length octet, 3-octet exponent 65537, modulus */
		*pubkey_len = 1 + 3 + bits / 8;
		*sig_len = bits / 8;
		return 0;
	case KR_ALG_ECDSAP256SHA256:
		*pubkey_len = 64;
		*sig_len = 64;
		return 0;
	case KR_ALG_ECDSAP384SHA384:
		*pubkey_len = 96;
		*sig_len = 96;
		return 0;
	case KR_ALG_ED25519:
		*pubkey_len = 32;
		*sig_len = 64;
		return 0;
	case KR_ALG_ED448:
		*pubkey_len = 57;
		*sig_len = 114;
		return 0;
	default:
		return KR_EALG;
	}
}

unsigned sim_response_size(unsigned owner_len, const unsigned *pubkey_lens, size_t nkeys,
			   const unsigned *sig_lens, size_t nsigs)
{
	/* The owner of each answer RR is the query name: a 2-octet pointer,
	 * except for the root whose 1-octet name is shorter.  The signer name
	 * inside RRSIG RDATA is never compressed (RFC 4034 3.1.7). */
	unsigned rr_owner = owner_len > 2 ? 2 : owner_len;
	unsigned size = 12 + owner_len + 4; /* header, question */

	for (size_t i = 0; i < nkeys; i++)
		size += rr_owner + 10 + 4 + pubkey_lens[i];
	for (size_t i = 0; i < nsigs; i++)
		size += rr_owner + 10 + 18 + owner_len + sig_lens[i];
	return size + 11; /* OPT RR: root owner, type, class, TTL, RDLENGTH 0 */
}

size_t sim_timeline_find(const struct sim_timeline *tl, int64_t t)
{
	size_t lo = 0, hi = tl->nsegs;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (tl->segs[mid].start <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

void sim_timeline_free(struct sim_timeline *tl)
{
	if (!tl)
		return;
	free(tl->segs);
	free(tl);
}

void sim_timeline_finish(struct sim_timeline *tl)
{
	uint16_t id = 0;

	for (size_t i = 0; i < tl->nsegs; i++) {
		struct sim_seg *s = &tl->segs[i], *p = i ? &tl->segs[i - 1] : NULL;
		if (p && (p->present != s->present || p->revoked != s->revoked ||
			  p->signers != s->signers || p->rsigners != s->rsigners ||
			  p->size != s->size || p->sigs_valid != s->sigs_valid || p->ttl != s->ttl))
			id++;
		s->behavior = id;
		if (s->sig_expiration - s->sig_inception > tl->sig_validity)
			tl->sig_validity = s->sig_expiration - s->sig_inception;
	}
}

/* ---- building segments from events ------------------------------------ */

struct pts {
	int64_t *v;
	size_t n, cap;
};

static int pts_add(struct pts *p, int64_t t)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		int64_t *v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return KR_ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = t;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Start of the last signing slot of the quarter holding t. */
static int64_t last_slot(const struct sim_spec *s, int64_t q, int64_t qnext)
{
	int64_t k = 0;

	while (q + (k + 1) * s->sig_interval + s->sig_interval / 2 < qnext)
		k++;
	return q + k * s->sig_interval;
}

static int zsk_roll_active(const struct sim_spec *s, int64_t t)
{
	int64_t q = sim_quarter_start(t), qn = sim_quarter_next(t);

	if (!s->zsk_roll_quarterly)
		return 0;
	return t >= last_slot(s, q, qn) || t < q + s->sig_interval;
}

struct kstate_masks {
	uint8_t present, revoked, signers, rsigners;
	int64_t ttl;
};

static void keynames(const struct sim_spec *s, uint8_t mask, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < s->nkeys; i++)
		if (mask & (1u << i)) {
			int n = snprintf(buf + off, size - off, "%s%s", off ? ", " : "", s->keys[i].name);
			if (n < 0 || (size_t)n >= size - off)
				return;
			off += (size_t)n;
		}
}

static int apply_event(const struct sim_spec *s, const struct sim_event *e,
		       struct kstate_masks *m, char *errbuf, size_t errlen)
{
	char date[32], names[160];
	uint8_t bad;

	kr_time_format(e->when, date, sizeof(date));
	if ((bad = e->publish & (m->present | m->revoked))) {
		keynames(s, bad, names, sizeof(names));
		return sim_err(errbuf, errlen, KR_EMALFORMED, "event %s: %s already published", date,
			       names);
	}
	m->present |= e->publish;
	if ((bad = e->revoke & ~m->present)) {
		keynames(s, bad, names, sizeof(names));
		return sim_err(errbuf, errlen, KR_EMALFORMED,
			       "event %s: cannot revoke %s: not published (unrevoked)", date, names);
	}
	/* A revoked key signs the RRset with its revoked form (RFC 5011 2.1). */
	m->present &= (uint8_t)~e->revoke;
	m->revoked |= e->revoke;
	m->signers &= (uint8_t)~e->revoke;
	m->rsigners |= e->revoke;
	if ((bad = e->sign & ~(m->present | m->revoked))) {
		keynames(s, bad, names, sizeof(names));
		return sim_err(errbuf, errlen, KR_EMALFORMED, "event %s: cannot sign with %s: not published",
			       date, names);
	}
	m->signers |= e->sign & m->present;
	m->rsigners |= e->sign & m->revoked;
	m->signers &= (uint8_t)~e->unsign;
	m->rsigners &= (uint8_t)~e->unsign;
	if ((bad = e->remove & ~(m->present | m->revoked))) {
		keynames(s, bad, names, sizeof(names));
		return sim_err(errbuf, errlen, KR_EMALFORMED, "event %s: cannot remove %s: not published",
			       date, names);
	}
	m->present &= (uint8_t)~e->remove;
	m->revoked &= (uint8_t)~e->remove;
	m->signers &= (uint8_t)~e->remove;
	m->rsigners &= (uint8_t)~e->remove;
	if (e->ttl > 0)
		m->ttl = e->ttl;
	return 0;
}

static unsigned seg_size(const struct sim_spec *s, unsigned owner_len, const struct kstate_masks *m,
			 unsigned nzsk)
{
	unsigned pk[SIM_MAX_KSK + 4], sg[SIM_MAX_KSK], zpk = 0, zsg = 0;
	size_t np = 0, ns = 0;

	for (size_t i = 0; i < s->nkeys; i++) {
		if ((m->present | m->revoked) & (1u << i))
			pk[np++] = s->keys[i].pubkey_len;
		if ((m->signers | m->rsigners) & (1u << i))
			sg[ns++] = s->keys[i].sig_len;
	}
	if (sim_alg_lengths(s->zsk_alg, s->zsk_bits, &zpk, &zsg) == 0)
		for (unsigned z = 0; z < nzsk && np < sizeof(pk) / sizeof(pk[0]); z++)
			pk[np++] = zpk;
	return sim_response_size(owner_len, pk, np, sg, ns);
}

static void infer_roll_keys(const struct sim_spec *s, const struct sim_timeline *tl, int *old_key,
			   int *new_key)
{
	uint8_t first = tl->segs[0].signers, last = 0;

	for (size_t i = tl->nsegs; i-- > 0;)
		if (tl->segs[i].signers) {
			last = tl->segs[i].signers;
			break;
		}
	*old_key = s->old_key;
	*new_key = s->new_key;
	for (size_t i = 0; i < s->nkeys && *old_key < 0; i++)
		if (first & (1u << i))
			*old_key = (int)i;
	for (size_t i = 0; i < s->nkeys && *new_key < 0; i++)
		if ((last & (1u << i)) && !(first & (1u << i)))
			*new_key = (int)i;
	/* A plan that never switches signers: the last KSK published is "new". */
	for (size_t i = s->nkeys; i-- > 0 && *new_key < 0;)
		if ((int)i != *old_key)
			*new_key = (int)i;
}

int sim_timeline_build(const struct sim_spec *s, struct sim_timeline **out, char *errbuf,
		       size_t errlen)
{
	struct sim_timeline *tl = NULL;
	struct pts p = {0};
	struct kstate_masks m = {0};
	struct kr_name owner;
	size_t ev = 0;
	int rc;

	if (s->nkeys == 0)
		return sim_err(errbuf, errlen, KR_EMALFORMED, "the plan has no KSK");
	if (s->end <= s->start)
		return sim_err(errbuf, errlen, KR_EMALFORMED, "the plan ends before it starts");
	if (s->sig_interval <= 0 || s->sig_validity <= 0 || s->ttl <= 0)
		return sim_err(errbuf, errlen, KR_EMALFORMED,
			       "TTL, signature validity and interval must be positive");
	if (s->end - s->start > 20LL * 366 * SIM_DAY)
		return sim_err(errbuf, errlen, KR_ERANGE, "the plan spans more than 20 years");
	if (kr_name_from_str(s->zone, &owner) != 0)
		return sim_err(errbuf, errlen, KR_EMALFORMED, "bad zone name '%s'", s->zone);
	for (size_t i = 1; i < s->nevents; i++)
		if (s->events[i].when < s->events[i - 1].when)
			return sim_err(errbuf, errlen, KR_EINVAL, "events are not in time order");

	/* Signing points: every slot start, event and ZSK change; the RRset is
	 * signed afresh at each one. */
	if ((rc = pts_add(&p, s->start)))
		goto out;
	if (s->cycle_quarter) {
		for (int64_t q = sim_quarter_start(s->start); q < s->end; q = sim_quarter_next(q)) {
			int64_t qn = sim_quarter_next(q);
			for (int64_t k = 0; q + k * s->sig_interval + s->sig_interval / 2 < qn; k++)
				if ((rc = pts_add(&p, q + k * s->sig_interval)))
					goto out;
		}
	} else {
		for (int64_t t = s->start; t < s->end; t += s->sig_interval)
			if ((rc = pts_add(&p, t)))
				goto out;
	}
	for (size_t i = 0; i < s->nevents; i++)
		if ((rc = pts_add(&p, s->events[i].when)))
			goto out;
	qsort(p.v, p.n, sizeof(p.v[0]), cmp_i64);
	if (p.n > SIM_MAX_SEGS / 2) {
		rc = sim_err(errbuf, errlen, KR_ERANGE,
			     "the plan signs %zu times: at most %d (lengthen the signature interval)",
			     p.n, SIM_MAX_SEGS / 2);
		goto out;
	}

	if (!(tl = calloc(1, sizeof(*tl))) || !(tl->segs = calloc(p.n * 2 + 1, sizeof(*tl->segs)))) {
		rc = KR_ENOMEM;
		goto out;
	}
	snprintf(tl->zone, sizeof(tl->zone), "%s", s->zone);
	tl->zone_wire_len = owner.len;
	tl->nkeys = s->nkeys;
	memcpy(tl->keys, s->keys, sizeof(s->keys));
	tl->start = s->start;
	tl->end = s->end;
	tl->nevents = s->nevents;
	memcpy(tl->events, s->events, sizeof(s->events));
	snprintf(tl->source, sizeof(tl->source), "%s", s->source);

	m.present = s->init_publish;
	m.signers = s->init_sign & s->init_publish;
	m.ttl = s->ttl;
	for (size_t i = 0; i < p.n; i++) {
		int64_t t = p.v[i], next = s->end, exp;
		struct sim_seg *g;

		if (t < s->start || t >= s->end || (i > 0 && t == p.v[i - 1]))
			continue;
		for (size_t j = i + 1; j < p.n; j++)
			if (p.v[j] > t) {
				next = p.v[j] < s->end ? p.v[j] : s->end;
				break;
			}
		while (ev < s->nevents && s->events[ev].when <= t)
			if ((rc = apply_event(s, &s->events[ev++], &m, errbuf, errlen)))
				goto out;
		exp = t + s->sig_validity;
		g = &tl->segs[tl->nsegs++];
		g->start = t;
		g->present = m.present;
		g->revoked = m.revoked;
		g->signers = m.signers;
		g->rsigners = m.rsigners;
		g->nzsk = (uint8_t)(s->zsk_count + (unsigned)zsk_roll_active(s, t));
		g->size = (uint16_t)seg_size(s, owner.len, &m, g->nzsk);
		g->ttl = (uint32_t)m.ttl;
		g->sig_inception = t;
		g->sig_expiration = exp;
		g->sigs_valid = 1;
		if (exp < next) { /* the signatures run out before the next signing */
			tl->segs[tl->nsegs] = *g;
			g = &tl->segs[tl->nsegs++];
			g->start = exp;
			g->sigs_valid = 0;
		}
	}
	if (ev < s->nevents) {
		char date[32];
		kr_time_format(s->events[ev].when, date, sizeof(date));
		rc = sim_err(errbuf, errlen, KR_EMALFORMED, "event %s is after the plan's end", date);
		goto out;
	}
	sim_timeline_finish(tl);
	infer_roll_keys(s, tl, &tl->old_key, &tl->new_key);
	*out = tl;
	tl = NULL; /* transferred */
	rc = 0;
out:
	free(p.v);
	sim_timeline_free(tl);
	return rc;
}

/* ---- presets ------------------------------------------------------------- */

const char *const sim_preset_names[] = {"root-2018", "root-2026", NULL};

static void preset_key(struct sim_spec *s, const char *name, uint16_t tag, uint16_t rtag,
		       const char *from, const char *until)
{
	struct sim_key *k = &s->keys[s->nkeys++];
	unsigned pk = 0, sg = 0;

	snprintf(k->name, sizeof(k->name), "%s", name);
	k->tag = tag;
	k->tag_revoked = rtag;
	k->algorithm = KR_ALG_RSASHA256;
	sim_alg_lengths(k->algorithm, 2048, &pk, &sg);
	k->pubkey_len = (uint16_t)pk;
	k->sig_len = (uint16_t)sg;
	kr_time_parse(from, &k->anchor_from);
	if (until)
		kr_time_parse(until, &k->anchor_until);
}

static void preset_event(struct sim_spec *s, const char *date, const char *label, uint8_t publish,
			 uint8_t sign, uint8_t unsign, uint8_t revoke, uint8_t remove)
{
	struct sim_event *e = &s->events[s->nevents++];

	kr_time_parse(date, &e->when);
	snprintf(e->label, sizeof(e->label), "%s", label);
	e->publish = publish;
	e->sign = sign;
	e->unsign = unsign;
	e->revoke = revoke;
	e->remove = remove;
}

int sim_preset(const char *name, struct sim_timeline **out, char *errbuf, size_t errlen)
{
	struct sim_spec s;

	sim_spec_init(&s);
	s.cycle_quarter = 1;
	s.zsk_roll_quarterly = 1;
	if (strcmp(name, "root-2018") == 0) {
		/* KSK-2010 -> KSK-2017: ICANN's dates (docs/simulator.md).  Anchor
		 * dates from root-anchors.xml (validFrom / validUntil). */
		preset_key(&s, "KSK-2010", 19036, 19164, "2010-07-15", "2019-01-11");
		preset_key(&s, "KSK-2017", 20326, 20454, "2017-02-02", NULL);
		kr_time_parse("2017-01-01", &s.start);
		kr_time_parse("2019-07-01", &s.end);
		preset_event(&s, "2017-07-11", "publish KSK-2017", 2, 0, 0, 0, 0);
		preset_event(&s, "2018-10-11", "roll to KSK-2017", 0, 2, 1, 0, 0);
		preset_event(&s, "2019-01-11", "revoke KSK-2010", 0, 0, 0, 1, 0);
		preset_event(&s, "2019-03-22", "remove KSK-2010", 0, 0, 0, 0, 1);
	} else if (strcmp(name, "root-2026") == 0) {
		/* KSK-2017 -> KSK-2024: in the zone since 2025-01-11, roll
		 * 2026-10-11, revocation 2027-01-11 (published plan); removal
		 * 2027-03-22 assumed by analogy with 2019 (slot 9 of Q1). */
		preset_key(&s, "KSK-2017", 20326, 20454, "2017-02-02", NULL);
		preset_key(&s, "KSK-2024", 38696, 38824, "2024-07-18", NULL);
		kr_time_parse("2024-10-01", &s.start);
		kr_time_parse("2027-07-01", &s.end);
		preset_event(&s, "2025-01-11", "publish KSK-2024", 2, 0, 0, 0, 0);
		preset_event(&s, "2026-10-11", "roll to KSK-2024", 0, 2, 1, 0, 0);
		preset_event(&s, "2027-01-11", "revoke KSK-2017", 0, 0, 0, 1, 0);
		preset_event(&s, "2027-03-22", "remove KSK-2017", 0, 0, 0, 0, 1);
	} else {
		return sim_err(errbuf, errlen, KR_ENOTFOUND, "no preset '%s' (root-2018, root-2026)",
			       name);
	}
	s.init_publish = 1;
	s.init_sign = 1;
	s.old_key = 0;
	s.new_key = 1;
	snprintf(s.source, sizeof(s.source), "preset %s", name);
	return sim_timeline_build(&s, out, errbuf, errlen);
}
