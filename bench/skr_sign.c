/*
 * skr_sign - what keyroll-skr sign costs beyond the token's signatures.
 *
 * For one KSR and one token KSK: the whole signing path in process (every
 * KSR check, schema, signing with the software re-verification of each
 * signature, serialization, parsing back and verifying the SKR again)
 * against the raw cost of the same number of token signatures (the
 * keystore signer's sign() over data of the same size: C_Sign and nothing
 * else).  Times are CPU seconds of this process (SoftHSM runs in-process),
 * best of ROUNDS.
 * Usage: skr_sign TOKEN KSK-LABEL KSR POLICY [ROUNDS]; PIN from $KEYROLL_PIN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hsm/keystore.h"
#include "ksr/checks.h"
#include "ksr/policy.h"
#include "lib/error.h"
#include "lib/ksr.h"
#include "skr/schema.h"
#include "skr/sign.h"

static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The signing path of keyroll-skr sign after the token is open. */
static int full_run(const struct kr_ksr_doc *ksr, const struct kr_policy *pol,
		    const struct kr_schema *schema, const struct kr_skr_ksk *ksk, size_t *nsigs,
		    size_t *sig_data_len)
{
	struct kr_check_report rep = {0};
	struct kr_skr_params p;
	struct kr_ksr_doc *skr = NULL, *back = NULL;
	char err[512] = "", *xml = NULL;
	size_t len = 0;
	int rc;

	rc = kr_ksr_check(ksr, NULL, pol, ksr->bundles[0].inception - 86400, &rep);
	memset(&p, 0, sizeof(p));
	p.ttl = pol->dnskey_ttl;
	p.ksk_policy = pol->ksk;
	if (rc == KR_OK)
		rc = kr_skr_sign(ksr, schema, ksk, 1, &p, &skr, err, sizeof(err));
	if (rc == KR_OK)
		rc = kr_ksr_write(skr, &xml, &len);
	if (rc == KR_OK)
		rc = kr_ksr_parse((const uint8_t *)xml, len, &back, err, sizeof(err));
	if (rc == KR_OK)
		rc = kr_skr_check(back, &rep);
	if (rc == KR_OK)
		rc = kr_skr_verify_response(ksr, back, err, sizeof(err));
	if (rc == KR_OK) {
		uint8_t *data = NULL;

		*nsigs = 0;
		for (size_t i = 0; i < skr->nbundles; i++)
			*nsigs += skr->bundles[i].nsigs;
		/* the signed data of the last bundle, for the raw comparison */
		const struct kr_ksr_bundle *b = &skr->bundles[skr->nbundles - 1];
		struct kr_dnskey set[16];
		for (size_t k = 0; k < b->nkeys && k < 16; k++)
			set[k] = b->keys[k].dnskey;
		if (kr_rrset_signed_data(&b->sigs[0].rrsig, &skr->domain, set, b->nkeys, &data,
					 sig_data_len) == KR_OK)
			free(data);
	} else {
		fprintf(stderr, "skr_sign: %s (%s)\n", kr_strerror(rc), err);
	}
	free(xml);
	kr_ksr_free(back);
	kr_ksr_free(skr);
	kr_check_report_clear(&rep);
	return rc;
}

int main(int argc, char **argv)
{
	struct kr_keystore_opts o = {0};
	struct kr_keystore *ks = NULL;
	struct kr_signer s, r;
	struct kr_skr_ksk ksk;
	struct kr_policy *pol = NULL;
	struct kr_ksr_doc *ksr = NULL;
	struct kr_schema schema;
	char err[512] = "";
	const char *pin = getenv("KEYROLL_PIN");
	int rounds = argc > 5 ? atoi(argv[5]) : 5;
	double best_full = 1e9, best_raw = 1e9;
	size_t nsigs = 0, dlen = 0;

	if (argc < 5 || !pin || rounds < 1) {
		fprintf(
		    stderr,
		    "usage: skr_sign TOKEN KSK-LABEL KSR POLICY [ROUNDS] (PIN in $KEYROLL_PIN)\n");
		return 2;
	}
	o.token_label = argv[1];
	if (kr_keystore_open(&o, &ks) || kr_keystore_login(ks, pin) ||
	    kr_keystore_signer(ks, argv[2], 257, &s) || kr_keystore_signer(ks, argv[2], 385, &r)) {
		fprintf(stderr, "skr_sign: token %s / key %s not usable\n", argv[1], argv[2]);
		return 3;
	}
	if (kr_policy_load(argv[4], &pol, err, sizeof(err)) ||
	    kr_ksr_read_file(argv[3], &ksr, err, sizeof(err)) ||
	    kr_schema_builtin("normal", &schema)) {
		fprintf(stderr, "skr_sign: %s\n", err);
		return 1;
	}
	ksk.label = argv[2];
	ksk.signer = &s;
	ksk.revoked = &r;
	for (int i = 0; i < rounds; i++) {
		double t0 = cpu(), t1;
		uint8_t *data = NULL, sig[KR_SIG_MAX];

		if (full_run(ksr, pol, &schema, &ksk, &nsigs, &dlen) != KR_OK)
			return 1;
		t1 = cpu();
		if (t1 - t0 < best_full)
			best_full = t1 - t0;
		data = calloc(1, dlen);
		if (!data)
			return 3;
		t0 = cpu();
		for (size_t k = 0; k < nsigs; k++) {
			size_t sl = sizeof(sig);
			if (s.sign(s.ctx, s.key.algorithm, data, dlen, sig, &sl) != KR_OK)
				return 3;
		}
		t1 = cpu();
		free(data);
		if (t1 - t0 < best_raw)
			best_raw = t1 - t0;
	}
	printf("  %-34s %zu bundles, %zu signatures\n",
	       strrchr(argv[3], '/') ? strrchr(argv[3], '/') + 1 : argv[3], ksr->nbundles, nsigs);
	printf("  %-34s %8.2f ms\n", "validate + sign + re-verify", best_full * 1e3);
	printf("  %-34s %8.2f ms\n", "raw token signatures (same count)", best_raw * 1e3);
	printf("  %-34s %8.2fx   (target <= 1.5x)\n", "ratio", best_full / best_raw);
	kr_ksr_free(ksr);
	kr_policy_free(pol);
	kr_keystore_signer_free(&s);
	kr_keystore_signer_free(&r);
	kr_keystore_close(ks);
	return 0;
}
