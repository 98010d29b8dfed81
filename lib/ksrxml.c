/*
 * ksrxml.c - the KSR/SKR XML codec (lib/ksr.h) on libxml2.
 *
 * Reading is defensive: the size is capped before libxml2 sees a byte, the
 * parser runs with XML_PARSE_NONET only, a SAX hook stops it at the first
 * DOCTYPE or entity declaration (so no entity is ever expanded), external
 * entities are denied by a loader that loads nothing, and libxml2's own
 * messages are collected instead of printed.  The tree is then read
 * strictly: every element and attribute must be known, present the right
 * number of times and well formed; the first problem is reported with the
 * path of the element ("KSR/Response/ResponseBundle[3]/Signature[1]/
 * SignatureExpiration: bad time").
 *
 * Writing follows the layout of ICANN's SKRs: an XML declaration, one
 * element per line without indentation, attributes in ICANN's order, times
 * as "+00:00", durations in their shortest form.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include "lib/encode.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/ksr.h"
#include "lib/timeutil.h"

#define PATH_MAX_LEN 256

struct rd {
	char *err;
	size_t errlen;
};

/* Record "path: message" (first error wins: callers stop at once). */
static int fail(struct rd *r, int rc, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct rd *r, int rc, const char *path, const char *fmt, ...)
{
	if (r->err != NULL && r->errlen > 0) {
		char msg[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		snprintf(r->err, r->errlen, "%s: %s", path, msg);
	}
	return rc;
}

static int elem_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

/* path/name or path/name[idx] (1-based), truncated with "..." if too long. */
static void join(char *out, const char *path, const char *name, size_t idx)
{
	int n;
	if (idx > 0)
		n = snprintf(out, PATH_MAX_LEN, "%s/%s[%zu]", path, name, idx);
	else
		n = snprintf(out, PATH_MAX_LEN, "%s/%s", path, name);
	if (n < 0 || n >= PATH_MAX_LEN)
		memcpy(out + PATH_MAX_LEN - 4, "...", 4);
}

static int xml_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * A container element: only the listed child elements (any number each,
 * counted by the callers), comments and white space.  Text, CDATA, entity
 * references and unknown elements are errors.
 */
static int check_children(struct rd *r, const xmlNode *e, const char *path,
			  const char *const *allowed)
{
	for (const xmlNode *c = e->children; c != NULL; c = c->next) {
		if (c->type == XML_COMMENT_NODE)
			continue;
		if (c->type == XML_TEXT_NODE) {
			for (const xmlChar *p = c->content; p != NULL && *p; p++)
				if (!xml_space(*p))
					return fail(r, KR_EMALFORMED, path, "unexpected text");
			continue;
		}
		if (c->type != XML_ELEMENT_NODE)
			return fail(r, KR_EMALFORMED, path, "unexpected node (type %d)", (int)c->type);
		int ok = 0;
		for (size_t i = 0; allowed[i] != NULL; i++)
			if (elem_is(c, allowed[i]))
				ok = 1;
		if (!ok)
			return fail(r, KR_EMALFORMED, path, "unexpected element <%s>",
				    (const char *)c->name);
	}
	return KR_OK;
}

/* Only the listed attributes (each at most once: XML guarantees that). */
static int check_attrs(struct rd *r, const xmlNode *e, const char *path,
		       const char *const *allowed)
{
	for (const xmlAttr *a = e->properties; a != NULL; a = a->next) {
		int ok = 0;
		for (size_t i = 0; allowed[i] != NULL; i++)
			if (xmlStrcmp(a->name, (const xmlChar *)allowed[i]) == 0 && a->ns == NULL)
				ok = 1;
		if (!ok)
			return fail(r, KR_EMALFORMED, path, "unexpected attribute \"%s\"",
				    (const char *)a->name);
	}
	if (e->nsDef != NULL || e->ns != NULL)
		return fail(r, KR_EMALFORMED, path, "XML namespaces are not used in KSR/SKR");
	return KR_OK;
}

static size_t count_children(const xmlNode *e, const char *name)
{
	size_t n = 0;
	for (const xmlNode *c = e->children; c != NULL; c = c->next)
		if (elem_is(c, name))
			n++;
	return n;
}

/* Exactly one child called name. */
static int one_child(struct rd *r, const xmlNode *e, const char *path, const char *name,
		     const xmlNode **out)
{
	const xmlNode *found = NULL;
	char p[PATH_MAX_LEN];
	join(p, path, name, 0);
	for (const xmlNode *c = e->children; c != NULL; c = c->next) {
		if (!elem_is(c, name))
			continue;
		if (found != NULL)
			return fail(r, KR_EMALFORMED, p, "duplicated element");
		found = c;
	}
	if (found == NULL)
		return fail(r, KR_EMALFORMED, p, "missing element");
	*out = found;
	return KR_OK;
}

/*
 * The text of a leaf element (no child elements), surrounding white space
 * removed, in a new string.  Empty is allowed here; the value readers
 * reject it where it matters.
 */
static int leaf_text(struct rd *r, const xmlNode *e, const char *path, char **out)
{
	for (const xmlNode *c = e->children; c != NULL; c = c->next)
		if (c->type != XML_TEXT_NODE && c->type != XML_COMMENT_NODE)
			return fail(r, KR_EMALFORMED, path, "unexpected content (only text allowed)");
	if (e->properties != NULL)
		return fail(r, KR_EMALFORMED, path, "unexpected attribute \"%s\"",
			    (const char *)e->properties->name);
	xmlChar *t = xmlNodeGetContent(e);
	if (t == NULL)
		t = xmlStrdup((const xmlChar *)"");
	if (t == NULL)
		return KR_ENOMEM;
	char *s = (char *)t;
	size_t len = strlen(s);
	while (len > 0 && xml_space(s[len - 1]))
		len--;
	size_t start = 0;
	while (start < len && xml_space(s[start]))
		start++;
	char *copy = strndup(s + start, len - start);
	xmlFree(t);
	if (copy == NULL)
		return KR_ENOMEM;
	*out = copy;
	return KR_OK;
}

/* Strict unsigned decimal (leading zeros allowed: "05017"), <= max. */
static int parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	if (*s == '\0' || strlen(s) > 20)
		return KR_EMALFORMED;
	uint64_t x = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return KR_EMALFORMED;
		unsigned d = (unsigned)(*p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return KR_ERANGE;
		x = x * 10 + d;
	}
	if (x > max)
		return KR_ERANGE;
	*v = x;
	return KR_OK;
}

