/*
 * Knot DNS offline-KSK text files <-> the KSR/SKR model (see knotksr.h and
 * docs/knot-interop.md).  Records are read with the zone-file parsers of
 * lib/dnssec.c after each record's lines are joined with their comments
 * removed; everything else in the file must be a recognised comment.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/dnssec.h"
#include "lib/error.h"
#include "lib/knotksr.h"
#include "lib/ksr.h"
#include "lib/timeutil.h"

#define MAX_RECORD 16384  /* one joined record (an RSA-16384 key fits) */
#define MAX_SECTIONS 4096 /* sections in one file */
#define MAX_SET 64	  /* records of one type in one section */

static const char *const kind_word[] = {NULL, "KeySigningRequest", "SignedKeyResponse"};

static int fail(char *errbuf, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *errbuf, size_t errlen, int rc, const char *fmt, ...)
{
	if (errbuf && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* --- identifiers ----------------------------------------------------------- */

static int sha256(const void *a, size_t alen, const void *b, size_t blen, uint8_t md[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) && EVP_DigestUpdate(c, a, alen) &&
		 (blen == 0 || EVP_DigestUpdate(c, b, blen)) && EVP_DigestFinal_ex(c, md, NULL);
	EVP_MD_CTX_free(c);
	return ok ? KR_OK : KR_ECRYPTO;
}

/* 8-4-4-4-12 hex of md[0..16). */
static char *uuid_shaped(const uint8_t md[32])
{
	char *s = malloc(37);
	if (s == NULL)
		return NULL;
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			s[o++] = '-';
		o += (size_t)snprintf(s + o, 37 - o, "%02x", md[i]);
	}
	return s;
}

static int key_identifier(const struct kr_dnskey *k, char **out)
{
	uint8_t md[32];
	int rc = sha256(&k->algorithm, 1, k->pubkey, k->pubkey_len, md);
	if (rc)
		return rc;
	char *s = malloc(21);
	if (s == NULL)
		return KR_ENOMEM;
	int n = snprintf(s, 21, "%s-", (k->flags & KR_DNSKEY_SEP) ? "KSK" : "ZSK");
	for (int i = 0; i < 8; i++)
		n += snprintf(s + n, (size_t)(21 - n), "%02x", md[i]);
	*out = s;
	return KR_OK;
}

/* --- section reader --------------------------------------------------------- */

struct reader {
	int kind; /* KR_KSR_REQUEST or KR_KSR_RESPONSE */
	struct kr_name owner;
	int have_owner;
	size_t nsec;
	struct kr_ksr_bundle *sec; /* inception = the section time; expiration unset */
	int closed;
	int64_t generated;
	char *errbuf;
	size_t errlen;
	size_t lineno;
};

static void sections_free(struct kr_ksr_bundle *sec, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sec[i].nkeys; k++)
			free(sec[i].keys[k].key_identifier);
		for (size_t k = 0; k < sec[i].nsigs; k++)
			free(sec[i].sigs[k].key_identifier);
		free(sec[i].keys);
		free(sec[i].sigs);
		free(sec[i].id);
	}
	free(sec);
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A ";;" line: a section header, the closing line, or a plain comment. */
static int header_line(struct reader *r, const char *line)
{
	const char *p = skip_space(line + 2);
	const char *word = kind_word[r->kind], *other = kind_word[3 - r->kind];
	size_t wl = strlen(word);
	if (strncmp(p, other, strlen(other)) == 0)
		return fail(r->errbuf, r->errlen, KR_EMALFORMED, "line %zu: %s header in a %s file",
			    r->lineno, other, word);
	if (strncmp(p, word, wl) != 0 || (p[wl] != ' ' && p[wl] != '\t'))
		return KR_OK; /* an ordinary comment */
	if (r->closed)
		return fail(r->errbuf, r->errlen, KR_EMALFORMED,
			    "line %zu: header after the closing line", r->lineno);
	p = skip_space(p + wl);
	if (strncmp(p, "1.0", 3) != 0 || (p[3] != ' ' && p[3] != '\t'))
		return fail(r->errbuf, r->errlen, KR_EMALFORMED,
			    "line %zu: unsupported %s version (want 1.0)", r->lineno, word);
	p = skip_space(p + 3);
	if (strncmp(p, "generated at ", 13) == 0) {
		char iso[40];
		size_t n = strcspn(p + 13, " \t\r");
		if (n == 0 || n >= sizeof(iso))
			return fail(r->errbuf, r->errlen, KR_EMALFORMED,
				    "line %zu: closing line without a time", r->lineno);
		memcpy(iso, p + 13, n);
		iso[n] = '\0';
		if (kr_time_parse(iso, &r->generated))
			return fail(r->errbuf, r->errlen, KR_EMALFORMED,
				    "line %zu: bad time '%s' in the closing line", r->lineno, iso);
		r->closed = 1;
		return KR_OK;
	}
	int64_t t = 0;
	size_t ndigits = strspn(p, "0123456789");
	if (ndigits == 0)
		return fail(r->errbuf, r->errlen, KR_EMALFORMED,
			    "line %zu: %s header without a time", r->lineno, word);
	if (ndigits == 14)
		return fail(r->errbuf, r->errlen, KR_EMALFORMED,
			    "line %zu: a YYYYMMDDHHMMSS header time: this looks like a BIND "
			    "dnssec-ksr file, which keyroll does not read (docs/knot-interop.md)",
			    r->lineno);
	for (; isdigit((unsigned char)*p); p++) {
		t = t * 10 + (*p - '0');
		if (t > UINT32_MAX)
			return fail(r->errbuf, r->errlen, KR_ERANGE,
				    "line %zu: section time out of range", r->lineno);
	}
	p = skip_space(p);
	if (*p == '(') {
		char iso[40];
		size_t n = strcspn(p + 1, ")");
		int64_t t2;
		if (p[1 + n] != ')' || n >= sizeof(iso))
			return fail(r->errbuf, r->errlen, KR_EMALFORMED,
				    "line %zu: unterminated time in header", r->lineno);
		memcpy(iso, p + 1, n);
		iso[n] = '\0';
		if (kr_time_parse(iso, &t2) || t2 != t)
			return fail(r->errbuf, r->errlen, KR_EMALFORMED,
				    "line %zu: header time (%s) disagrees with %" PRId64, r->lineno,
				    iso, t);
		p = skip_space(p + 2 + n);
	}
	while (*p == '=')
		p++;
	p = skip_space(p);
	if (*p != '\0' && *p != '\r')
		return fail(r->errbuf, r->errlen, KR_EMALFORMED,
			    "line %zu: unexpected text after the section time", r->lineno);
	if (r->nsec && t <= r->sec[r->nsec - 1].inception)
		return fail(r->errbuf, r->errlen, KR_EMALFORMED,
			    "line %zu: section times must increase", r->lineno);
	if (r->nsec && r->sec[r->nsec - 1].nkeys == 0)
		return fail(r->errbuf, r->errlen, KR_EMALFORMED,
			    "line %zu: the previous section has no DNSKEY", r->lineno);
	if (r->nsec == MAX_SECTIONS)
		return fail(r->errbuf, r->errlen, KR_ETOOBIG, "line %zu: more than %d sections",
			    r->lineno, MAX_SECTIONS);
	struct kr_ksr_bundle *s = realloc(r->sec, (r->nsec + 1) * sizeof(*s));
	if (s == NULL)
		return KR_ENOMEM;
	r->sec = s;
	memset(&s[r->nsec], 0, sizeof(*s));
	s[r->nsec].inception = t;
	r->nsec++;
	return KR_OK;
}

