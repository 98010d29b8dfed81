/*
 * ta_cms.c - detached CMS signatures over trust-anchor files.
 *
 * Verification is split into separate steps so that each refusal names its
 * cause: the signature over the bytes (with the signer certificate taken from
 * the message, untrusted), then the signer's key usage and address, then its
 * chain against the CA file alone.  Nothing from the message is ever added
 * to the trusted store.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/error.h"
#include "trustanchor/ta.h"

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* The OpenSSL reason of the newest queued error, for messages. */
static const char *ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
	return r != NULL ? r : "no details";
}

static void subject_text(X509 *x, char *buf, size_t size)
{
	buf[0] = '\0';
	X509_NAME_oneline(X509_get_subject_name(x), buf, (int)size);
}

/* Verify the just-made signature over data as a relying party would see the DER. */
static int self_check(const uint8_t *der, size_t der_len, const uint8_t *data, size_t len,
		      char *err, size_t errlen)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
	BIO *in = BIO_new_mem_buf(data, (int)len);
	int rc = KR_ECRYPTO;
	if (cms == NULL || in == NULL)
		goto out;
	if (CMS_verify(cms, NULL, NULL, in, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		rc = fail(err, errlen, KR_EBADSIG, "the new signature does not verify: %s",
			  ossl_reason());
		goto out;
	}
	rc = KR_OK;
out:
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	return rc;
}

int ta_cms_sign(const uint8_t *data, size_t len, X509 *cert, EVP_PKEY *key,
		STACK_OF(X509) *chain, uint8_t **der, size_t *der_len, char *err, size_t errlen)
{
	if (data == NULL || cert == NULL || key == NULL || der == NULL || der_len == NULL ||
	    len > INT32_MAX)
		return KR_EINVAL;
	const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	BIO *in = BIO_new_mem_buf(data, (int)len);
	CMS_ContentInfo *cms = NULL;
	uint8_t *buf = NULL;
	int rc = KR_ECRYPTO;
	if (in == NULL)
		goto out;
	if (X509_check_private_key(cert, key) != 1) {
		rc = fail(err, errlen, KR_EINVAL, "the signer key does not belong to the certificate");
		goto out;
	}
	if ((cms = CMS_sign(NULL, NULL, chain, NULL, flags)) == NULL ||
	    CMS_add1_signer(cms, cert, key, EVP_sha256(), flags) == NULL ||
	    CMS_final(cms, in, NULL, flags) != 1) {
		rc = fail(err, errlen, KR_ECRYPTO, "CMS signing failed: %s", ossl_reason());
		goto out;
	}
	int n = i2d_CMS_ContentInfo(cms, NULL);
	if (n <= 0)
		goto out;
	if ((buf = malloc((size_t)n)) == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	unsigned char *p = buf;
	if (i2d_CMS_ContentInfo(cms, &p) != n)
		goto out;
	if ((rc = self_check(buf, (size_t)n, data, len, err, errlen)))
		goto out;
	*der = buf;
	*der_len = (size_t)n;
	buf = NULL; /* transferred */
	rc = KR_OK;
out:
	if (rc == KR_ECRYPTO && err != NULL && err[0] == '\0')
		fail(err, errlen, rc, "CMS encoding failed: %s", ossl_reason());
	free(buf);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return rc;
}

static int ia5_equal(const ASN1_STRING *s, const char *want)
{
	size_t l = strlen(want);
	return s != NULL && (size_t)ASN1_STRING_length(s) == l &&
	       memcmp(ASN1_STRING_get0_data(s), want, l) == 0;
}

/* Exact match of email against subject emailAddress entries or SAN rfc822Names. */
static int cert_has_email(X509 *x, const char *email)
{
	X509_NAME *n = X509_get_subject_name(x);
	for (int i = X509_NAME_get_index_by_NID(n, NID_pkcs9_emailAddress, -1); i >= 0;
	     i = X509_NAME_get_index_by_NID(n, NID_pkcs9_emailAddress, i))
		if (ia5_equal(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)), email))
			return 1;
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int found = 0;
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && !found; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_EMAIL && ia5_equal(g->d.rfc822Name, email))
			found = 1;
	}
	GENERAL_NAMES_free(gens);
	return found;
}

static int load_store(const char *ca_file, X509_STORE **out, char *err, size_t errlen)
{
	X509_STORE *store = X509_STORE_new();
	if (store == NULL)
		return KR_ENOMEM;
	if (X509_STORE_load_file(store, ca_file) != 1 ||
	    sk_X509_OBJECT_num(X509_STORE_get0_objects(store)) == 0) {
		X509_STORE_free(store);
		return fail(err, errlen, KR_ECRYPTO, "cannot load CA certificates from %s: %s",
			    ca_file, ossl_reason());
	}
	*out = store;
	return KR_OK;
}

