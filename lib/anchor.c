/*
 * anchor.c - RFC 9718 trust-anchor documents.
 *
 * The reader walks the libxml2 tree itself instead of trusting a schema: each
 * element is expected in the RFC's order, and anything else fails with a
 * message naming it.  Digests are recomputed from PublicKey+Flags here, in the
 * one place every consumer (keyroll-trustanchor, keyroll-ksr accept) passes
 * through, so no caller can forget the check.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lib/anchor.h"
#include "lib/encode.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/timeutil.h"

#define ID_MAX 256 /* longest id or source attribute we keep */
#define SOURCE_MAX 2048

static int fail(char *errbuf, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *errbuf, size_t errlen, int rc, const char *fmt, ...)
{
	if (errbuf != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* --- safe parsing ------------------------------------------------------------- */

struct parse_guard {
	int doctype; /* a DOCTYPE was seen: the parser was stopped */
};

static xmlParserInputPtr deny_entity_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

static void refuse_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ext_id,
				   const xmlChar *sys_id)
{
	(void)name;
	(void)ext_id;
	(void)sys_id;
	xmlParserCtxtPtr ctxt = ctx;
	struct parse_guard *g = ctxt->_private;
	g->doctype = 1;
	xmlStopParser(ctxt);
}

/* A tree for xml[0..len) or an error; refuses DOCTYPE before any declaration in it is read. */
static int safe_parse(const uint8_t *xml, size_t len, xmlDocPtr *out, char *errbuf, size_t errlen)
{
	if (len > KR_ANCHOR_MAX_SIZE)
		return fail(errbuf, errlen, KR_ETOOBIG, "document larger than %d bytes",
			    KR_ANCHOR_MAX_SIZE);
	if (len == 0)
		return fail(errbuf, errlen, KR_EMALFORMED, "empty document");
	struct parse_guard guard = {0};
	xmlSetExternalEntityLoader(deny_entity_loader);
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		return KR_ENOMEM;
	ctxt->_private = &guard;
	ctxt->sax->internalSubset = refuse_internal_subset;
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, (const char *)xml, (int)len, NULL, NULL,
					  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	int rc = KR_OK;
	if (guard.doctype || (doc != NULL && (doc->intSubset != NULL || doc->extSubset != NULL))) {
		rc = fail(errbuf, errlen, KR_EDENIED, "DOCTYPE is not allowed in a trust-anchor document");
	} else if (doc == NULL || !ctxt->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char msg[200] = "not well-formed";
		if (e != NULL && e->message != NULL) {
			snprintf(msg, sizeof(msg), "%s", e->message);
			msg[strcspn(msg, "\n")] = '\0';
		}
		rc = fail(errbuf, errlen, KR_EMALFORMED, "XML error at line %d: %s",
			  e != NULL ? e->line : 0, msg);
	}
	xmlFreeParserCtxt(ctxt);
	if (rc) {
		xmlFreeDoc(doc);
		return rc;
	}
	*out = doc;
	return KR_OK;
}

/* --- tree walking ------------------------------------------------------------- */

static int is_xml_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int only_space(const xmlChar *s)
{
	for (; s != NULL && *s; s++)
		if (!is_xml_space(*s))
			return 0;
	return 1;
}

/*
 * The next element child after *cur (or the first one if *cur is NULL);
 * comments and processing instructions are skipped, white space is allowed,
 * any other node is an error.  *cur becomes NULL at the end.
 */
static int next_element(xmlNodePtr parent, xmlNodePtr *cur, char *errbuf, size_t errlen)
{
	xmlNodePtr n = *cur == NULL ? parent->children : (*cur)->next;
	for (; n != NULL; n = n->next) {
		switch (n->type) {
		case XML_ELEMENT_NODE:
			if (n->ns != NULL)
				return fail(errbuf, errlen, KR_EMALFORMED,
					    "<%s> inside <%s>: namespaces are not allowed", n->name,
					    parent->name);
			*cur = n;
			return KR_OK;
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		case XML_TEXT_NODE:
			if (only_space(n->content))
				break;
			return fail(errbuf, errlen, KR_EMALFORMED, "text not allowed inside <%s>",
				    parent->name);
		case XML_ENTITY_REF_NODE:
		case XML_ENTITY_NODE:
		case XML_ENTITY_DECL:
			return fail(errbuf, errlen, KR_EDENIED, "entity inside <%s> is not allowed",
				    parent->name);
		default:
			return fail(errbuf, errlen, KR_EMALFORMED, "unexpected node inside <%s>",
				    parent->name);
		}
	}
	*cur = NULL;
	return KR_OK;
}

static int name_in(const xmlChar *name, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strcmp((const char *)name, *names) == 0)
			return 1;
	return 0;
}