/* The record type of a joined record: the first token after the owner that
 * is neither a TTL nor the class. */
static int record_type(const char *rec, char *type, size_t size)
{
	const char *p = skip_space(rec);
	p += strcspn(p, " \t"); /* owner */
	for (int i = 0; i < 3; i++) {
		p = skip_space(p);
		size_t n = strcspn(p, " \t");
		if (n == 0)
			return KR_EMALFORMED;
		if (isdigit((unsigned char)*p) || (n == 2 && strncasecmp(p, "IN", 2) == 0)) {
			p += n;
			continue;
		}
		if (n >= size)
			n = size - 1;
		memcpy(type, p, n);
		type[n] = '\0';
		return KR_OK;
	}
	return KR_EMALFORMED;
}

static int add_owner(struct reader *r, const struct kr_name *owner)
{
	if (!r->have_owner) {
		r->owner = *owner;
		r->have_owner = 1;
	} else if (!kr_name_equal(&r->owner, owner)) {
		return fail(r->errbuf, r->errlen, KR_EMALFORMED,
			    "line %zu: record of another owner", r->lineno);
	}
	return KR_OK;
}

static int record(struct reader *r, const char *rec)
{
	struct kr_ksr_bundle *sec = &r->sec[r->nsec - 1];
	struct kr_name owner;
	uint32_t ttl = 0;
	char type[16];
	int rc;
	if (record_type(rec, type, sizeof(type)))
		return fail(r->errbuf, r->errlen, KR_EMALFORMED, "line %zu: not a resource record",
			    r->lineno);
	if (strcasecmp(type, "DNSKEY") == 0) {
		struct kr_ksr_key k = {0};
		if ((rc = kr_dnskey_parse(rec, &owner, &ttl, &k.dnskey)))
			return fail(r->errbuf, r->errlen, rc, "line %zu: bad DNSKEY record: %s",
				    r->lineno, kr_strerror(rc));
		if ((rc = add_owner(r, &owner)))
			return rc;
		if (ttl == 0)
			return fail(r->errbuf, r->errlen, KR_EMALFORMED,
				    "line %zu: DNSKEY without a TTL", r->lineno);
		if (sec->nkeys && sec->keys[0].ttl != ttl)
			return fail(r->errbuf, r->errlen, KR_EMALFORMED,
				    "line %zu: DNSKEY TTLs differ within a section", r->lineno);
		for (size_t i = 0; i < sec->nkeys; i++)
			if (kr_dnskey_same_key(&sec->keys[i].dnskey, &k.dnskey))
				return fail(r->errbuf, r->errlen, KR_EMALFORMED,
					    "line %zu: key listed twice in a section", r->lineno);
		if (sec->nkeys == MAX_SET)
			return fail(r->errbuf, r->errlen, KR_ETOOBIG,
				    "line %zu: too many DNSKEYs in a section", r->lineno);
		k.ttl = ttl;
		k.key_tag = kr_dnskey_keytag(&k.dnskey);
		if ((rc = key_identifier(&k.dnskey, &k.key_identifier)))
			return rc;
		rc = kr_ksr_bundle_add_key(sec, &k);
		free(k.key_identifier);
		return rc;
	}
	if (strcasecmp(type, "RRSIG") == 0 && r->kind == KR_KSR_RESPONSE) {
		struct kr_ksr_sig s = {0};
		if ((rc = kr_rrsig_parse(rec, &owner, &ttl, &s.rrsig)))
			return fail(r->errbuf, r->errlen, rc,
				    "line %zu: bad RRSIG record (only RRSIG DNSKEY is allowed): %s",
				    r->lineno, kr_strerror(rc));
		if ((rc = add_owner(r, &owner)))
			return rc;
		if (ttl == 0)
			return fail(r->errbuf, r->errlen, KR_EMALFORMED,
				    "line %zu: RRSIG without a TTL", r->lineno);
		if (sec->nsigs == MAX_SET)
			return fail(r->errbuf, r->errlen, KR_ETOOBIG,
				    "line %zu: too many RRSIGs in a section", r->lineno);
		s.ttl = ttl;
		/* The key it names must come first in the section (Knot's order). */
		for (size_t i = 0; i < sec->nkeys; i++) {
			const struct kr_ksr_key *k = &sec->keys[i];
			if (k->key_tag == s.rrsig.key_tag &&
			    k->dnskey.algorithm == s.rrsig.algorithm)
				s.key_identifier = k->key_identifier;
		}
		if (s.key_identifier == NULL)
			return fail(r->errbuf, r->errlen, KR_EMALFORMED,
				    "line %zu: RRSIG by key tag %u, which is not in the section",
				    r->lineno, s.rrsig.key_tag);
		return kr_ksr_bundle_add_sig(sec, &s);
	}
	return fail(r->errbuf, r->errlen, KR_EMALFORMED,
		    "line %zu: %s record not allowed in a Knot %s", r->lineno, type,
		    kind_word[r->kind]);
}

