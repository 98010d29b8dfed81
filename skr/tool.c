/*
 * tool.c - command-line plumbing for the KSR/SKR subcommands.
 */
#include "skr/tool.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/cli.h"
#include "lib/encode.h"
#include "lib/error.h"
#include "lib/pgpwords.h"

void kr_tool_signers_free(struct kr_signer *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kr_keystore_signer_free(&s[i]);
}

int kr_tool_signers(struct kr_keystore *ks, const char *const *labels, size_t n, uint16_t flags,
		    struct kr_signer *out)
{
	for (size_t i = 0; i < n; i++) {
		int rc = kr_keystore_signer(ks, labels[i], flags, &out[i]);

		if (rc) {
			kr_tool_signers_free(out, i);
			if (rc == KR_ENOTFOUND) {
				kr_cli_error("key %s: no such key on the token", labels[i]);
				return KR_EXIT_ENV;
			}
			kr_cli_fail(rc, "key %s", labels[i]);
			return KR_EXIT_ENV;
		}
	}
	return KR_EXIT_OK;
}

int kr_tool_hash(FILE *out, const char *label, const uint8_t *data, size_t len, char hex_out[65])
{
	uint8_t md[32];
	unsigned mdlen = 0;
	char *hex = NULL, *words = NULL;
	int rc;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return KR_ECRYPTO;
	rc = kr_hex_encode(md, mdlen, 0, &hex);
	if (rc == KR_OK)
		rc = kr_pgp_words(md, mdlen, &words);
	if (rc == KR_OK && out)
		fprintf(out, "%s SHA-256: %s\n%s PGP words: %s\n", label, hex, label, words);
	if (rc == KR_OK && hex_out)
		snprintf(hex_out, 65, "%s", hex);
	free(hex);
	free(words);
	return rc;
}