enum vkind { V_UINT, V_TIME, V_DURATION, V_NAME };

/* Read the leaf child name of e as a value of the given kind. */
static int child_value(struct rd *r, const xmlNode *e, const char *path, const char *name,
		       enum vkind kind, uint64_t max, void *out)
{
	const xmlNode *c = NULL;
	char *text = NULL;
	char p[PATH_MAX_LEN];
	int rc = one_child(r, e, path, name, &c);
	if (rc != KR_OK)
		return rc;
	join(p, path, name, 0);
	rc = leaf_text(r, c, p, &text);
	if (rc != KR_OK)
		return rc;
	switch (kind) {
	case V_UINT:
		if (parse_uint(text, max, out) != KR_OK)
			rc = fail(r, KR_EMALFORMED, p, "bad number \"%.40s\" (0..%" PRIu64 ")", text,
				  max);
		break;
	case V_TIME: {
		int64_t t;
		if (kr_time_parse(text, &t) != KR_OK || t < 0)
			rc = fail(r, KR_EMALFORMED, p, "bad time \"%.40s\"", text);
		else if ((uint64_t)t > max)
			rc = fail(r, KR_ERANGE, p, "bad time \"%.40s\" (out of range)", text);
		else
			*(int64_t *)out = t;
		break;
	}
	case V_DURATION:
		if (kr_duration_parse(text, out) != KR_OK)
			rc = fail(r, KR_EMALFORMED, p, "bad duration \"%.40s\"", text);
		break;
	case V_NAME:
		if (kr_name_from_str(text, out) != KR_OK)
			rc = fail(r, KR_EMALFORMED, p, "bad domain name \"%.40s\"", text);
		break;
	}
	free(text);
	return rc;
}

static int u8_child(struct rd *r, const xmlNode *e, const char *path, const char *name,
		    uint8_t *out)
{
	uint64_t v = 0;
	int rc = child_value(r, e, path, name, V_UINT, UINT8_MAX, &v);
	*out = (uint8_t)v;
	return rc;
}

static int u16_child(struct rd *r, const xmlNode *e, const char *path, const char *name,
		     uint16_t *out)
{
	uint64_t v = 0;
	int rc = child_value(r, e, path, name, V_UINT, UINT16_MAX, &v);
	*out = (uint16_t)v;
	return rc;
}

static int u32_child(struct rd *r, const xmlNode *e, const char *path, const char *name,
		     uint32_t *out)
{
	uint64_t v = 0;
	int rc = child_value(r, e, path, name, V_UINT, UINT32_MAX, &v);
	*out = (uint32_t)v;
	return rc;
}

static int base64_child(struct rd *r, const xmlNode *e, const char *path, const char *name,
			size_t cap, uint8_t *buf, uint16_t *len)
{
	const xmlNode *c = NULL;
	char *text = NULL;
	uint8_t *bin = NULL;
	size_t binlen = 0;
	char p[PATH_MAX_LEN];
	int rc = one_child(r, e, path, name, &c);
	if (rc != KR_OK)
		return rc;
	join(p, path, name, 0);
	rc = leaf_text(r, c, p, &text);
	if (rc != KR_OK)
		return rc;
	rc = kr_base64_decode(text, strlen(text), cap, &bin, &binlen);
	if (rc == KR_ETOOBIG)
		rc = fail(r, KR_ETOOBIG, p, "longer than %zu bytes", cap);
	else if (rc != KR_OK)
		rc = fail(r, KR_EMALFORMED, p, "bad base64");
	else if (binlen == 0)
		rc = fail(r, KR_EMALFORMED, p, "empty");
	else {
		memcpy(buf, bin, binlen);
		*len = (uint16_t)binlen;
	}
	free(text);
	free(bin);
	return rc;
}

/* A required attribute's value (NUL-terminated, xmlFree()d by the caller). */
static int attr_text(struct rd *r, const xmlNode *e, const char *path, const char *name,
		     xmlChar **out)
{
	xmlChar *v = xmlGetNoNsProp(e, (const xmlChar *)name);
	if (v == NULL)
		return fail(r, KR_EMALFORMED, path, "missing attribute \"%s\"", name);
	*out = v;
	return KR_OK;
}

/* A required, non-empty string attribute into a new string. */
static int attr_string(struct rd *r, const xmlNode *e, const char *path, const char *name,
		       char **out)
{
	xmlChar *v = NULL;
	int rc = attr_text(r, e, path, name, &v);
	if (rc != KR_OK)
		return rc;
	if (v[0] == '\0') {
		xmlFree(v);
		return fail(r, KR_EMALFORMED, path, "empty attribute \"%s\"", name);
	}
	*out = strdup((const char *)v);
	xmlFree(v);
	return *out == NULL ? KR_ENOMEM : KR_OK;
}