static int check_chain(X509_STORE *store, X509 *signer, STACK_OF(X509) *untrusted,
		       const struct ta_verify_opts *opts, char *err, size_t errlen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (ctx == NULL || X509_STORE_CTX_init(ctx, store, signer, untrusted) != 1 ||
	    X509_STORE_CTX_set_default(ctx, "smime_sign") != 1) {
		X509_STORE_CTX_free(ctx);
		return fail(err, errlen, KR_ECRYPTO, "cannot set up chain verification: %s",
			    ossl_reason());
	}
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)opts->at);
	int rc = KR_OK;
	if (X509_verify_cert(ctx) != 1) {
		char subj[256];
		subject_text(signer, subj, sizeof(subj));
		int e = X509_STORE_CTX_get_error(ctx);
		rc = fail(err, errlen, KR_EDENIED,
			  "signer certificate %s is not trusted by %s: %s (depth %d)", subj,
			  opts->ca_file, X509_verify_cert_error_string(e),
			  X509_STORE_CTX_get_error_depth(ctx));
	}
	X509_STORE_CTX_free(ctx);
	return rc;
}

int ta_cms_verify(const uint8_t *data, size_t len, const uint8_t *p7s, size_t p7s_len,
		  const struct ta_verify_opts *opts, char **signer, char *err, size_t errlen)
{
	if (data == NULL || p7s == NULL || opts == NULL || opts->ca_file == NULL ||
	    len > INT32_MAX || p7s_len > TA_P7S_MAX)
		return KR_EINVAL;
	if (signer != NULL)
		*signer = NULL;
	const unsigned char *p = p7s;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)p7s_len);
	BIO *in = NULL;
	X509_STORE *store = NULL;
	STACK_OF(X509) *certs = NULL, *signers = NULL;
	int rc = KR_EMALFORMED;
	if (cms == NULL || p != p7s + p7s_len) {
		rc = fail(err, errlen, KR_EMALFORMED, "the signature file is not one DER CMS message");
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		rc = fail(err, errlen, KR_EMALFORMED, "the CMS message is not SignedData");
		goto out;
	}
	if (CMS_is_detached(cms) != 1) {
		rc = fail(err, errlen, KR_EMALFORMED,
			  "the CMS message carries its own content; a detached signature is required");
		goto out;
	}
	if ((rc = load_store(opts->ca_file, &store, err, errlen)))
		goto out;
	if ((in = BIO_new_mem_buf(data, (int)len)) == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	/* The signature over exactly these bytes; the signer's chain is checked below. */
	if (CMS_verify(cms, NULL, NULL, in, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		rc = fail(err, errlen, KR_EBADSIG,
			  "the CMS signature does not verify over the XML bytes: %s",
			  ossl_reason());
		goto out;
	}
	signers = CMS_get0_signers(cms); /* a new stack of borrowed certificates */
	certs = CMS_get1_certs(cms);
	if (signers == NULL || sk_X509_num(signers) == 0) {
		rc = fail(err, errlen, KR_EMALFORMED, "the CMS message has no signer");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(signers); i++) {
		X509 *x = sk_X509_value(signers, i);
		char subj[256];
		subject_text(x, subj, sizeof(subj));
		if (!(X509_get_extension_flags(x) & EXFLAG_KUSAGE) ||
		    !(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE)) {
			rc = fail(err, errlen, KR_EPOLICY,
				  "signer certificate %s lacks the digitalSignature key usage",
				  subj);
			goto out;
		}
		if (opts->signer_email != NULL && !cert_has_email(x, opts->signer_email)) {
			rc = fail(err, errlen, KR_EPOLICY,
				  "signer certificate %s does not carry the address %s", subj,
				  opts->signer_email);
			goto out;
		}
		if ((rc = check_chain(store, x, certs, opts, err, errlen)))
			goto out;
		if (signer != NULL && *signer == NULL && (*signer = strdup(subj)) == NULL) {
			rc = KR_ENOMEM;
			goto out;
		}
	}
	rc = KR_OK;
out:
	if (rc != KR_OK && signer != NULL) {
		free(*signer);
		*signer = NULL;
	}
	sk_X509_free(signers);
	sk_X509_pop_free(certs, X509_free);
	X509_STORE_free(store);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	return rc;
}
