#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/yaml.h"

/* libfyaml reports through a diag object; with none it prints to stderr, and
 * its collecting mode leaks the collected errors (0.7.12).  So diagnostics
 * go to a callback: dropped while parsing, captured when a failed parse is
 * repeated to say why. */
struct capture {
	char text[256];
	size_t len;
};

static void discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

static void capture(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	struct capture *c = user;
	size_t room = sizeof(c->text) - 1 - c->len;
	if (len > room)
		len = room;
	memcpy(c->text + c->len, buf, len);
	c->len += len;
	c->text[c->len] = '\0';
}

static struct fy_document *build(const char *text, size_t len, fy_diag_output_fn fn, void *user)
{
	struct fy_diag_cfg dcfg;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = fn;
	dcfg.user = user;
	dcfg.colorize = false;
	dcfg.show_source = false;
	dcfg.show_type = false;
	dcfg.show_module = false;
	struct fy_diag *diag = fy_diag_create(&dcfg);
	if (diag == NULL)
		return NULL;
	struct fy_parse_cfg cfg = {.search_path = NULL, .flags = 0, .userdata = NULL, .diag = diag};
	struct fy_document *doc = fy_document_build_from_string(&cfg, text, len);
	fy_diag_unref(diag); /* the document keeps its own reference */
	return doc;
}

/* "<name>:L:C: error: message" -> "line L column C: message" */
static void first_error(const char *text, size_t len, char *why, size_t whysize)
{
	struct capture c = {.len = 0};
	c.text[0] = '\0';
	struct fy_document *doc = build(text, len, capture, &c);
	if (doc != NULL)
		fy_document_destroy(doc);
	c.text[strcspn(c.text, "\n")] = '\0';
	int line = 0, col = 0, n = 0;
	const char *colon = strchr(c.text, ':');
	if (colon != NULL && sscanf(colon, ":%d:%d: %n", &line, &col, &n) == 2 && n > 0) {
		const char *msg = colon + n;
		if (strncmp(msg, "error: ", 7) == 0)
			msg += 7;
		snprintf(why, whysize, "line %d column %d: %s", line, col, msg);
	} else {
		snprintf(why, whysize, "%s", c.text[0] ? c.text : "YAML syntax error");
	}
}

/*
 * Text keyroll reads as YAML: UTF-8 (strict: no overlong forms, surrogates or
 * code points past U+10FFFF), no control characters but tab, newline and
 * carriage return, and no directive lines ('%' at the start of a line, after
 * any YAML 1.1 line break including NEL, LS and PS): libfyaml 0.7.12 loops
 * forever on some malformed directives.
 */
int kr_yaml_text_check(const char *text, size_t len, char *why, size_t whysize)
{
	const uint8_t *p = (const uint8_t *)text;
	size_t i = 0;
	int line_start = 1;
	while (i < len) {
		uint8_t c = p[i];
		size_t n = 0;
		uint32_t cp = 0;
		if (c < 0x80) {
			if (line_start && c == '%')
				goto directive;
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				goto bad;
			line_start = c == '\n' || c == '\r';
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			goto bad;
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		line_start = cp == 0x85 || cp == 0x2028 || cp == 0x2029;
		i += n + 1;
	}
	return KR_OK;
directive:
	if (why != NULL && whysize > 0)
		snprintf(why, whysize, "byte %zu: YAML directives (%%) are not accepted", i);
	return KR_EMALFORMED;
bad:
	if (why != NULL && whysize > 0)
		snprintf(why, whysize, "byte %zu: not UTF-8 text, or a control character", i);
	return KR_EMALFORMED;
}

int kr_yaml_parse(const char *text, size_t len, struct fy_document **out, char *why,
		  size_t whysize)
{
	if ((text == NULL && len > 0) || out == NULL)
		return KR_EINVAL;
	if (why != NULL && whysize > 0)
		why[0] = '\0';
	if (len > KR_YAML_MAX_SIZE)
		return KR_ETOOBIG;
	int rc = kr_yaml_text_check(text, len, why, whysize);
	if (rc)
		return rc;
	struct fy_document *doc = build(text ? text : "", len, discard, NULL);
	if (doc == NULL) {
		if (why != NULL && whysize > 0)
			first_error(text ? text : "", len, why, whysize);
		return KR_EMALFORMED;
	}
	if (fy_document_root(doc) == NULL) {
		if (why != NULL && whysize > 0)
			snprintf(why, whysize, "the document is empty");
		fy_document_destroy(doc);
		return KR_EMALFORMED;
	}
	*out = doc;
	return KR_OK;
}

int kr_yaml_load(const char *path, struct fy_document **out, char **text, char *why,
		 size_t whysize)
{
	if (text == NULL)
		return KR_EINVAL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = kr_read_file(path, KR_YAML_MAX_SIZE, &buf, &len);
	if (rc != KR_OK) {
		if (why != NULL && whysize > 0)
			snprintf(why, whysize, "cannot read %s", path ? path : "(null)");
		return rc;
	}
	rc = kr_yaml_parse((const char *)buf, len, out, why, whysize);
	if (rc == KR_OK)
		*text = (char *)buf;
	else
		free(buf);
	return rc;
}

int kr_yaml_scalar(struct fy_node *node, char **out)
{
	if (node == NULL || out == NULL || !fy_node_is_scalar(node) || fy_node_is_alias(node))
		return KR_EMALFORMED;
	size_t len = 0;
	const char *s = fy_node_get_scalar(node, &len);
	if (s == NULL || (len > 0 && memchr(s, 0, len) != NULL))
		return KR_EMALFORMED;
	char *c = malloc(len + 1);
	if (c == NULL)
		return KR_ENOMEM;
	memcpy(c, s, len);
	c[len] = '\0';
	*out = c;
	return KR_OK;
}