static int attr_uint(struct rd *r, const xmlNode *e, const char *path, const char *name,
		     uint64_t max, uint64_t *out)
{
	xmlChar *v = NULL;
	int rc = attr_text(r, e, path, name, &v);
	if (rc != KR_OK)
		return rc;
	if (parse_uint((const char *)v, max, out) != KR_OK)
		rc = fail(r, KR_EMALFORMED, path, "bad number in attribute %s=\"%.40s\"", name,
			  (const char *)v);
	xmlFree(v);
	return rc;
}

/* An optional timestamp attribute: *present set when it exists. */
static int attr_time_opt(struct rd *r, const xmlNode *e, const char *path, const char *name,
			 int64_t *out, int *present)
{
	xmlChar *v = xmlGetNoNsProp(e, (const xmlChar *)name);
	*present = v != NULL;
	if (v == NULL)
		return KR_OK;
	int rc = KR_OK;
	if (kr_time_parse((const char *)v, out) != KR_OK || *out < 0)
		rc = fail(r, KR_EMALFORMED, path, "bad time in attribute %s=\"%.40s\"", name,
			  (const char *)v);
	xmlFree(v);
	return rc;
}

/* --- policy ------------------------------------------------------------ */

static int read_sigalg(struct rd *r, const xmlNode *e, const char *path,
		       struct kr_ksr_sigalg *out)
{
	static const char *const attrs[] = {"algorithm", NULL};
	static const char *const kids[] = {"RSA", "ECDSA", "EdDSA", NULL};
	static const char *const rsa_attrs[] = {"size", "exponent", NULL};
	static const char *const size_attrs[] = {"size", NULL};
	uint64_t v = 0;
	int rc = check_attrs(r, e, path, attrs);
	if (rc == KR_OK)
		rc = check_children(r, e, path, kids);
	if (rc == KR_OK)
		rc = attr_uint(r, e, path, "algorithm", UINT8_MAX, &v);
	if (rc != KR_OK)
		return rc;
	out->algorithm = (uint8_t)v;
	size_t nrsa = count_children(e, "RSA"), necdsa = count_children(e, "ECDSA"),
	       neddsa = count_children(e, "EdDSA");
	if (nrsa + necdsa + neddsa != 1)
		return fail(r, KR_EMALFORMED, path,
			    "needs exactly one <RSA>, <ECDSA> or <EdDSA> parameter element");
	const char *want = NULL;
	switch (out->algorithm) {
	case 5: case 7: case 8: case 10:
		want = "RSA";
		break;
	case 13: case 14:
		want = "ECDSA";
		break;
	case 15: case 16:
		want = "EdDSA";
		break;
	default:
		return fail(r, KR_EMALFORMED, path, "unsupported algorithm %u", out->algorithm);
	}
	const xmlNode *p = NULL;
	char pp[PATH_MAX_LEN];
	join(pp, path, want, 0);
	if (count_children(e, want) != 1)
		return fail(r, KR_EMALFORMED, path, "algorithm %u needs <%s>", out->algorithm, want);
	rc = one_child(r, e, path, want, &p);
	if (rc == KR_OK)
		rc = check_children(r, p, pp, (const char *const[]){NULL});
	if (rc != KR_OK)
		return rc;
	rc = check_attrs(r, p, pp, want[0] == 'R' ? rsa_attrs : size_attrs);
	if (rc == KR_OK)
		rc = attr_uint(r, p, pp, "size", 65535, &v);
	if (rc != KR_OK)
		return rc;
	if (v == 0)
		return fail(r, KR_EMALFORMED, pp, "size must not be 0");
	out->size = (unsigned)v;
	out->exponent = 0;
	if (want[0] == 'R') {
		rc = attr_uint(r, p, pp, "exponent", UINT64_MAX, &out->exponent);
		if (rc == KR_OK && out->exponent == 0)
			rc = fail(r, KR_EMALFORMED, pp, "exponent must not be 0");
	}
	return rc;
}

static int read_policy(struct rd *r, const xmlNode *e, const char *path, struct kr_ksr_policy *pol)
{
	static const char *const kids[] = {"PublishSafety", "RetireSafety", "MaxSignatureValidity",
					   "MinSignatureValidity", "MaxValidityOverlap",
					   "MinValidityOverlap", "SignatureAlgorithm", NULL};
	int rc = check_attrs(r, e, path, (const char *const[]){NULL});
	if (rc == KR_OK)
		rc = check_children(r, e, path, kids);
	if (rc == KR_OK)
		rc = child_value(r, e, path, "PublishSafety", V_DURATION, 0, &pol->publish_safety);
	if (rc == KR_OK)
		rc = child_value(r, e, path, "RetireSafety", V_DURATION, 0, &pol->retire_safety);
	if (rc == KR_OK)
		rc = child_value(r, e, path, "MaxSignatureValidity", V_DURATION, 0,
				 &pol->max_sig_validity);
	if (rc == KR_OK)
		rc = child_value(r, e, path, "MinSignatureValidity", V_DURATION, 0,
				 &pol->min_sig_validity);
	if (rc == KR_OK)
		rc = child_value(r, e, path, "MaxValidityOverlap", V_DURATION, 0,
				 &pol->max_validity_overlap);
	if (rc == KR_OK)
		rc = child_value(r, e, path, "MinValidityOverlap", V_DURATION, 0,
				 &pol->min_validity_overlap);
	if (rc != KR_OK)
		return rc;
	size_t n = count_children(e, "SignatureAlgorithm"), i = 0;
	char p[PATH_MAX_LEN];
	if (n == 0) {
		join(p, path, "SignatureAlgorithm", 0);
		return fail(r, KR_EMALFORMED, p, "missing element");
	}
	if (n > KR_KSR_MAX_ALGS) {
		join(p, path, "SignatureAlgorithm", 0);
		return fail(r, KR_ETOOBIG, p, "more than %d entries", KR_KSR_MAX_ALGS);
	}
	for (const xmlNode *c = e->children; c != NULL; c = c->next) {
		if (!elem_is(c, "SignatureAlgorithm"))
			continue;
		join(p, path, "SignatureAlgorithm", i + 1);
		rc = read_sigalg(r, c, p, &pol->algs[i]);
		if (rc != KR_OK)
			return rc;
		i++;
	}
	pol->nalgs = n;
	return KR_OK;
}

