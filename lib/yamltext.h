/*
 * yamltext.h - the screen every YAML text passes before libfyaml sees it.
 *
 * libfyaml 0.7.12 loops forever on a directive line ('%' at the start of a
 * line) followed by bytes that are not UTF-8 (found by fuzzing; e.g. the two
 * bytes "%\x92").  keyroll's YAML files (policies, plans, scripts) need
 * neither directives nor anything but UTF-8, so both are refused up front.
 */
#ifndef KR_YAMLTEXT_H
#define KR_YAMLTEXT_H

#include <stddef.h>

/* KR_OK, or KR_EMALFORMED with the reason (and byte offset) in errbuf. */
int kr_yaml_text_check(const char *text, size_t len, char *errbuf, size_t errlen);

#endif
