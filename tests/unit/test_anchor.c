/*
 * test_anchor.c - lib/anchor.c against the real IANA files: parsing, the
 * byte-exact writer (it reproduces IANA's current root-anchors.xml), the
 * model operations publish uses, every refusal of the strict reader, and a
 * bit-flip / truncation sweep over the real file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/anchor.h"
#include "lib/dnssec.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/timeutil.h"
#include "trustanchor/ta.h"

static char *testdata_path(const char *rel)
{
	const char *td = getenv("TESTDATA");
	char *p = NULL;
	assert_non_null(td);
	assert_true(asprintf(&p, "%s/%s", td, rel) > 0);
	return p;
}

static uint8_t *slurp(const char *rel, size_t *len)
{
	char *p = testdata_path(rel);
	uint8_t *buf = NULL;
	assert_int_equal(kr_read_file(p, KR_ANCHOR_MAX_SIZE, &buf, len), KR_OK);
	free(p);
	return buf;
}

static int64_t t_(const char *s)
{
	int64_t t = 0;
	assert_int_equal(kr_time_parse(s, &t), KR_OK);
	return t;
}

static void test_parse_current(void **state)
{
	(void)state;
	size_t len;
	uint8_t *xml = slurp("iana/root-anchors-current.xml", &len);
	struct kr_anchor *a = NULL;
	char err[256];
	assert_int_equal(kr_anchor_parse(xml, len, &a, err, sizeof(err)), KR_OK);
	assert_string_equal(a->id, "0C05FDD6-422C-4910-8ED6-430ED15E11C2");
	assert_int_equal(a->zone.len, 1);
	assert_int_equal(a->ndigests, 3);
	const struct kr_anchor_digest *d = a->digests;
	assert_string_equal(d[0].id, "Kjqmt7v");
	assert_int_equal(d[0].key_tag, 19036);
	assert_false(d[0].has_key);
	assert_true(d[0].has_valid_until);
	assert_int_equal(d[0].valid_until, t_("2019-01-11T00:00:00Z"));
	assert_int_equal(d[1].key_tag, 20326);
	assert_true(d[1].has_key);
	assert_int_equal(d[1].dnskey.flags, 257);
	assert_int_equal(kr_dnskey_keytag(&d[1].dnskey), 20326);
	assert_int_equal(d[2].key_tag, 38696);
	assert_int_equal(d[2].valid_from, t_("2024-07-18"));
	assert_false(d[2].has_valid_until);

	/* Validity windows (validUntil inclusive). */
	assert_true(kr_anchor_digest_valid_at(&d[0], t_("2019-01-11T00:00:00Z")));
	assert_false(kr_anchor_digest_valid_at(&d[0], t_("2019-01-11T00:00:01Z")));
	assert_false(kr_anchor_digest_valid_at(&d[2], t_("2024-07-17T23:59:59Z")));

	char *ds = NULL;
	assert_int_equal(kr_anchor_digest_ds(a, &d[2], &ds), KR_OK);
	assert_string_equal(ds, ". IN DS 38696 8 2 "
				"683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16");
	free(ds);
	kr_anchor_free(a);
	free(xml);
}

/* The writer reproduces IANA's current file byte for byte, and its output
 * validates against the shipped RELAX NG grammar. */
static void test_write_golden(void **state)
{
	(void)state;
	size_t len, olen;
	uint8_t *xml = slurp("iana/root-anchors-current.xml", &len);
	struct kr_anchor *a = NULL;
	char *out = NULL, err[256];
	assert_int_equal(kr_anchor_parse(xml, len, &a, err, sizeof(err)), KR_OK);
	assert_int_equal(kr_anchor_write(a, &out, &olen), KR_OK);
	assert_int_equal(olen, len);
	assert_memory_equal(out, xml, len);
	assert_int_equal(ta_schema_validate(out, olen, err, sizeof(err)), KR_OK);
	free(out);
	kr_anchor_free(a);
	free(xml);
}

