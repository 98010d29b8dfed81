/*
 * sim_skr.c - a timeline from real SKR files: each ResponseBundle is the
 * DNSKEY RRset served from its inception until the next bundle's inception
 * (the last one until its signatures expire).  Every RRSIG is verified over
 * its bundle's RRset before it counts as a signer; one that does not verify
 * rejects the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dnssec.h"
#include "lib/error.h"
#include "lib/ksr.h"
#include "lib/timeutil.h"
#include "trustanchor/sim_int.h"

struct bref {
	const struct kr_ksr_bundle *b;
	const char *file;
};

static int find_ksk(struct sim_timeline *tl, struct kr_dnskey *pub, const struct kr_dnskey *k,
		    const char *ident, int create, char *errbuf, size_t errlen)
{
	struct kr_dnskey plain = *k;
	unsigned pk, sg, bits = 0;

	for (size_t i = 0; i < tl->nkeys; i++)
		if (kr_dnskey_same_key(&pub[i], k))
			return (int)i;
	if (!create)
		return -1;
	if (tl->nkeys == SIM_MAX_KSK)
		return sim_err(errbuf, errlen, KR_ERANGE, "more than %d KSKs", SIM_MAX_KSK);
	plain.flags &= (uint16_t)~KR_DNSKEY_REVOKE;
	pub[tl->nkeys] = plain;
	struct sim_key *sk = &tl->keys[tl->nkeys];
	memset(sk, 0, sizeof(*sk));
	sk->tag = kr_dnskey_keytag(&plain);
	plain.flags |= KR_DNSKEY_REVOKE;
	sk->tag_revoked = kr_dnskey_keytag(&plain);
	sk->algorithm = k->algorithm;
	sk->pubkey_len = k->pubkey_len;
	kr_dnskey_params(k, &bits, NULL);
	sk->sig_len = (uint16_t)(sim_alg_lengths(k->algorithm, bits, &pk, &sg) == 0 ? sg : 0);
	if (ident && *ident && strlen(ident) < 20)
		snprintf(sk->name, sizeof(sk->name), "%s-%u", ident, sk->tag);
	else
		snprintf(sk->name, sizeof(sk->name), "KSK-%u", sk->tag);
	return (int)tl->nkeys++;
}

static void add_event(struct sim_timeline *tl, int64_t when, uint8_t pub, uint8_t sign, uint8_t unsign,
		      uint8_t rev, uint8_t rem)
{
	struct sim_event *e;
	const char *verb;
	uint8_t m;

	if (!(pub | sign | unsign | rev | rem) || tl->nevents == SIM_MAX_EVENTS)
		return;
	e = &tl->events[tl->nevents++];
	memset(e, 0, sizeof(*e));
	e->when = when;
	e->publish = pub;
	e->sign = sign;
	e->unsign = unsign;
	e->revoke = rev;
	e->remove = rem;
	verb = rev ? "revoke" : rem ? "remove" : pub ? "publish" : sign ? "sign with" : "stop signing";
	m = rev ? rev : rem ? rem : pub ? pub : sign ? sign : unsign;
	{
		char name[SIM_NAME_MAX];
		memcpy(name, tl->keys[__builtin_ctz(m)].name, sizeof(name));
		snprintf(e->label, sizeof(e->label), "%s %s", verb, name);
	}
}

static int bundle_segment(struct sim_timeline *tl, struct kr_dnskey *pub, const struct kr_ksr_doc *doc,
			  const struct bref *br, struct sim_seg *g, char *errbuf, size_t errlen)
{
	const struct kr_ksr_bundle *b = br->b;
	struct kr_dnskey *keys = NULL;
	unsigned pk[64], sg[64];
	size_t np = 0, ns = 0;
	char when[32];
	int rc = 0;

	kr_time_format(b->inception, when, sizeof(when));
	if (b->nkeys > 64 || b->nsigs > 64)
		return sim_err(errbuf, errlen, KR_ETOOBIG, "%s: bundle %s has too many records",
			       br->file, b->id);
	if (!(keys = calloc(b->nkeys ? b->nkeys : 1, sizeof(*keys))))
		return KR_ENOMEM;
	memset(g, 0, sizeof(*g));
	g->start = b->inception;
	g->sig_inception = b->inception;
	g->sig_expiration = b->expiration;
	g->sigs_valid = 1;
	for (size_t i = 0; i < b->nkeys; i++) {
		const struct kr_ksr_key *k = &b->keys[i];
		keys[i] = k->dnskey;
		pk[np++] = k->dnskey.pubkey_len;
		g->ttl = k->ttl;
		if (k->dnskey.flags & KR_DNSKEY_SEP) {
			int x = find_ksk(tl, pub, &k->dnskey, k->key_identifier, 1, errbuf, errlen);
			if (x < 0) {
				rc = x;
				goto out;
			}
			if (k->dnskey.flags & KR_DNSKEY_REVOKE)
				g->revoked |= (uint8_t)(1u << x);
			else
				g->present |= (uint8_t)(1u << x);
		} else {
			g->nzsk++;
		}
	}
	for (size_t i = 0; i < b->nsigs; i++) {
		const struct kr_rrsig *sig = &b->sigs[i].rrsig;
		int64_t inc, exp;
		size_t j;
		int x;
		for (j = 0; j < b->nkeys; j++)
			if (kr_dnskey_keytag(&keys[j]) == sig->key_tag && keys[j].algorithm == sig->algorithm &&
			    kr_rrsig_verify(sig, &doc->domain, keys, b->nkeys, &keys[j]) == 0)
				break;
		if (j == b->nkeys) {
			rc = sim_err(errbuf, errlen, KR_EBADSIG,
				     "%s: bundle %s (%s): the RRSIG by key tag %u does not verify "
				     "with any key of the bundle",
				     br->file, b->id, when, sig->key_tag);
			goto out;
		}
		sg[ns++] = sig->sig_len;
		/* the RRset is good while every signature is */
		inc = kr_rrsig_time_abs(sig->inception, b->inception);
		exp = kr_rrsig_time_abs(sig->expiration, b->inception);
		if (ns == 1 || inc > g->sig_inception)
			g->sig_inception = inc;
		if (ns == 1 || exp < g->sig_expiration)
			g->sig_expiration = exp;
		if (!(keys[j].flags & KR_DNSKEY_SEP))
			continue;
		x = find_ksk(tl, pub, &keys[j], NULL, 0, errbuf, errlen);
		if (keys[j].flags & KR_DNSKEY_REVOKE)
			g->rsigners |= (uint8_t)(1u << x);
		else
			g->signers |= (uint8_t)(1u << x);
	}
	g->size = (uint16_t)sim_response_size(doc->domain.len, pk, np, sg, ns);
