/*
 * libFuzzer harness for the KSR/SKR codec: any input must be rejected
 * cleanly or parse into a model that writes back and re-parses to the same
 * serialisation; the checks and the SKR verification must then run on it
 * without crashing.  Seed corpus: the real ICANN files.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ksr/checks.h"
#include "lib/error.h"
#include "lib/ksr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_ksr_doc *d = NULL, *d2 = NULL;
	char err[256];
	char *xml = NULL, *xml2 = NULL;
	size_t len = 0, len2 = 0;

	if (kr_ksr_parse(data, size, &d, err, sizeof(err)) != KR_OK)
		return 0;
	if (kr_ksr_write(d, &xml, &len) == KR_OK) {
		if (kr_ksr_parse((const uint8_t *)xml, len, &d2, err, sizeof(err)) != KR_OK)
			abort(); /* our own output must parse */
		if (kr_ksr_write(d2, &xml2, &len2) != KR_OK || len2 != len ||
		    memcmp(xml, xml2, len) != 0)
			abort(); /* and be a fixed point */
	}
	struct kr_check_report rep = {0};
	if (d->kind == KR_KSR_RESPONSE) {
		kr_skr_check(d, &rep);
	} else {
		static struct kr_policy pol; /* all limits zero: every check runs */
		kr_ksr_check(d, NULL, &pol, 0, &rep);
	}
	for (size_t i = 0; i < d->nbundles; i++)
		(void)kr_dnskey_response_size(&d->domain, &d->bundles[i]);
	kr_check_report_clear(&rep);
	free(xml);
	free(xml2);
	kr_ksr_free(d);
	kr_ksr_free(d2);
	return 0;
}
