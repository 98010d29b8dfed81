/*
 * keyroll-ksr validate, show and hash: look at a KSR or SKR without keys.
 *
 * validate runs every check of ksr/checks.h and exits 1 if any fails; show
 * prints the bundle table with DNSKEY response sizes; hash prints the
 * SHA-256 of the file's bytes in hex and PGP words, for reading aloud
 * between the ZSK and KSK operators.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ksr/checks.h"
#include "ksr/commands.h"
#include "ksr/knotin.h"
#include "ksr/report.h"
#include "lib/cli.h"
#include "lib/encode.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/pgpwords.h"

enum { OPT_PREV = 1000, OPT_POLICY, OPT_NOW, OPT_JSON };

static const char validate_usage[] =
	"usage: keyroll-ksr validate KSR [--previous-skr SKR] [--policy FILE] [--now TIME] [--json]\n"
	"Run every KSR check (DESIGN.md ids) and print one line per check.\n"
	"  --previous-skr SKR  the last SKR, for the KSR-ID, KSR-PREVIOUS and KSR-CHAIN-* checks\n"
	"                      (without it those are reported as SKIP)\n"
	"  --policy FILE       YAML policy (default: skr/policies/root.yaml)\n"
	"  --now TIME          the time for KSR-POLICY-SIG-HORIZON (default: now)\n"
	"  --json              the report as JSON\n"
	"  --format F          the KSR is xml, knot (Knot DNS keymgr generate-ksr) or auto\n"
	"                      (default: recognised by its first line)\n" KR_KNOT_USAGE_BUNDLES
	"Exit status: 0 all checks passed, 1 a check failed or the KSR is malformed,\n"
	"2 usage, 3 environment.\n";

int ksr_cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"previous-skr", required_argument, NULL, OPT_PREV},
		{"policy", required_argument, NULL, OPT_POLICY},
		{"now", required_argument, NULL, OPT_NOW},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		KR_KNOT_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	const char *prev_path = NULL, *policy_path = NULL, *now_arg = NULL;
	struct kr_ksr_doc *ksr = NULL, *prev = NULL;
	struct kr_policy *pol = NULL;
	struct kr_check_report rep = {0};
	int json = 0, c, status;
	int64_t now = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PREV:
			prev_path = optarg;
			break;
		case OPT_POLICY:
			policy_path = optarg;
			break;
		case OPT_NOW:
			now_arg = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case KR_OPT_KNOT_FORMAT:
		case KR_OPT_KNOT_VALIDITY:
		case KR_OPT_KNOT_STEP:
			if ((status = kr_knot_option(c, optarg, 0)) != KR_EXIT_OK)
				return status;
			break;
		case 'h':
			fputs(validate_usage, stdout);
			return KR_EXIT_OK;
		default:
			fputs(validate_usage, stderr);
			return KR_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		kr_cli_error("validate needs exactly one KSR file");
		fputs(validate_usage, stderr);
		return KR_EXIT_USAGE;
	}
	status = kr_tool_now(now_arg, &now);
	if (status == KR_EXIT_OK)
		status = kr_tool_load_policy(policy_path, &pol);
	kr_knot_use_policy(pol);
	if (status == KR_EXIT_OK)
		status = kr_tool_load_doc("KSR", argv[optind], KR_KSR_REQUEST, &ksr);
	if (status == KR_EXIT_OK && prev_path != NULL)
		status = kr_tool_load_doc("previous SKR", prev_path, KR_KSR_RESPONSE, &prev);
	if (status != KR_EXIT_OK)
		goto out;
	status = kr_tool_report(kr_ksr_check(ksr, prev, pol, now, &rep), &rep, argv[optind], json);
out:
	kr_check_report_clear(&rep);
	kr_ksr_free(ksr);
	kr_ksr_free(prev);
	kr_policy_free(pol);
	return status;
}

static const char show_usage[] =
	"usage: keyroll-ksr show [--format F] [--bundle-validity D --bundle-step D] FILE\n"
	"Print a KSR's or SKR's bundles: inception, expiration, key tags with flags,\n"
	"signers and the size in bytes of a DNS response carrying the bundle's DNSKEY\n"
	"RRset and RRSIGs (with EDNS); a warning names bundles above 1232 bytes.\n"
	"  --format F          xml, knot (Knot DNS KSR/SKR) or auto (default)\n" KR_KNOT_USAGE_BUNDLES;

/* -h/--help (and the Knot options): the file is the one operand. */
static int one_operand(int argc, char **argv, const char *usage, const char **file)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		KR_KNOT_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int c, status;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return -1;
		}
		if (c >= KR_OPT_KNOT_FORMAT && c <= KR_OPT_KNOT_STEP && usage == show_usage) {
			if ((status = kr_knot_option(c, optarg, 0)) != KR_EXIT_OK)
				return status;
			continue;
		}
		fputs(usage, stderr);
		return KR_EXIT_USAGE;
	}
	if (optind != argc - 1) {
		kr_cli_error("%s needs exactly one file", argv[0]);
		fputs(usage, stderr);
		return KR_EXIT_USAGE;
	}
	*file = argv[optind];
	return KR_EXIT_OK;
}

int ksr_cmd_show(int argc, char **argv)
{
	const char *file = NULL;
	struct kr_ksr_doc *doc = NULL;
	int status = one_operand(argc, argv, show_usage, &file);
	if (status != KR_EXIT_OK)
		return status < 0 ? KR_EXIT_OK : status;
	status = kr_tool_load_doc("file", file, 0, &doc);
	if (status != KR_EXIT_OK)
		return status;
	size_t big = kr_bundle_table_print(stdout, doc);
	if (big > 0)
		kr_cli_warn("%zu bundle(s) give DNSKEY responses above %d bytes (marked !): risk of "
			    "fragmentation or TCP fallback",
			    big, KR_DNSKEY_RESPONSE_WARN);
	kr_ksr_free(doc);
	return KR_EXIT_OK;
}

static const char hash_usage[] =
	"usage: keyroll-ksr hash FILE\n"
	"Print the SHA-256 of FILE's bytes in hex and as PGP words, to compare aloud.\n";

#define HASH_MAX_FILE (64 * 1024 * 1024)

int ksr_cmd_hash(int argc, char **argv)
{
	const char *file = NULL;
	uint8_t *buf = NULL, md[32];
	size_t len = 0;
	unsigned mdlen = 0;
	char *hex = NULL, *words = NULL;
	int status = one_operand(argc, argv, hash_usage, &file);
	if (status != KR_EXIT_OK)
		return status < 0 ? KR_EXIT_OK : status;
	int rc = kr_read_file(file, HASH_MAX_FILE, &buf, &len);
	if (rc != KR_OK)
		return kr_cli_fail(rc, "reading %s", file);
	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		status = kr_cli_fail(KR_ECRYPTO, "SHA-256 of %s", file);
		goto out;
	}
	rc = kr_hex_encode(md, 32, 1, &hex);
	if (rc == KR_OK)
		rc = kr_pgp_words(md, 32, &words);
	if (rc != KR_OK) {
		status = kr_cli_fail(rc, "formatting the hash");
		goto out;
	}
	printf("file:      %s (%zu bytes)\nSHA-256:   %s\nPGP words: %s\n", file, len, hex, words);
out:
	free(buf);
	free(hex);
	free(words);
	return status;
}
