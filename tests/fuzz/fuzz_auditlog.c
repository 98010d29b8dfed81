/*
 * fuzz_auditlog.c - libFuzzer harness for the audit log reader
 * (ceremony/auditlog.c) and the canonical CBOR decoder under it.  Whatever
 * the reader accepts is a proper chain: every record's hash is the SHA-256
 * of its bytes, names its predecessor's, and re-encodes byte for byte; no
 * seal verifies under a key that never signed anything.
 * Seed corpus: tests/fuzz/corpus/fuzz_auditlog (logs of rehearsals).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ceremony/auditlog.h"
#include "lib/cbor.h"
#include "lib/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_audit_view *v = NULL;
	char why[256];
	if (kr_audit_parse(data, size, &v, why, sizeof(why)) != KR_OK)
		return 0;
	size_t end = 0;
	for (size_t i = 0; i < v->n; i++) {
		const struct kr_audit_record *r = &v->recs[i];
		uint8_t h[32];
		unsigned int hl = 0;
		if (r->offset != end || r->len == 0 || r->offset + r->len > size ||
		    EVP_Digest(data + r->offset, r->len, h, &hl, EVP_sha256(), NULL) != 1 ||
		    memcmp(h, r->hash, 32) != 0 || r->seq != i ||
		    (i > 0 && memcmp(r->prev, v->recs[i - 1].hash, 32) != 0))
			abort();
		end = r->offset + r->len;
		/* canonical: decoding and encoding again gives the same bytes */
		cbor_item_t *item = NULL;
		uint8_t *enc = NULL;
		size_t elen = 0;
		if (kr_cbor_decode(data + r->offset, r->len, &item) != KR_OK ||
		    kr_cbor_encode(item, &enc, &elen) != KR_OK || elen != r->len ||
		    memcmp(enc, data + r->offset, elen) != 0)
			abort();
		free(enc);
		cbor_decref(&item);
	}
	if (end != size)
		abort();
	/* an Ed25519 key with an all-zero public value signed nothing */
	struct kr_dnskey key = {.flags = 257, .protocol = 3, .algorithm = KR_ALG_ED25519,
				.pubkey_len = 32};
	if (kr_audit_verify_seal(v, &key, why, sizeof(why)) == KR_OK)
		abort();
	kr_audit_view_free(v);
	return 0;
}
