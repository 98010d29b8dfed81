/*
 * keyroll-skr verify: check an SKR on its own - structure, every signature
 * valid over its bundle's whole DNSKEY RRset and made by a KSK published in
 * that bundle, consistent times.  It trusts nothing in the file: which KSKs
 * to trust is keyroll-ksr accept's business (against a trust anchor).
 */
#include <getopt.h>
#include <stdio.h>

#include "ksr/checks.h"
#include "ksr/report.h"
#include "lib/cli.h"
#include "skr/commands.h"

static const char verify_usage[] =
	"usage: keyroll-skr verify SKR [--json]\n"
	"Verify an SKR's structure, every signature (by a KSK of its bundle) and its\n"
	"times; one line per check.  Exit status: 0 valid, 1 invalid or malformed,\n"
	"2 usage, 3 environment.\n";

int skr_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct kr_ksr_doc *skr = NULL;
	struct kr_check_report rep = {0};
	int json = 0, c, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j') {
			json = 1;
		} else if (c == 'h') {
			fputs(verify_usage, stdout);
			return KR_EXIT_OK;
		} else {
			fputs(verify_usage, stderr);
			return KR_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		kr_cli_error("verify needs exactly one SKR file");
		fputs(verify_usage, stderr);
		return KR_EXIT_USAGE;
	}
	status = kr_tool_load_doc("SKR", argv[optind], KR_KSR_RESPONSE, &skr);
	if (status != KR_EXIT_OK)
		return status;
	status = kr_tool_report(kr_skr_check(skr, &rep), &rep, argv[optind], json);
	kr_check_report_clear(&rep);
	kr_ksr_free(skr);
	return status;
}
