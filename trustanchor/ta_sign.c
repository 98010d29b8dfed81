/*
 * ta_sign.c - keyroll-trustanchor sign: a detached DER CMS signature (SHA-256)
 * over the exact bytes of a trust-anchor file, as `openssl cms -sign -binary`
 * makes it, with the signer key in a PEM file or in a token (libp11 EVP_PKEY:
 * the private key never leaves the token).
 *
 * Only a document that passes the strict reader and the RFC 9718 grammar is
 * signed, and only with a certificate that has the digitalSignature key
 * usage; the signature is verified over the file before it is written.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hsm/keystore.h"
#include "lib/anchor.h"
#include "lib/cli.h"
#include "lib/encode.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/pgpwords.h"
#include "trustanchor/commands.h"
#include "trustanchor/ta.h"

#define PEM_MAX (256 * 1024)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: keyroll-trustanchor sign XML --signer-cert CERT [--signer-chain PEM]\n"
		"         (--signer-key KEY.pem | --token T [--module M] [--pin-file F | --card C...]\n"
		"          --signer-label L) --out P7S\n"
		"Make a detached DER CMS signature (SHA-256) over the exact bytes of XML.\n"
		"  --signer-cert CERT   PEM certificate of the signer (digitalSignature required)\n"
		"  --signer-chain PEM   intermediate CA certificates to include in the signature\n"
		"  --signer-key KEY     PEM private key of the signer (software key)\n"
		"  --token T --signer-label L   the signer key inside a token (RSA or ECDSA)\n"
		"  --out P7S            where to write the signature (atomically)\n");
}

/* Certificates from a PEM file; want_one: exactly one. */
static int read_certs(const char *path, int want_one, STACK_OF(X509) **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = kr_read_file(path, PEM_MAX, &buf, &len);
	if (rc)
		return kr_cli_fail(rc, "reading %s", path);
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509 *x = NULL;
	while (bio != NULL && certs != NULL && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(certs, x)) {
			X509_free(x);
			break;
		}
	ERR_clear_error(); /* the end of the PEM stream is reported as an error */
	BIO_free(bio);
	free(buf);
	int n = certs != NULL ? sk_X509_num(certs) : 0;
	if (n == 0 || (want_one && n != 1)) {
		sk_X509_pop_free(certs, X509_free);
		kr_cli_error("%s: want %s PEM certificate%s, found %d", path,
			     want_one ? "exactly one" : "at least one", want_one ? "" : "s", n);
		return KR_EXIT_REJECTED;
	}
	*out = certs;
	return KR_EXIT_OK;
}

static int read_key(const char *path, EVP_PKEY **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = kr_read_file(path, PEM_MAX, &buf, &len);
	if (rc)
		return kr_cli_fail(rc, "reading %s", path);
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	/* An encrypted key makes OpenSSL prompt for its pass phrase on the terminal. */
	EVP_PKEY *k = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (k == NULL) {
		kr_cli_error("%s: not a PEM private key", path);
		ERR_clear_error();
		return KR_EXIT_REJECTED;
	}
	*out = k;
	return KR_EXIT_OK;
}

/* SHA-256 of the signed bytes, as hex and PGP words, for the ceremony record. */
static void print_fingerprint(const char *path, const uint8_t *data, size_t len)
{
	uint8_t md[32];
	unsigned int mdlen = 0;
	char *hex = NULL, *words = NULL;
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) == 1 &&
	    kr_hex_encode(md, mdlen, 1, &hex) == KR_OK &&
	    kr_pgp_words(md, mdlen, &words) == KR_OK)
		printf("%s SHA-256 %s\n%s\n", path, hex, words);
	free(hex);
	free(words);
}