/* Only the attributes in allowed (NULL-terminated), without namespace, may appear on n. */
static int check_attributes(xmlNodePtr n, const char *const *allowed, char *errbuf, size_t errlen)
{
	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
		if (a->ns != NULL || !name_in(a->name, allowed))
			return fail(errbuf, errlen, KR_EMALFORMED, "unknown attribute %s on <%s>",
				    a->name, n->name);
	return KR_OK;
}

/*
 * The text of a leaf element, trimmed of XML white space, into a new string
 * (at most cap bytes).  Children other than text are errors.
 */
static int leaf_text(xmlNodePtr n, size_t cap, char **out, char *errbuf, size_t errlen)
{
	for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_ENTITY_REF_NODE)
			return fail(errbuf, errlen, KR_EDENIED, "entity inside <%s> is not allowed",
				    n->name);
		if (c->type != XML_TEXT_NODE && c->type != XML_COMMENT_NODE)
			return fail(errbuf, errlen, KR_EMALFORMED, "<%s> must hold only text",
				    n->name);
	}
	xmlChar *raw = xmlNodeGetContent(n);
	if (raw == NULL)
		return KR_ENOMEM;
	const char *s = (const char *)raw;
	while (is_xml_space(*s))
		s++;
	size_t l = strlen(s);
	while (l > 0 && is_xml_space(s[l - 1]))
		l--;
	int rc = KR_OK;
	if (l > cap) {
		rc = fail(errbuf, errlen, KR_ETOOBIG, "<%s> is too long", n->name);
	} else if ((*out = strndup(s, l)) == NULL) {
		rc = KR_ENOMEM;
	}
	xmlFree(raw);
	return rc;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	if (*s < '0' || *s > '9')
		return KR_EMALFORMED;
	unsigned long x = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return KR_EMALFORMED;
		x = x * 10 + (unsigned long)(*s - '0');
		if (x > max)
			return KR_ERANGE;
	}
	*v = x;
	return KR_OK;
}

/* The element at *cur must be called name; its text is parsed as a number <= max. */
static int expect_uint(xmlNodePtr n, const char *name, unsigned long max, unsigned long *v,
		       char *errbuf, size_t errlen)
{
	char *text = NULL;
	int rc = leaf_text(n, 16, &text, errbuf, errlen);
	if (rc)
		return rc;
	rc = parse_uint(text, max, v);
	if (rc)
		fail(errbuf, errlen, rc, "<%s> '%s' is not a number from 0 to %lu", name, text, max);
	free(text);
	return rc;
}

static int attr_string(xmlNodePtr n, const char *name, int required, size_t cap, char **out,
		       char *errbuf, size_t errlen)
{
	*out = NULL;
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (v == NULL)
		return required ? fail(errbuf, errlen, KR_EMALFORMED,
				       "<%s> lacks the %s attribute", n->name, name)
				: KR_OK;
	int rc = KR_OK;
	if (strlen((const char *)v) > cap)
		rc = fail(errbuf, errlen, KR_ETOOBIG, "%s attribute of <%s> is too long", name,
			  n->name);
	else if ((*out = strdup((const char *)v)) == NULL)
		rc = KR_ENOMEM;
	xmlFree(v);
	return rc;
}

static int attr_time(xmlNodePtr n, const char *name, const char *id, int required, int64_t *t,
		     int *present, char *errbuf, size_t errlen)
{
	char *v = NULL;
	int rc = attr_string(n, name, required, 64, &v, errbuf, errlen);
	if (rc)
		return rc;
	if (present != NULL)
		*present = v != NULL;
	if (v != NULL && (rc = kr_time_parse(v, t)) != KR_OK)
		fail(errbuf, errlen, rc, "KeyDigest %s: %s '%s' is not a valid time", id, name, v);
	free(v);
	return rc;
}

