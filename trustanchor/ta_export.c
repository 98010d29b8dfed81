/*
 * ta_export.c - keyroll-trustanchor export: the KeyDigests of a trust-anchor
 * file that are valid at a time, as configuration a validator reads:
 *   ds             zone-file DS lines (also an unbound auto-trust-anchor-file
 *                  and a Knot Resolver keyfile for trust_anchors.add_file)
 *   dnskey         zone-file DNSKEY lines (needs PublicKey in every digest)
 *   unbound        a server: clause with trust-anchor: lines
 *   bind           trust-anchors { "zone" initial-key|initial-ds ...; };
 *   knot-resolver  Lua trust_anchors.add('...') calls for kresd
 * The file is not authenticated here: run verify on it first.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/anchor.h"
#include "lib/cli.h"
#include "lib/encode.h"
#include "lib/error.h"
#include "lib/timeutil.h"
#include "trustanchor/commands.h"
#include "trustanchor/ta.h"

enum format { F_DS, F_DNSKEY, F_UNBOUND, F_BIND, F_KRESD };

static const char *const format_names[] = {"ds", "dnskey", "unbound", "bind", "knot-resolver",
					   NULL};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: keyroll-trustanchor export XML --format ds|dnskey|unbound|bind|knot-resolver\n"
		"                                  [--at TIME]\n"
		"Print the trust anchors of XML that are valid at TIME as validator configuration.\n"
		"  --format F   ds, dnskey, unbound, bind or knot-resolver\n"
		"  --at TIME    ISO 8601, @SECONDS or now (default now)\n"
		"XML is not authenticated by export; check it with verify first.\n");
}

static int print_line(const struct kr_anchor *a, const struct kr_anchor_digest *d,
		      enum format f, const char *zone)
{
	char *ds = NULL, *b64 = NULL, *hex = NULL;
	int rc = KR_OK;
	switch (f) {
	case F_DS:
	case F_UNBOUND:
	case F_KRESD:
		if ((rc = kr_anchor_digest_ds(a, d, &ds)))
			break;
		printf(f == F_DS ? "%s\n" : f == F_UNBOUND ? "\ttrust-anchor: \"%s\"\n"
							    : "trust_anchors.add('%s')\n",
		       ds);
		break;
	case F_DNSKEY:
		if ((rc = kr_base64_encode(d->dnskey.pubkey, d->dnskey.pubkey_len, &b64)))
			break;
		printf("%s IN DNSKEY %u 3 %u %s\n", zone, d->dnskey.flags, d->algorithm, b64);
		break;
	case F_BIND:
		if (d->has_key) {
			if ((rc = kr_base64_encode(d->dnskey.pubkey, d->dnskey.pubkey_len, &b64)))
				break;
			printf("\t\"%s\" initial-key %u 3 %u \"%s\";\n", zone, d->dnskey.flags,
			       d->algorithm, b64);
		} else {
			if ((rc = kr_hex_encode(d->digest, d->digest_len, 1, &hex)))
				break;
			printf("\t\"%s\" initial-ds %u %u %u \"%s\";\n", zone, d->key_tag,
			       d->algorithm, d->digest_type, hex);
		}
		break;
	}
	free(ds);
	free(b64);
	free(hex);
	return rc;
}

int ta_cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"at", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *fmt = NULL, *at_str = "now";
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 't': at_str = optarg; break;
		case 'h': usage(stdout); return KR_EXIT_OK;
		default: usage(stderr); return KR_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || fmt == NULL) {
		kr_cli_error("export needs one XML file and --format");
		usage(stderr);
		return KR_EXIT_USAGE;
	}
	int f = -1;
	for (int i = 0; format_names[i] != NULL; i++)
		if (strcmp(fmt, format_names[i]) == 0)
			f = i;
	if (f < 0) {
		kr_cli_error("unknown --format '%s' (ds, dnskey, unbound, bind, knot-resolver)", fmt);
		return KR_EXIT_USAGE;
	}
	int64_t at;
	if (ta_parse_time(at_str, &at) != KR_OK) {
		kr_cli_error("--at '%s' is not a time", at_str);
		return KR_EXIT_USAGE;
	}
	const char *path = argv[optind];
	struct kr_anchor *a = NULL;
	size_t *idx = NULL;
	char zone[1024], when[32];
	int status = ta_load_anchor(path, &a);
	if (status)
		return status;
	kr_name_to_str(&a->zone, zone, sizeof(zone));
	kr_time_format(at, when, sizeof(when));
	if ((idx = calloc(a->ndigests, sizeof(*idx))) == NULL) {
		status = kr_cli_fail(KR_ENOMEM, "export");
		goto out;
	}
	size_t n = ta_valid_digests(a, at, idx);
	if (n == 0) {
		kr_cli_error("%s: no KeyDigest is valid at %s", path, when);
		status = KR_EXIT_REJECTED;
		goto out;
	}
	for (size_t i = 0; f == F_DNSKEY && i < n; i++) {
		if (!a->digests[idx[i]].has_key) {
			kr_cli_error("%s: KeyDigest %s has no PublicKey; use --format ds", path,
				     a->digests[idx[i]].id);
			status = KR_EXIT_REJECTED;
			goto out;
		}
	}
	/* Names that need quoting inside quoted configuration strings are refused
	 * rather than escaped three different ways. */
	if (strpbrk(zone, "\\\"'") != NULL) {
		kr_cli_error("%s: zone name %s needs escaping; refusing to export it", path, zone);
		status = KR_EXIT_REJECTED;
		goto out;
	}
	/* Only the zone and time go into comments: ids come from the file and could
	 * carry line breaks into the configuration. */
	if (f == F_UNBOUND)
		printf("# unbound.conf: trust anchors for %s valid at %s\nserver:\n", zone, when);
	else if (f == F_BIND)
		printf("# named.conf: trust anchors for %s valid at %s\ntrust-anchors {\n", zone,
		       when);
	else if (f == F_KRESD)
		printf("-- kresd config: trust anchors for %s valid at %s\n", zone, when);
	for (size_t i = 0; i < n; i++) {
		int rc = print_line(a, &a->digests[idx[i]], (enum format)f, zone);
		if (rc) {
			status = kr_cli_fail(rc, "formatting %s", a->digests[idx[i]].id);
			goto out;
		}
	}
	if (f == F_BIND)
		printf("};\n");
	status = KR_EXIT_OK;
out:
	free(idx);
	kr_anchor_free(a);
	return status;
}
