/*
 * yaml.h - loading YAML documents with libfyaml, quietly and with limits.
 *
 * The file is read with a size cap and must be UTF-8 text without control
 * characters or YAML directives; it is parsed without printing (the first
 * libfyaml diagnostic is returned as text), with duplicate keys refused.  Aliases are not resolved: callers that walk the
 * tree see an alias node as neither scalar, sequence nor mapping and refuse
 * it, so anchors cannot expand a small file into a large tree.
 */
#ifndef KR_YAML_H
#define KR_YAML_H

#include <stddef.h>

#include <libfyaml.h>

#define KR_YAML_MAX_SIZE (1024 * 1024)

/* Parse path (or "-") into *out.  The document points into *text, the file's
 * contents: free() it only after fy_document_destroy(*out).
 * KR_EMALFORMED with "line L column C: message" in why on a syntax error. */
int kr_yaml_load(const char *path, struct fy_document **out, char **text, char *why,
		 size_t whysize);
/* The same for a buffer, which must outlive the document. */
int kr_yaml_parse(const char *text, size_t len, struct fy_document **out, char *why,
		  size_t whysize);

/* The screen every YAML text passes before libfyaml sees it (kr_yaml_parse
 * applies it; callers building documents themselves must call it): KR_OK, or
 * KR_EMALFORMED with the byte offset and reason in why. */
int kr_yaml_text_check(const char *text, size_t len, char *why, size_t whysize);

/* The scalar text of node (NUL-terminated copy; caller frees) or
 * KR_EMALFORMED if node is not a plain scalar without NUL bytes. */
int kr_yaml_scalar(struct fy_node *node, char **out);

#endif