static void test_schema_refuses(void **state)
{
	(void)state;
	char err[256];
	const char *bad = "<?xml version=\"1.0\"?>\n<TrustAnchor id=\"x\" source=\"y\"><Zone>.</Zone>"
			  "<KeyDigest id=\"a\" validFrom=\"2020-01-01T00:00:00Z\"><KeyTag>70000</KeyTag>"
			  "<Algorithm>8</Algorithm><DigestType>2</DigestType><Digest>00</Digest>"
			  "</KeyDigest></TrustAnchor>\n";
	assert_int_equal(ta_schema_validate(bad, strlen(bad), err, sizeof(err)), KR_EMALFORMED);
	if (strstr(err, "KeyTag") == NULL)
		fail_msg("schema error does not name KeyTag: %s", err);
}

/* Build the current file from its keys with the model calls publish makes. */
static void test_model(void **state)
{
	(void)state;
	size_t len;
	uint8_t *xml = slurp("iana/root-anchors-current.xml", &len);
	struct kr_anchor *ref = NULL, *a = NULL;
	char err[256];
	assert_int_equal(kr_anchor_parse(xml, len, &ref, err, sizeof(err)), KR_OK);
	struct kr_name root;
	assert_int_equal(kr_name_from_str(".", &root), KR_OK);
	assert_int_equal(kr_anchor_new(&root, NULL, "https://example.test/root-anchors.xml", &a),
			 KR_OK);
	assert_int_equal(strlen(a->id), 36); /* a UUID */
	const struct kr_anchor_digest *k17 = &ref->digests[1], *k24 = &ref->digests[2];
	assert_int_equal(kr_anchor_add_key(a, "Klajeyz", &k17->dnskey, k17->valid_from, 0), KR_OK);
	assert_int_equal(kr_anchor_add_key(a, NULL, &k24->dnskey, k24->valid_from, 0), KR_OK);
	assert_string_equal(a->digests[1].id, "K683d2d0a");
	assert_memory_equal(a->digests[1].digest, k24->digest, 32);
	assert_int_equal(a->digests[1].key_tag, 38696);
	/* The same key twice, an id twice, and a bad window are refused. */
	assert_int_equal(kr_anchor_add_key(a, "Knew", &k24->dnskey, 0, 0), KR_EEXIST);
	struct kr_dnskey other = k24->dnskey;
	other.pubkey[10] ^= 1;
	assert_int_equal(kr_anchor_add_key(a, "Klajeyz", &other, 0, 0), KR_EEXIST);
	assert_int_equal(kr_anchor_add_key(a, NULL, &other, 100, 100), KR_ERANGE);
	struct kr_dnskey nozone = other;
	nozone.flags = 1;
	assert_int_equal(kr_anchor_add_key(a, NULL, &nozone, 0, 0), KR_EPOLICY);
	/* find_key matches entries without PublicKey by recomputing the digest. */
	size_t at = 99;
	assert_int_equal(kr_anchor_find_key(ref, &k24->dnskey, &at), KR_OK);
	assert_int_equal(at, 2);
	assert_int_equal(kr_anchor_find_key(ref, &other, &at), KR_ENOTFOUND);

	/* Round trip through the writer. */
	char *out = NULL;
	size_t olen;
	struct kr_anchor *back = NULL;
	assert_int_equal(kr_anchor_write(a, &out, &olen), KR_OK);
	assert_int_equal(kr_anchor_parse((uint8_t *)out, olen, &back, err, sizeof(err)), KR_OK);
	assert_int_equal(back->ndigests, 2);
	assert_string_equal(back->id, a->id);
	assert_true(back->digests[1].has_key);
	free(out);
	kr_anchor_free(back);
	kr_anchor_free(a);
	kr_anchor_free(ref);
	free(xml);
}

struct bad_case {
	const char *what;
	const char *xml;
	int rc;
	const char *msg;
};

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define TA_OPEN "<TrustAnchor id=\"t\" source=\"s\"><Zone>.</Zone>"
#define KD_OPEN "<KeyDigest id=\"Kx\" validFrom=\"2017-02-02T00:00:00+00:00\">"
#define KD_BODY                                                                                  \
	"<KeyTag>20326</KeyTag><Algorithm>8</Algorithm><DigestType>2</DigestType>"               \
	"<Digest>E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D</Digest>"
#define DOC(body) HEAD TA_OPEN body "</TrustAnchor>"

