/*
 * tool.c - command-line plumbing for the KSR/SKR subcommands.
 */
#include "skr/tool.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "lib/cli.h"
#include "lib/encode.h"
#include "lib/error.h"
#include "lib/pgpwords.h"
#include "lib/respsize.h"
#include "lib/timeutil.h"

int kr_tool_policy(const char *path, struct kr_policy **out)
{
	char def[1024], err[512] = "";
	int rc;

	if (!path) {
		rc = kr_policy_default_path(def, sizeof(def));
		if (rc)
			return kr_cli_fail(rc, "no default policy (skr/policies/root.yaml); give --policy");
		path = def;
	}
	rc = kr_policy_load(path, out, err, sizeof(err));
	if (rc) {
		kr_cli_error("policy %s: %s", path, err[0] ? err : kr_strerror(rc));
		return rc == KR_ESYS ? KR_EXIT_ENV : KR_EXIT_REJECTED;
	}
	return KR_EXIT_OK;
}

int kr_tool_now(const char *arg, int64_t *now)
{
	if (!arg) {
		*now = (int64_t)time(NULL);
		return KR_EXIT_OK;
	}
	if (kr_time_parse(arg, now) != KR_OK) {
		kr_cli_error("--now %s: not a time (YYYY-MM-DDTHH:MM:SSZ)", arg);
		return KR_EXIT_USAGE;
	}
	return KR_EXIT_OK;
}

int kr_tool_read_doc(const char *path, const char *what, int want_kind, struct kr_ksr_doc **out)
{
	char err[512] = "";
	int rc;

	rc = kr_ksr_read_file(path, out, err, sizeof(err));
	if (rc) {
		kr_cli_error("%s %s: %s", what, path, err[0] ? err : kr_strerror(rc));
		return rc == KR_ESYS ? KR_EXIT_ENV : KR_EXIT_REJECTED;
	}
	if ((int)(*out)->kind != want_kind) {
		kr_cli_error("%s %s: is %s, not %s", what, path,
			     (*out)->kind == KR_KSR_REQUEST ? "a KSR (<Request>)" : "an SKR (<Response>)",
			     want_kind == KR_KSR_REQUEST ? "a KSR" : "an SKR");
		kr_ksr_free(*out);
		*out = NULL;
		return KR_EXIT_REJECTED;
	}
	return KR_EXIT_OK;
}

void kr_tool_signers_free(struct kr_signer *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kr_keystore_signer_free(&s[i]);
}

int kr_tool_signers(struct kr_keystore *ks, const char *const *labels, size_t n,
		    uint16_t flags, struct kr_signer *out)
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

int kr_tool_print_hash(FILE *out, const char *label, const uint8_t *data, size_t len)
{
	uint8_t md[32];
	unsigned mdlen = 0;
	char *hex = NULL, *words = NULL;
	int rc;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		return KR_ECRYPTO;
	rc = kr_hex_encode(md, mdlen, 0, &hex);
	if (rc == KR_OK)
		rc = kr_pgp_words(md, mdlen, &words);
	if (rc == KR_OK)
		fprintf(out, "%s SHA-256: %s\n%s PGP words: %s\n", label, hex, label, words);
	free(hex);
	free(words);
	return rc;
}

/* Comma-separated key tags of the bundle's ZSKs (ksk 0) or KSKs (ksk 1),
 * KSKs marked S (signs), P (published only), R (revoked). */
static void tags(const struct kr_ksr_bundle *b, int ksk, char *buf, size_t size)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < b->nkeys; i++) {
		const struct kr_dnskey *k = &b->keys[i].dnskey;
		uint16_t tag = kr_dnskey_keytag(k);
		int signs = 0, n;

		if (!!(k->flags & KR_DNSKEY_SEP) != ksk)
			continue;
		for (size_t j = 0; j < b->nsigs; j++)
			if (b->sigs[j].rrsig.key_tag == tag &&
			    strcmp(b->sigs[j].key_identifier, b->keys[i].key_identifier) == 0)
				signs = 1;
		n = snprintf(buf + pos, size - pos, "%s%u%s%s", pos ? "," : "", tag,
			     !ksk ? "" : (k->flags & KR_DNSKEY_REVOKE) ? "R" : "",
			     !ksk ? "" : signs ? "S" : (k->flags & KR_DNSKEY_REVOKE) ? "" : "P");
		if (n < 0 || (size_t)n >= size - pos)
			break;
		pos += (size_t)n;
	}
	if (!pos)
		snprintf(buf, size, "-");
}

size_t kr_tool_print_bundles(FILE *out, const struct kr_ksr_doc *doc)
{
	size_t over = 0;

	fprintf(out, "%-3s %-20s %-20s %-18s %-24s %s\n", "#", "inception", "expiration", "ZSK tags",
		"KSK tags", "DNSKEY response");
	for (size_t i = 0; i < doc->nbundles; i++) {
		const struct kr_ksr_bundle *b = &doc->bundles[i];
		struct kr_dnskey keys[64];
		struct kr_rrsig sigs[16];
		size_t nk = b->nkeys < 64 ? b->nkeys : 64, ns = b->nsigs < 16 ? b->nsigs : 16, size = 0;
		char inc[32], exp[32], ztags[128], ktags[128];

		for (size_t k = 0; k < nk; k++)
			keys[k] = b->keys[k].dnskey;
		for (size_t k = 0; k < ns; k++)
			sigs[k] = b->sigs[k].rrsig;
		if (kr_time_format(b->inception, inc, sizeof(inc)) ||
		    kr_time_format(b->expiration, exp, sizeof(exp)))
			inc[0] = exp[0] = '\0';
		tags(b, 0, ztags, sizeof(ztags));
		tags(b, 1, ktags, sizeof(ktags));
		fprintf(out, "%-3zu %-20s %-20s %-18s %-24s ", i + 1, inc, exp, ztags, ktags);
		if (kr_dnskey_response_size(&doc->domain, keys, nk, sigs, ns, &size) == KR_OK) {
			fprintf(out, "%zu bytes%s\n", size,
				size > KR_DNS_SAFE_UDP_SIZE ? " (over 1232)" : "");
			over += size > KR_DNS_SAFE_UDP_SIZE;
		} else {
			fprintf(out, "?\n");
		}
	}
	fprintf(out, "KSK tags: S signs, P published only, R revoked (flag 128)\n");
	return over;
}

void kr_tool_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}
