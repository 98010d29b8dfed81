#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "ceremony/ceremony.h"
#include "lib/cli.h"
#include "lib/error.h"
#include "lib/fileio.h"

#define PUBKEY_FILE_MAX (64 * 1024)

/* The DNSSEC algorithm for a software public key of this type and size. */
static int pkey_alg(EVP_PKEY *pkey, uint8_t *alg)
{
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA: *alg = KR_ALG_RSASHA256; return KR_OK;
	case EVP_PKEY_ED25519: *alg = KR_ALG_ED25519; return KR_OK;
	case EVP_PKEY_EC:
		*alg = EVP_PKEY_get_bits(pkey) == 384 ? KR_ALG_ECDSAP384SHA384 : KR_ALG_ECDSAP256SHA256;
		return KR_OK;
	default: return KR_EALG;
	}
}

int kr_ceremony_read_pubkey(const char *path, struct kr_dnskey *out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	EVP_PKEY *pkey = NULL;
	int rc = kr_read_file(path, PUBKEY_FILE_MAX, &buf, &len);
	if (rc != KR_OK) {
		kr_cli_fail(rc, "reading the audit public key %s", path);
		return rc;
	}
	if (strstr((char *)buf, "-----BEGIN PUBLIC KEY-----") != NULL) {
		BIO *bio = BIO_new_mem_buf(buf, (int)len);
		uint8_t alg = 0;
		pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		rc = pkey == NULL ? KR_EMALFORMED : pkey_alg(pkey, &alg);
		if (rc == KR_OK)
			rc = kr_dnskey_from_pkey(pkey, alg, KR_DNSKEY_ZONE | KR_DNSKEY_SEP, out);
	} else {
		/* the first line that is not a comment */
		char *line = (char *)buf;
		while (*line == ';' || *line == '#' || *line == '\n')
			line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != '\0');
		line[strcspn(line, "\n")] = '\0';
		rc = kr_dnskey_parse(line, NULL, NULL, out);
	}
	if (rc != KR_OK)
		kr_cli_fail(rc, "%s is neither a PEM public key nor a DNSKEY line", path);
	EVP_PKEY_free(pkey);
	free(buf);
	return rc;
}

int kr_ceremony_write_pubkey(const char *path, const struct kr_dnskey *key)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *data = NULL;
	int rc = kr_dnskey_to_pkey(key, &pkey);
	if (rc != KR_OK)
		return rc;
	rc = KR_ECRYPTO;
	if ((bio = BIO_new(BIO_s_mem())) != NULL && PEM_write_bio_PUBKEY(bio, pkey) == 1) {
		long n = BIO_get_mem_data(bio, &data);
		rc = n > 0 ? kr_write_file_atomic(path, data, (size_t)n, 0644) : KR_ECRYPTO;
	}
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return rc;
}