static const struct bad_case bad_cases[] = {
	{"empty", "", KR_EMALFORMED, "empty document"},
	{"not XML", "hello", KR_EMALFORMED, "XML error"},
	{"internal DOCTYPE", HEAD "<!DOCTYPE TrustAnchor [<!ENTITY a \"b\">]>" TA_OPEN "</TrustAnchor>",
	 KR_EDENIED, "DOCTYPE"},
	{"external DOCTYPE", HEAD "<!DOCTYPE TrustAnchor SYSTEM \"/etc/passwd\">" TA_OPEN
				  "</TrustAnchor>",
	 KR_EDENIED, "DOCTYPE"},
	{"undeclared entity", HEAD "<TrustAnchor id=\"t\" source=\"s\"><Zone>&a;</Zone></TrustAnchor>",
	 KR_EMALFORMED, "Entity 'a' not defined"},
	{"wrong root", HEAD "<KSR/>", KR_EMALFORMED, "not <TrustAnchor>"},
	{"namespaced root", HEAD "<TrustAnchor xmlns=\"urn:x\" id=\"t\" source=\"s\"/>",
	 KR_EMALFORMED, "not <TrustAnchor>"},
	{"no id", HEAD "<TrustAnchor source=\"s\"><Zone>.</Zone></TrustAnchor>", KR_EMALFORMED,
	 "lacks the id attribute"},
	{"unknown attribute", HEAD "<TrustAnchor id=\"t\" source=\"s\" x=\"1\"/>", KR_EMALFORMED,
	 "unknown attribute x"},
	{"no KeyDigest", DOC(""), KR_EMALFORMED, "has no <KeyDigest>"},
	{"bad zone", HEAD "<TrustAnchor id=\"t\" source=\"s\"><Zone>a..b</Zone></TrustAnchor>",
	 KR_EMALFORMED, "is not a domain name"},
	{"text in TrustAnchor", DOC("junk" KD_OPEN KD_BODY "</KeyDigest>"), KR_EMALFORMED,
	 "text not allowed"},
	{"unknown element", DOC(KD_OPEN KD_BODY "<Extra/></KeyDigest>"), KR_EMALFORMED,
	 "unexpected <Extra>"},
	{"elements out of order",
	 DOC(KD_OPEN "<Algorithm>8</Algorithm><KeyTag>1</KeyTag></KeyDigest>"), KR_EMALFORMED,
	 "<Algorithm> found where <KeyTag> belongs"},
	{"missing Digest",
	 DOC(KD_OPEN "<KeyTag>1</KeyTag><Algorithm>8</Algorithm><DigestType>2</DigestType>"
		     "</KeyDigest>"),
	 KR_EMALFORMED, "lacks <Digest>"},
	{"KeyTag too big",
	 DOC(KD_OPEN "<KeyTag>65536</KeyTag><Algorithm>8</Algorithm></KeyDigest>"), KR_ERANGE,
	 "not a number from 0 to 65535"},
	{"negative Algorithm", DOC(KD_OPEN "<KeyTag>1</KeyTag><Algorithm>-8</Algorithm></KeyDigest>"),
	 KR_EMALFORMED, "<Algorithm> '-8'"},
	{"bad hex",
	 DOC(KD_OPEN "<KeyTag>1</KeyTag><Algorithm>8</Algorithm><DigestType>2</DigestType>"
		     "<Digest>XYZ</Digest></KeyDigest>"),
	 KR_EMALFORMED, "Digest is not hex"},
	{"short SHA-256 digest",
	 DOC(KD_OPEN "<KeyTag>1</KeyTag><Algorithm>8</Algorithm><DigestType>2</DigestType>"
		     "<Digest>00FF</Digest></KeyDigest>"),
	 KR_EMALFORMED, "Digest has 2 bytes, DigestType 2 needs 32"},
	{"bad validFrom", DOC("<KeyDigest id=\"Kx\" validFrom=\"yesterday\">" KD_BODY "</KeyDigest>"),
	 KR_EMALFORMED, "validFrom 'yesterday' is not a valid time"},
	{"validUntil before validFrom",
	 DOC("<KeyDigest id=\"Kx\" validFrom=\"2017-02-02T00:00:00Z\" "
	     "validUntil=\"2017-02-01T00:00:00Z\">" KD_BODY "</KeyDigest>"),
	 KR_ERANGE, "validUntil is not after validFrom"},
	{"duplicate id", DOC(KD_OPEN KD_BODY "</KeyDigest>" KD_OPEN KD_BODY "</KeyDigest>"),
	 KR_EMALFORMED, "KeyDigest id Kx appears twice"},
	{"PublicKey without Flags",
	 DOC(KD_OPEN KD_BODY "<PublicKey>AwEAAQ==</PublicKey></KeyDigest>"), KR_EMALFORMED,
	 "must appear together"},
	{"Flags before PublicKey", DOC(KD_OPEN KD_BODY "<Flags>257</Flags><PublicKey>AwEAAQ==</PublicKey></KeyDigest>"),
	 KR_EMALFORMED, "unexpected <PublicKey>"},
	{"key without Zone flag",
	 DOC(KD_OPEN KD_BODY "<PublicKey>AwEAAQ==</PublicKey><Flags>1</Flags></KeyDigest>"),
	 KR_EPOLICY, "lack the Zone Key bit"},
	{"Digest not of PublicKey",
	 DOC(KD_OPEN KD_BODY "<PublicKey>AwEAAQ==</PublicKey><Flags>257</Flags></KeyDigest>"),
	 KR_EBADSIG, "Digest does not match PublicKey and Flags"},
	{"unknown DigestType with a key",
	 DOC(KD_OPEN "<KeyTag>1</KeyTag><Algorithm>8</Algorithm><DigestType>9</DigestType>"
		     "<Digest>00</Digest><PublicKey>AwEAAQ==</PublicKey><Flags>257</Flags>"
		     "</KeyDigest>"),
	 KR_EALG, "DigestType 9 cannot be checked"},
};