static int expect_name(xmlNodePtr n, xmlNodePtr parent, const char *name, char *errbuf,
		       size_t errlen)
{
	if (n == NULL)
		return fail(errbuf, errlen, KR_EMALFORMED, "<%s> lacks <%s>", parent->name, name);
	if (strcmp((const char *)n->name, name) != 0)
		return fail(errbuf, errlen, KR_EMALFORMED, "<%s> found where <%s> belongs in <%s>",
			    n->name, name, parent->name);
	return KR_OK;
}

static size_t digest_size(uint8_t type)
{
	switch (type) {
	case KR_DS_SHA1: return 20;
	case KR_DS_SHA256: return 32;
	case KR_DS_SHA384: return 48;
	default: return 0;
	}
}

/* Digest and KeyTag of d against its PublicKey+Flags (d->has_key). */
static int check_digest(const struct kr_name *zone, const struct kr_anchor_digest *d, char *errbuf,
			size_t errlen)
{
	uint8_t calc[KR_DIGEST_MAX];
	size_t clen = 0;
	int rc = kr_ds_digest(zone, &d->dnskey, d->digest_type, calc, &clen);
	if (rc == KR_EALG)
		return fail(errbuf, errlen, rc,
			    "KeyDigest %s: DigestType %u cannot be checked against its PublicKey",
			    d->id, d->digest_type);
	if (rc)
		return rc;
	if (clen != d->digest_len || CRYPTO_memcmp(calc, d->digest, clen) != 0)
		return fail(errbuf, errlen, KR_EBADSIG,
			    "KeyDigest %s: Digest does not match PublicKey and Flags", d->id);
	uint16_t tag = kr_dnskey_keytag(&d->dnskey);
	if (tag != d->key_tag)
		return fail(errbuf, errlen, KR_EBADSIG,
			    "KeyDigest %s: KeyTag %u does not match PublicKey and Flags (tag %u)",
			    d->id, d->key_tag, tag);
	return KR_OK;
}

