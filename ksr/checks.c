/*
 * checks.c - the KSR checks, the KSK operator's own limits and the SKR
 * verification (ksr/checks.h).
 *
 * Each check is a function that looks at the whole document and reports
 * once: PASS, FAIL with the first problem found and how many more there
 * were, or SKIP with the reason.  Checks compare times as absolute seconds
 * (bundle times are absolute in the XML; RRSIG times are 32-bit and are
 * only used for the signature math, whose validity window is ignored for
 * proof of possession as ICANN's procedure says).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksr/checks.h"
#include "lib/dnssec.h"
#include "lib/error.h"
#include "lib/timeutil.h"

/* --- report ----------------------------------------------------------- */

void kr_check_report_clear(struct kr_check_report *rep)
{
	if (rep == NULL)
		return;
	free(rep->items);
	memset(rep, 0, sizeof(*rep));
}

int kr_check_report_add(struct kr_check_report *rep, const char *id, enum kr_check_status st,
			const char *fmt, ...)
{
	if (rep == NULL || id == NULL || fmt == NULL)
		return KR_EINVAL;
	if (rep->n == rep->cap) {
		size_t cap = rep->cap ? rep->cap * 2 : 32;
		struct kr_check_result *it = realloc(rep->items, cap * sizeof(*it));
		if (it == NULL)
			return KR_ENOMEM;
		rep->items = it;
		rep->cap = cap;
	}
	struct kr_check_result *r = &rep->items[rep->n++];
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->status = st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	if (st == KR_CHECK_FAIL)
		rep->nfail++;
	else if (st == KR_CHECK_SKIP)
		rep->nskip++;
	return KR_OK;
}

const struct kr_check_result *kr_check_report_find(const struct kr_check_report *rep,
						   const char *id)
{
	for (size_t i = 0; rep != NULL && i < rep->n; i++)
		if (strcmp(rep->items[i].id, id) == 0)
			return &rep->items[i];
	return NULL;
}

const char *kr_check_status_name(enum kr_check_status st)
{
	return st == KR_CHECK_PASS ? "PASS" : st == KR_CHECK_FAIL ? "FAIL" : "SKIP";
}

/* --- helpers ------------------------------------------------------------ */

/* One check's findings: the first failure's text and a count. */
struct acc {
	size_t fails;
	char first[400];
};

