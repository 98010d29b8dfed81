#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/yaml.h"

int kr_yaml_parse(const char *text, size_t len, struct fy_document **out, char *why,
		  size_t whysize)
{
	if ((text == NULL && len > 0) || out == NULL)
		return KR_EINVAL;
	if (why != NULL && whysize > 0)
		why[0] = '\0';
	if (len > KR_YAML_MAX_SIZE)
		return KR_ETOOBIG;
	struct fy_diag_cfg dcfg;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	struct fy_diag *diag = fy_diag_create(&dcfg);
	if (diag == NULL)
		return KR_ENOMEM;
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg cfg = {
		.search_path = NULL,
		.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG,
		.userdata = NULL,
		.diag = diag,
	};
	int rc = KR_OK;
	struct fy_document *doc = fy_document_build_from_string(&cfg, text ? text : "", len);
	if (doc == NULL) {
		rc = KR_EMALFORMED;
		void *it = NULL;
		struct fy_diag_error *e = fy_diag_errors_iterate(diag, &it);
		if (why != NULL && whysize > 0) {
			if (e != NULL)
				snprintf(why, whysize, "line %d column %d: %s", e->line + 1,
					 e->column + 1, e->msg ? e->msg : "syntax error");
			else
				snprintf(why, whysize, "YAML syntax error");
		}
	} else if (fy_document_root(doc) == NULL) {
		rc = KR_EMALFORMED;
		if (why != NULL && whysize > 0)
			snprintf(why, whysize, "the document is empty");
		fy_document_destroy(doc);
		doc = NULL;
	}
	fy_diag_unref(diag);
	if (rc == KR_OK)
		*out = doc;
	return rc;
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