/* --- bundles ----------------------------------------------------------- */

static int read_key(struct rd *r, const xmlNode *e, const char *path, struct kr_ksr_key *k)
{
	static const char *const attrs[] = {"keyIdentifier", "keyTag", NULL};
	static const char *const kids[] = {"TTL", "Flags", "Protocol", "Algorithm", "PublicKey",
					   NULL};
	uint64_t tag = 0;
	int rc = check_attrs(r, e, path, attrs);
	if (rc == KR_OK)
		rc = check_children(r, e, path, kids);
	if (rc == KR_OK)
		rc = attr_string(r, e, path, "keyIdentifier", &k->key_identifier);
	if (rc == KR_OK)
		rc = attr_uint(r, e, path, "keyTag", UINT16_MAX, &tag);
	k->key_tag = (uint16_t)tag;
	if (rc == KR_OK)
		rc = u32_child(r, e, path, "TTL", &k->ttl);
	if (rc == KR_OK)
		rc = u16_child(r, e, path, "Flags", &k->dnskey.flags);
	if (rc == KR_OK)
		rc = u8_child(r, e, path, "Protocol", &k->dnskey.protocol);
	if (rc == KR_OK && k->dnskey.protocol != 3) {
		char p[PATH_MAX_LEN];
		join(p, path, "Protocol", 0);
		rc = fail(r, KR_EMALFORMED, p, "must be 3 (RFC 4034)");
	}
	if (rc == KR_OK)
		rc = u8_child(r, e, path, "Algorithm", &k->dnskey.algorithm);
	if (rc == KR_OK)
		rc = base64_child(r, e, path, "PublicKey", KR_PUBKEY_MAX, k->dnskey.pubkey,
				  &k->dnskey.pubkey_len);
	return rc;
}

static int read_sig(struct rd *r, const xmlNode *e, const char *path, struct kr_ksr_sig *s)
{
	static const char *const attrs[] = {"keyIdentifier", NULL};
	static const char *const kids[] = {"TTL", "TypeCovered", "Algorithm", "Labels",
					   "OriginalTTL", "SignatureExpiration",
					   "SignatureInception", "KeyTag", "SignersName",
					   "SignatureData", NULL};
	const xmlNode *tc = NULL;
	char *text = NULL;
	int64_t t = 0;
	int rc = check_attrs(r, e, path, attrs);
	if (rc == KR_OK)
		rc = check_children(r, e, path, kids);
	if (rc == KR_OK)
		rc = attr_string(r, e, path, "keyIdentifier", &s->key_identifier);
	if (rc == KR_OK)
		rc = u32_child(r, e, path, "TTL", &s->ttl);
	if (rc == KR_OK)
		rc = one_child(r, e, path, "TypeCovered", &tc);
	if (rc == KR_OK) {
		char p[PATH_MAX_LEN];
		join(p, path, "TypeCovered", 0);
		rc = leaf_text(r, tc, p, &text);
		if (rc == KR_OK && strcmp(text, "DNSKEY") != 0)
			rc = fail(r, KR_EMALFORMED, p, "must be DNSKEY, not \"%.40s\"", text);
		s->rrsig.type_covered = 48;
		free(text);
	}
	if (rc == KR_OK)
		rc = u8_child(r, e, path, "Algorithm", &s->rrsig.algorithm);
	if (rc == KR_OK)
		rc = u8_child(r, e, path, "Labels", &s->rrsig.labels);
	if (rc == KR_OK)
		rc = u32_child(r, e, path, "OriginalTTL", &s->rrsig.original_ttl);
	if (rc == KR_OK)
		rc = child_value(r, e, path, "SignatureExpiration", V_TIME, UINT32_MAX, &t);
	s->rrsig.expiration = (uint32_t)t;
	if (rc == KR_OK)
		rc = child_value(r, e, path, "SignatureInception", V_TIME, UINT32_MAX, &t);
	s->rrsig.inception = (uint32_t)t;
	if (rc == KR_OK)
		rc = u16_child(r, e, path, "KeyTag", &s->rrsig.key_tag);
	if (rc == KR_OK)
		rc = child_value(r, e, path, "SignersName", V_NAME, 0, &s->rrsig.signer);
	if (rc == KR_OK)
		rc = base64_child(r, e, path, "SignatureData", KR_SIG_MAX, s->rrsig.sig,
				  &s->rrsig.sig_len);
	return rc;
}

static void bundle_clear(struct kr_ksr_bundle *b)
{
	for (size_t i = 0; i < b->nkeys; i++)
		free(b->keys[i].key_identifier);
	for (size_t i = 0; i < b->nsigs; i++)
		free(b->sigs[i].key_identifier);
	free(b->keys);
	free(b->sigs);
	free(b->id);
	memset(b, 0, sizeof(*b));
}