static int parse_keydigest(xmlNodePtr kd, const struct kr_name *zone, struct kr_anchor_digest *d,
			   char *errbuf, size_t errlen)
{
	static const char *const attrs[] = {"id", "validFrom", "validUntil", NULL};
	int rc = check_attributes(kd, attrs, errbuf, errlen);
	if (rc || (rc = attr_string(kd, "id", 1, ID_MAX, &d->id, errbuf, errlen)) ||
	    (rc = attr_time(kd, "validFrom", d->id, 1, &d->valid_from, NULL, errbuf, errlen)) ||
	    (rc = attr_time(kd, "validUntil", d->id, 0, &d->valid_until, &d->has_valid_until,
			    errbuf, errlen)))
		return rc;
	if (d->has_valid_until && d->valid_until <= d->valid_from)
		return fail(errbuf, errlen, KR_ERANGE,
			    "KeyDigest %s: validUntil is not after validFrom", d->id);

	xmlNodePtr c = NULL;
	unsigned long v;
	if ((rc = next_element(kd, &c, errbuf, errlen)) ||
	    (rc = expect_name(c, kd, "KeyTag", errbuf, errlen)) ||
	    (rc = expect_uint(c, "KeyTag", 65535, &v, errbuf, errlen)))
		return rc;
	d->key_tag = (uint16_t)v;
	if ((rc = next_element(kd, &c, errbuf, errlen)) ||
	    (rc = expect_name(c, kd, "Algorithm", errbuf, errlen)) ||
	    (rc = expect_uint(c, "Algorithm", 255, &v, errbuf, errlen)))
		return rc;
	d->algorithm = (uint8_t)v;
	if ((rc = next_element(kd, &c, errbuf, errlen)) ||
	    (rc = expect_name(c, kd, "DigestType", errbuf, errlen)) ||
	    (rc = expect_uint(c, "DigestType", 255, &v, errbuf, errlen)))
		return rc;
	d->digest_type = (uint8_t)v;
	if ((rc = next_element(kd, &c, errbuf, errlen)) ||
	    (rc = expect_name(c, kd, "Digest", errbuf, errlen)))
		return rc;

	char *text = NULL;
	uint8_t *bin = NULL;
	size_t blen = 0;
	if ((rc = leaf_text(c, 2 * KR_DIGEST_MAX + 64, &text, errbuf, errlen)))
		return rc;
	rc = kr_hex_decode(text, strlen(text), KR_DIGEST_MAX, &bin, &blen);
	free(text);
	text = NULL;
	if (rc || blen == 0) {
		free(bin);
		return fail(errbuf, errlen, rc ? rc : KR_EMALFORMED,
			    "KeyDigest %s: Digest is not hex of at most %d bytes", d->id,
			    KR_DIGEST_MAX);
	}
	memcpy(d->digest, bin, blen);
	d->digest_len = blen;
	free(bin);
	bin = NULL;
	size_t want = digest_size(d->digest_type);
	if (want != 0 && want != blen)
		return fail(errbuf, errlen, KR_EMALFORMED,
			    "KeyDigest %s: Digest has %zu bytes, DigestType %u needs %zu", d->id,
			    blen, d->digest_type, want);

	if ((rc = next_element(kd, &c, errbuf, errlen)))
		return rc;
	int has_pub = 0, has_flags = 0;
	if (c != NULL && strcmp((const char *)c->name, "PublicKey") == 0) {
		has_pub = 1;
		if ((rc = leaf_text(c, 2 * KR_PUBKEY_MAX, &text, errbuf, errlen)))
			return rc;
		rc = kr_base64_decode(text, strlen(text), KR_PUBKEY_MAX, &bin, &blen);
		free(text);
		if (rc || blen == 0) {
			free(bin);
			return fail(errbuf, errlen, rc ? rc : KR_EMALFORMED,
				    "KeyDigest %s: PublicKey is not base64 of at most %d bytes",
				    d->id, KR_PUBKEY_MAX);
		}
		memcpy(d->dnskey.pubkey, bin, blen);
		d->dnskey.pubkey_len = (uint16_t)blen;
		free(bin);
		if ((rc = next_element(kd, &c, errbuf, errlen)))
			return rc;
	}
	if (c != NULL && strcmp((const char *)c->name, "Flags") == 0) {
		has_flags = 1;
		if ((rc = expect_uint(c, "Flags", 65535, &v, errbuf, errlen)))
			return rc;
		d->dnskey.flags = (uint16_t)v;
		if ((rc = next_element(kd, &c, errbuf, errlen)))
			return rc;
	}
	if (c != NULL)
		return fail(errbuf, errlen, KR_EMALFORMED, "KeyDigest %s: unexpected <%s>", d->id,
			    c->name);
	if (has_pub != has_flags)
		return fail(errbuf, errlen, KR_EMALFORMED,
			    "KeyDigest %s: PublicKey and Flags must appear together", d->id);
	if (!has_pub)
		return KR_OK;
	d->has_key = 1;
	d->dnskey.protocol = 3;
	d->dnskey.algorithm = d->algorithm;
	if (!(d->dnskey.flags & KR_DNSKEY_ZONE))
		return fail(errbuf, errlen, KR_EPOLICY,
			    "KeyDigest %s: Flags %u lack the Zone Key bit (256)", d->id,
			    d->dnskey.flags);
	return check_digest(zone, d, errbuf, errlen);
}

static void digest_clear(struct kr_anchor_digest *d)
{
	free(d->id);
	memset(d, 0, sizeof(*d));
}

void kr_anchor_free(struct kr_anchor *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->ndigests; i++)
		digest_clear(&a->digests[i]);
	free(a->digests);
	free(a->id);
	free(a->source);
	free(a);
}

