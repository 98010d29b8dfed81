/*
 * cmd_accept.c - keyroll-ksr accept and keyroll-ksr bundle: the ZSK
 * operator checks an SKR before use, then hands the DNSKEY RRset of the
 * moment to the online signer.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksr/accept.h"
#include "ksr/knotin.h"
#include "ksr/commands.h"
#include "lib/cli.h"
#include "lib/error.h"
#include "lib/timeutil.h"
#include "skr/sign.h"
#include "ksr/report.h"
#include "skr/tool.h"

static void accept_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: keyroll-ksr accept SKR --ksr KSR --anchor FILE [--previous-skr SKR] [--json]\n"
	    "Accept an SKR: it answers exactly the KSR, every signature verifies, every\n"
	    "bundle is signed by a KSK the anchor trusts (root-anchors.xml, DS or DNSKEY\n"
	    "lines) and it continues the previous SKR.  Writes nothing; exit 0 only if\n"
	    "every check passes.\n"
	    "A Knot DNS KSR is read too (give the bundle validity and step the SKR was\n"
	    "signed with); docs/knot-interop.md.\n" KR_KNOT_USAGE_BUNDLES);
}

static const char *const status_word[] = {"PASS", "FAIL", "SKIP"};

int ksr_cmd_accept(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"ksr", required_argument, NULL, 'k'},
	    {"anchor", required_argument, NULL, 'a'},
	    {"previous-skr", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    KR_KNOT_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	const char *ksr_path = NULL, *anchor = NULL, *prev_path = NULL, *skr_path;
	struct kr_ksr_doc *ksr = NULL, *skr = NULL, *prev = NULL;
	struct kr_trust *trust = NULL;
	struct kr_accept_result res[KR_ACCEPT_NCHECKS];
	char err[512] = "";
	int c, rc, json = 0, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			ksr_path = optarg;
			break;
		case 'a':
			anchor = optarg;
			break;
		case 'p':
			prev_path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case KR_OPT_KNOT_FORMAT:
		case KR_OPT_KNOT_VALIDITY:
		case KR_OPT_KNOT_STEP:
			if ((status = kr_knot_option(c, optarg, 0)))
				return status;
			break;
		case 'h':
			accept_usage(stdout);
			return KR_EXIT_OK;
		default:
			accept_usage(stderr);
			return KR_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !ksr_path || !anchor) {
		kr_cli_error("accept needs one SKR, --ksr and --anchor");
		accept_usage(stderr);
		return KR_EXIT_USAGE;
	}
	skr_path = argv[optind];
	status = kr_tool_load_doc("SKR", skr_path, KR_KSR_RESPONSE, &skr);
	if (!status)
		status = kr_tool_load_doc("KSR", ksr_path, KR_KSR_REQUEST, &ksr);
	if (!status && prev_path)
		status = kr_tool_load_doc("previous SKR", prev_path, KR_KSR_RESPONSE, &prev);
	if (status)
		goto out;
	rc = kr_trust_load(anchor, &trust, err, sizeof(err));
	if (rc) {
		kr_cli_error("anchor %s: %s", anchor, err[0] ? err : kr_strerror(rc));
		status = rc == KR_ESYS ? KR_EXIT_ENV : KR_EXIT_REJECTED;
		goto out;
	}
	rc = kr_skr_accept(ksr, skr, prev, trust, res);
	if (json) {
		printf("{\"skr\":");
		kr_json_string(stdout, skr_path);
		printf(",\"id\":");
		kr_json_string(stdout, skr->id);
		printf(",\"accepted\":%s,\"checks\":[", rc ? "false" : "true");
		for (size_t i = 0; i < KR_ACCEPT_NCHECKS; i++) {
			printf("%s{\"id\":\"%s\",\"result\":\"%s\",\"detail\":", i ? "," : "",
			       res[i].id, status_word[res[i].status]);
			kr_json_string(stdout, res[i].detail);
			printf("}");
		}
		printf("]}\n");
	} else {
		for (size_t i = 0; i < KR_ACCEPT_NCHECKS; i++)
			printf("%s %-16s %s\n", status_word[res[i].status], res[i].id,
			       res[i].detail);
		if (rc == KR_OK)
			printf("accepted: SKR %s answers KSR %s\n", skr->id, ksr->id);
	}
	if (rc) {
		for (size_t i = 0; i < KR_ACCEPT_NCHECKS; i++)
			if (res[i].status == 1)
				kr_cli_error("SKR %s rejected: %s: %s", skr_path, res[i].id,
					     res[i].detail);
		status = KR_EXIT_REJECTED;
	}
out:
	kr_trust_free(trust);
	kr_ksr_free(prev);
	kr_ksr_free(skr);
	kr_ksr_free(ksr);
	return status;
}

static void bundle_usage(FILE *f)
{
	fprintf(f, "usage: keyroll-ksr bundle SKR --at TIME\n"
		   "Print the DNSKEY RRset and its RRSIGs in force at TIME (the latest bundle\n"
		   "whose validity covers TIME) as zone-file lines for the online signer.\n");
}

int ksr_cmd_bundle(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"at", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct kr_ksr_doc *skr = NULL;
	const char *at_arg = NULL;
	char inc[32], exp[32], err[256] = "";
	int64_t at = 0;
	size_t idx = 0;
	int c, rc, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			at_arg = optarg;
			break;
		case 'h':
			bundle_usage(stdout);
			return KR_EXIT_OK;
		default:
			bundle_usage(stderr);
			return KR_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !at_arg) {
		kr_cli_error("bundle needs one SKR and --at");
		bundle_usage(stderr);
		return KR_EXIT_USAGE;
	}
	if (kr_time_parse(at_arg, &at) != KR_OK) {
		kr_cli_error("--at %s: not a time", at_arg);
		return KR_EXIT_USAGE;
	}
	status = kr_tool_load_doc("SKR", argv[optind], KR_KSR_RESPONSE, &skr);
	if (status)
		return status;
	/* Never hand out records that do not verify. */
	rc = kr_skr_verify(skr, err, sizeof(err));
	if (rc) {
		kr_cli_error("SKR %s: %s", argv[optind], err);
		status = KR_EXIT_REJECTED;
		goto out;
	}
	if (kr_skr_bundle_at(skr, at, &idx) != KR_OK) {
		kr_cli_error("SKR %s has no bundle valid at %s", argv[optind], at_arg);
		status = KR_EXIT_REJECTED;
		goto out;
	}
	{
		const struct kr_ksr_bundle *b = &skr->bundles[idx];

		if (kr_time_format(b->inception, inc, sizeof(inc)) ||
		    kr_time_format(b->expiration, exp, sizeof(exp)))
			inc[0] = exp[0] = '\0';
		printf("; SKR %s bundle %zu (%s), valid %s to %s\n", skr->id, idx + 1, b->id, inc,
		       exp);
		for (size_t i = 0; i < b->nkeys; i++) {
			char *line = NULL;

			rc = kr_dnskey_format(&skr->domain, b->keys[i].ttl, &b->keys[i].dnskey,
					      &line);
			if (rc) {
				status = kr_cli_fail(rc, "formatting a DNSKEY");
				goto out;
			}
			printf("%s\n", line);
			free(line);
		}
		for (size_t i = 0; i < b->nsigs; i++) {
			char *line = NULL;

			rc =
			    kr_rrsig_format(&skr->domain, b->sigs[i].ttl, &b->sigs[i].rrsig, &line);
			if (rc) {
				status = kr_cli_fail(rc, "formatting an RRSIG");
				goto out;
			}
			printf("%s\n", line);
			free(line);
		}
	}
out:
	kr_ksr_free(skr);
	return status;
}