static int read_bundle(struct rd *r, const xmlNode *e, const char *path, struct kr_ksr_bundle *b)
{
	static const char *const attrs[] = {"id", NULL};
	static const char *const kids[] = {"Inception", "Expiration", "Key", "Signature", NULL};
	char p[PATH_MAX_LEN];
	int rc = check_attrs(r, e, path, attrs);
	if (rc == KR_OK)
		rc = check_children(r, e, path, kids);
	if (rc == KR_OK)
		rc = attr_string(r, e, path, "id", &b->id);
	if (rc == KR_OK)
		rc = child_value(r, e, path, "Inception", V_TIME, INT64_MAX, &b->inception);
	if (rc == KR_OK)
		rc = child_value(r, e, path, "Expiration", V_TIME, INT64_MAX, &b->expiration);
	if (rc != KR_OK)
		return rc;
	size_t nk = count_children(e, "Key"), ns = count_children(e, "Signature");
	if (nk == 0) {
		join(p, path, "Key", 0);
		return fail(r, KR_EMALFORMED, p, "missing element");
	}
	b->keys = calloc(nk, sizeof(*b->keys));
	b->sigs = calloc(ns ? ns : 1, sizeof(*b->sigs));
	if (b->keys == NULL || b->sigs == NULL)
		return KR_ENOMEM;
	for (const xmlNode *c = e->children; c != NULL; c = c->next) {
		if (elem_is(c, "Key")) {
			join(p, path, "Key", b->nkeys + 1);
			rc = read_key(r, c, p, &b->keys[b->nkeys]);
			b->nkeys++;
		} else if (elem_is(c, "Signature")) {
			join(p, path, "Signature", b->nsigs + 1);
			rc = read_sig(r, c, p, &b->sigs[b->nsigs]);
			b->nsigs++;
		}
		if (rc != KR_OK)
			return rc;
	}
	return KR_OK;
}

/* --- document ---------------------------------------------------------- */

static int read_doc(struct rd *r, const xmlNode *root, struct kr_ksr_doc *d)
{
	static const char *const ksr_attrs[] = {"id", "serial", "domain", "timestamp", NULL};
	static const char *const body_attrs[] = {"timestamp", NULL};
	const char *path = "KSR";
	char p[PATH_MAX_LEN], pp[PATH_MAX_LEN];
	const xmlNode *body = NULL, *pol = NULL;
	uint64_t serial = 0;
	xmlChar *dom = NULL;
	int has_ts = 0, has_ts2 = 0;

	if (root == NULL || !elem_is(root, "KSR"))
		return fail(r, KR_EMALFORMED, root ? (const char *)root->name : "document",
			    "the root element must be <KSR>");
	int rc = check_attrs(r, root, path, ksr_attrs);
	if (rc == KR_OK)
		rc = check_children(r, root, path, (const char *const[]){"Request", "Response", NULL});
	if (rc == KR_OK)
		rc = attr_string(r, root, path, "id", &d->id);
	if (rc == KR_OK)
		rc = attr_uint(r, root, path, "serial", UINT32_MAX, &serial);
	d->serial = (uint32_t)serial;
	if (rc == KR_OK)
		rc = attr_text(r, root, path, "domain", &dom);
	if (rc == KR_OK && (dom[0] == '\0' || kr_name_from_str((const char *)dom, &d->domain) != KR_OK))
		rc = fail(r, KR_EMALFORMED, path, "bad domain name \"%.40s\"", (const char *)dom);
	xmlFree(dom);
	if (rc == KR_OK)
		rc = attr_time_opt(r, root, path, "timestamp", &d->timestamp, &has_ts);
	if (rc != KR_OK)
		return rc;

	size_t nreq = count_children(root, "Request"), nresp = count_children(root, "Response");
	if (nreq + nresp != 1)
		return fail(r, KR_EMALFORMED, path,
			    nreq + nresp ? "more than one <Request>/<Response>"
					 : "missing element <Request> or <Response>");
	d->kind = nreq ? KR_KSR_REQUEST : KR_KSR_RESPONSE;
	const char *bname = nreq ? "Request" : "Response";
	const char *polname = nreq ? "RequestPolicy" : "ResponsePolicy";
	const char *bundlename = nreq ? "RequestBundle" : "ResponseBundle";
	rc = one_child(r, root, path, bname, &body);
	if (rc != KR_OK)
		return rc;
	join(p, path, bname, 0);
	rc = check_attrs(r, body, p, body_attrs);
	if (rc == KR_OK)
		rc = check_children(r, body, p, (const char *const[]){polname, bundlename, NULL});
	if (rc == KR_OK)
		rc = attr_time_opt(r, body, p, "timestamp", &d->timestamp, &has_ts2);
	if (rc == KR_OK && has_ts && has_ts2)
		rc = fail(r, KR_EMALFORMED, p, "timestamp given on both <KSR> and <%s>", bname);
	if (rc == KR_OK)
		rc = one_child(r, body, p, polname, &pol);
	if (rc != KR_OK)
		return rc;

	join(pp, p, polname, 0);
	const xmlNode *zsk = NULL, *ksk = NULL;
	rc = check_attrs(r, pol, pp, (const char *const[]){NULL});
	if (rc == KR_OK)
		rc = check_children(r, pol, pp,
				    nreq ? (const char *const[]){"ZSK", NULL}
					 : (const char *const[]){"KSK", "ZSK", NULL});
	if (rc == KR_OK && !nreq) {
		rc = one_child(r, pol, pp, "KSK", &ksk);
		char kp[PATH_MAX_LEN];
		join(kp, pp, "KSK", 0);
		if (rc == KR_OK)
			rc = read_policy(r, ksk, kp, &d->ksk_policy);
		d->has_ksk_policy = rc == KR_OK;
	}
	if (rc == KR_OK)
		rc = one_child(r, pol, pp, "ZSK", &zsk);
	if (rc == KR_OK) {
		char zp[PATH_MAX_LEN];
		join(zp, pp, "ZSK", 0);
		rc = read_policy(r, zsk, zp, &d->zsk_policy);
	}
	if (rc != KR_OK)
		return rc;

	size_t nb = count_children(body, bundlename);
	if (nb == 0) {
		join(pp, p, bundlename, 0);
		return fail(r, KR_EMALFORMED, pp, "missing element");
	}
	d->bundles = calloc(nb, sizeof(*d->bundles));
	if (d->bundles == NULL)
		return KR_ENOMEM;
	for (const xmlNode *c = body->children; c != NULL; c = c->next) {
		if (!elem_is(c, bundlename))
			continue;
		join(pp, p, bundlename, d->nbundles + 1);
		rc = read_bundle(r, c, pp, &d->bundles[d->nbundles]);
		d->nbundles++;
		if (rc != KR_OK)
			return rc;
	}
	return KR_OK;
}