static void bad(struct acc *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(struct acc *a, const char *fmt, ...)
{
	if (a->fails++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(a->first, sizeof(a->first), fmt, ap);
		va_end(ap);
	}
}

struct run {
	struct kr_check_report *rep;
	const struct kr_policy *pol;
	int rc; /* KR_ENOMEM if the report could not grow */
};

static void done(struct run *r, const char *id, const struct acc *a, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void done(struct run *r, const char *id, const struct acc *a, const char *fmt, ...)
{
	int rc;
	if (a->fails > 1)
		rc = kr_check_report_add(r->rep, id, KR_CHECK_FAIL, "%s (and %zu more)", a->first,
					 a->fails - 1);
	else if (a->fails == 1)
		rc = kr_check_report_add(r->rep, id, KR_CHECK_FAIL, "%s", a->first);
	else {
		char msg[KR_CHECK_MSG_MAX];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		rc = kr_check_report_add(r->rep, id, KR_CHECK_PASS, "%s", msg);
	}
	if (rc != KR_OK)
		r->rc = rc;
}

static void skip(struct run *r, const char *id, const char *why)
{
	int rc = kr_check_report_add(r->rep, id, KR_CHECK_SKIP, "%s", why);
	if (rc != KR_OK)
		r->rc = rc;
}

/* 1 if the check is disabled by the policy (and reported as SKIP). */
static int disabled(struct run *r, const char *id)
{
	if (!kr_policy_skips(r->pol, id))
		return 0;
	skip(r, id, "disabled by the policy (skip_checks)");
	return 1;
}

static const char *dur(int64_t secs, char *buf)
{
	if (secs < 0) {
		buf[0] = '-';
		if (kr_duration_format(-secs, buf + 1, 39) != KR_OK)
			snprintf(buf, 40, "%llds", (long long)secs);
		return buf;
	}
	if (kr_duration_format(secs, buf, 40) != KR_OK)
		snprintf(buf, 40, "%llds", (long long)secs);
	return buf;
}

static const char *tm(int64_t t, char *buf)
{
	if (kr_time_format(t, buf, 40) != KR_OK)
		snprintf(buf, 40, "@%lld", (long long)t);
	return buf;
}

static int is_ksk(const struct kr_dnskey *k)
{
	return (k->flags & KR_DNSKEY_SEP) != 0;
}

static int same_dnskey(const struct kr_dnskey *a, const struct kr_dnskey *b)
{
	return a->flags == b->flags && kr_dnskey_same_key(a, b);
}

static const struct kr_ksr_key *find_key(const struct kr_ksr_bundle *b, const char *ident)
{
	for (size_t k = 0; k < b->nkeys; k++)
		if (strcmp(b->keys[k].key_identifier, ident) == 0)
			return &b->keys[k];
	return NULL;
}

/* Whether bundle b holds a key with the same material and flags as key. */
static int bundle_has(const struct kr_ksr_bundle *b, const struct kr_dnskey *key)
{
	for (size_t k = 0; k < b->nkeys; k++)
		if (same_dnskey(&b->keys[k].dnskey, key))
			return 1;
	return 0;
}

/* Copies a bundle's DNSKEYs into a new array (caller frees). */
static struct kr_dnskey *bundle_rrset(const struct kr_ksr_bundle *b)
{
	struct kr_dnskey *keys = calloc(b->nkeys ? b->nkeys : 1, sizeof(*keys));
	if (keys == NULL)
		return NULL;
	for (size_t k = 0; k < b->nkeys; k++)
		keys[k] = b->keys[k].dnskey;
	return keys;
}

/*
 * Verify every signature of bundle b; report each bad one into a with the
 * bundle number.  ksk_only: the signer must be a KSK (SKR).  signed_by[k]
 * is set for every key k that made a valid signature (may be NULL).
 */
static int verify_bundle(const struct kr_name *owner, const struct kr_ksr_bundle *b, size_t num,
			 int ksk_only, struct acc *a, int *signed_by)
{
	struct kr_dnskey *keys = bundle_rrset(b);
	if (keys == NULL)
		return KR_ENOMEM;
	for (size_t s = 0; s < b->nsigs; s++) {
		const struct kr_ksr_sig *sig = &b->sigs[s];
		size_t k;
		for (k = 0; k < b->nkeys; k++)
			if (strcmp(b->keys[k].key_identifier, sig->key_identifier) == 0 &&
			    kr_dnskey_keytag(&b->keys[k].dnskey) == sig->rrsig.key_tag &&
			    b->keys[k].dnskey.algorithm == sig->rrsig.algorithm)
				break;
		if (k == b->nkeys) {
			bad(a, "bundle #%zu: signature %zu (keyIdentifier %.60s, tag %u) has no "
			       "matching key in the bundle",
			    num, s + 1, sig->key_identifier, sig->rrsig.key_tag);
			continue;
		}
		if (ksk_only && !is_ksk(&b->keys[k].dnskey)) {
			bad(a, "bundle #%zu: signature %zu is made by key %u, which is not a KSK "
			       "(flags %u)",
			    num, s + 1, sig->rrsig.key_tag, b->keys[k].dnskey.flags);
			continue;
		}
		int rc = kr_rrsig_verify(&sig->rrsig, owner, keys, b->nkeys, &b->keys[k].dnskey);
		if (rc == KR_ENOMEM) {
			free(keys);
			return rc;
		}
		if (rc != KR_OK) {
			bad(a, "bundle #%zu: signature %zu by key %u does not verify over the "
			       "bundle's DNSKEY RRset (%s)",
			    num, s + 1, sig->rrsig.key_tag, kr_strerror(rc));
			continue;
		}
		if (signed_by != NULL)
			signed_by[k] = 1;
	}
	free(keys);
	return KR_OK;
}

/* --- header -------------------------------------------------------------- */

static void check_domain(struct run *r, const struct kr_ksr_doc *d)
{
	const char *id = "KSR-DOMAIN";
	struct acc a = {0};
	char want[1024], got[1024];
	if (disabled(r, id))
		return;
	kr_name_to_str(&r->pol->zone, want, sizeof(want));
	kr_name_to_str(&d->domain, got, sizeof(got));
	if (!kr_name_equal(&d->domain, &r->pol->zone))
		bad(&a, "the KSR is for \"%s\", the policy for \"%s\"", got, want);
	for (size_t i = 0; i < d->nbundles; i++)
		for (size_t s = 0; s < d->bundles[i].nsigs; s++)
			if (!kr_name_equal(&d->bundles[i].sigs[s].rrsig.signer, &d->domain))
				bad(&a, "bundle #%zu: signature %zu has a signer name other than %s",
				    i + 1, s + 1, got);
	done(r, id, &a, "domain %s is the policy's zone", got);
}

static void check_id(struct run *r, const struct kr_ksr_doc *d, const struct kr_ksr_doc *prev)
{
	const char *id = "KSR-ID";
	struct acc a = {0};
	if (disabled(r, id))
		return;
	if (prev == NULL) {
		skip(r, id, "no previous SKR given: replay of its id not checked");
		return;
	}
	if (strcmp(d->id, prev->id) == 0)
		bad(&a, "KSR id %.80s is the id of the previous SKR (a replay)", d->id);
	done(r, id, &a, "KSR id %.80s differs from the previous SKR's %.80s", d->id, prev->id);
}

/* --- bundles ------------------------------------------------------------- */

static void check_bundle_unique(struct run *r, const struct kr_ksr_doc *d,
				const struct kr_ksr_doc *prev)
{
	const char *id = "KSR-BUNDLE-UNIQUE";
	struct acc a = {0};
	if (disabled(r, id))
		return;
	for (size_t i = 0; i < d->nbundles; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(d->bundles[i].id, d->bundles[j].id) == 0)
				bad(&a, "bundles #%zu and #%zu have the same id %.80s", j + 1, i + 1,
				    d->bundles[i].id);
		for (size_t j = 0; prev != NULL && j < prev->nbundles; j++)
			if (strcmp(d->bundles[i].id, prev->bundles[j].id) == 0)
				bad(&a, "bundle #%zu id %.80s was already used in the previous SKR",
				    i + 1, d->bundles[i].id);
	}
	done(r, id, &a, "%zu bundle ids are unique%s", d->nbundles,
	     prev ? " (also against the previous SKR)" : "");
}

/* Does key k fit one of the KSR's own SignatureAlgorithm entries? */
static int fits_request_policy(const struct kr_ksr_policy *p, const struct kr_dnskey *k,
			       unsigned bits, uint64_t exp)
{
	for (size_t i = 0; i < p->nalgs; i++)
		if (p->algs[i].algorithm == k->algorithm && p->algs[i].size == bits &&
		    p->algs[i].exponent == exp)
			return 1;
	return 0;
}

static void check_bundle_keys(struct run *r, const struct kr_ksr_doc *d)
{
	const char *id = "KSR-BUNDLE-KEYS";
	struct acc a = {0};
	size_t nkeys = 0;
	if (disabled(r, id))
		return;
	for (size_t i = 0; i < d->nbundles; i++) {
		const struct kr_ksr_bundle *b = &d->bundles[i];
		for (size_t k = 0; k < b->nkeys; k++) {
			const struct kr_ksr_key *key = &b->keys[k];
			unsigned bits = 0;
			uint64_t exp = 0;
			nkeys++;
			if (key->dnskey.flags != KR_DNSKEY_ZONE)
				bad(&a, "bundle #%zu key %u: flags %u, a ZSK must have 256", i + 1,
				    key->key_tag, key->dnskey.flags);
			if (kr_dnskey_keytag(&key->dnskey) != key->key_tag)
				bad(&a, "bundle #%zu key %.60s: keyTag %u but the key's tag is %u",
				    i + 1, key->key_identifier, key->key_tag,
				    kr_dnskey_keytag(&key->dnskey));
			if (kr_dnskey_params(&key->dnskey, &bits, &exp) != KR_OK)
				bad(&a, "bundle #%zu key %u: malformed public key for algorithm %u",
				    i + 1, key->key_tag, key->dnskey.algorithm);
			else if (!fits_request_policy(&d->zsk_policy, &key->dnskey, bits, exp))
				bad(&a, "bundle #%zu key %u: algorithm %u, %u bits, exponent %llu "
				       "is not in the KSR's RequestPolicy",
				    i + 1, key->key_tag, key->dnskey.algorithm, bits,
				    (unsigned long long)exp);
			for (size_t k2 = 0; k2 < k; k2++)
				if (kr_dnskey_same_key(&b->keys[k2].dnskey, &key->dnskey) ||
				    strcmp(b->keys[k2].key_identifier, key->key_identifier) == 0)
					bad(&a, "bundle #%zu: key %u appears twice", i + 1,
					    key->key_tag);
			/* Same identifier => same key; same key => same identifier. */
			for (size_t j = 0; j < i; j++) {
				const struct kr_ksr_bundle *o = &d->bundles[j];
				for (size_t k2 = 0; k2 < o->nkeys; k2++) {
					const struct kr_ksr_key *x = &o->keys[k2];
					int same_id = strcmp(x->key_identifier, key->key_identifier) == 0;
					int same_key = kr_dnskey_same_key(&x->dnskey, &key->dnskey);
					if (same_id && (!same_dnskey(&x->dnskey, &key->dnskey) ||
							x->ttl != key->ttl || x->key_tag != key->key_tag))
						bad(&a, "keyIdentifier %.60s names different keys in "
						       "bundles #%zu and #%zu",
						    key->key_identifier, j + 1, i + 1);
					else if (same_key && !same_id)
						bad(&a, "key %u has identifiers %.40s (bundle #%zu) and "
						       "%.40s (bundle #%zu)",
						    key->key_tag, x->key_identifier, j + 1,
						    key->key_identifier, i + 1);
				}
			}
		}
	}
	done(r, id, &a, "%zu keys: ZSK flags, tags, parameters and identifiers consistent", nkeys);
}

static void check_bundle_pop(struct run *r, const struct kr_ksr_doc *d)
{
	const char *id = "KSR-BUNDLE-POP";
	struct acc a = {0};
	size_t nsigs = 0;
	if (disabled(r, id))
		return;
	for (size_t i = 0; i < d->nbundles; i++) {
		const struct kr_ksr_bundle *b = &d->bundles[i];
		int *signed_by = calloc(b->nkeys ? b->nkeys : 1, sizeof(int));
		if (signed_by == NULL) {
			r->rc = KR_ENOMEM;
			return;
		}
		int rc = verify_bundle(&d->domain, b, i + 1, 0, &a, signed_by);
		if (rc != KR_OK) {
			free(signed_by);
			r->rc = rc;
			return;
		}
		for (size_t k = 0; k < b->nkeys; k++)
			if (!signed_by[k])
				bad(&a, "bundle #%zu: key %u (%.60s) has no valid signature over the "
				       "bundle (no proof of possession)",
				    i + 1, b->keys[k].key_tag, b->keys[k].key_identifier);
		nsigs += b->nsigs;
		free(signed_by);
	}
	done(r, id, &a, "%zu signatures verify; every key proved possession in every bundle",
	     nsigs);
}

static void check_bundle_count(struct run *r, const struct kr_ksr_doc *d)
{
	const char *id = "KSR-BUNDLE-COUNT";
	struct acc a = {0};
	if (disabled(r, id))
		return;
	if (d->nbundles < r->pol->min_bundles || d->nbundles > r->pol->max_bundles)
		bad(&a, "%zu bundles, the policy wants %zu to %zu", d->nbundles,
		    r->pol->min_bundles, r->pol->max_bundles);
	done(r, id, &a, "%zu bundles (policy %zu to %zu)", d->nbundles, r->pol->min_bundles,
	     r->pol->max_bundles);
}

static void check_cycle(struct run *r, const struct kr_ksr_doc *d)
{
	const char *id = "KSR-BUNDLE-CYCLE-DURATION";
	struct acc a = {0};
	char b1[40], b2[40], b3[40];
	if (disabled(r, id))
		return;
	int64_t len = d->bundles[d->nbundles - 1].inception - d->bundles[0].inception;
	if (len < r->pol->min_cycle_length || len > r->pol->max_cycle_length)
		bad(&a, "first to last inception is %s, the policy wants %s to %s", dur(len, b1),
		    dur(r->pol->min_cycle_length, b2), dur(r->pol->max_cycle_length, b3));
	done(r, id, &a, "cycle of %s (policy %s to %s)", dur(len, b1),
	     dur(r->pol->min_cycle_length, b2), dur(r->pol->max_cycle_length, b3));
}

/* --- policy ---------------------------------------------------------------- */

static void check_policy_keys(struct run *r, const struct kr_ksr_doc *d)
{
	const char *id = "KSR-POLICY-KEYS";
	const struct kr_policy *p = r->pol;
	struct acc a = {0};
	if (disabled(r, id))
		return;
	if (p->nkeys_per_bundle != 0 && p->nkeys_per_bundle != d->nbundles)
		bad(&a, "the policy gives key counts for %zu bundles, the KSR has %zu",
		    p->nkeys_per_bundle, d->nbundles);
	for (size_t i = 0; i < d->nbundles; i++) {
		size_t n = d->bundles[i].nkeys;
		if (p->nkeys_per_bundle == d->nbundles && n != p->keys_per_bundle[i])
			bad(&a, "bundle #%zu has %zu keys, the policy wants %u", i + 1, n,
			    p->keys_per_bundle[i]);
		if (p->min_keys_per_bundle && n < p->min_keys_per_bundle)
			bad(&a, "bundle #%zu has %zu keys, the policy wants at least %u", i + 1, n,
			    p->min_keys_per_bundle);
		if (p->max_keys_per_bundle && n > p->max_keys_per_bundle)
			bad(&a, "bundle #%zu has %zu keys, the policy allows at most %u", i + 1, n,
			    p->max_keys_per_bundle);
	}
	/* Distinct keys over the whole KSR (by public key). */
	size_t distinct = 0;
	for (size_t i = 0; i < d->nbundles; i++)
		for (size_t k = 0; k < d->bundles[i].nkeys; k++) {
			int seen = 0;
			for (size_t j = 0; j <= i && !seen; j++)
				for (size_t k2 = 0; k2 < (j == i ? k : d->bundles[j].nkeys); k2++)
					if (kr_dnskey_same_key(&d->bundles[j].keys[k2].dnskey,
							       &d->bundles[i].keys[k].dnskey))
						seen = 1;
			distinct += !seen;
		}
	if (p->num_different_keys && distinct != p->num_different_keys)
		bad(&a, "%zu different keys in the KSR, the policy wants %u", distinct,
		    p->num_different_keys);
	done(r, id, &a, "key counts per bundle and %zu different keys as the policy wants",
	     distinct);
}

static int alg_approved(const struct kr_policy *p, uint8_t alg, unsigned bits, uint64_t exp,
			const char **why)
{
	for (size_t i = 0; i < p->nalgs; i++) {
		const struct kr_policy_alg *x = &p->algs[i];
		if (x->algorithm != alg)
			continue;
		int size_ok = x->nsizes == 0, exp_ok = x->nexponents == 0;
		for (size_t j = 0; j < x->nsizes; j++)
			size_ok |= x->sizes[j] == bits;
		for (size_t j = 0; j < x->nexponents; j++)
			exp_ok |= x->exponents[j] == exp;
		*why = !size_ok ? "key size not approved" : !exp_ok ? "exponent not approved" : NULL;
		return size_ok && exp_ok;
	}
	*why = "algorithm not approved";
	return 0;
}

static void check_policy_alg(struct run *r, const struct kr_ksr_doc *d)
{
	const char *id = "KSR-POLICY-ALG";
	struct acc a = {0};
	const char *why = NULL;
	if (disabled(r, id))
		return;
	for (size_t i = 0; i < d->zsk_policy.nalgs; i++) {
		const struct kr_ksr_sigalg *s = &d->zsk_policy.algs[i];
		const char *refused = kr_alg_refused(s->algorithm);
		if (refused != NULL)
			bad(&a, "RequestPolicy algorithm %u: %s", s->algorithm, refused);
		else if (!alg_approved(r->pol, s->algorithm, s->size, s->exponent, &why))
			bad(&a, "RequestPolicy algorithm %u (%u bits, exponent %llu): %s",
			    s->algorithm, s->size, (unsigned long long)s->exponent, why);
	}
	for (size_t i = 0; i < d->nbundles; i++)
		for (size_t k = 0; k < d->bundles[i].nkeys; k++) {
			const struct kr_ksr_key *key = &d->bundles[i].keys[k];
			unsigned bits = 0;
			uint64_t exp = 0;
			const char *refused = kr_alg_refused(key->dnskey.algorithm);
			if (refused != NULL)
				bad(&a, "bundle #%zu key %u: algorithm %u: %s", i + 1, key->key_tag,
				    key->dnskey.algorithm, refused);
			else if (kr_dnskey_params(&key->dnskey, &bits, &exp) != KR_OK)
				bad(&a, "bundle #%zu key %u: malformed public key", i + 1,
				    key->key_tag);
			else if (!alg_approved(r->pol, key->dnskey.algorithm, bits, exp, &why))
				bad(&a, "bundle #%zu key %u (algorithm %u, %u bits): %s", i + 1,
				    key->key_tag, key->dnskey.algorithm, bits, why);
		}
	done(r, id, &a, "%zu RequestPolicy algorithm(s) and every key approved by the policy",
	     d->zsk_policy.nalgs);
}

/* Overlap of consecutive bundles within [lo, hi]; no gaps. */
static void overlaps(const struct kr_ksr_doc *d, int64_t lo, int64_t hi, const char *whose,
		     struct acc *a)
{
	char b1[40], b2[40], b3[40];
	for (size_t i = 1; i < d->nbundles; i++) {
		int64_t ov = d->bundles[i - 1].expiration - d->bundles[i].inception;
		if (ov < 0)
			bad(a, "gap of %s between bundles #%zu and #%zu", dur(-ov, b1), i, i + 1);
		else if (ov < lo || ov > hi)
			bad(a, "bundles #%zu and #%zu overlap %s, %s %s to %s", i, i + 1,
			    dur(ov, b1), whose, dur(lo, b2), dur(hi, b3));
	}
}

static void validities(const struct kr_ksr_doc *d, int64_t lo, int64_t hi, const char *whose,
		       struct acc *a)
{
	char b1[40], b2[40], b3[40];
	for (size_t i = 0; i < d->nbundles; i++) {
		int64_t v = d->bundles[i].expiration - d->bundles[i].inception;
		if (v <= 0)
			bad(a, "bundle #%zu expires before its inception", i + 1);
		else if (v < lo || v > hi)
			bad(a, "bundle #%zu is valid %s, %s %s to %s", i + 1, dur(v, b1), whose,
			    dur(lo, b2), dur(hi, b3));
	}
}

static void check_sig_overlap(struct run *r, const struct kr_ksr_doc *d)
{
	const char *id = "KSR-POLICY-SIG-OVERLAP";
	struct acc a = {0};
	char b1[40], b2[40];
	if (disabled(r, id))
		return;
	overlaps(d, d->zsk_policy.min_validity_overlap, d->zsk_policy.max_validity_overlap,
		 "the KSR's own policy claims", &a);
	done(r, id, &a, "bundles overlap %s to %s as the KSR claims",
	     dur(d->zsk_policy.min_validity_overlap, b1),
	     dur(d->zsk_policy.max_validity_overlap, b2));
}

static void check_sig_validity(struct run *r, const struct kr_ksr_doc *d)
{
	const char *id = "KSR-POLICY-SIG-VALIDITY";
	struct acc a = {0};
	char b1[40], b2[40];
	if (disabled(r, id))
		return;
	validities(d, d->zsk_policy.min_sig_validity, d->zsk_policy.max_sig_validity,
		   "the KSR's own policy claims", &a);
	done(r, id, &a, "every bundle valid %s to %s as the KSR claims",
	     dur(d->zsk_policy.min_sig_validity, b1), dur(d->zsk_policy.max_sig_validity, b2));
}

static void check_horizon(struct run *r, const struct kr_ksr_doc *d, int64_t now)
{
	const char *id = "KSR-POLICY-SIG-HORIZON";
	struct acc a = {0};
	char b1[40], b2[40], b3[40];
	if (disabled(r, id))
		return;
	for (size_t i = 0; i < d->nbundles; i++) {
		int64_t left = d->bundles[i].expiration - now;
		if (left <= 0)
			bad(&a, "bundle #%zu expired at %s, before now (%s)", i + 1,
			    tm(d->bundles[i].expiration, b1), tm(now, b2));
		else if (left > r->pol->signature_horizon)
			bad(&a, "bundle #%zu expires %s from now, beyond the horizon of %s", i + 1,
			    dur(left, b1), dur(r->pol->signature_horizon, b3));
	}
	done(r, id, &a, "every bundle expires after now (%s) and within %s", tm(now, b1),
	     dur(r->pol->signature_horizon, b2));
}

static void check_intervals(struct run *r, const struct kr_ksr_doc *d)
{
	const char *id = "KSR-POLICY-BUNDLE-INTERVALS";
	struct acc a = {0};
	char b1[40], b2[40], b3[40];
	if (disabled(r, id))
		return;
	for (size_t i = 1; i < d->nbundles; i++) {
		int64_t iv = d->bundles[i].inception - d->bundles[i - 1].inception;
		if (iv < r->pol->min_bundle_interval || iv > r->pol->max_bundle_interval)
			bad(&a, "bundle #%zu starts %s after bundle #%zu, the policy wants %s to %s",
			    i + 1, dur(iv, b1), i, dur(r->pol->min_bundle_interval, b2),
			    dur(r->pol->max_bundle_interval, b3));
	}
	done(r, id, &a, "inceptions %s to %s apart", dur(r->pol->min_bundle_interval, b1),
	     dur(r->pol->max_bundle_interval, b2));
}

static void check_safety_claims(struct run *r, const struct kr_ksr_doc *d)
{
	const char *id = "KSR-POLICY-SAFETY";
	const struct kr_policy *p = r->pol;
	struct acc a = {0};
	char b1[40], b2[40], b3[40];
	if (disabled(r, id))
		return;
	int64_t ps = d->zsk_policy.publish_safety, rs = d->zsk_policy.retire_safety;
	if (ps < p->min_publish_safety || ps > p->max_publish_safety)
		bad(&a, "PublishSafety %s, the policy accepts %s to %s", dur(ps, b1),
		    dur(p->min_publish_safety, b2), dur(p->max_publish_safety, b3));
	if (rs < p->min_retire_safety || rs > p->max_retire_safety)
		bad(&a, "RetireSafety %s, the policy accepts %s to %s", dur(rs, b1),
		    dur(p->min_retire_safety, b2), dur(p->max_retire_safety, b3));
	done(r, id, &a, "PublishSafety %s and RetireSafety %s within the policy", dur(ps, b1),
	     dur(rs, b2));
}

/*
 * The ZSK timeline: the previous SKR's bundles (if any) then the KSR's,
 * ZSKs only.  For each bundle where a ZSK is withdrawn, every ZSK that
 * replaced it (was introduced within the timeline) must have been published
 * long enough: the successor cannot be used before PublishSafety after its
 * publication P, and it is in sole use from the withdrawal U on, so
 * U - P >= PublishSafety (KSR-POLICY-SAFETY-PUBLISH); the withdrawn key must
 * stay published RetireSafety after the successor could first be used, so
 * U - P >= PublishSafety + RetireSafety (KSR-POLICY-SAFETY-RETIRE).
 */
struct tl_bundle {
	const struct kr_ksr_bundle *b;
	const char *where; /* "SKR(n-1)" or "KSR" */
	size_t num;
};

static int tl_has(const struct tl_bundle *t, const struct kr_dnskey *key)
{
	for (size_t k = 0; k < t->b->nkeys; k++)
		if (!is_ksk(&t->b->keys[k].dnskey) && kr_dnskey_same_key(&t->b->keys[k].dnskey, key))
			return 1;
	return 0;
}

static void check_safety_timeline(struct run *r, const struct kr_ksr_doc *d,
				  const struct kr_ksr_doc *prev)
{
	const char *pid = "KSR-POLICY-SAFETY-PUBLISH", *rid = "KSR-POLICY-SAFETY-RETIRE";
	int pskip = disabled(r, pid), rskip = disabled(r, rid);
	struct acc pa = {0}, ra = {0};
	char b1[40], b2[40], b3[40];
	size_t nprev = prev ? prev->nbundles : 0, n = nprev + d->nbundles, rolls = 0, pending = 0;
	if (pskip && rskip)
		return;
	struct tl_bundle *tl = calloc(n, sizeof(*tl));
	if (tl == NULL) {
		r->rc = KR_ENOMEM;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		tl[i].b = i < nprev ? &prev->bundles[i] : &d->bundles[i - nprev];
		tl[i].where = i < nprev ? "previous SKR bundle" : "bundle";
		tl[i].num = i < nprev ? i + 1 : i - nprev + 1;
	}
	int64_t ps = d->zsk_policy.publish_safety, rs = d->zsk_policy.retire_safety;
	for (size_t m = 1; m < n; m++) {
		int withdrawn = 0;
		for (size_t k = 0; k < tl[m - 1].b->nkeys; k++) {
			const struct kr_dnskey *key = &tl[m - 1].b->keys[k].dnskey;
			if (!is_ksk(key) && !tl_has(&tl[m], key))
				withdrawn = 1;
		}
		if (!withdrawn)
			continue;
		rolls++;
		for (size_t k = 0; k < tl[m].b->nkeys; k++) {
			const struct kr_ksr_key *succ = &tl[m].b->keys[k];
			if (is_ksk(&succ->dnskey))
				continue;
			size_t first = m;
			while (first > 0 && tl_has(&tl[first - 1], &succ->dnskey))
				first--;
			if (first == 0)
				continue; /* published before the timeline starts */
			int64_t span = tl[m].b->inception - tl[first].b->inception;
			if (span < ps)
				bad(&pa, "ZSK %u, published from %s #%zu, replaces a ZSK withdrawn "
					 "at %s #%zu only %s later; PublishSafety is %s",
				    succ->key_tag, tl[first].where, tl[first].num, tl[m].where,
				    tl[m].num, dur(span, b1), dur(ps, b2));
			if (span < ps + rs)
				bad(&ra, "the ZSK withdrawn at %s #%zu was published alongside its "
					 "successor %u only %s; PublishSafety + RetireSafety is %s",
				    tl[m].where, tl[m].num, succ->key_tag, dur(span, b1),
				    dur(ps + rs, b3));
		}
	}
	/* Keys introduced but not yet in sole use: checked with the next KSR. */
	const struct tl_bundle *last = &tl[n - 1];
	for (size_t k = 0; k < last->b->nkeys; k++)
		if (!is_ksk(&last->b->keys[k].dnskey) && n > 1 &&
		    !tl_has(&tl[0], &last->b->keys[k].dnskey))
			pending++;
	free(tl);
	const char *scope = prev ? "previous SKR and KSR" : "KSR alone (no previous SKR)";
	if (!pskip)
		done(r, pid, &pa, "%zu ZSK withdrawal(s) in the %s keep PublishSafety %s%s", rolls,
		     scope, dur(ps, b1), pending ? "; pre-published keys checked with the next KSR" : "");
	if (!rskip)
		done(r, rid, &ra, "%zu ZSK withdrawal(s) in the %s keep PublishSafety + RetireSafety %s",
		     rolls, scope, dur(ps + rs, b1));
}

/* --- chain ----------------------------------------------------------------- */

static void check_previous(struct run *r, const struct kr_ksr_doc *d, const struct kr_ksr_doc *prev)
{
	const char *id = "KSR-PREVIOUS";
	struct acc a = {0};
	if (disabled(r, id))
		return;
	if (prev == NULL) {
		skip(r, id, "no previous SKR given");
		return;
	}
	if (!kr_name_equal(&prev->domain, &d->domain))
		bad(&a, "the previous SKR is for another domain");
	for (size_t i = 0; i < prev->nbundles; i++) {
		if (prev->bundles[i].nsigs == 0)
			bad(&a, "previous SKR bundle #%zu is not signed", i + 1);
		int rc = verify_bundle(&prev->domain, &prev->bundles[i], i + 1, 1, &a, NULL);
		if (rc != KR_OK) {
			r->rc = rc;
			return;
		}
	}
	done(r, id, &a, "every signature of the previous SKR (%zu bundles) verifies with its KSKs",
	     prev->nbundles);
}

static void check_chain_keys(struct run *r, const struct kr_ksr_doc *d, const struct kr_ksr_doc *prev)
{
	const char *id = "KSR-CHAIN-KEYS";
	struct acc a = {0};
	if (disabled(r, id))
		return;
	if (prev == NULL) {
		skip(r, id, "no previous SKR given");
		return;
	}
	const struct kr_ksr_bundle *last = &prev->bundles[prev->nbundles - 1], *first = &d->bundles[0];
	/* Post-published: every ZSK of SKR(n-1)'s last bundle stays in KSR(n)'s first. */
	for (size_t k = 0; k < last->nkeys; k++) {
		const struct kr_ksr_key *key = &last->keys[k];
		if (is_ksk(&key->dnskey))
			continue;
		if (!bundle_has(first, &key->dnskey))
			bad(&a, "ZSK %u of the previous SKR's last bundle is missing from the KSR's "
				"first bundle",
			    key->key_tag);
	}
	/* Pre-published: every ZSK of KSR(n)'s first bundle was in SKR(n-1)'s last. */
	for (size_t k = 0; k < first->nkeys; k++) {
		const struct kr_ksr_key *key = &first->keys[k];
		if (!bundle_has(last, &key->dnskey))
			bad(&a, "ZSK %u of the KSR's first bundle was not published in the previous "
				"SKR's last bundle",
			    key->key_tag);
		const struct kr_ksr_key *same = find_key(last, key->key_identifier);
		if (same != NULL && !same_dnskey(&same->dnskey, &key->dnskey))
			bad(&a, "keyIdentifier %.60s names different keys in the previous SKR and "
				"the KSR",
			    key->key_identifier);
	}
	done(r, id, &a, "the KSR's first bundle has exactly the ZSKs of the previous SKR's last "
			"bundle");
}

static void check_chain_overlap(struct run *r, const struct kr_ksr_doc *d,
				const struct kr_ksr_doc *prev)
{
	const char *id = "KSR-CHAIN-OVERLAP";
	struct acc a = {0};
	char b1[40], b2[40], b3[40];
	if (disabled(r, id))
		return;
	if (prev == NULL) {
		skip(r, id, "no previous SKR given");
		return;
	}
	const struct kr_ksr_bundle *last = &prev->bundles[prev->nbundles - 1], *first = &d->bundles[0];
	int64_t lo = d->zsk_policy.min_validity_overlap, hi = d->zsk_policy.max_validity_overlap;
	int64_t ov = last->expiration - first->inception;
	if (first->inception <= last->inception)
		bad(&a, "the KSR's first bundle starts at %s, not after the previous SKR's last "
			"bundle (%s)",
		    tm(first->inception, b1), tm(last->inception, b2));
	else if (ov < 0)
		bad(&a, "gap of %s between the previous SKR's last bundle and the KSR's first",
		    dur(-ov, b1));
	else if (ov < lo || ov > hi)
		bad(&a, "the previous SKR's last bundle and the KSR's first overlap %s, the KSR "
			"claims %s to %s",
		    dur(ov, b1), dur(lo, b2), dur(hi, b3));
	done(r, id, &a, "overlap with the previous SKR of %s (%s to %s)", dur(ov, b1), dur(lo, b2),
	     dur(hi, b3));
}

/* --- the KSK operator's own limits ------------------------------------------ */

static void check_ttl(struct run *r, const struct kr_ksr_doc *d)
{
	const char *id = "SKR-POLICY-TTL";
	struct acc a = {0};
	uint32_t ttl = r->pol->dnskey_ttl;
	if (disabled(r, id))
		return;
	for (size_t i = 0; i < d->nbundles; i++) {
		const struct kr_ksr_bundle *b = &d->bundles[i];
		for (size_t k = 0; k < b->nkeys; k++)
			if (b->keys[k].ttl != ttl)
				bad(&a, "bundle #%zu key %u has TTL %u, the policy's DNSKEY TTL is %u",
				    i + 1, b->keys[k].key_tag, b->keys[k].ttl, ttl);
		for (size_t s = 0; s < b->nsigs; s++)
			if (b->sigs[s].ttl != ttl || b->sigs[s].rrsig.original_ttl != ttl)
				bad(&a, "bundle #%zu signature %zu has TTL %u / OriginalTTL %u, the "
					"policy's DNSKEY TTL is %u",
				    i + 1, s + 1, b->sigs[s].ttl, b->sigs[s].rrsig.original_ttl, ttl);
	}
	done(r, id, &a, "every key and signature has the policy's DNSKEY TTL %u", ttl);
}

static void check_ksk_validity(struct run *r, const struct kr_ksr_doc *d)
{
	const char *id = "SKR-POLICY-SIG-VALIDITY";
	struct acc a = {0};
	char b1[40], b2[40];
	if (disabled(r, id))
		return;
	validities(d, r->pol->ksk.min_sig_validity, r->pol->ksk.max_sig_validity,
		   "the KSK policy wants", &a);
	done(r, id, &a, "every bundle valid %s to %s as the KSK policy wants",
	     dur(r->pol->ksk.min_sig_validity, b1), dur(r->pol->ksk.max_sig_validity, b2));
}

static void check_ksk_overlap(struct run *r, const struct kr_ksr_doc *d)
{
	const char *id = "SKR-POLICY-SIG-OVERLAP";
	struct acc a = {0};
	char b1[40], b2[40];
	if (disabled(r, id))
		return;
	overlaps(d, r->pol->ksk.min_validity_overlap, r->pol->ksk.max_validity_overlap,
		 "the KSK policy wants", &a);
	done(r, id, &a, "bundles overlap %s to %s as the KSK policy wants",
	     dur(r->pol->ksk.min_validity_overlap, b1), dur(r->pol->ksk.max_validity_overlap, b2));
}

int kr_ksr_check(const struct kr_ksr_doc *ksr, const struct kr_ksr_doc *prev_skr,
		 const struct kr_policy *pol, int64_t now, struct kr_check_report *rep)
{
	if (ksr == NULL || pol == NULL || rep == NULL || ksr->kind != KR_KSR_REQUEST ||
	    ksr->nbundles == 0 ||
	    (prev_skr != NULL && (prev_skr->kind != KR_KSR_RESPONSE || prev_skr->nbundles == 0)))
		return KR_EINVAL;
	struct run r = {rep, pol, KR_OK};
	size_t nfail = rep->nfail;
	check_domain(&r, ksr);
	check_id(&r, ksr, prev_skr);
	check_bundle_unique(&r, ksr, prev_skr);
	check_bundle_keys(&r, ksr);
	check_bundle_pop(&r, ksr);
	check_bundle_count(&r, ksr);
	check_cycle(&r, ksr);
	check_policy_keys(&r, ksr);
	check_policy_alg(&r, ksr);
	check_sig_overlap(&r, ksr);
	check_sig_validity(&r, ksr);
	check_horizon(&r, ksr, now);
	check_intervals(&r, ksr);
	check_safety_claims(&r, ksr);
	check_safety_timeline(&r, ksr, prev_skr);
	check_previous(&r, ksr, prev_skr);
	check_chain_keys(&r, ksr, prev_skr);
	check_chain_overlap(&r, ksr, prev_skr);
	check_ttl(&r, ksr);
	check_ksk_validity(&r, ksr);
	check_ksk_overlap(&r, ksr);
	if (r.rc != KR_OK)
		return r.rc;
	return rep->nfail > nfail ? KR_EPOLICY : KR_OK;
}

/* --- SKR verification ---------------------------------------------------------- */

int kr_skr_check(const struct kr_ksr_doc *skr, struct kr_check_report *rep)
{
	if (skr == NULL || rep == NULL)
		return KR_EINVAL;
	struct run r = {rep, NULL, KR_OK}; /* no policy: nothing is skipped */
	size_t nfail = rep->nfail, nsigs = 0;
	struct acc st = {0}, sg = {0}, ti = {0};
	char b1[40], b2[40];

	if (skr->kind != KR_KSR_RESPONSE || !skr->has_ksk_policy)
		bad(&st, "not an SKR (no <Response>)");
	for (size_t i = 0; i < skr->nbundles; i++) {
		const struct kr_ksr_bundle *b = &skr->bundles[i];
		size_t nksk = 0;
		for (size_t j = 0; j < i; j++)
			if (strcmp(skr->bundles[j].id, b->id) == 0)
				bad(&st, "bundles #%zu and #%zu have the same id", j + 1, i + 1);
		for (size_t k = 0; k < b->nkeys; k++) {
			const struct kr_ksr_key *key = &b->keys[k];
			nksk += is_ksk(&key->dnskey);
			if (kr_dnskey_keytag(&key->dnskey) != key->key_tag)
				bad(&st, "bundle #%zu key %.60s: keyTag %u but the key's tag is %u",
				    i + 1, key->key_identifier, key->key_tag,
				    kr_dnskey_keytag(&key->dnskey));
			if (!(key->dnskey.flags & KR_DNSKEY_ZONE))
				bad(&st, "bundle #%zu key %u: flags %u lack the zone key bit", i + 1,
				    key->key_tag, key->dnskey.flags);
			if (kr_dnskey_params(&key->dnskey, NULL, NULL) != KR_OK)
				bad(&st, "bundle #%zu key %u: malformed public key", i + 1,
				    key->key_tag);
			for (size_t k2 = 0; k2 < k; k2++)
				if (strcmp(b->keys[k2].key_identifier, key->key_identifier) == 0)
					bad(&st, "bundle #%zu: keyIdentifier %.60s used twice", i + 1,
					    key->key_identifier);
		}
		if (nksk == 0)
			bad(&st, "bundle #%zu has no KSK", i + 1);
		if (b->nsigs == 0)
			bad(&sg, "bundle #%zu is not signed", i + 1);
		int rc = verify_bundle(&skr->domain, b, i + 1, 1, &sg, NULL);
		if (rc != KR_OK)
			return rc;
		nsigs += b->nsigs;

		if (b->expiration <= b->inception)
			bad(&ti, "bundle #%zu expires before its inception", i + 1);
		if (i > 0 && b->inception <= skr->bundles[i - 1].inception)
			bad(&ti, "bundle #%zu does not start after bundle #%zu", i + 1, i);
		if (i > 0 && b->inception > skr->bundles[i - 1].expiration)
			bad(&ti, "gap of %s between bundles #%zu and #%zu",
			    dur(b->inception - skr->bundles[i - 1].expiration, b1), i, i + 1);
		for (size_t s = 0; s < b->nsigs; s++) {
			const struct kr_rrsig *g = &b->sigs[s].rrsig;
			/* The codec reads RRSIG times as absolute times before 2106. */
			int64_t inc = g->inception, exp = g->expiration;
			if (inc > b->inception || exp < b->expiration)
				bad(&ti, "bundle #%zu signature %zu (%s to %s) does not cover the "
					 "bundle",
				    i + 1, s + 1, tm(inc, b1), tm(exp, b2));
			if (skr->has_ksk_policy && exp - inc > skr->ksk_policy.max_sig_validity)
				bad(&ti, "bundle #%zu signature %zu is valid %s, above the SKR's "
					 "MaxSignatureValidity",
				    i + 1, s + 1, dur(exp - inc, b1));
			for (size_t k = 0; k < b->nkeys; k++)
				if (b->keys[k].ttl != g->original_ttl)
					bad(&ti, "bundle #%zu signature %zu: OriginalTTL %u but key %u "
						 "has TTL %u",
					    i + 1, s + 1, g->original_ttl, b->keys[k].key_tag,
					    b->keys[k].ttl);
		}
	}
	done(&r, "SKR-VERIFY-STRUCTURE", &st, "%zu bundles, each with a KSK; tags and keys well formed",
	     skr->nbundles);
	done(&r, "SKR-VERIFY-SIGNATURES", &sg,
	     "%zu signatures verify over their whole bundles, each made by a KSK of the bundle", nsigs);
	done(&r, "SKR-VERIFY-TIMES", &ti,
	     "bundles ordered without gaps; signatures cover their bundles; TTLs agree");
	if (r.rc != KR_OK)
		return r.rc;
	return rep->nfail > nfail ? KR_EPOLICY : KR_OK;
}

/* --- response size ------------------------------------------------------------- */

size_t kr_dnskey_response_size(const struct kr_name *zone, const struct kr_ksr_bundle *b)
{
	/* Header; question: QNAME, QTYPE, QCLASS.  Answer owners point at the
	 * QNAME (2 bytes) unless the name itself is shorter (the root, 1). */
	size_t owner = zone->len < 2 ? zone->len : 2;
	size_t size = 12 + zone->len + 4;
	for (size_t k = 0; k < b->nkeys; k++)
		size += owner + 10 + 4 + b->keys[k].dnskey.pubkey_len;
	/* RRSIG RDATA: 18 fixed bytes, the signer name (never compressed,
	 * RFC 4034 3.1.7), the signature. */
	for (size_t s = 0; s < b->nsigs; s++)
		size += owner + 10 + 18 + b->sigs[s].rrsig.signer.len + b->sigs[s].rrsig.sig_len;
	return size + 11; /* OPT: root owner, type, class, TTL, RDLEN 0 */
}
