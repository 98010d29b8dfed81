/*
 * accept.c - SKR acceptance by the ZSK operator, trust anchors.
 */
#include "ksr/accept.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/anchor.h"
#include "lib/errbuf.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "skr/sign.h"

#define TRUST_MAX_SIZE (1024 * 1024)
#define TRUST_MAX_KEYS 256

void kr_trust_free(struct kr_trust *t)
{
	if (!t)
		return;
	free(t->keys);
	free(t);
}

static int blank_line(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return *s == '\0' || *s == ';';
}

/* DS or DNSKEY zone-file lines. */
static int load_lines(char *text, struct kr_trust *t, char *errbuf, size_t errlen)
{
	char *line, *next;
	unsigned lineno = 0;
	int have_zone = 0;

	for (line = text; line; line = next) {
		struct kr_trust_key k;
		struct kr_name owner;
		int rc;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (blank_line(line))
			continue;
		if (t->n == TRUST_MAX_KEYS) {
			kr_errbuf(errbuf, errlen, "line %u: more than %d trust anchors", lineno,
				  TRUST_MAX_KEYS);
			return KR_ETOOBIG;
		}
		memset(&k, 0, sizeof(k));
		k.digest_len = sizeof(k.digest);
		rc = kr_ds_parse(line, &owner, &k.key_tag, &k.algorithm, &k.digest_type, k.digest,
				 &k.digest_len);
		if (rc) {
			k.digest_len = 0;
			k.digest_type = 0;
			rc = kr_dnskey_parse(line, &owner, NULL, &k.dnskey);
			if (rc) {
				kr_errbuf(errbuf, errlen,
					  "line %u: neither a DS nor a DNSKEY record", lineno);
				return KR_EMALFORMED;
			}
			if (!(k.dnskey.flags & KR_DNSKEY_SEP) ||
			    (k.dnskey.flags & KR_DNSKEY_REVOKE)) {
				kr_errbuf(errbuf, errlen,
					  "line %u: DNSKEY flags %u is not a KSK (257)", lineno,
					  k.dnskey.flags);
				return KR_EMALFORMED;
			}
			k.has_key = 1;
			k.key_tag = kr_dnskey_keytag(&k.dnskey);
			k.algorithm = k.dnskey.algorithm;
		}
		if (have_zone && !kr_name_equal(&owner, &t->zone)) {
			kr_errbuf(errbuf, errlen, "line %u: anchors for more than one zone",
				  lineno);
			return KR_EMALFORMED;
		}
		t->zone = owner;
		have_zone = 1;
		t->keys[t->n++] = k;
	}
	if (t->n == 0) {
		kr_errbuf(errbuf, errlen, "no DS or DNSKEY records");
		return KR_EMALFORMED;
	}
	return KR_OK;
}

/* An RFC 7958/9718 root-anchors.xml document (lib/anchor.h checks it). */
static int load_xml(const uint8_t *xml, size_t len, struct kr_trust *t, char *errbuf, size_t errlen)
{
	struct kr_anchor *a = NULL;
	int rc;

	rc = kr_anchor_parse(xml, len, &a, errbuf, errlen);
	if (rc)
		return rc;
	if (a->ndigests == 0 || a->ndigests > TRUST_MAX_KEYS) {
		kr_errbuf(errbuf, errlen, "the trust anchor has %zu KeyDigests", a->ndigests);
		rc = KR_EMALFORMED;
		goto out;
	}
	t->zone = a->zone;
	for (size_t i = 0; i < a->ndigests; i++) {
		const struct kr_anchor_digest *d = &a->digests[i];
		struct kr_trust_key *k = &t->keys[t->n++];

		k->key_tag = d->key_tag;
		k->algorithm = d->algorithm;
		k->digest_type = d->digest_type;
		k->digest_len = d->digest_len;
		memcpy(k->digest, d->digest, d->digest_len);
		k->has_key = d->has_key;
		k->dnskey = d->dnskey;
		k->valid_from = d->valid_from;
		k->valid_until = d->has_valid_until ? d->valid_until : 0;
	}
out:
	kr_anchor_free(a);
	return rc;
}