/* --- libxml2 hardening -------------------------------------------------- */

struct parse_state {
	int denied; /* a DOCTYPE or entity declaration was seen */
	int failed;
	char first[200];
	int line;
};

static xmlParserInputPtr deny_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

static void stop_with(xmlParserCtxtPtr ctxt, const char *what)
{
	struct parse_state *st = ctxt->_private;
	if (!st->denied) {
		st->denied = 1;
		snprintf(st->first, sizeof(st->first), "%s not allowed", what);
		st->line = xmlSAX2GetLineNumber(ctxt);
	}
	xmlStopParser(ctxt);
}

static void deny_subset(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	(void)name;
	(void)ext;
	(void)sys;
	stop_with(ctx, "DOCTYPE");
}

static void deny_entity(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
			const xmlChar *sys, xmlChar *content)
{
	(void)name;
	(void)type;
	(void)pub;
	(void)sys;
	(void)content;
	stop_with(ctx, "entity declaration");
}

static xmlEntityPtr deny_get_entity(void *ctx, const xmlChar *name)
{
	(void)name;
	stop_with(ctx, "entity reference");
	return NULL;
}

static void collect_error(void *ctx, xmlErrorPtr err)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse_state *st = ctxt != NULL ? ctxt->_private : NULL;
	if (st == NULL || err == NULL || err->level < XML_ERR_ERROR || st->failed)
		return;
	st->failed = 1;
	st->line = err->line;
	const char *m = err->message ? err->message : "syntax error";
	size_t n = strlen(m);
	while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	snprintf(st->first, sizeof(st->first), "%.*s", (int)(n > 150 ? 150 : n), m);
}

/*
 * The SAX hooks above stop the parser at a DOCTYPE, an entity declaration
 * or a reference to a declared entity; predefined entities (&amp; &lt; ...)
 * and character references still work, the parser resolves them itself.
 */
int kr_ksr_parse(const uint8_t *xml, size_t len, struct kr_ksr_doc **out, char *errbuf,
		 size_t errlen)
{
	struct rd r = {errbuf, errlen};
	struct parse_state st;
	struct kr_ksr_doc *d = NULL;
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	int rc;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (xml == NULL || out == NULL)
		return KR_EINVAL;
	*out = NULL;
	if (len > KR_KSR_MAX_SIZE)
		return fail(&r, KR_ETOOBIG, "document", "larger than %d bytes", KR_KSR_MAX_SIZE);
	if (len == 0)
		return fail(&r, KR_ETRUNC, "document", "empty");

	memset(&st, 0, sizeof(st));
	xmlInitParser();
	xmlSetExternalEntityLoader(deny_loader);
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	ctxt->_private = &st;
	ctxt->sax->internalSubset = deny_subset;
	ctxt->sax->externalSubset = deny_subset;
	ctxt->sax->entityDecl = deny_entity;
	ctxt->sax->getEntity = deny_get_entity;
	ctxt->sax->getParameterEntity = deny_get_entity;
	ctxt->sax->serror = collect_error;
	ctxt->sax->warning = NULL;
	ctxt->sax->error = NULL;
	ctxt->sax->fatalError = NULL;
	ctxt->vctxt.error = NULL;
	ctxt->vctxt.warning = NULL;

	doc = xmlCtxtReadMemory(ctxt, (const char *)xml, (int)len, "ksr.xml", NULL, XML_PARSE_NONET);
	if (st.denied) {
		rc = fail(&r, KR_EDENIED, "document", "line %d: %s", st.line, st.first);
		goto out;
	}
	if (doc == NULL || !ctxt->wellFormed || st.failed) {
		int truncated = ctxt->errNo == XML_ERR_DOCUMENT_END ||
				ctxt->errNo == XML_ERR_TAG_NOT_FINISHED ||
				ctxt->errNo == XML_ERR_LTSLASH_REQUIRED ||
				ctxt->errNo == XML_ERR_GT_REQUIRED ||
				ctxt->errNo == XML_ERR_DOCUMENT_EMPTY;
		rc = fail(&r, truncated ? KR_ETRUNC : KR_EMALFORMED, "document",
			  "not well-formed XML (line %d: %s)", st.line,
			  st.first[0] ? st.first : "syntax error");
		goto out;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		rc = fail(&r, KR_EDENIED, "document", "DOCTYPE not allowed");
		goto out;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	rc = read_doc(&r, xmlDocGetRootElement(doc), d);
	if (rc != KR_OK)
		goto out;
	*out = d;
	d = NULL; /* transferred */
out:
	kr_ksr_free(d);
	xmlFreeDoc(doc);
	if (ctxt != NULL)
		xmlFreeParserCtxt(ctxt);
	return rc;
}

int kr_ksr_read_file(const char *path, struct kr_ksr_doc **out, char *errbuf, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	int rc = kr_read_file(path, KR_KSR_MAX_SIZE, &buf, &len);
	if (rc == KR_ETOOBIG) {
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "document: larger than %d bytes", KR_KSR_MAX_SIZE);
		return rc;
	}
	if (rc != KR_OK)
		return rc;
	rc = kr_ksr_parse(buf, len, out, errbuf, errlen);
	free(buf);
	return rc;
}

