/*
 * fuzz_anchor.c - libFuzzer harness for the RFC 9718 reader (lib/anchor.c).
 * Whatever the reader accepts must survive the writer: the written form
 * parses again to the same digests and validates against the shipped schema.
 * Seed corpus: the files in shared/testdata/iana and icann/get-trust-anchor.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/anchor.h"
#include "lib/error.h"
#include "trustanchor/ta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_anchor *a = NULL, *b = NULL;
	char err[256], *xml = NULL;
	size_t len = 0;
	if (kr_anchor_parse(data, size, &a, err, sizeof(err)) != KR_OK)
		return 0;
	if (kr_anchor_write(a, &xml, &len) != KR_OK)
		abort();
	if (kr_anchor_parse((const uint8_t *)xml, len, &b, err, sizeof(err)) != KR_OK)
		abort();
	if (b->ndigests != a->ndigests)
		abort();
	for (size_t i = 0; i < a->ndigests; i++) {
		const struct kr_anchor_digest *x = &a->digests[i], *y = &b->digests[i];
		if (x->key_tag != y->key_tag || x->digest_len != y->digest_len ||
		    memcmp(x->digest, y->digest, x->digest_len) != 0 || x->has_key != y->has_key ||
		    strcmp(x->id, y->id) != 0 || x->valid_from != y->valid_from)
			abort();
	}
	if (ta_schema_validate(xml, len, err, sizeof(err)) != KR_OK)
		abort();
	free(xml);
	kr_anchor_free(a);
	kr_anchor_free(b);
	return 0;
}