int kr_trust_parse(const uint8_t *text, size_t len, struct kr_trust **out, char *errbuf,
		   size_t errlen)
{
	struct kr_trust *t = NULL;
	char *copy = NULL;
	size_t i = 0;
	int rc;

	if (!text || !out)
		return KR_EINVAL;
	*out = NULL;
	if (len > TRUST_MAX_SIZE) {
		kr_errbuf(errbuf, errlen, "larger than %d bytes", TRUST_MAX_SIZE);
		return KR_ETOOBIG;
	}
	if (memchr(text, '\0', len)) {
		kr_errbuf(errbuf, errlen, "binary data");
		return KR_EMALFORMED;
	}
	t = calloc(1, sizeof(*t));
	if (t)
		t->keys = calloc(TRUST_MAX_KEYS, sizeof(*t->keys));
	copy = malloc(len + 1);
	if (!t || !t->keys || !copy) {
		rc = KR_ENOMEM;
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	while (i < len && isspace(text[i]))
		i++;
	if (i < len && text[i] == '<')
		rc = load_xml(text, len, t, errbuf, errlen);
	else
		rc = load_lines(copy, t, errbuf, errlen);
	if (rc)
		goto out;
	*out = t;
	t = NULL; /* transferred */
out:
	free(copy);
	kr_trust_free(t);
	return rc;
}

int kr_trust_load(const char *path, struct kr_trust **out, char *errbuf, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (!path || !out)
		return KR_EINVAL;
	*out = NULL;
	rc = kr_read_file(path, TRUST_MAX_SIZE, &buf, &len);
	if (rc) {
		kr_errbuf(errbuf, errlen, "%s: %s", path, kr_strerror(rc));
		return rc;
	}
	rc = kr_trust_parse(buf, len, out, errbuf, errlen);
	free(buf);
	return rc;
}

int kr_trust_match(const struct kr_trust *t, const struct kr_dnskey *key, int64_t at)
{
	if (!t || !key || !(key->flags & KR_DNSKEY_SEP) || (key->flags & KR_DNSKEY_REVOKE))
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct kr_trust_key *k = &t->keys[i];
		uint8_t d[KR_DIGEST_MAX];
		size_t dlen = 0;

		if (k->algorithm != key->algorithm || k->key_tag != kr_dnskey_keytag(key))
			continue;
		if ((k->valid_from && at < k->valid_from) ||
		    (k->valid_until && at > k->valid_until))
			continue;
		if (k->has_key) {
			if (kr_dnskey_same_key(&k->dnskey, key))
				return 1;
			continue;
		}
		if (kr_ds_digest(&t->zone, key, k->digest_type, d, &dlen) == KR_OK &&
		    dlen == k->digest_len && memcmp(d, k->digest, dlen) == 0)
			return 1;
	}
	return 0;
}

int kr_skr_bundle_at(const struct kr_ksr_doc *skr, int64_t at, size_t *index)
{
	int found = 0;

	if (!skr || !index)
		return KR_EINVAL;
	for (size_t i = 0; i < skr->nbundles; i++) {
		const struct kr_ksr_bundle *b = &skr->bundles[i];

		if (b->inception <= at && at <= b->expiration &&
		    (!found || b->inception >= skr->bundles[*index].inception)) {
			*index = i;
			found = 1;
		}
	}
	return found ? KR_OK : KR_ENOTFOUND;
}