void kr_ksr_free(struct kr_ksr_doc *doc)
{
	if (doc == NULL)
		return;
	for (size_t i = 0; i < doc->nbundles; i++)
		bundle_clear(&doc->bundles[i]);
	free(doc->bundles);
	free(doc->id);
	free(doc);
}

/* --- building ---------------------------------------------------------- */

int kr_ksr_bundle_add_key(struct kr_ksr_bundle *b, const struct kr_ksr_key *key)
{
	if (b == NULL || key == NULL || key->key_identifier == NULL)
		return KR_EINVAL;
	struct kr_ksr_key *k = realloc(b->keys, (b->nkeys + 1) * sizeof(*k));
	if (k == NULL)
		return KR_ENOMEM;
	b->keys = k;
	char *id = strdup(key->key_identifier);
	if (id == NULL)
		return KR_ENOMEM;
	b->keys[b->nkeys] = *key;
	b->keys[b->nkeys].key_identifier = id;
	b->nkeys++;
	return KR_OK;
}

int kr_ksr_bundle_add_sig(struct kr_ksr_bundle *b, const struct kr_ksr_sig *sig)
{
	if (b == NULL || sig == NULL || sig->key_identifier == NULL)
		return KR_EINVAL;
	struct kr_ksr_sig *s = realloc(b->sigs, (b->nsigs + 1) * sizeof(*s));
	if (s == NULL)
		return KR_ENOMEM;
	b->sigs = s;
	char *id = strdup(sig->key_identifier);
	if (id == NULL)
		return KR_ENOMEM;
	b->sigs[b->nsigs] = *sig;
	b->sigs[b->nsigs].key_identifier = id;
	b->nsigs++;
	return KR_OK;
}

/* --- writing ----------------------------------------------------------- */

#define W(call)                                 \
	do {                                    \
		if ((call) < 0) {               \
			rc = KR_ELIB;           \
			goto out;               \
		}                               \
	} while (0)

static int w_elem(xmlTextWriterPtr w, const char *name, const char *text)
{
	return xmlTextWriterWriteElement(w, (const xmlChar *)name, (const xmlChar *)text);
}

static int w_uint(xmlTextWriterPtr w, const char *name, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return w_elem(w, name, buf);
}

static int w_time(xmlTextWriterPtr w, const char *name, int64_t t)
{
	char buf[40];
	if (kr_time_format_icann(t, buf, sizeof(buf)) != KR_OK)
		return -1;
	return w_elem(w, name, buf);
}

static int w_duration(xmlTextWriterPtr w, const char *name, int64_t secs)
{
	char buf[40];
	if (kr_duration_format(secs, buf, sizeof(buf)) != KR_OK)
		return -1;
	return w_elem(w, name, buf);
}

static int w_base64(xmlTextWriterPtr w, const char *name, const uint8_t *data, size_t len)
{
	char *b64 = NULL;
	if (kr_base64_encode(data, len, &b64) != KR_OK)
		return -1;
	int rc = w_elem(w, name, b64);
	free(b64);
	return rc;
}

static int w_attr_uint(xmlTextWriterPtr w, const char *name, uint64_t v)
{
	return xmlTextWriterWriteFormatAttribute(w, (const xmlChar *)name, "%" PRIu64, v);
}

static int w_attr(xmlTextWriterPtr w, const char *name, const char *v)
{
	return xmlTextWriterWriteAttribute(w, (const xmlChar *)name, (const xmlChar *)v);
}

static int write_policy(xmlTextWriterPtr w, const char *name, const struct kr_ksr_policy *p)
{
	int rc = KR_OK;
	W(xmlTextWriterStartElement(w, (const xmlChar *)name));
	W(w_duration(w, "PublishSafety", p->publish_safety));
	W(w_duration(w, "RetireSafety", p->retire_safety));
	W(w_duration(w, "MaxSignatureValidity", p->max_sig_validity));
	W(w_duration(w, "MinSignatureValidity", p->min_sig_validity));
	W(w_duration(w, "MaxValidityOverlap", p->max_validity_overlap));
	W(w_duration(w, "MinValidityOverlap", p->min_validity_overlap));
	for (size_t i = 0; i < p->nalgs && i < KR_KSR_MAX_ALGS; i++) {
		const struct kr_ksr_sigalg *a = &p->algs[i];
		const char *kind;
		switch (a->algorithm) {
		case 5: case 7: case 8: case 10:
			kind = "RSA";
			break;
		case 13: case 14:
			kind = "ECDSA";
			break;
		case 15: case 16:
			kind = "EdDSA";
			break;
		default:
			rc = KR_EALG;
			goto out;
		}
		W(xmlTextWriterStartElement(w, (const xmlChar *)"SignatureAlgorithm"));
		W(w_attr_uint(w, "algorithm", a->algorithm));
		W(xmlTextWriterStartElement(w, (const xmlChar *)kind));
		W(w_attr_uint(w, "size", a->size));
		if (kind[0] == 'R')
			W(w_attr_uint(w, "exponent", a->exponent));
		W(xmlTextWriterEndElement(w));
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndElement(w));
out:
	return rc;
}

