/*
 * fuzz_trust.c - libFuzzer harness for the trust-anchor reader of
 * keyroll-ksr accept (ksr/accept.c): DS / DNSKEY zone-file lines or
 * root-anchors.xml.  Whatever it accepts must be one zone's KSK anchors
 * that kr_trust_match() can use.
 * Seed corpus: icann/get-trust-anchor's DS, DNSKEY and XML files.
 */
#include <stdint.h>
#include <stdlib.h>

#include "ksr/accept.h"
#include "lib/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_trust *t = NULL;
	char err[256];

	if (kr_trust_parse(data, size, &t, err, sizeof(err)) != KR_OK)
		return 0;
	if (t->n == 0)
		abort();
	for (size_t i = 0; i < t->n; i++) {
		const struct kr_trust_key *k = &t->keys[i];

		if (k->has_key && kr_trust_match(t, &k->dnskey, k->valid_from) != 1 &&
		    (k->dnskey.flags & 0x81) == 0x01)
			abort();
	}
	kr_trust_free(t);
	return 0;
}
