/*
 * knotin.c - Knot DNS files in the KSR/SKR tools (see knotin.h).
 */
#include <stdlib.h>
#include <string.h>

#include "ksr/knotin.h"
#include "lib/cli.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/knotksr.h"
#include "lib/timeutil.h"
#include "skr/sign.h"

enum { FMT_AUTO = 0, FMT_XML, FMT_KNOT };

static struct {
	int format;		/* of the input (validate, show) */
	int out_format;		/* of the output (sign) */
	int64_t validity, step; /* 0 = not given */
	int from_policy;
} knot;

int kr_knot_option(int opt, const char *arg, int output)
{
	int64_t *d = opt == KR_OPT_KNOT_VALIDITY ? &knot.validity : &knot.step;
	switch (opt) {
	case KR_OPT_KNOT_FORMAT:
		if (strcmp(arg, "knot") == 0)
			*(output ? &knot.out_format : &knot.format) = FMT_KNOT;
		else if (strcmp(arg, "xml") == 0)
			*(output ? &knot.out_format : &knot.format) = FMT_XML;
		else if (!output && strcmp(arg, "auto") == 0)
			knot.format = FMT_AUTO;
		else {
			kr_cli_error("--format %s: want xml or knot%s", arg,
				     output ? "" : " (or auto)");
			return KR_EXIT_USAGE;
		}
		return KR_EXIT_OK;
	case KR_OPT_KNOT_VALIDITY:
	case KR_OPT_KNOT_STEP:
		if (kr_duration_parse(arg, d) != KR_OK || *d <= 0) {
			kr_cli_error(
			    "--%s %s: not a positive ISO 8601 duration (PT8S, P14D)",
			    opt == KR_OPT_KNOT_VALIDITY ? "bundle-validity" : "bundle-step", arg);
			return KR_EXIT_USAGE;
		}
		return KR_EXIT_OK;
	default:
		return KR_EXIT_USAGE;
	}
}

void kr_knot_use_policy(const struct kr_policy *pol)
{
	if (pol == NULL)
		return;
	if (knot.validity == 0)
		knot.validity = pol->ksk.max_sig_validity;
	if (knot.step == 0)
		knot.step = pol->max_bundle_interval;
	knot.from_policy = 1;
}

int kr_knot_format_knot(void)
{
	return knot.out_format == FMT_KNOT;
}

static int read_knot(const uint8_t *buf, size_t len, int kind, struct kr_ksr_doc **out,
		     char *errbuf, size_t errlen)
{
	if (kind == KR_KSR_RESPONSE)
		return kr_knot_skr_parse(buf, len, out, errbuf, errlen);
	if (!knot.from_policy && (knot.validity == 0 || knot.step == 0)) {
		char path[4096], perr[256];
		struct kr_policy *pol = NULL;
		if (kr_policy_default_path(path, sizeof(path)) == KR_OK &&
		    kr_policy_load(path, &pol, perr, sizeof(perr)) == KR_OK)
			kr_knot_use_policy(pol);
		kr_policy_free(pol);
	}
	if (knot.validity == 0 || knot.step == 0) {
		snprintf(errbuf, errlen,
			 "a Knot KSR needs --bundle-validity and --bundle-step "
			 "(or a policy giving them)");
		return KR_EINVAL;
	}
	struct kr_knot_ksr_opts o = {.validity = knot.validity, .step = knot.step};
	return kr_knot_ksr_parse(buf, len, &o, out, errbuf, errlen);
}

int kr_knot_parse_doc(const uint8_t *buf, size_t len, struct kr_ksr_doc **out, char *errbuf,
		      size_t errlen)
{
	int kind = kr_knot_detect(buf, len);
	errbuf[0] = '\0';
	if (knot.format == FMT_KNOT && kind == 0) {
		snprintf(errbuf, errlen,
			 "not a Knot DNS KSR or SKR (no ';; KeySigningRequest 1.0' "
			 "or ';; SignedKeyResponse 1.0' first line)");
		return KR_EMALFORMED;
	}
	if (knot.format != FMT_XML && kind != 0)
		return read_knot(buf, len, kind, out, errbuf, errlen);
	return kr_ksr_parse(buf, len, out, errbuf, errlen);
}

int kr_knot_read_doc(const char *path, struct kr_ksr_doc **out, char *errbuf, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	errbuf[0] = '\0';
	int rc = kr_read_file(path, KR_KSR_MAX_SIZE, &buf, &len);
	/* like kr_ksr_read_file(): errbuf stays empty for I/O errors (errno tells) */
	if (rc == KR_ETOOBIG)
		snprintf(errbuf, errlen, "document: larger than %d bytes", KR_KSR_MAX_SIZE);
	if (rc)
		return rc;
	rc = kr_knot_parse_doc(buf, len, out, errbuf, errlen);
	free(buf);
	return rc;
}

int kr_knot_skr_text(const struct kr_ksr_doc *skr, int64_t now, char **text, size_t *len)
{
	char err[512] = "";
	struct kr_ksr_doc *back = NULL;
	int rc = kr_knot_skr_write(skr, now, text, len, err, sizeof(err));
	if (rc) {
		kr_cli_error("cannot write the SKR in Knot's format: %s",
			     err[0] ? err : kr_strerror(rc));
		return rc == KR_ENOMEM ? KR_EXIT_ENV : KR_EXIT_REJECTED;
	}
	/* What will be written, read back: same bundles, every signature good. */
	rc = kr_knot_skr_parse((const uint8_t *)*text, *len, &back, err, sizeof(err));
	if (rc == KR_OK && back->nbundles != skr->nbundles)
		rc = KR_EMALFORMED;
	for (size_t i = 0; rc == KR_OK && i < back->nbundles; i++)
		if (back->bundles[i].nkeys != skr->bundles[i].nkeys ||
		    back->bundles[i].nsigs != skr->bundles[i].nsigs)
			rc = KR_EMALFORMED;
	if (rc == KR_OK)
		rc = kr_skr_verify(back, err, sizeof(err));
	kr_ksr_free(back);
	if (rc) {
		free(*text);
		*text = NULL;
		kr_cli_error("the Knot SKR failed verification when read back: %s",
			     err[0] ? err : kr_strerror(rc));
		return KR_EXIT_ENV;
	}
	return KR_EXIT_OK;
}