int ta_cmd_sign(int argc, char **argv)
{
	enum { O_CERT = 256, O_CHAIN, O_KEY, O_TOKEN, O_MODULE, O_PIN, O_LABEL, O_OUT, O_CARD };
	static const struct option opts[] = {
		{"signer-cert", required_argument, NULL, O_CERT},
		{"signer-chain", required_argument, NULL, O_CHAIN},
		{"signer-key", required_argument, NULL, O_KEY},
		{"token", required_argument, NULL, O_TOKEN},
		{"module", required_argument, NULL, O_MODULE},
		{"pin-file", required_argument, NULL, O_PIN},
		{"card", required_argument, NULL, O_CARD},
		{"signer-label", required_argument, NULL, O_LABEL},
		{"out", required_argument, NULL, O_OUT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct kr_hsm_opts ho = {0};
	const char *cards[TA_MAX_CARDS + 1] = {NULL};
	size_t ncards = 0;
	const char *cert_path = NULL, *chain_path = NULL, *key_path = NULL, *label = NULL,
		   *out = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_CERT: cert_path = optarg; break;
		case O_CHAIN: chain_path = optarg; break;
		case O_KEY: key_path = optarg; break;
		case O_TOKEN: ho.token = optarg; break;
		case O_MODULE: ho.module = optarg; break;
		case O_PIN: ho.pin_file = optarg; break;
		case O_CARD:
			if (ncards == TA_MAX_CARDS) {
				kr_cli_error("at most %d --card", TA_MAX_CARDS);
				return KR_EXIT_USAGE;
			}
			cards[ncards++] = optarg;
			ho.cards = cards;
			break;
		case O_LABEL: label = optarg; break;
		case O_OUT: out = optarg; break;
		case 'h': usage(stdout); return KR_EXIT_OK;
		default: usage(stderr); return KR_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || cert_path == NULL || out == NULL ||
	    (key_path == NULL) == (label == NULL)) {
		kr_cli_error("sign needs one XML file, --signer-cert, --out and either "
			     "--signer-key or --signer-label");
		usage(stderr);
		return KR_EXIT_USAGE;
	}
	const char *xml_path = argv[optind];
	uint8_t *xml = NULL, *der = NULL;
	size_t xml_len = 0, der_len = 0;
	struct kr_anchor *a = NULL;
	STACK_OF(X509) *certs = NULL, *chain = NULL;
	EVP_PKEY *key = NULL;
	struct kr_keystore *ks = NULL;
	char err[512] = "";
	int status, rc = kr_read_file(xml_path, KR_ANCHOR_MAX_SIZE, &xml, &xml_len);
	if (rc == KR_ETOOBIG) {
		kr_cli_error("%s is larger than %d bytes", xml_path, KR_ANCHOR_MAX_SIZE);
		return KR_EXIT_REJECTED;
	}
	if (rc)
		return kr_cli_fail(rc, "reading %s", xml_path);
	/* Sign only what a validator will accept. */
	if ((rc = kr_anchor_parse(xml, xml_len, &a, err, sizeof(err))) != KR_OK) {
		kr_cli_error("%s: %s", xml_path, err);
		status = kr_exit_status(rc);
		goto out;
	}
	if ((rc = ta_schema_validate((const char *)xml, xml_len, err, sizeof(err))) != KR_OK) {
		kr_cli_error("%s does not match the RFC 9718 schema: %s", xml_path, err);
		status = KR_EXIT_REJECTED;
		goto out;
	}
	if ((status = read_certs(cert_path, 1, &certs)) ||
	    (chain_path != NULL && (status = read_certs(chain_path, 0, &chain))))
		goto out;
	X509 *cert = sk_X509_value(certs, 0);
	if (!(X509_get_extension_flags(cert) & EXFLAG_KUSAGE) ||
	    !(X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE)) {
		kr_cli_error("%s lacks the digitalSignature key usage: validators would refuse "
			     "the signature",
			     cert_path);
		status = KR_EXIT_REJECTED;
		goto out;
	}
	if (key_path != NULL) {
		if ((status = read_key(key_path, &key)))
			goto out;
	} else {
		if ((rc = kr_hsm_open(&ho, &ks))) {
			status = kr_exit_status(rc); /* kr_hsm_open printed why */
			goto out;
		}
		if ((rc = kr_keystore_pkey(ks, label, &key))) {
			status = kr_cli_fail(rc, "signer key '%s' in the token", label);
			goto out;
		}
	}
	rc = ta_cms_sign(xml, xml_len, cert, key, chain, &der, &der_len, err, sizeof(err));
	if (rc) {
		kr_cli_error("signing %s: %s", xml_path, err[0] ? err : kr_strerror(rc));
		status = kr_exit_status(rc);
		goto out;
	}
	if ((rc = kr_write_file_atomic(out, der, der_len, 0644))) {
		status = kr_cli_fail(rc, "writing %s", out);
		goto out;
	}
	print_fingerprint(xml_path, xml, xml_len);
	status = KR_EXIT_OK;
out:
	EVP_PKEY_free(key); /* before the token closes */
	kr_keystore_close(ks);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(chain, X509_free);
	kr_anchor_free(a);
	free(der);
	free(xml);
	return status;
}
