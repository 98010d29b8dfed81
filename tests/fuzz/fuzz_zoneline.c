/* libFuzzer harness: zone-file DNSKEY/DS/RRSIG line parsers, times, base64. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dnssec.h"
#include "lib/encode.h"
#include "lib/timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct kr_dnskey k;
	struct kr_rrsig r;
	struct kr_name n;
	uint32_t ttl, t32;
	uint16_t tag;
	uint8_t alg, dt, digest[KR_DIGEST_MAX], *out = NULL;
	size_t dlen, olen;
	int64_t t;
	char *fmt = NULL;
	if (kr_dnskey_parse(s, &n, &ttl, &k) == 0) {
		kr_dnskey_keytag(&k);
		kr_dnskey_params(&k, NULL, NULL);
		if (kr_dnskey_format(&n, ttl, &k, &fmt) == 0)
			free(fmt);
	}
	if (kr_rrsig_parse(s, &n, &ttl, &r) == 0 && kr_rrsig_format(&n, ttl, &r, &fmt) == 0)
		free(fmt);
	kr_ds_parse(s, &n, &tag, &alg, &dt, digest, &dlen);
	kr_time_parse(s, &t);
	kr_duration_parse(s, &t);
	kr_rrsig_time_parse(s, &t32);
	kr_name_from_str(s, &n);
	if (kr_base64_decode(s, size, 4096, &out, &olen) == 0)
		free(out);
	free(s);
	return 0;
}