static int parse_doc(xmlDocPtr doc, struct kr_anchor *a, char *errbuf, size_t errlen)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (root == NULL || root->ns != NULL || strcmp((const char *)root->name, "TrustAnchor") != 0)
		return fail(errbuf, errlen, KR_EMALFORMED, "the root element is not <TrustAnchor>");
	static const char *const attrs[] = {"id", "source", NULL};
	int rc = check_attributes(root, attrs, errbuf, errlen);
	if (rc || (rc = attr_string(root, "id", 1, ID_MAX, &a->id, errbuf, errlen)) ||
	    (rc = attr_string(root, "source", 1, SOURCE_MAX, &a->source, errbuf, errlen)))
		return rc;

	xmlNodePtr c = NULL;
	char *zone = NULL;
	if ((rc = next_element(root, &c, errbuf, errlen)) ||
	    (rc = expect_name(c, root, "Zone", errbuf, errlen)) ||
	    (rc = leaf_text(c, 1024, &zone, errbuf, errlen)))
		return rc;
	rc = zone[0] == '\0' ? KR_EMALFORMED : kr_name_from_str(zone, &a->zone);
	if (rc)
		fail(errbuf, errlen, rc, "<Zone> '%s' is not a domain name", zone);
	free(zone);
	if (rc)
		return rc;

	for (;;) {
		if ((rc = next_element(root, &c, errbuf, errlen)))
			return rc;
		if (c == NULL)
			break;
		if ((rc = expect_name(c, root, "KeyDigest", errbuf, errlen)))
			return rc;
		if (a->ndigests == KR_ANCHOR_MAX_DIGESTS)
			return fail(errbuf, errlen, KR_ETOOBIG, "more than %d KeyDigest elements",
				    KR_ANCHOR_MAX_DIGESTS);
		struct kr_anchor_digest *nd =
			realloc(a->digests, (a->ndigests + 1) * sizeof(*a->digests));
		if (nd == NULL)
			return KR_ENOMEM;
		a->digests = nd;
		struct kr_anchor_digest *d = &a->digests[a->ndigests++];
		memset(d, 0, sizeof(*d));
		if ((rc = parse_keydigest(c, &a->zone, d, errbuf, errlen)))
			return rc;
		for (size_t i = 0; i + 1 < a->ndigests; i++)
			if (strcmp(a->digests[i].id, d->id) == 0)
				return fail(errbuf, errlen, KR_EMALFORMED,
					    "KeyDigest id %s appears twice", d->id);
	}
	if (a->ndigests == 0)
		return fail(errbuf, errlen, KR_EMALFORMED, "<TrustAnchor> has no <KeyDigest>");
	return KR_OK;
}

int kr_anchor_parse(const uint8_t *xml, size_t len, struct kr_anchor **out, char *errbuf,
		    size_t errlen)
{
	if (xml == NULL || out == NULL)
		return KR_EINVAL;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	xmlDocPtr doc = NULL;
	struct kr_anchor *a = NULL;
	int rc = safe_parse(xml, len, &doc, errbuf, errlen);
	if (rc)
		goto out;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	if ((rc = parse_doc(doc, a, errbuf, errlen)))
		goto out;
	*out = a;
	a = NULL; /* transferred */
out:
	if (rc == KR_ENOMEM)
		fail(errbuf, errlen, rc, "out of memory");
	kr_anchor_free(a);
	xmlFreeDoc(doc);
	return rc;
}

int kr_anchor_read_file(const char *path, struct kr_anchor **out, char *errbuf, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = kr_read_file(path, KR_ANCHOR_MAX_SIZE, &buf, &len);
	if (rc == KR_ETOOBIG)
		return fail(errbuf, errlen, rc, "%s is larger than %d bytes", path,
			    KR_ANCHOR_MAX_SIZE);
	if (rc) {
		int e = errno;
		fail(errbuf, errlen, rc, "cannot read %s: %s", path, strerror(e));
		errno = e;
		return rc;
	}
	rc = kr_anchor_parse(buf, len, out, errbuf, errlen);
	free(buf);
	return rc;
}

/* --- model -------------------------------------------------------------------- */

static int random_uuid(char *buf, size_t size)
{
	uint8_t u[16];
	if (RAND_bytes(u, sizeof(u)) != 1)
		return KR_ECRYPTO;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	int n = snprintf(buf, size,
			 "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
			 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
			 u[12], u[13], u[14], u[15]);
	return n < 0 || (size_t)n >= size ? KR_ETOOBIG : KR_OK;
}

