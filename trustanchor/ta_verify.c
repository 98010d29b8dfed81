/*
 * ta_verify.c - keyroll-trustanchor verify: check a trust-anchor file and its
 * detached CMS signature the way a validator bootstrapping from it should,
 * and print the DS set valid at the given time.
 *
 * Order: signature (over the raw bytes, before the XML is parsed), signer
 * policy and chain, then the document (DOCTYPE, structure, every Digest
 * against its PublicKey+Flags), then the validity window.  The first failure
 * ends the run with exit 1; nothing is printed on stdout unless all pass.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/anchor.h"
#include "lib/cli.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/timeutil.h"
#include "trustanchor/commands.h"
#include "trustanchor/ta.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: keyroll-trustanchor verify XML --p7s P7S --ca CAFILE [--signer-email ADDR]\n"
		"                                  [--at TIME] [--json]\n"
		"Verify a trust-anchor file against its detached CMS signature, trusting only\n"
		"the certificates in CAFILE, and print the DS records valid at TIME.\n"
		"  --p7s FILE            detached DER CMS signature over XML\n"
		"  --ca FILE             PEM CA certificates: the only trust anchors\n"
		"  --signer-email ADDR   the signer certificate must carry exactly this address\n"
		"  --at TIME             verification time (ISO 8601, @SECONDS or now; default now)\n"
		"  --json                print a JSON report instead of DS lines\n");
}

static int read_input(const char *path, size_t cap, const char *what, uint8_t **buf, size_t *len)
{
	int rc = kr_read_file(path, cap, buf, len);
	if (rc == KR_ETOOBIG) {
		kr_cli_error("%s %s is larger than %zu bytes", what, path, cap);
		return KR_EXIT_REJECTED;
	}
	if (rc)
		return kr_cli_fail(rc, "reading %s %s", what, path);
	return KR_EXIT_OK;
}

static void print_json(const struct kr_anchor *a, const char *signer, const char *email,
		       int64_t at, const size_t *idx, size_t n)
{
	char zone[1024], when[32], from[32], until[32];
	kr_name_to_str(&a->zone, zone, sizeof(zone));
	kr_time_format(at, when, sizeof(when));
	printf("{\n  \"verified\": true,\n  \"zone\": ");
	ta_json_string(stdout, zone);
	printf(",\n  \"id\": ");
	ta_json_string(stdout, a->id);
	printf(",\n  \"signer\": ");
	ta_json_string(stdout, signer);
	printf(",\n  \"signer_email\": ");
	if (email != NULL)
		ta_json_string(stdout, email);
	else
		printf("null");
	printf(",\n  \"at\": \"%s\",\n  \"keys\": [", when);
	for (size_t i = 0; i < n; i++) {
		const struct kr_anchor_digest *d = &a->digests[idx[i]];
		char *ds = NULL;
		kr_time_format(d->valid_from, from, sizeof(from));
		printf("%s\n    {\"id\": ", i ? "," : "");
		ta_json_string(stdout, d->id);
		printf(", \"key_tag\": %u, \"algorithm\": %u, \"valid_from\": \"%s\", \"valid_until\": ",
		       d->key_tag, d->algorithm, from);
		if (d->has_valid_until) {
			kr_time_format(d->valid_until, until, sizeof(until));
			printf("\"%s\"", until);
		} else {
			printf("null");
		}
		printf(", \"public_key\": %s, \"ds\": ", d->has_key ? "true" : "false");
		if (kr_anchor_digest_ds(a, d, &ds) == KR_OK)
			ta_json_string(stdout, ds);
		else
			printf("null");
		free(ds);
		printf("}");
	}
	printf("\n  ]\n}\n");
}

int ta_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"p7s", required_argument, NULL, 's'},
		{"ca", required_argument, NULL, 'c'},
		{"signer-email", required_argument, NULL, 'e'},
		{"at", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *p7s_path = NULL, *at_str = "now";
	struct ta_verify_opts vo = {0};
	int json = 0, c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': p7s_path = optarg; break;
		case 'c': vo.ca_file = optarg; break;
		case 'e': vo.signer_email = optarg; break;
		case 't': at_str = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return KR_EXIT_OK;
		default: usage(stderr); return KR_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || p7s_path == NULL || vo.ca_file == NULL) {
		kr_cli_error("verify needs one XML file, --p7s and --ca");
		usage(stderr);
		return KR_EXIT_USAGE;
	}
	if (ta_parse_time(at_str, &vo.at) != KR_OK) {
		kr_cli_error("--at '%s' is not a time", at_str);
		return KR_EXIT_USAGE;
	}
	const char *xml_path = argv[optind];
	uint8_t *xml = NULL, *p7s = NULL;
	size_t xml_len = 0, p7s_len = 0;
	struct kr_anchor *a = NULL;
	char *signer = NULL, err[768] = "";
	size_t *idx = NULL, n = 0;
	int status = read_input(xml_path, KR_ANCHOR_MAX_SIZE, "trust-anchor file", &xml, &xml_len);
	if (status || (status = read_input(p7s_path, TA_P7S_MAX, "signature", &p7s, &p7s_len)))
		goto out;
	if (vo.signer_email == NULL)
		kr_cli_warn("no --signer-email: any signer that chains to %s is accepted",
			    vo.ca_file);

	int rc = ta_cms_verify(xml, xml_len, p7s, p7s_len, &vo, &signer, err, sizeof(err));
	if (rc) {
		kr_cli_error("%s: %s", p7s_path, err[0] ? err : kr_strerror(rc));
		status = kr_exit_status(rc);
		goto out;
	}
	rc = kr_anchor_parse(xml, xml_len, &a, err, sizeof(err));
	if (rc) {
		kr_cli_error("%s: %s", xml_path, err[0] ? err : kr_strerror(rc));
		status = kr_exit_status(rc);
		goto out;
	}
	if ((idx = calloc(a->ndigests, sizeof(*idx))) == NULL) {
		status = kr_cli_fail(KR_ENOMEM, "verify");
		goto out;
	}
	n = ta_valid_digests(a, vo.at, idx);
	if (n == 0) {
		char when[32];
		kr_time_format(vo.at, when, sizeof(when));
		kr_cli_error("%s: no KeyDigest is valid at %s", xml_path, when);
		status = KR_EXIT_REJECTED;
		goto out;
	}
	if (json) {
		print_json(a, signer, vo.signer_email, vo.at, idx, n);
	} else {
		for (size_t i = 0; i < n; i++) {
			char *ds = NULL;
			if ((rc = kr_anchor_digest_ds(a, &a->digests[idx[i]], &ds))) {
				status = kr_cli_fail(rc, "formatting DS");
				goto out;
			}
			printf("%s\n", ds);
			free(ds);
		}
	}
	fprintf(stderr, "verified: %s signed by %s; %zu of %zu KeyDigest valid\n", xml_path,
		signer, n, a->ndigests);
	status = KR_EXIT_OK;
out:
	free(idx);
	free(signer);
	kr_anchor_free(a);
	free(xml);
	free(p7s);
	return status;
}