static int write_bundle(xmlTextWriterPtr w, const char *name, const struct kr_ksr_bundle *b)
{
	int rc = KR_OK;
	char name_buf[KR_NAME_MAX * 4 + 2];
	W(xmlTextWriterStartElement(w, (const xmlChar *)name));
	W(w_attr(w, "id", b->id));
	W(w_time(w, "Inception", b->inception));
	W(w_time(w, "Expiration", b->expiration));
	for (size_t i = 0; i < b->nkeys; i++) {
		const struct kr_ksr_key *k = &b->keys[i];
		W(xmlTextWriterStartElement(w, (const xmlChar *)"Key"));
		W(w_attr(w, "keyIdentifier", k->key_identifier));
		W(w_attr_uint(w, "keyTag", k->key_tag));
		W(w_uint(w, "TTL", k->ttl));
		W(w_uint(w, "Flags", k->dnskey.flags));
		W(w_uint(w, "Protocol", k->dnskey.protocol));
		W(w_uint(w, "Algorithm", k->dnskey.algorithm));
		W(w_base64(w, "PublicKey", k->dnskey.pubkey, k->dnskey.pubkey_len));
		W(xmlTextWriterEndElement(w));
	}
	for (size_t i = 0; i < b->nsigs; i++) {
		const struct kr_ksr_sig *s = &b->sigs[i];
		const struct kr_rrsig *g = &s->rrsig;
		if (g->type_covered != 48) {
			rc = KR_EINVAL;
			goto out;
		}
		if (kr_name_to_str(&g->signer, name_buf, sizeof(name_buf)) != KR_OK) {
			rc = KR_EINVAL;
			goto out;
		}
		W(xmlTextWriterStartElement(w, (const xmlChar *)"Signature"));
		W(w_attr(w, "keyIdentifier", s->key_identifier));
		W(w_uint(w, "TTL", s->ttl));
		W(w_elem(w, "TypeCovered", "DNSKEY"));
		W(w_uint(w, "Algorithm", g->algorithm));
		W(w_uint(w, "Labels", g->labels));
		W(w_uint(w, "OriginalTTL", g->original_ttl));
		/* The reader accepts RRSIG times up to 2106 only (2^32 - 1), so
		 * the 32-bit field is the absolute time: the round trip is exact. */
		W(w_time(w, "SignatureExpiration", (int64_t)g->expiration));
		W(w_time(w, "SignatureInception", (int64_t)g->inception));
		W(w_uint(w, "KeyTag", g->key_tag));
		W(w_elem(w, "SignersName", name_buf));
		W(w_base64(w, "SignatureData", g->sig, g->sig_len));
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndElement(w));
out:
	return rc;
}

int kr_ksr_write(const struct kr_ksr_doc *doc, char **xml, size_t *len)
{
	xmlBufferPtr buf = NULL;
	xmlTextWriterPtr w = NULL;
	char domain[KR_NAME_MAX * 4 + 2];
	int rc = KR_OK;

	if (doc == NULL || xml == NULL || len == NULL || doc->id == NULL ||
	    (doc->kind != KR_KSR_REQUEST && doc->kind != KR_KSR_RESPONSE) ||
	    (doc->kind == KR_KSR_RESPONSE && !doc->has_ksk_policy))
		return KR_EINVAL;
	for (size_t i = 0; i < doc->nbundles; i++)
		if (doc->bundles[i].id == NULL)
			return KR_EINVAL;
	rc = kr_name_to_str(&doc->domain, domain, sizeof(domain));
	if (rc != KR_OK)
		return rc;
	int req = doc->kind == KR_KSR_REQUEST;
	buf = xmlBufferCreate();
	if (buf == NULL)
		return KR_ENOMEM;
	w = xmlNewTextWriterMemory(buf, 0);
	if (w == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	W(xmlTextWriterSetIndent(w, 1));
	W(xmlTextWriterSetIndentString(w, (const xmlChar *)""));
	W(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
	W(xmlTextWriterStartElement(w, (const xmlChar *)"KSR"));
	W(w_attr(w, "id", doc->id));
	W(w_attr(w, "domain", domain));
	W(w_attr_uint(w, "serial", doc->serial));
	W(xmlTextWriterStartElement(w, (const xmlChar *)(req ? "Request" : "Response")));
	if (doc->timestamp != 0) {
		char ts[40];
		if (kr_time_format_icann(doc->timestamp, ts, sizeof(ts)) != KR_OK) {
			rc = KR_EINVAL;
			goto out;
		}
		W(w_attr(w, "timestamp", ts));
	}
	W(xmlTextWriterStartElement(w, (const xmlChar *)(req ? "RequestPolicy" : "ResponsePolicy")));
	if (!req) {
		rc = write_policy(w, "KSK", &doc->ksk_policy);
		if (rc != KR_OK)
			goto out;
	}
	rc = write_policy(w, "ZSK", &doc->zsk_policy);
	if (rc != KR_OK)
		goto out;
	W(xmlTextWriterEndElement(w));
	for (size_t i = 0; i < doc->nbundles; i++) {
		rc = write_bundle(w, req ? "RequestBundle" : "ResponseBundle", &doc->bundles[i]);
		if (rc != KR_OK)
			goto out;
	}
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterEndDocument(w));
	xmlFreeTextWriter(w);
	w = NULL;
	size_t n = (size_t)xmlBufferLength(buf);
	if (n > KR_KSR_MAX_SIZE) {
		rc = KR_ETOOBIG;
		goto out;
	}
	char *s = malloc(n + 1);
	if (s == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	memcpy(s, xmlBufferContent(buf), n);
	s[n] = '\0';
	*xml = s;
	*len = n;
out:
	xmlFreeTextWriter(w);
	xmlBufferFree(buf);
	return rc;
}
