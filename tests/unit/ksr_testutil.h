/*
 * ksr_testutil.h - helpers shared by the KSR/SKR unit tests: paths into
 * TESTDATA, reading real files, and text mutation of a real file.
 */
#ifndef KR_KSR_TESTUTIL_H
#define KR_KSR_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fileio.h"
#include "lib/ksr.h"

__attribute__((unused)) static char *testdata(const char *rel)
{
	static char path[4096];
	const char *td = getenv("TESTDATA");
	snprintf(path, sizeof(path), "%s/%s", td ? td : "../shared/testdata", rel);
	return path;
}

__attribute__((unused)) static char *slurp(const char *rel, size_t *len)
{
	uint8_t *buf = NULL;
	assert_int_equal(kr_read_file(testdata(rel), KR_KSR_MAX_SIZE, &buf, len), 0);
	return (char *)buf;
}

/* Replace the nth (1-based) occurrence of old in text by repl: a new string. */
__attribute__((unused)) static char *mutate(const char *text, const char *old, const char *repl, int nth)
{
	const char *p = text;
	for (int i = 0; i < nth; i++) {
		p = strstr(i ? p + 1 : p, old);
		if (p == NULL)
			fail_msg("mutation: \"%s\" #%d not found", old, nth);
	}
	size_t pre = (size_t)(p - text), ol = strlen(old), nl = strlen(repl);
	char *out = malloc(strlen(text) - ol + nl + 1);
	assert_non_null(out);
	memcpy(out, text, pre);
	memcpy(out + pre, repl, nl);
	strcpy(out + pre + nl, p + ol);
	return out;
}

#endif