int kr_anchor_new(const struct kr_name *zone, const char *id, const char *source,
		  struct kr_anchor **out)
{
	if (zone == NULL || source == NULL || out == NULL)
		return KR_EINVAL;
	char uuid[40];
	int rc = id == NULL ? random_uuid(uuid, sizeof(uuid)) : KR_OK;
	if (rc)
		return rc;
	struct kr_anchor *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return KR_ENOMEM;
	a->zone = *zone;
	a->id = strdup(id != NULL ? id : uuid);
	a->source = strdup(source);
	if (a->id == NULL || a->source == NULL) {
		kr_anchor_free(a);
		return KR_ENOMEM;
	}
	*out = a;
	return KR_OK;
}

int kr_anchor_find_key(const struct kr_anchor *a, const struct kr_dnskey *key, size_t *index)
{
	if (a == NULL || key == NULL || index == NULL)
		return KR_EINVAL;
	for (size_t i = 0; i < a->ndigests; i++) {
		const struct kr_anchor_digest *d = &a->digests[i];
		uint8_t calc[KR_DIGEST_MAX];
		size_t clen = 0;
		if (d->algorithm != key->algorithm ||
		    kr_ds_digest(&a->zone, key, d->digest_type, calc, &clen) != KR_OK)
			continue;
		if (clen == d->digest_len && memcmp(calc, d->digest, clen) == 0) {
			*index = i;
			return KR_OK;
		}
	}
	return KR_ENOTFOUND;
}

int kr_anchor_add_key(struct kr_anchor *a, const char *id, const struct kr_dnskey *key,
		      int64_t valid_from, int64_t valid_until)
{
	if (a == NULL || key == NULL || valid_from < 0)
		return KR_EINVAL;
	if (valid_until != 0 && valid_until <= valid_from)
		return KR_ERANGE;
	if (!(key->flags & KR_DNSKEY_ZONE) || key->protocol != 3)
		return KR_EPOLICY;
	size_t at;
	if (kr_anchor_find_key(a, key, &at) == KR_OK)
		return KR_EEXIST;
	if (a->ndigests == KR_ANCHOR_MAX_DIGESTS)
		return KR_ETOOBIG;
	struct kr_anchor_digest d = {0};
	int rc = kr_ds_digest(&a->zone, key, KR_DS_SHA256, d.digest, &d.digest_len);
	if (rc)
		return rc;
	char gen[16];
	if (id == NULL) {
		snprintf(gen, sizeof(gen), "K%02x%02x%02x%02x", d.digest[0], d.digest[1],
			 d.digest[2], d.digest[3]);
		id = gen;
	}
	for (size_t i = 0; i < a->ndigests; i++)
		if (strcmp(a->digests[i].id, id) == 0)
			return KR_EEXIST;
	struct kr_anchor_digest *nd = realloc(a->digests, (a->ndigests + 1) * sizeof(*nd));
	if (nd == NULL)
		return KR_ENOMEM;
	a->digests = nd;
	if ((d.id = strdup(id)) == NULL)
		return KR_ENOMEM;
	d.valid_from = valid_from;
	d.valid_until = valid_until;
	d.has_valid_until = valid_until != 0;
	d.key_tag = kr_dnskey_keytag(key);
	d.algorithm = key->algorithm;
	d.digest_type = KR_DS_SHA256;
	d.has_key = 1;
	d.dnskey = *key;
	a->digests[a->ndigests++] = d;
	return KR_OK;
}

int kr_anchor_digest_valid_at(const struct kr_anchor_digest *d, int64_t t)
{
	return d->valid_from <= t && (!d->has_valid_until || t <= d->valid_until);
}

int kr_anchor_digest_ds(const struct kr_anchor *a, const struct kr_anchor_digest *d, char **out)
{
	if (a == NULL || d == NULL || out == NULL)
		return KR_EINVAL;
	char zone[1024], *hex = NULL;
	int rc = kr_name_to_str(&a->zone, zone, sizeof(zone));
	if (rc || (rc = kr_hex_encode(d->digest, d->digest_len, 1, &hex)))
		return rc;
	if (asprintf(out, "%s IN DS %u %u %u %s", zone, d->key_tag, d->algorithm, d->digest_type,
		     hex) < 0) {
		*out = NULL;
		rc = KR_ENOMEM;
	}
	free(hex);
	return rc;
}