out:
	free(keys);
	return rc;
}

static int cmp_bref(const void *a, const void *b)
{
	const struct bref *x = a, *y = b;
	return (x->b->inception > y->b->inception) - (x->b->inception < y->b->inception);
}

int sim_skr_load(const char *const *paths, size_t npaths, struct sim_timeline **out, char *errbuf,
		 size_t errlen)
{
	struct kr_ksr_doc **docs = NULL;
	struct bref *br = NULL;
	struct sim_timeline *tl = NULL;
	struct kr_dnskey pub[SIM_MAX_KSK];
	size_t nb = 0, nbr = 0;
	int rc = 0;

	if (!npaths)
		return KR_EINVAL;
	if (!(docs = calloc(npaths, sizeof(*docs))) || !(tl = calloc(1, sizeof(*tl)))) {
		rc = KR_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < npaths; i++) {
		char e[256] = "";
		if ((rc = kr_ksr_read_file(paths[i], &docs[i], e, sizeof(e)))) {
			sim_err(errbuf, errlen, rc, "%s: %s", paths[i], e[0] ? e : kr_strerror(rc));
			goto out;
		}
		if (docs[i]->kind != KR_KSR_RESPONSE) {
			rc = sim_err(errbuf, errlen, KR_EMALFORMED, "%s: not an SKR", paths[i]);
			goto out;
		}
		if (i && !kr_name_equal(&docs[i]->domain, &docs[0]->domain)) {
			rc = sim_err(errbuf, errlen, KR_EMALFORMED, "%s: another zone", paths[i]);
			goto out;
		}
		nb += docs[i]->nbundles;
	}
	if (!nb || nb > SIM_MAX_SEGS / 2) {
		rc = sim_err(errbuf, errlen, KR_EMALFORMED, "%zu bundles (1 to %d)", nb, SIM_MAX_SEGS / 2);
		goto out;
	}
	if (!(br = calloc(nb, sizeof(*br))) || !(tl->segs = calloc(nb * 2, sizeof(*tl->segs)))) {
		rc = KR_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < npaths; i++)
		for (size_t j = 0; j < docs[i]->nbundles; j++)
			br[nbr++] = (struct bref){&docs[i]->bundles[j], paths[i]};
	qsort(br, nbr, sizeof(*br), cmp_bref);
	kr_name_to_str(&docs[0]->domain, tl->zone, sizeof(tl->zone));
	tl->zone_wire_len = docs[0]->domain.len;
	snprintf(tl->source, sizeof(tl->source), "%zu SKR file%s", npaths, npaths == 1 ? "" : "s");
	for (size_t i = 0; i < nbr; i++) {
		struct sim_seg g;
		int64_t next;
		if (i && br[i].b->inception == br[i - 1].b->inception) {
			rc = sim_err(errbuf, errlen, KR_EMALFORMED, "%s: two bundles start together",
				     br[i].file);
			goto out;
		}
		if ((rc = bundle_segment(tl, pub, docs[0], &br[i], &g, errbuf, errlen)))
			goto out;
		next = i + 1 < nbr ? br[i + 1].b->inception : g.sig_expiration;
		if (i) {
			const struct sim_seg *p = &tl->segs[tl->nsegs - 1];
			uint8_t gone = (uint8_t)((p->present | p->revoked) & ~(g.present | g.revoked));
			add_event(tl, g.start, g.present & ~(p->present | p->revoked), 0, 0,
				  g.revoked & ~p->revoked, gone);
			add_event(tl, g.start, 0, g.signers & ~p->signers,
				  (uint8_t)(p->signers & ~g.signers & (g.present | g.revoked)), 0, 0);
		}
		tl->segs[tl->nsegs++] = g;
		if (g.sig_expiration < next) { /* nothing signed fresh in time */
			g.start = g.sig_expiration;
			g.sigs_valid = 0;
			tl->segs[tl->nsegs++] = g;
		}
		tl->end = next;
	}
	tl->start = tl->segs[0].start;
	tl->old_key = tl->new_key = -1;
	for (size_t k = 0; k < tl->nkeys; k++) {
		tl->keys[k].anchor_from = 0;
		if (tl->segs[0].signers & (1u << k)) {
			if (tl->old_key < 0)
				tl->old_key = (int)k;
		} else if (tl->new_key < 0) {
			tl->new_key = (int)k;
		}
	}
	for (size_t i = 0; i < tl->nevents; i++)
		for (size_t k = 0; k < tl->nkeys; k++)
			if ((tl->events[i].publish & (1u << k)) && !(tl->segs[0].present & (1u << k)))
				tl->keys[k].anchor_from = tl->events[i].when;
	sim_timeline_finish(tl);
	*out = tl;
	tl = NULL; /* transferred */
out:
	if (docs)
		for (size_t i = 0; i < npaths; i++)
			kr_ksr_free(docs[i]);
	free(docs);
	free(br);
	sim_timeline_free(tl);
	return rc;
}
