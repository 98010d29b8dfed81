/*
 * ta_schema.c - the RFC 9718 RELAX NG grammar shipped in trustanchor/rfc9718.rng,
 * built into the tool (assembler .incbin, so the file stays the one source)
 * and applied with libxml2's RELAX NG validator.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "lib/error.h"
#include "trustanchor/ta.h"

__asm__(".section .rodata\n"
	".global ta_rfc9718_rng\n"
	".type ta_rfc9718_rng, @object\n"
	"ta_rfc9718_rng:\n"
	".incbin \"trustanchor/rfc9718.rng\"\n"
	".global ta_rfc9718_rng_end\n"
	"ta_rfc9718_rng_end:\n"
	".previous\n");
extern const char ta_rfc9718_rng[];
extern const char ta_rfc9718_rng_end[];

struct errsink {
	char *buf;
	size_t len;
};

static void collect(void *ctx, xmlErrorPtr e)
{
	struct errsink *s = ctx;
	if (s->buf == NULL || s->len == 0 || s->buf[0] != '\0' || e == NULL || e->message == NULL)
		return;
	const xmlNode *n = e->node;
	if (n != NULL && n->type == XML_ELEMENT_NODE)
		snprintf(s->buf, s->len, "line %d: <%s>: %s", e->line, n->name, e->message);
	else
		snprintf(s->buf, s->len, "line %d: %s", e->line, e->message);
	s->buf[strcspn(s->buf, "\n")] = '\0';
}

int ta_schema_validate(const char *xml, size_t len, char *err, size_t errlen)
{
	if (xml == NULL || len > KR_ANCHOR_MAX_SIZE)
		return KR_EINVAL;
	struct errsink sink = {err, errlen};
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	xmlRelaxNGParserCtxtPtr pctx = xmlRelaxNGNewMemParserCtxt(
		ta_rfc9718_rng, (int)(ta_rfc9718_rng_end - ta_rfc9718_rng));
	xmlRelaxNGPtr schema = NULL;
	xmlRelaxNGValidCtxtPtr vctx = NULL;
	xmlDocPtr doc = NULL;
	int rc = KR_ELIB;
	if (pctx == NULL)
		goto out;
	xmlRelaxNGSetParserStructuredErrors(pctx, collect, &sink);
	if ((schema = xmlRelaxNGParse(pctx)) == NULL || (vctx = xmlRelaxNGNewValidCtxt(schema)) == NULL)
		goto out;
	xmlRelaxNGSetValidStructuredErrors(vctx, collect, &sink);
	/* Our own output only: no DOCTYPE can be in it, and no network is allowed. */
	doc = xmlReadMemory(xml, (int)len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		rc = KR_EMALFORMED;
		goto out;
	}
	rc = xmlRelaxNGValidateDoc(vctx, doc) == 0 ? KR_OK : KR_EMALFORMED;
out:
	if (rc && err != NULL && errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "%s", rc == KR_ELIB ? "cannot load the RFC 9718 schema"
							  : "not valid XML");
	xmlFreeDoc(doc);
	xmlRelaxNGFreeValidCtxt(vctx);
	xmlRelaxNGFree(schema);
	xmlRelaxNGFreeParserCtxt(pctx);
	return rc;
}
