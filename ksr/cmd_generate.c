/*
 * cmd_generate.c - keyroll-ksr generate: the ZSK operator's KSR, signed by
 * its ZSKs on their token.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hsm/keystore.h"
#include "ksr/checks.h"
#include "ksr/commands.h"
#include "ksr/generate.h"
#include "ksr/policy.h"
#include "lib/cli.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/timeutil.h"
#include "ksr/report.h"
#include "skr/tool.h"

#define MAX_ZSKS 16

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: keyroll-ksr generate --token LABEL --zsk LABEL [--zsk LABEL ...] --start TIME\n"
	    "         [--prev-zsk LABEL] [--next-zsk LABEL] [--zone ZONE] [--policy FILE]\n"
	    "         [--module PATH] [--pin-file FILE] [--serial N] [--id UUID]\n"
	    "         [--bundles N] [--interval DUR] [--validity DUR] [--out KSR]\n"
	    "Build a KSR: a cycle of bundles holding the ZSKs, each signed by every ZSK in it.\n"
	    "Defaults come from the policy (root: 9 bundles, 10 days apart, valid 21 days).\n"
	    "  --zsk LABEL       a ZSK in use in every bundle (repeatable)\n"
	    "  --prev-zsk LABEL  an outgoing ZSK, still published in the first bundle\n"
	    "  --next-zsk LABEL  an incoming ZSK, pre-published in the last bundle\n"
	    "  --start TIME      inception of the first bundle\n"
	    "  --now TIME        the time for the policy checks (default: the clock)\n"
	    "  --out KSR         output file (default: standard output)\n"
	    "The KSR is checked against the policy before it is written: a KSR that the\n"
	    "KSK operator would refuse is not written (exit 1).\n");
}

/* ICANN's cycle from the request policy: an interval in the middle of the
 * allowed range, the bundle count whose cycle is nearest the middle of the
 * allowed cycle length, signatures as long as the KSK policy allows. */
static void policy_schedule(const struct kr_policy *pol, struct kr_gen_params *p)
{
	int64_t cycle = (pol->min_cycle_length + pol->max_cycle_length) / 2;

	p->interval = (pol->min_bundle_interval + pol->max_bundle_interval) / 2;
	if (p->interval <= 0)
		p->interval = 10 * 86400;
	p->nbundles = pol->max_bundles;
	if (cycle > 0)
		p->nbundles = (size_t)((cycle + p->interval / 2) / p->interval) + 1;
	if (pol->min_bundles && p->nbundles < pol->min_bundles)
		p->nbundles = pol->min_bundles;
	if (pol->max_bundles && p->nbundles > pol->max_bundles)
		p->nbundles = pol->max_bundles;
	p->validity = pol->ksk.max_sig_validity;
	p->ttl = pol->dnskey_ttl;
	p->publish_safety = pol->min_publish_safety ? pol->min_publish_safety : p->interval;
	p->retire_safety = pol->min_retire_safety ? pol->min_retire_safety : p->interval;
}

static int parse_duration_opt(const char *opt, const char *arg, int64_t *out)
{
	if (kr_duration_parse(arg, out) != KR_OK || *out <= 0) {
		kr_cli_error("%s %s: not a positive ISO 8601 duration (e.g. P10D)", opt, arg);
		return KR_EXIT_USAGE;
	}
	return KR_EXIT_OK;
}