/* Split into lines, join multi-line records, dispatch. */
static int read_sections(struct reader *r, const uint8_t *text, size_t len)
{
	if (len > KR_KSR_MAX_SIZE)
		return fail(r->errbuf, r->errlen, KR_ETOOBIG, "input larger than %d bytes",
			    KR_KSR_MAX_SIZE);
	if (memchr(text, '\0', len))
		return fail(r->errbuf, r->errlen, KR_EMALFORMED, "NUL byte in the input");
	char *rec = malloc(MAX_RECORD), *line = malloc(MAX_RECORD);
	size_t reclen = 0;
	int depth = 0, rc = KR_OK;
	if (rec == NULL || line == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	for (size_t pos = 0; pos < len;) {
		const uint8_t *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		r->lineno++;
		if (n >= MAX_RECORD) {
			rc =
			    fail(r->errbuf, r->errlen, KR_ETOOBIG, "line %zu: too long", r->lineno);
			goto out;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl != NULL);
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		const char *p = skip_space(line);
		if (depth == 0 && reclen == 0) {
			if (p[0] == ';' && p[1] == ';' && p == line) {
				if ((rc = header_line(r, line)))
					goto out;
				continue;
			}
			if (*p == ';' || *p == '\0')
				continue;
			if (p != line) {
				rc = fail(r->errbuf, r->errlen, KR_EMALFORMED,
					  "line %zu: record without an owner name", r->lineno);
				goto out;
			}
			if (r->closed || r->nsec == 0) {
				rc = fail(r->errbuf, r->errlen, KR_EMALFORMED,
					  "line %zu: record outside a section", r->lineno);
				goto out;
			}
		}
		/* comments end at the line; no quoted strings in DNSKEY/RRSIG */
		line[strcspn(line, ";")] = '\0';
		for (char *c = line; *c; c++) {
			if (*c == '(')
				depth++;
			else if (*c == ')' && --depth < 0) {
				rc = fail(r->errbuf, r->errlen, KR_EMALFORMED,
					  "line %zu: unbalanced ')'", r->lineno);
				goto out;
			}
		}
		size_t ll = strlen(line);
		if (reclen + ll + 2 > MAX_RECORD) {
			rc = fail(r->errbuf, r->errlen, KR_ETOOBIG, "line %zu: record too long",
				  r->lineno);
			goto out;
		}
		rec[reclen++] = ' ';
		memcpy(rec + reclen, line, ll + 1);
		reclen += ll;
		if (depth == 0) {
			if ((rc = record(r, rec + 1)))
				goto out;
			reclen = 0;
		}
	}
	if (depth || reclen)
		rc = fail(r->errbuf, r->errlen, KR_ETRUNC, "input ends inside a record");
	else if (r->nsec == 0)
		rc = fail(r->errbuf, r->errlen, KR_EMALFORMED, "no %s section", kind_word[r->kind]);
	else if (r->sec[r->nsec - 1].nkeys == 0)
		rc = fail(r->errbuf, r->errlen, KR_EMALFORMED, "the last section has no DNSKEY");
	else if (!r->closed)
		rc = fail(r->errbuf, r->errlen, KR_ETRUNC,
			  "no closing '%s 1.0 generated at' line (truncated file?)",
			  kind_word[r->kind]);
out:
	free(rec);
	free(line);
	return rc;
}

int kr_knot_detect(const uint8_t *buf, size_t len)
{
	size_t i = 0;
	while (i < len && isspace(buf[i]))
		i++;
	for (int k = KR_KSR_REQUEST; k <= KR_KSR_RESPONSE; k++) {
		size_t j = i;
		if (j + 2 > len || buf[j] != ';' || buf[j + 1] != ';')
			continue;
		j += 2;
		while (j < len && (buf[j] == ' ' || buf[j] == '\t'))
			j++;
		size_t wl = strlen(kind_word[k]);
		if (j + wl <= len && memcmp(buf + j, kind_word[k], wl) == 0)
			return k;
	}
	return 0;
}

/* --- documents ---------------------------------------------------------------- */

static int policy_add_alg(struct kr_ksr_policy *p, const struct kr_dnskey *k)
{
	struct kr_ksr_sigalg a = {.algorithm = k->algorithm};
	int rc = kr_dnskey_params(k, &a.size, &a.exponent);
	if (rc)
		return rc;
	for (size_t i = 0; i < p->nalgs; i++)
		if (p->algs[i].algorithm == a.algorithm && p->algs[i].size == a.size &&
		    p->algs[i].exponent == a.exponent)
			return KR_OK;
	if (p->nalgs == KR_KSR_MAX_ALGS)
		return KR_ETOOBIG;
	p->algs[p->nalgs++] = a;
	return KR_OK;
}

static int doc_new(struct reader *r, const uint8_t *text, size_t len, struct kr_ksr_doc **out,
		   uint8_t md[32])
{
	struct kr_ksr_doc *d = calloc(1, sizeof(*d));
	int rc;
	if (d == NULL)
		return KR_ENOMEM;
	if ((rc = sha256(text, len, NULL, 0, md))) {
		free(d);
		return rc;
	}
	d->kind = (enum kr_ksr_kind)r->kind;
	d->serial = (uint32_t)r->sec[0].inception;
	d->domain = r->owner;
	d->timestamp = r->generated;
	if ((d->id = uuid_shaped(md)) == NULL) {
		free(d);
		return KR_ENOMEM;
	}
	*out = d;
	return KR_OK;
}

/* Append a copy of section s as a bundle [inception, expiration). */
static int doc_add_bundle(struct kr_ksr_doc *d, const uint8_t md[32], const struct kr_ksr_bundle *s,
			  int64_t inception, int64_t expiration)
{
	struct kr_ksr_bundle *b = realloc(d->bundles, (d->nbundles + 1) * sizeof(*b));
	uint8_t bmd[32], t[8];
	int rc;
	if (b == NULL)
		return KR_ENOMEM;
	d->bundles = b;
	b = &d->bundles[d->nbundles];
	memset(b, 0, sizeof(*b));
	d->nbundles++;
	b->inception = inception;
	b->expiration = expiration;
	for (int i = 0; i < 8; i++)
		t[i] = (uint8_t)((uint64_t)inception >> (56 - 8 * i));
	if ((rc = sha256(md, 32, t, sizeof(t), bmd)))
		return rc;
	if ((b->id = uuid_shaped(bmd)) == NULL)
		return KR_ENOMEM;
	for (size_t i = 0; i < s->nkeys; i++)
		if ((rc = kr_ksr_bundle_add_key(b, &s->keys[i])))
			return rc;
	for (size_t i = 0; i < s->nsigs; i++)
		if ((rc = kr_ksr_bundle_add_sig(b, &s->sigs[i])))
			return rc;
	return KR_OK;
}

int kr_knot_ksr_parse(const uint8_t *text, size_t len, const struct kr_knot_ksr_opts *opts,
		      struct kr_ksr_doc **out, char *errbuf, size_t errlen)
{
	if (text == NULL || opts == NULL || out == NULL)
		return KR_EINVAL;
	if (opts->validity <= 0 || opts->step <= 0 || opts->step > opts->validity)
		return fail(errbuf, errlen, KR_EINVAL,
			    "bundle step must be positive and at most the validity");
	struct reader r = {.kind = KR_KSR_REQUEST, .errbuf = errbuf, .errlen = errlen};
	struct kr_ksr_doc *d = NULL;
	uint8_t md[32];
	int rc = read_sections(&r, text, len);
	if (rc || (rc = doc_new(&r, text, len, &d, md)))
		goto out;
	d->zsk_policy.max_sig_validity = d->zsk_policy.min_sig_validity = opts->validity;
	for (size_t i = 0; i < r.nsec; i++) {
		const struct kr_ksr_bundle *s = &r.sec[i];
		int64_t end = i + 1 < r.nsec ? r.sec[i + 1].inception : s->inception + 1;
		for (size_t k = 0; k < s->nkeys; k++)
			if ((rc = policy_add_alg(&d->zsk_policy, &s->keys[k].dnskey))) {
				rc = fail(errbuf, errlen, rc, "section %zu: key %u: %s", i + 1,
					  s->keys[k].key_tag, kr_strerror(rc));
				goto out;
			}
		for (int64_t t = s->inception; t < end; t += opts->step) {
			if (d->nbundles == KR_KNOT_MAX_BUNDLES) {
				rc = fail(errbuf, errlen, KR_ETOOBIG,
					  "more than %d bundles: is the bundle step too short?",
					  KR_KNOT_MAX_BUNDLES);
				goto out;
			}
			if ((rc = doc_add_bundle(d, md, s, t, t + opts->validity)))
				goto out;
		}
	}
	/* The overlap claimed is the one made: validity - step inside a section,
	 * more where a section starts off the step grid (Knot's end marker). */
	d->zsk_policy.min_validity_overlap = d->zsk_policy.max_validity_overlap =
	    opts->validity - opts->step;
	for (size_t i = 1; i < d->nbundles; i++) {
		int64_t ov = d->bundles[i - 1].expiration - d->bundles[i].inception;
		struct kr_ksr_policy *p = &d->zsk_policy;
		p->min_validity_overlap =
		    ov < p->min_validity_overlap ? ov : p->min_validity_overlap;
		p->max_validity_overlap =
		    ov > p->max_validity_overlap ? ov : p->max_validity_overlap;
	}
	*out = d;
	d = NULL; /* transferred */
out:
	kr_ksr_free(d);
	sections_free(r.sec, r.nsec);
	return rc;
}

int kr_knot_skr_parse(const uint8_t *text, size_t len, struct kr_ksr_doc **out, char *errbuf,
		      size_t errlen)
{
	if (text == NULL || out == NULL)
		return KR_EINVAL;
	struct reader r = {.kind = KR_KSR_RESPONSE, .errbuf = errbuf, .errlen = errlen};
	struct kr_ksr_doc *d = NULL;
	uint8_t md[32];
	int rc = read_sections(&r, text, len);
	if (rc || (rc = doc_new(&r, text, len, &d, md)))
		goto out;
	d->has_ksk_policy = 1;
	for (size_t i = 0; i < r.nsec; i++) {
		const struct kr_ksr_bundle *s = &r.sec[i];
		if (s->nsigs == 0) {
			rc = fail(errbuf, errlen, KR_EMALFORMED, "section %zu has no RRSIG", i + 1);
			goto out;
		}
		int64_t exp = INT64_MAX;
		for (size_t k = 0; k < s->nsigs; k++) {
			int64_t e = kr_rrsig_time_abs(s->sigs[k].rrsig.expiration, s->inception);
			exp = e < exp ? e : exp;
		}
		for (size_t k = 0; k < s->nkeys; k++) {
			const struct kr_dnskey *key = &s->keys[k].dnskey;
			struct kr_ksr_policy *p =
			    (key->flags & KR_DNSKEY_SEP) ? &d->ksk_policy : &d->zsk_policy;
			if ((rc = policy_add_alg(p, key))) {
				rc = fail(errbuf, errlen, rc, "section %zu: key %u: %s", i + 1,
					  s->keys[k].key_tag, kr_strerror(rc));
				goto out;
			}
		}
		if ((rc = doc_add_bundle(d, md, s, s->inception, exp)))
			goto out;
	}
	*out = d;
	d = NULL; /* transferred */
out:
	kr_ksr_free(d);
	sections_free(r.sec, r.nsec);
	return rc;
}

/* --- writer --------------------------------------------------------------------- */

static int check_bundle(const struct kr_ksr_doc *skr, size_t i, char *errbuf, size_t errlen)
{
	const struct kr_ksr_bundle *b = &skr->bundles[i];
	char t[32];
	if (b->nkeys == 0 || b->nsigs == 0)
		return fail(errbuf, errlen, KR_EPOLICY, "bundle %s: no %s", b->id,
			    b->nkeys ? "signature" : "key");
	if (i && b->inception <= skr->bundles[i - 1].inception)
		return fail(errbuf, errlen, KR_EPOLICY,
			    "bundle %s: inceptions must increase (Knot keys sections by time)",
			    b->id);
	if (b->inception < 0 || b->inception > UINT32_MAX)
		return fail(errbuf, errlen, KR_ERANGE, "bundle %s: inception out of range", b->id);
	for (size_t k = 1; k < b->nkeys; k++)
		if (b->keys[k].ttl != b->keys[0].ttl)
			return fail(errbuf, errlen, KR_EPOLICY, "bundle %s: DNSKEY TTLs differ",
				    b->id);
	for (size_t k = 0; k < b->nsigs; k++) {
		const struct kr_rrsig *s = &b->sigs[k].rrsig;
		int64_t inc = kr_rrsig_time_abs(s->inception, b->inception);
		int64_t exp = kr_rrsig_time_abs(s->expiration, b->inception);
		int64_t need = i + 1 < skr->nbundles ? skr->bundles[i + 1].inception : b->inception;
		if (inc > b->inception)
			return fail(errbuf, errlen, KR_EPOLICY,
				    "bundle %s: signature by key %u starts after the bundle "
				    "(keymgr import-skr refuses it)",
				    b->id, s->key_tag);
		if (exp < need) {
			kr_time_format(need, t, sizeof(t));
			return fail(errbuf, errlen, KR_EPOLICY,
				    "bundle %s: signature by key %u expires before %s, when the "
				    "next bundle starts (knotd would serve it expired)",
				    b->id, s->key_tag, t);
		}
	}
	return KR_OK;
}

int kr_knot_skr_write(const struct kr_ksr_doc *skr, int64_t generated, char **text, size_t *len,
		      char *errbuf, size_t errlen)
{
	if (skr == NULL || text == NULL || len == NULL)
		return KR_EINVAL;
	if (skr->kind != KR_KSR_RESPONSE || skr->nbundles == 0)
		return fail(errbuf, errlen, KR_EINVAL, "not an SKR with bundles");
	char *buf = NULL, *line = NULL, iso[32];
	size_t size = 0;
	int rc = KR_OK;
	for (size_t i = 0; i < skr->nbundles; i++)
		if ((rc = check_bundle(skr, i, errbuf, errlen)))
			return rc;
	if ((rc = kr_time_format(generated, iso, sizeof(iso))))
		return fail(errbuf, errlen, rc, "bad generation time");
	FILE *f = open_memstream(&buf, &size);
	if (f == NULL)
		return KR_ESYS;
	for (size_t i = 0; i < skr->nbundles; i++) {
		const struct kr_ksr_bundle *b = &skr->bundles[i];
		char when[32];
		if ((rc = kr_time_format(b->inception, when, sizeof(when))))
			goto out;
		fprintf(f, ";; SignedKeyResponse 1.0 %" PRId64 " (%s) =====\n", b->inception, when);
		for (size_t k = 0; k < b->nkeys; k++) {
			if ((rc = kr_dnskey_format(&skr->domain, b->keys[k].ttl, &b->keys[k].dnskey,
						   &line)))
				goto out;
			fprintf(f, "%s\n", line);
			free(line);
			line = NULL;
		}
		for (size_t k = 0; k < b->nsigs; k++) {
			if ((rc = kr_rrsig_format(&skr->domain, b->sigs[k].ttl, &b->sigs[k].rrsig,
						  &line)))
				goto out;
			fprintf(f, "%s\n", line);
			free(line);
			line = NULL;
		}
	}
	fprintf(f, ";; SignedKeyResponse 1.0 generated at %s by keyroll %s\n", iso,
		KEYROLL_VERSION);
out:
	free(line);
	if (ferror(f) && rc == KR_OK)
		rc = KR_ENOMEM;
	if (fclose(f) && rc == KR_OK)
		rc = KR_ENOMEM;
	if (rc) {
		free(buf);
		return rc;
	}
	*text = buf;
	*len = size;
	return KR_OK;
}
