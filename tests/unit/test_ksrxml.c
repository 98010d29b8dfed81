/*
 * The KSR/SKR codec against the real ICANN files: every one parses with the
 * values the files hold (tags, times, counts read independently from the
 * text), every signature in them verifies, our writer reproduces kskm's
 * SKRs byte for byte and round-trips every file to the same model, and
 * hostile or broken documents (made by mutating real files) are rejected
 * with a message naming the element.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dnssec.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/ksr.h"
#include "lib/timeutil.h"
#include "tests/unit/ksr_testutil.h"

static const char *const real_files[] = {
	"icann/dnssec-keytools/ksr-root-2016-q3-0.xml",
	"icann/dnssec-keytools/ksr-root-2017-q2-0.xml",
	"icann/dnssec-keytools/ksr-root-2018-q1-0-d_to_e.xml",
	"icann/dnssec-keytools/ksr.bad.xml",
	"icann/dnssec-keytools/skr-root-2017-q1-0.xml",
	"icann/dnssec-keytools/skr-root-2017-q2-0.xml",
	"icann/dnssec-keytools/skr-root-2017-q3-0-c_to_d.xml",
	"icann/dnssec-keytools/skr-root-2018-q1-0-d_to_e.xml",
	"icann/dnssec-keytools-legacy/baseline/ksr-root-2009-q4-2.xml",
	"icann/dnssec-keytools-legacy/baseline/ksr-root-2010-q1-0.xml",
	"icann/dnssec-keytools-legacy/baseline/ksr-root-2010-q2-0.xml",
	"icann/dnssec-keytools-legacy/baseline/ksr-root-2010-q2-0-revoke.xml",
	"icann/dnssec-keytools-legacy/baseline/skr-root-2009-q4-2.xml",
	"icann/dnssec-keytools-legacy/baseline/skr-root-2010-q1-0.xml",
	"icann/dnssec-keytools-legacy/baseline/skr-root-2010-q2-0.xml",
	"icann/dnssec-keytools-legacy/baseline/skr-root-2010-q2-0-revoke.xml",
};
#define NFILES (sizeof(real_files) / sizeof(real_files[0]))

static struct kr_ksr_doc *load(const char *rel)
{
	struct kr_ksr_doc *d = NULL;
	char err[512];
	int rc = kr_ksr_read_file(testdata(rel), &d, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s: %s (%s)", rel, kr_strerror(rc), err);
	return d;
}

/* Counts occurrences of needle in the file's text (an independent reading). */
static size_t count_in(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

static int64_t T(const char *s)
{
	int64_t t = 0;
	assert_int_equal(kr_time_parse(s, &t), 0);
	return t;
}

static void assert_doc_equal(const struct kr_ksr_doc *a, const struct kr_ksr_doc *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_string_equal(a->id, b->id);
	assert_int_equal(a->serial, b->serial);
	assert_true(kr_name_equal(&a->domain, &b->domain));
	assert_int_equal(a->timestamp, b->timestamp);
	assert_int_equal(a->has_ksk_policy, b->has_ksk_policy);
	assert_memory_equal(&a->zsk_policy, &b->zsk_policy, sizeof(a->zsk_policy));
	if (a->has_ksk_policy)
		assert_memory_equal(&a->ksk_policy, &b->ksk_policy, sizeof(a->ksk_policy));
	assert_int_equal(a->nbundles, b->nbundles);
	for (size_t i = 0; i < a->nbundles; i++) {
		const struct kr_ksr_bundle *x = &a->bundles[i], *y = &b->bundles[i];
		assert_string_equal(x->id, y->id);
		assert_int_equal(x->inception, y->inception);
		assert_int_equal(x->expiration, y->expiration);
		assert_int_equal(x->nkeys, y->nkeys);
		assert_int_equal(x->nsigs, y->nsigs);
		for (size_t k = 0; k < x->nkeys; k++) {
			assert_string_equal(x->keys[k].key_identifier, y->keys[k].key_identifier);
			assert_int_equal(x->keys[k].key_tag, y->keys[k].key_tag);
			assert_int_equal(x->keys[k].ttl, y->keys[k].ttl);
			assert_memory_equal(&x->keys[k].dnskey, &y->keys[k].dnskey,
					    sizeof(x->keys[k].dnskey));
		}
		for (size_t s = 0; s < x->nsigs; s++) {
			assert_string_equal(x->sigs[s].key_identifier, y->sigs[s].key_identifier);
			assert_int_equal(x->sigs[s].ttl, y->sigs[s].ttl);
			assert_memory_equal(&x->sigs[s].rrsig, &y->sigs[s].rrsig,
					    sizeof(x->sigs[s].rrsig));
		}
	}
}

/* Every real file parses; counts match the text; every signature (except
 * the two spoiled on purpose in ksr.bad.xml) verifies over its bundle. */
static void test_real_files_parse_and_verify(void **state)
{
	(void)state;
	for (size_t f = 0; f < NFILES; f++) {
		size_t len = 0;
		char *text = slurp(real_files[f], &len);
		struct kr_ksr_doc *d = load(real_files[f]);
		int is_ksr = strstr(real_files[f], "/ksr") != NULL;
		assert_int_equal(d->kind, is_ksr ? KR_KSR_REQUEST : KR_KSR_RESPONSE);
		assert_int_equal(d->has_ksk_policy, !is_ksr);
		assert_int_equal(d->domain.len, 1); /* the root */
		size_t nb = 0, nk = 0, ns = 0, bad = 0;
		for (size_t i = 0; i < d->nbundles; i++) {
			const struct kr_ksr_bundle *b = &d->bundles[i];
			nb++;
			nk += b->nkeys;
			struct kr_dnskey keys[16];
			assert_true(b->nkeys <= 16);
			for (size_t k = 0; k < b->nkeys; k++)
				keys[k] = b->keys[k].dnskey;
			for (size_t s = 0; s < b->nsigs; s++) {
				ns++;
				const struct kr_dnskey *signer = NULL;
				for (size_t k = 0; k < b->nkeys; k++)
					if (strcmp(b->keys[k].key_identifier,
						   b->sigs[s].key_identifier) == 0 &&
					    kr_dnskey_keytag(&b->keys[k].dnskey) ==
						    b->sigs[s].rrsig.key_tag)
						signer = &b->keys[k].dnskey;
				assert_non_null(signer);
				if (kr_rrsig_verify(&b->sigs[s].rrsig, &d->domain, keys, b->nkeys,
						    signer) != 0)
					bad++;
			}
		}
		assert_int_equal(nb, count_in(text, is_ksr ? "<RequestBundle " : "<ResponseBundle "));
		assert_int_equal(nk, count_in(text, "<Key "));
		assert_int_equal(ns, count_in(text, "<Signature "));
		assert_int_equal(bad, strstr(real_files[f], "ksr.bad.xml") ? 2 : 0);
		kr_ksr_free(d);
		free(text);
	}
}

/* Values read straight from the 2017-Q2 SKR and the legacy 2010-Q2 SKR. */
static void test_known_values(void **state)
{
	(void)state;
	struct kr_ksr_doc *d = load("icann/dnssec-keytools/skr-root-2017-q2-0.xml");
	assert_string_equal(d->id, "23e34059-7725-46a8-a7d2-662d657aab2b");
	assert_int_equal(d->serial, 1);
	assert_int_equal(d->nbundles, 9);
	assert_int_equal(d->ksk_policy.retire_safety, 28 * 86400);
	assert_int_equal(d->ksk_policy.max_validity_overlap, 16 * 86400);
	assert_int_equal(d->zsk_policy.publish_safety, 10 * 86400);
	assert_int_equal(d->zsk_policy.nalgs, 1);
	assert_int_equal(d->zsk_policy.algs[0].algorithm, 8);
	assert_int_equal(d->zsk_policy.algs[0].size, 2048);
	assert_int_equal(d->zsk_policy.algs[0].exponent, 65537);
	const struct kr_ksr_bundle *b = &d->bundles[0];
	assert_string_equal(b->id, "dc1bc68c-b1c1-46f8-817f-ec893549f2be");
	assert_int_equal(b->inception, T("2017-04-01T00:00:00Z"));
	assert_int_equal(b->expiration, T("2017-04-22T00:00:00Z"));
	assert_int_equal(b->nkeys, 3);
	assert_int_equal(b->keys[0].key_tag, 61045);
	assert_int_equal(b->keys[1].key_tag, 14796);
	assert_int_equal(b->keys[2].key_tag, 19036);
	assert_string_equal(b->keys[2].key_identifier, "Kjqmt7v");
	assert_int_equal(b->keys[2].dnskey.flags, 257);
	assert_int_equal(b->keys[2].ttl, 172800);
	assert_int_equal(b->nsigs, 1);
	assert_int_equal(b->sigs[0].rrsig.type_covered, KR_TYPE_DNSKEY);
	assert_int_equal(b->sigs[0].rrsig.key_tag, 19036);
	assert_int_equal(b->sigs[0].rrsig.expiration, (uint32_t)T("2017-04-22T00:00:00Z"));
	assert_int_equal(b->sigs[0].rrsig.inception, (uint32_t)T("2017-04-01T00:00:00Z"));
	assert_int_equal(b->sigs[0].rrsig.original_ttl, 172800);
	assert_int_equal(b->sigs[0].rrsig.sig_len, 256);
	for (size_t k = 0; k < b->nkeys; k++)
		assert_int_equal(kr_dnskey_keytag(&b->keys[k].dnskey), b->keys[k].key_tag);
	kr_ksr_free(d);

	/* Zero-padded tags of the legacy signer; the revoked KSK1. */
	d = load("icann/dnssec-keytools-legacy/baseline/skr-root-2010-q2-0.xml");
	b = &d->bundles[6];
	int seen_revoked = 0;
	for (size_t k = 0; k < b->nkeys; k++)
		if (b->keys[k].dnskey.flags == 385) {
			assert_int_equal(b->keys[k].key_tag, 5145);
			assert_int_equal(kr_dnskey_keytag(&b->keys[k].dnskey), 5145);
			seen_revoked = 1;
		}
	assert_true(seen_revoked);
	kr_ksr_free(d);

	/* Times without a zone are UTC (2016-Q3 KSR). */
	d = load("icann/dnssec-keytools/ksr-root-2016-q3-0.xml");
	assert_int_equal(d->bundles[0].inception, T("2016-07-01T00:00:00Z"));
	assert_int_equal(d->bundles[0].expiration, T("2016-07-15T23:59:59Z"));
	assert_int_equal(d->zsk_policy.nalgs, 2);
	assert_int_equal(d->zsk_policy.algs[1].size, 1024);
	assert_int_equal(d->timestamp, 0);
	kr_ksr_free(d);
}

/* kskm's SKRs come back byte for byte; every file round-trips to the same model. */
static void test_write_roundtrip(void **state)
{
	(void)state;
	static const char *const identical[] = {
		"icann/dnssec-keytools/skr-root-2017-q1-0.xml",
		"icann/dnssec-keytools/skr-root-2017-q2-0.xml",
		"icann/dnssec-keytools/skr-root-2017-q3-0-c_to_d.xml",
	};
	for (size_t f = 0; f < NFILES; f++) {
		struct kr_ksr_doc *d = load(real_files[f]), *d2 = NULL;
		char *xml = NULL;
		size_t len = 0;
		char err[256];
		assert_int_equal(kr_ksr_write(d, &xml, &len), 0);
		assert_int_equal(strlen(xml), len);
		assert_int_equal(kr_ksr_parse((const uint8_t *)xml, len, &d2, err, sizeof(err)), 0);
		assert_doc_equal(d, d2);
		for (size_t i = 0; i < sizeof(identical) / sizeof(identical[0]); i++)
			if (strcmp(real_files[f], identical[i]) == 0) {
				size_t olen = 0;
				char *orig = slurp(real_files[f], &olen);
				assert_int_equal(len, olen);
				assert_memory_equal(xml, orig, len);
				free(orig);
			}
		/* Our own output is a fixed point. */
		char *xml2 = NULL;
		size_t len2 = 0;
		assert_int_equal(kr_ksr_write(d2, &xml2, &len2), 0);
		assert_int_equal(len, len2);
		assert_memory_equal(xml, xml2, len);
		free(xml);
		free(xml2);
		kr_ksr_free(d);
		kr_ksr_free(d2);
	}
}

/* Parse text and expect rc with msg in the error text. */
static void expect_reject(const char *text, size_t len, int rc, const char *msg)
{
	struct kr_ksr_doc *d = NULL;
	char err[512] = "";
	int got = kr_ksr_parse((const uint8_t *)text, len, &d, err, sizeof(err));
	if (got != rc || strstr(err, msg) == NULL)
		fail_msg("expected %s with \"%s\", got %s: \"%s\"", kr_strerror(rc), msg,
			 kr_strerror(got), err);
	assert_null(d);
}

static void reject_mut(const char *file, const char *old, const char *repl, int nth, int rc,
		       const char *msg)
{
	size_t len = 0;
	char *text = slurp(file, &len);
	char *m = mutate(text, old, repl, nth);
	expect_reject(m, strlen(m), rc, msg);
	free(m);
	free(text);
}

#define SKR "icann/dnssec-keytools/skr-root-2017-q2-0.xml"
#define KSR "icann/dnssec-keytools/ksr-root-2017-q2-0.xml"

static void test_hostile(void **state)
{
	(void)state;
	/* DOCTYPE, internal entities (billion laughs), external entities. */
	reject_mut(SKR, "<KSR ", "<!DOCTYPE KSR><KSR ", 1, KR_EDENIED, "document: line 2: DOCTYPE");
	reject_mut(SKR, "<KSR ",
		   "<!DOCTYPE KSR [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>\n<KSR ",
		   1, KR_EDENIED, "DOCTYPE not allowed");
	reject_mut(SKR, "<KSR ", "<!DOCTYPE KSR SYSTEM \"file:///etc/passwd\">\n<KSR ", 1,
		   KR_EDENIED, "DOCTYPE not allowed");
	reject_mut(SKR, "<SignersName>.</SignersName>", "<SignersName>&xxe;</SignersName>", 1,
		   KR_EDENIED, "entity reference not allowed");
	reject_mut(SKR, "<Response>",
		   "<Response><xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"/etc/passwd\"/>",
		   1, KR_EMALFORMED, "KSR/Response: unexpected element <include>");

	/* Oversize: refused before parsing, whatever the content. */
	char *big = malloc(KR_KSR_MAX_SIZE + 2);
	assert_non_null(big);
	memset(big, ' ', KR_KSR_MAX_SIZE + 1);
	big[KR_KSR_MAX_SIZE + 1] = '\0';
	expect_reject(big, KR_KSR_MAX_SIZE + 1, KR_ETOOBIG, "document: larger than 1048576 bytes");
	free(big);

	/* Truncated anywhere: never accepted. */
	size_t len = 0;
	char *text = slurp(SKR, &len);
	for (size_t cut = 0; cut < len - 8; cut += 997) {
		struct kr_ksr_doc *d = NULL;
		char err[256];
		int rc = kr_ksr_parse((const uint8_t *)text, cut, &d, err, sizeof(err));
		assert_true(rc == KR_ETRUNC || rc == KR_EMALFORMED);
		assert_null(d);
	}
	expect_reject(text, len - 8, KR_ETRUNC, "document: not well-formed XML");
	free(text);
	expect_reject("", 0, KR_ETRUNC, "document: empty");
}

static void test_malformed_elements(void **state)
{
	(void)state;
	/* bad base64 / bad time / bad numbers, each named by path */
	reject_mut(SKR, "<SignatureData>lEUU", "<SignatureData>l!UU", 1, KR_EMALFORMED,
		   "KSR/Response/ResponseBundle[1]/Signature[1]/SignatureData: bad base64");
	reject_mut(SKR, "<PublicKey>AwEAAZLs", "<PublicKey>AwEAAZL", 2, KR_EMALFORMED,
		   "KSR/Response/ResponseBundle[2]/Key[1]/PublicKey: bad base64");
	reject_mut(SKR, "<SignatureExpiration>2017-05-02T00:00:00+00:00",
		   "<SignatureExpiration>2017-05-32T00:00:00+00:00", 1, KR_EMALFORMED,
		   "KSR/Response/ResponseBundle[2]/Signature[1]/SignatureExpiration: bad time");
	reject_mut(SKR, "<Inception>2017-04-01T00:00:00+00:00", "<Inception>yesterday", 1,
		   KR_EMALFORMED, "KSR/Response/ResponseBundle[1]/Inception: bad time");
	reject_mut(SKR, "<SignatureInception>2017-04-01T00:00:00+00:00",
		   "<SignatureInception>2200-04-01T00:00:00+00:00", 1, KR_ERANGE,
		   "ResponseBundle[1]/Signature[1]/SignatureInception: bad time");
	reject_mut(SKR, "keyTag=\"19036\"", "keyTag=\"70000\"", 3, KR_EMALFORMED,
		   "KSR/Response/ResponseBundle[3]/Key[2]: bad number in attribute keyTag");
	reject_mut(SKR, "<TTL>172800</TTL>", "<TTL>-1</TTL>", 1, KR_EMALFORMED,
		   "ResponseBundle[1]/Key[1]/TTL: bad number");
	reject_mut(SKR, "<Flags>257</Flags>", "<Flags>0x101</Flags>", 1, KR_EMALFORMED,
		   "ResponseBundle[1]/Key[3]/Flags: bad number");
	reject_mut(SKR, "<Protocol>3</Protocol>", "<Protocol>4</Protocol>", 1, KR_EMALFORMED,
		   "ResponseBundle[1]/Key[1]/Protocol: must be 3");
	reject_mut(SKR, "<TypeCovered>DNSKEY", "<TypeCovered>DS", 1, KR_EMALFORMED,
		   "ResponseBundle[1]/Signature[1]/TypeCovered: must be DNSKEY");
	reject_mut(SKR, "<MaxSignatureValidity>P21D", "<MaxSignatureValidity>P1M", 1,
		   KR_EMALFORMED,
		   "KSR/Response/ResponsePolicy/KSK/MaxSignatureValidity: bad duration");
	reject_mut(SKR, "domain=\".\"", "domain=\"a..b\"", 1, KR_EMALFORMED,
		   "KSR: bad domain name");
	reject_mut(SKR, "<SignersName>.</SignersName>", "<SignersName>a..</SignersName>", 2,
		   KR_EMALFORMED, "ResponseBundle[2]/Signature[1]/SignersName: bad domain name");
	reject_mut(SKR, "<RSA size=\"2048\" exponent=\"65537\"/>", "<RSA size=\"2048\"/>", 2,
		   KR_EMALFORMED, "ResponsePolicy/ZSK/SignatureAlgorithm[1]/RSA: missing attribute \"exponent\"");
	reject_mut(SKR, "<RSA size=\"2048\" exponent=\"65537\"/>", "<ECDSA size=\"256\"/>", 1,
		   KR_EMALFORMED, "ResponsePolicy/KSK/SignatureAlgorithm[1]: algorithm 8 needs <RSA>");

	/* missing, duplicated, unknown elements and attributes */
	reject_mut(SKR, "<KeyTag>19036</KeyTag>", "", 4, KR_EMALFORMED,
		   "KSR/Response/ResponseBundle[4]/Signature[1]/KeyTag: missing element");
	reject_mut(SKR, "<Labels>0</Labels>", "<Labels>0</Labels><Labels>0</Labels>", 1,
		   KR_EMALFORMED, "ResponseBundle[1]/Signature[1]/Labels: duplicated element");
	reject_mut(SKR, "<Expiration>2017-04-22T00:00:00+00:00</Expiration>",
		   "<Expires>2017-04-22T00:00:00+00:00</Expires>", 1, KR_EMALFORMED,
		   "KSR/Response/ResponseBundle[1]: unexpected element <Expires>");
	reject_mut(SKR, "<Key keyIdentifier", "<Key color=\"red\" keyIdentifier", 5,
		   KR_EMALFORMED, "ResponseBundle[2]/Key[2]: unexpected attribute \"color\"");
	reject_mut(SKR, " keyTag=\"61045\"", "", 1, KR_EMALFORMED,
		   "ResponseBundle[1]/Key[1]: missing attribute \"keyTag\"");
	reject_mut(SKR, "<ResponsePolicy>", "<ResponsePolicy><ZSK/>", 1, KR_EMALFORMED,
		   "KSR/Response/ResponsePolicy/ZSK: duplicated element");
	reject_mut(SKR, "<MinValidityOverlap>P9D</MinValidityOverlap>", "", 1, KR_EMALFORMED,
		   "KSR/Response/ResponsePolicy/KSK/MinValidityOverlap: missing element");
	reject_mut(SKR, "<KSR id=", "<SKR id=", 1, KR_EMALFORMED, "not well-formed");
	reject_mut(SKR, "<TTL>172800</TTL>", "<TTL>172800<b/></TTL>", 2, KR_EMALFORMED,
		   "ResponseBundle[1]/Key[2]/TTL: unexpected content");
	reject_mut(SKR, "<Response>", "<Response>text", 1, KR_EMALFORMED,
		   "KSR/Response: unexpected text");
	reject_mut(KSR, "<RequestPolicy>", "<RequestPolicy><KSK/>", 1, KR_EMALFORMED,
		   "KSR/Request/RequestPolicy: unexpected element <KSK>");
}

/* Found by fuzzing: a bundle far in the future once made the writer move
 * RRSIG times next to it, out of the reader's range.  The 32-bit times are
 * absolute (before 2106) and are written as they are. */
/* Predefined entities and character references are plain XML, not DTD
 * entities: they are accepted and written back escaped. */
static void test_predefined_entities(void **state)
{
	(void)state;
	size_t len = 0;
	char *text = slurp(SKR, &len), *a = text, *b;
	for (int i = 0; i < 18; i++) { /* every Kjqmt7v: 9 keys and 9 signatures */
		b = mutate(a, "\"Kjqmt7v\"", "\"K&amp;j&#x3C;\"", 1);
		if (a != text)
			free(a);
		a = b;
	}
	struct kr_ksr_doc *d = NULL;
	char *xml = NULL;
	size_t n = 0;
	assert_int_equal(kr_ksr_parse((const uint8_t *)a, strlen(a), &d, NULL, 0), 0);
	assert_string_equal(d->bundles[0].keys[2].key_identifier, "K&j<");
	assert_int_equal(kr_ksr_write(d, &xml, &n), 0);
	assert_non_null(strstr(xml, "keyIdentifier=\"K&amp;j&lt;\""));
	free(xml);
	kr_ksr_free(d);
	free(a);
	free(text);
}

static void test_far_future_roundtrip(void **state)
{
	(void)state;
	size_t len = 0;
	char *text = slurp(KSR, &len);
	char *m = mutate(text, "<Inception>2017-04-21T00:00:00", "<Inception>6771-01-21T00:00:00", 1);
	struct kr_ksr_doc *d = NULL, *d2 = NULL;
	char *xml = NULL;
	size_t n = 0;
	char err[256];
	assert_int_equal(kr_ksr_parse((const uint8_t *)m, strlen(m), &d, err, sizeof(err)), 0);
	assert_int_equal(kr_ksr_write(d, &xml, &n), 0);
	assert_int_equal(kr_ksr_parse((const uint8_t *)xml, n, &d2, err, sizeof(err)), 0);
	assert_doc_equal(d, d2);
	kr_ksr_free(d);
	kr_ksr_free(d2);
	free(xml);
	free(m);
	free(text);
}

/* Quirks: timestamp on <KSR> or on <Request>, times with Z, +00:00 or none. */
static void test_quirks(void **state)
{
	(void)state;
	size_t len = 0;
	char *text = slurp(KSR, &len);
	const char *ts[] = {"<KSR timestamp=\"2017-02-01T12:00:00\" ", "<KSR "};
	const char *ts2[] = {"<Request>", "<Request timestamp=\"2017-02-01T12:00:00Z\">"};
	for (int i = 0; i < 2; i++) {
		char *a = mutate(text, "<KSR ", ts[i], 1);
		char *b = mutate(a, "<Request>", ts2[i], 1);
		struct kr_ksr_doc *d = NULL;
		char err[256];
		assert_int_equal(kr_ksr_parse((const uint8_t *)b, strlen(b), &d, err, sizeof(err)), 0);
		assert_int_equal(d->timestamp, T("2017-02-01T12:00:00Z"));
		/* ...and the writer keeps it (on <Request>). */
		char *xml = NULL;
		size_t n = 0;
		assert_int_equal(kr_ksr_write(d, &xml, &n), 0);
		assert_non_null(strstr(xml, "<Request timestamp=\"2017-02-01T12:00:00+00:00\">"));
		free(xml);
		kr_ksr_free(d);
		free(a);
		free(b);
	}
	char *a = mutate(text, "<KSR ", ts[0], 1);
	char *b = mutate(a, "<Request>", ts2[1], 1);
	expect_reject(b, strlen(b), KR_EMALFORMED,
		      "KSR/Request: timestamp given on both <KSR> and <Request>");
	free(a);
	free(b);
	char *z = mutate(text, "<Inception>2017-04-01T00:00:00<", "<Inception>2017-04-01T00:00:00Z<", 1);
	char *nz = mutate(text, "<Inception>2017-04-01T00:00:00<", "<Inception>2017-04-01T00:00:00+00:00<", 1);
	struct kr_ksr_doc *d1 = NULL, *d2 = NULL, *d3 = NULL;
	assert_int_equal(kr_ksr_parse((const uint8_t *)z, strlen(z), &d1, NULL, 0), 0);
	assert_int_equal(kr_ksr_parse((const uint8_t *)nz, strlen(nz), &d2, NULL, 0), 0);
	assert_int_equal(kr_ksr_parse((const uint8_t *)text, len, &d3, NULL, 0), 0);
	assert_doc_equal(d1, d3);
	assert_doc_equal(d2, d3);
	kr_ksr_free(d1);
	kr_ksr_free(d2);
	kr_ksr_free(d3);
	free(z);
	free(nz);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_files_parse_and_verify),
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_write_roundtrip),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_malformed_elements),
		cmocka_unit_test(test_quirks),
		cmocka_unit_test(test_far_future_roundtrip),
		cmocka_unit_test(test_predefined_entities),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