static void result(struct kr_accept_result *r, const char *id, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void result(struct kr_accept_result *r, const char *id, int status, const char *fmt, ...)
{
	va_list ap;

	r->id = id;
	r->status = status;
	va_start(ap, fmt);
	if (vsnprintf(r->detail, sizeof(r->detail), fmt, ap) < 0)
		r->detail[0] = '\0';
	va_end(ap);
}

static void check_trust(const struct kr_ksr_doc *skr, const struct kr_trust *trust,
			struct kr_accept_result *r)
{
	if (!kr_name_equal(&trust->zone, &skr->domain)) {
		char a[KR_NAME_MAX * 4 + 2], b[KR_NAME_MAX * 4 + 2];

		if (kr_name_to_str(&trust->zone, a, sizeof(a)) ||
		    kr_name_to_str(&skr->domain, b, sizeof(b)))
			a[0] = b[0] = '\0';
		result(r, "SKR-TRUST", 1, "the trust anchors are for %s, the SKR for %s", a, b);
		return;
	}
	for (size_t i = 0; i < skr->nbundles; i++) {
		const struct kr_ksr_bundle *b = &skr->bundles[i];
		int trusted = 0;

		for (size_t j = 0; j < b->nsigs && !trusted; j++) {
			const struct kr_ksr_sig *s = &b->sigs[j];

			for (size_t k = 0; k < b->nkeys; k++) {
				const struct kr_ksr_key *key = &b->keys[k];

				if (strcmp(key->key_identifier, s->key_identifier) == 0 &&
				    kr_dnskey_keytag(&key->dnskey) == s->rrsig.key_tag &&
				    kr_trust_match(trust, &key->dnskey, b->inception))
					trusted = 1;
			}
		}
		if (!trusted) {
			result(r, "SKR-TRUST", 1,
			       "bundle %zu (%s) is not signed by a KSK the trust anchors name",
			       i + 1, b->id);
			return;
		}
	}
	result(r, "SKR-TRUST", 0, "every bundle is signed by a trusted KSK");
}

/* The DNSKEY RRsets of two bundles are the same (keys and flags). */
static int same_rrset(const struct kr_ksr_bundle *a, const struct kr_ksr_bundle *b)
{
	if (a->nkeys != b->nkeys)
		return 0;
	for (size_t i = 0; i < a->nkeys; i++) {
		int found = 0;

		for (size_t j = 0; j < b->nkeys && !found; j++)
			found = a->keys[i].dnskey.flags == b->keys[j].dnskey.flags &&
				kr_dnskey_same_key(&a->keys[i].dnskey, &b->keys[j].dnskey);
		if (!found)
			return 0;
	}
	return 1;
}

static void check_chain(const struct kr_ksr_doc *skr, const struct kr_ksr_doc *prev,
			struct kr_accept_result *r)
{
	const struct kr_ksr_bundle *last, *first;
	char err[256] = "";

	if (!prev) {
		result(r, "SKR-CHAIN", 2, "no previous SKR given");
		return;
	}
	if (kr_skr_verify(prev, err, sizeof(err)) != KR_OK) {
		result(r, "SKR-CHAIN", 1, "the previous SKR does not verify: %s", err);
		return;
	}
	if (!kr_name_equal(&prev->domain, &skr->domain) || skr->nbundles == 0) {
		result(r, "SKR-CHAIN", 1, "the previous SKR is for another zone");
		return;
	}
	if (strcmp(prev->id, skr->id) == 0) {
		result(r, "SKR-CHAIN", 1, "the previous SKR has the same id %s (a replay)",
		       skr->id);
		return;
	}
	last = &prev->bundles[prev->nbundles - 1];
	first = &skr->bundles[0];
	if (first->inception <= last->inception || first->inception > last->expiration) {
		result(r, "SKR-CHAIN", 1,
		       "the first bundle (%s) does not start within the previous SKR's last bundle "
		       "(%s)",
		       first->id, last->id);
		return;
	}
	if (!same_rrset(last, first)) {
		result(
		    r, "SKR-CHAIN", 1,
		    "the first bundle's DNSKEY RRset differs from the previous SKR's last bundle");
		return;
	}
	result(r, "SKR-CHAIN", 0, "continues the previous SKR %s without a gap or key change",
	       prev->id);
}

int kr_skr_accept(const struct kr_ksr_doc *ksr, const struct kr_ksr_doc *skr,
		  const struct kr_ksr_doc *prev, const struct kr_trust *trust,
		  struct kr_accept_result res[KR_ACCEPT_NCHECKS])
{
	char err[256] = "";
	int verified, failed = 0;

	if (!ksr || !skr || !trust || !res)
		return KR_EINVAL;
	verified = kr_skr_verify(skr, err, sizeof(err)) == KR_OK;
	if (verified)
		result(&res[KR_ACCEPT_SIGNATURES], "SKR-SIGNATURES", 0,
		       "%zu bundles, every signature verifies", skr->nbundles);
	else
		result(&res[KR_ACCEPT_SIGNATURES], "SKR-SIGNATURES", 1, "%s", err);

	err[0] = '\0';
	if (ksr->kind != KR_KSR_REQUEST)
		result(&res[KR_ACCEPT_MATCH], "SKR-MATCHES-KSR", 1, "the --ksr file is not a KSR");
	else if (kr_skr_verify_response(ksr, skr, err, sizeof(err)) == KR_OK || !verified)
		result(&res[KR_ACCEPT_MATCH], "SKR-MATCHES-KSR", verified ? 0 : 1, "%s",
		       verified ? "same bundles and ZSKs as requested"
				: "not checked: signatures fail");
	else
		result(&res[KR_ACCEPT_MATCH], "SKR-MATCHES-KSR", 1, "%s", err);

	if (verified)
		check_trust(skr, trust, &res[KR_ACCEPT_TRUST]);
	else
		result(&res[KR_ACCEPT_TRUST], "SKR-TRUST", 1, "not checked: signatures fail");
	check_chain(skr, prev, &res[KR_ACCEPT_CHAIN]);
	for (size_t i = 0; i < KR_ACCEPT_NCHECKS; i++)
		failed |= res[i].status == 1;
	return failed ? KR_EPOLICY : KR_OK;
}