int ksr_cmd_generate(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"zone", required_argument, NULL, 'z'},	{"token", required_argument, NULL, 't'},
	    {"module", required_argument, NULL, 'm'},	{"pin-file", required_argument, NULL, 'p'},
	    {"zsk", required_argument, NULL, 'k'},	{"prev-zsk", required_argument, NULL, 'P'},
	    {"next-zsk", required_argument, NULL, 'N'}, {"start", required_argument, NULL, 's'},
	    {"policy", required_argument, NULL, 'y'},	{"out", required_argument, NULL, 'o'},
	    {"serial", required_argument, NULL, 'S'},	{"id", required_argument, NULL, 'i'},
	    {"bundles", required_argument, NULL, 'b'},	{"interval", required_argument, NULL, 'I'},
	    {"validity", required_argument, NULL, 'v'}, {"now", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},		{NULL, 0, NULL, 0},
	};
	struct kr_hsm_opts hopts = {0};
	struct kr_policy *pol = NULL;
	struct kr_keystore *ks = NULL;
	struct kr_ksr_doc *ksr = NULL;
	struct kr_gen_params p;
	struct kr_gen_zsk zsks[MAX_ZSKS];
	struct kr_signer signers[MAX_ZSKS];
	const char *labels[MAX_ZSKS];
	const char *zone = NULL, *start = NULL, *policy = NULL, *out = "-", *id = NULL;
	const char *serial = NULL, *nb = NULL, *interval = NULL, *validity = NULL, *now_arg = NULL;
	struct kr_check_report rep = {0};
	int64_t now = 0;
	size_t nzsks = 0, nsigners = 0, len = 0;
	char err[512] = "", *xml = NULL, from[32], to[32];
	int c, rc, status = KR_EXIT_OK;

	memset(&p, 0, sizeof(p));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'z':
			zone = optarg;
			break;
		case 't':
			hopts.token = optarg;
			break;
		case 'm':
			hopts.module = optarg;
			break;
		case 'p':
			hopts.pin_file = optarg;
			break;
		case 'k':
		case 'P':
		case 'N':
			if (nzsks == MAX_ZSKS) {
				kr_cli_error("at most %d ZSKs", MAX_ZSKS);
				return KR_EXIT_USAGE;
			}
			zsks[nzsks].label = labels[nzsks] = optarg;
			zsks[nzsks].role = c == 'k'   ? KR_GEN_CURRENT
					   : c == 'P' ? KR_GEN_PREV
						      : KR_GEN_NEXT;
			nzsks++;
			break;
		case 's':
			start = optarg;
			break;
		case 'y':
			policy = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'S':
			serial = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		case 'b':
			nb = optarg;
			break;
		case 'I':
			interval = optarg;
			break;
		case 'v':
			validity = optarg;
			break;
		case 'n':
			now_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return KR_EXIT_OK;
		default:
			usage(stderr);
			return KR_EXIT_USAGE;
		}
	}
	if (optind != argc || !start || nzsks == 0) {
		kr_cli_error("generate needs --start and at least one --zsk");
		usage(stderr);
		return KR_EXIT_USAGE;
	}
	if (kr_time_parse(start, &p.start) != KR_OK) {
		kr_cli_error("--start %s: not a time", start);
		return KR_EXIT_USAGE;
	}
	if (serial) {
		char *end = NULL;
		unsigned long v = strtoul(serial, &end, 10);

		if (!*serial || *end || v > UINT32_MAX) {
			kr_cli_error("--serial %s: not a number", serial);
			return KR_EXIT_USAGE;
		}
		p.serial = (uint32_t)v;
	} else {
		p.serial = 1;
	}
	if (id && snprintf(p.id, sizeof(p.id), "%s", id) >= (int)sizeof(p.id)) {
		kr_cli_error("--id %s: too long", id);
		return KR_EXIT_USAGE;
	}

	if ((status = kr_tool_now(now_arg, &now)) || (status = kr_tool_load_policy(policy, &pol)))
		goto out;
	p.zone = pol->zone;
	if (zone) {
		struct kr_name z;

		if (kr_name_from_str(zone, &z) != KR_OK) {
			kr_cli_error("--zone %s: not a domain name", zone);
			status = KR_EXIT_USAGE;
			goto out;
		}
		if (!kr_name_equal(&z, &pol->zone)) {
			kr_cli_error(
			    "--zone %s is not the policy's zone (%s); give the zone's --policy",
			    zone, pol->path);
			status = KR_EXIT_USAGE;
			goto out;
		}
	}
	policy_schedule(pol, &p);
	if (nb) {
		char *end = NULL;
		unsigned long v = strtoul(nb, &end, 10);

		if (!*nb || *end || v == 0 || v > 1000) {
			kr_cli_error("--bundles %s: 1 to 1000", nb);
			status = KR_EXIT_USAGE;
			goto out;
		}
		p.nbundles = v;
	}
	if ((interval && (status = parse_duration_opt("--interval", interval, &p.interval))) ||
	    (validity && (status = parse_duration_opt("--validity", validity, &p.validity))))
		goto out;
	p.timestamp = (int64_t)time(NULL);

	rc = kr_hsm_open(&hopts, &ks);
	status = kr_exit_status(rc); /* kr_hsm_open printed why */
	if (status)
		goto out;
	status = kr_tool_signers(ks, labels, nzsks, KR_DNSKEY_ZONE, signers);
	if (status)
		goto out;
	nsigners = nzsks;
	for (size_t i = 0; i < nzsks; i++)
		zsks[i].signer = &signers[i];

	rc = kr_ksr_generate(&p, zsks, nzsks, &ksr, err, sizeof(err));
	if (rc) {
		kr_cli_error("generate: %s", err[0] ? err : kr_strerror(rc));
		status = kr_exit_status(rc);
		goto out;
	}
	/* The checks the KSK operator will run (no previous SKR here). */
	rc = kr_ksr_check(ksr, NULL, pol, now, &rep);
	if (rc) {
		kr_report_print(stderr, &rep, "the generated KSR", 0);
		kr_cli_error("the generated KSR fails %zu policy check%s: not written", rep.nfail,
			     rep.nfail == 1 ? "" : "s");
		status = rc == KR_EPOLICY ? KR_EXIT_REJECTED : kr_cli_fail(rc, "checking the KSR");
		goto out;
	}
	rc = kr_ksr_write(ksr, &xml, &len);
	if (rc) {
		status = kr_cli_fail(rc, "writing the KSR");
		goto out;
	}
	rc = kr_write_file_atomic(out, xml, len, 0644);
	if (rc) {
		status = kr_cli_fail(rc, "%s", out);
		goto out;
	}
	if (kr_time_format(ksr->bundles[0].inception, from, sizeof(from)) ||
	    kr_time_format(ksr->bundles[ksr->nbundles - 1].expiration, to, sizeof(to)))
		from[0] = to[0] = '\0';
	fprintf(stderr, "KSR %s (serial %u): %zu bundles from %s to %s, written to %s\n", ksr->id,
		ksr->serial, ksr->nbundles, from, to, out);
out:
	kr_check_report_clear(&rep);
	free(xml);
	kr_ksr_free(ksr);
	kr_tool_signers_free(signers, nsigners);
	kr_keystore_close(ks);
	kr_policy_free(pol);
	return status;
}
