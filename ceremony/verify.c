/*
 * keyroll-ceremony verify-log: check a log's chain and its seal against an
 * audit public key obtained independently (never the copy the log names).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ceremony/auditlog.h"
#include "ceremony/ceremony.h"
#include "ceremony/commands.h"
#include "lib/cbor.h"
#include "lib/cli.h"
#include "lib/error.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: keyroll-ceremony verify-log LOG --pubkey FILE [--json]\n"
		   "Check every record of an audit log, its hash chain and the audit key's\n"
		   "signature over the head; print the head hash in hex and PGP words.\n"
		   "  --pubkey FILE  the audit public key (PEM, or a DNSKEY line)\n"
		   "  --json         print the result as JSON\n");
}

int ceremony_cmd_verify_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{"pubkey", required_argument, NULL, 'k'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *pubkey = NULL;
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': pubkey = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return KR_EXIT_OK;
		default: usage(stderr); return KR_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || pubkey == NULL) {
		usage(stderr);
		return KR_EXIT_USAGE;
	}
	const char *path = argv[optind];
	struct kr_dnskey key;
	struct kr_audit_view *v = NULL;
	char why[512];
	int rc = kr_ceremony_read_pubkey(pubkey, &key);
	if (rc != KR_OK)
		return kr_exit_status(rc);
	rc = kr_audit_load(path, &v, why, sizeof(why));
	if (rc == KR_ESYS)
		return kr_cli_fail(rc, "reading %s", path);
	if (rc != KR_OK) {
		kr_cli_error("%s: %s", path, why);
		return KR_EXIT_REJECTED;
	}
	rc = kr_audit_verify_seal(v, &key, why, sizeof(why));
	if (rc != KR_OK) {
		kr_cli_error("%s: %s", path, why);
		kr_audit_view_free(v);
		return KR_EXIT_REJECTED;
	}
	const struct kr_audit_record *close = &v->recs[v->n - 2];
	size_t steps = 0, exceptions = 0;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->recs[i].type, "step") == 0) {
			steps++;
			exceptions += kr_cbor_get(v->recs[i].data, "exception", NULL) != NULL;
		}
	if (json) {
		printf("{\"log\": \"");
		for (const char *p = path; *p; p++) {
			if (*p == '"' || *p == '\\')
				putchar('\\');
			putchar((unsigned char)*p < 0x20 ? '?' : *p);
		}
		printf("\", \"valid\": true, \"records\": %zu, \"step_records\": %zu, "
		       "\"exceptions\": %zu, \"audit_key_tag\": %u, \"head\": \"",
		       v->n, steps, exceptions, kr_dnskey_keytag(&key));
		for (size_t i = 0; i < KR_AUDIT_HASH_LEN; i++)
			printf("%02x", close->hash[i]);
		printf("\"}\n");
	} else {
		printf("%s: valid: %zu records, %zu step records, %zu exceptions, sealed by audit key "
		       "tag %u\n",
		       path, v->n, steps, exceptions, kr_dnskey_keytag(&key));
		kr_ceremony_show_hash("Log head", close->hash, KR_AUDIT_HASH_LEN);
	}
	kr_audit_view_free(v);
	return KR_EXIT_OK;
}