static void test_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct kr_anchor *a = NULL;
		char err[256] = "";
		int rc = kr_anchor_parse((const uint8_t *)c->xml, strlen(c->xml), &a, err,
					 sizeof(err));
		if (rc != c->rc || strstr(err, c->msg) == NULL)
			fail_msg("%s: rc %d (want %d), error '%s' (want '%s')", c->what, rc, c->rc,
				 err, c->msg);
		assert_null(a);
	}
}

static void test_size_cap(void **state)
{
	(void)state;
	size_t n = KR_ANCHOR_MAX_SIZE + 1;
	uint8_t *big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	struct kr_anchor *a = NULL;
	char err[128];
	assert_int_equal(kr_anchor_parse(big, n, &a, err, sizeof(err)), KR_ETOOBIG);
	free(big);
}

/* Every single-bit flip and every truncation of the real file either parses
 * to a document whose keys still match their digests, or is refused. */
static void test_flip_sweep(void **state)
{
	(void)state;
	size_t len;
	uint8_t *xml = slurp("iana/root-anchors-current.xml", &len);
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	size_t accepted = 0;
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			memcpy(buf, xml, len);
			buf[i] ^= (uint8_t)(1u << bit);
			struct kr_anchor *a = NULL;
			if (kr_anchor_parse(buf, len, &a, NULL, 0) == KR_OK) {
				accepted++;
				for (size_t k = 0; k < a->ndigests; k++) {
					size_t at;
					if (a->digests[k].has_key)
						assert_int_equal(kr_anchor_find_key(a, &a->digests[k].dnskey, &at), KR_OK);
				}
				kr_anchor_free(a);
			}
		}
		/* A prefix parses only if all that was cut is trailing white space. */
		struct kr_anchor *t = NULL;
		if (kr_anchor_parse(xml, i, &t, NULL, 0) == KR_OK) {
			kr_anchor_free(t);
			for (size_t j = i; j < len; j++)
				if (xml[j] != '\n' && xml[j] != ' ')
					fail_msg("truncation at %zu accepted", i);
		}
	}
	/* Flips in ids, times or white space may survive; flips in keys and digests must not. */
	assert_true(accepted < len);
	free(buf);
	free(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_current),  cmocka_unit_test(test_write_golden),
		cmocka_unit_test(test_schema_refuses), cmocka_unit_test(test_model),
		cmocka_unit_test(test_refusals),       cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_flip_sweep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
