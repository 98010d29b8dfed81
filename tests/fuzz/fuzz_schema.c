/*
 * fuzz_schema.c - libFuzzer harness for the custom rollover schemas of a
 * policy file (skr/schema.c, libfyaml).  Every schema it accepts must be
 * usable: a signing key in every slot it covers, no key both published and
 * revoked, and a readable description of each slot.
 * Seed corpus: the policy files with schemas (tests/data, skr/policies).
 */
#include <stdint.h>
#include <stdlib.h>

#include "lib/error.h"
#include "skr/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_schema *v = NULL;
	size_t n = 0;
	char err[256], buf[512];

	if (kr_schema_parse_yaml((const char *)data, size, &v, &n, err, sizeof(err)) != KR_OK)
		return 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t slot = 1; slot <= 12; slot++) {
			struct kr_schema_action a;

			if (kr_schema_slot(&v[i], slot, 12, &a) != KR_OK)
				continue;
			if (!a.sign || (a.publish & a.revoke))
				abort();
			if (kr_schema_action_format(&v[i], &a, buf, sizeof(buf)) != KR_OK)
				abort();
		}
	}
	free(v);
	return 0;
}