/* --- writer ------------------------------------------------------------------- */

static int w_elem_uint(xmlTextWriterPtr w, const char *name, unsigned v)
{
	return xmlTextWriterWriteFormatElement(w, BAD_CAST name, "%u", v) < 0 ? KR_ELIB : KR_OK;
}

static int w_time_attr(xmlTextWriterPtr w, const char *name, int64_t t)
{
	char buf[32];
	int rc = kr_time_format_icann(t, buf, sizeof(buf));
	if (rc)
		return rc;
	return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST buf) < 0 ? KR_ELIB : KR_OK;
}

static int write_digest(xmlTextWriterPtr w, const struct kr_anchor_digest *d)
{
	char *hex = NULL, *b64 = NULL;
	int rc = KR_ELIB;
	if (xmlTextWriterStartElement(w, BAD_CAST "KeyDigest") < 0 ||
	    xmlTextWriterWriteAttribute(w, BAD_CAST "id", BAD_CAST d->id) < 0)
		goto out;
	if ((rc = w_time_attr(w, "validFrom", d->valid_from)) ||
	    (d->has_valid_until && (rc = w_time_attr(w, "validUntil", d->valid_until))) ||
	    (rc = w_elem_uint(w, "KeyTag", d->key_tag)) ||
	    (rc = w_elem_uint(w, "Algorithm", d->algorithm)) ||
	    (rc = w_elem_uint(w, "DigestType", d->digest_type)) ||
	    (rc = kr_hex_encode(d->digest, d->digest_len, 1, &hex)))
		goto out;
	rc = KR_ELIB;
	if (xmlTextWriterWriteElement(w, BAD_CAST "Digest", BAD_CAST hex) < 0)
		goto out;
	if (d->has_key) {
		if ((rc = kr_base64_encode(d->dnskey.pubkey, d->dnskey.pubkey_len, &b64)))
			goto out;
		rc = KR_ELIB;
		if (xmlTextWriterWriteElement(w, BAD_CAST "PublicKey", BAD_CAST b64) < 0 ||
		    w_elem_uint(w, "Flags", d->dnskey.flags) != KR_OK)
			goto out;
	}
	rc = xmlTextWriterEndElement(w) < 0 ? KR_ELIB : KR_OK;
out:
	free(hex);
	free(b64);
	return rc;
}

int kr_anchor_write(const struct kr_anchor *a, char **xml, size_t *len)
{
	if (a == NULL || xml == NULL || len == NULL)
		return KR_EINVAL;
	char zone[1024];
	int rc = kr_name_to_str(&a->zone, zone, sizeof(zone));
	if (rc)
		return rc;
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = buf != NULL ? xmlNewTextWriterMemory(buf, 0) : NULL;
	if (w == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	rc = KR_ELIB;
	if (xmlTextWriterSetIndent(w, 1) < 0 ||
	    xmlTextWriterSetIndentString(w, BAD_CAST "    ") < 0 ||
	    xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(w, BAD_CAST "TrustAnchor") < 0 ||
	    xmlTextWriterWriteAttribute(w, BAD_CAST "id", BAD_CAST a->id) < 0 ||
	    xmlTextWriterWriteAttribute(w, BAD_CAST "source", BAD_CAST a->source) < 0 ||
	    xmlTextWriterWriteElement(w, BAD_CAST "Zone", BAD_CAST zone) < 0)
		goto out;
	for (size_t i = 0; i < a->ndigests; i++)
		if ((rc = write_digest(w, &a->digests[i])))
			goto out;
	rc = KR_ELIB;
	if (xmlTextWriterEndDocument(w) < 0)
		goto out;
	xmlFreeTextWriter(w); /* flushes into buf */
	w = NULL;
	size_t n = (size_t)xmlBufferLength(buf);
	char *s = malloc(n + 1);
	if (s == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	memcpy(s, xmlBufferContent(buf), n);
	s[n] = '\0';
	*xml = s;
	*len = n;
	rc = KR_OK;
out:
	xmlFreeTextWriter(w);
	xmlBufferFree(buf);
	return rc;
}
