/*
 * report.c - the tools' shared printing (ksr/report.h).  Reports go to the
 * stream the caller gives (stdout: they are the tools' data); errors to
 * stderr through lib/cli.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ksr/report.h"
#include "ksr/knotin.h"
#include "lib/cli.h"
#include "lib/error.h"
#include "lib/timeutil.h"

void kr_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void kr_report_print(FILE *f, const struct kr_check_report *rep, const char *subject, int json)
{
	size_t pass = rep->n - rep->nfail - rep->nskip;
	const char *result = rep->nfail ? "rejected" : "accepted";
	if (json) {
		fputs("{\"subject\": ", f);
		kr_json_string(f, subject ? subject : "");
		fputs(", \"checks\": [", f);
		for (size_t i = 0; i < rep->n; i++) {
			fputs(i ? ",\n  {\"id\": " : "\n  {\"id\": ", f);
			kr_json_string(f, rep->items[i].id);
			fprintf(f, ", \"status\": \"%s\", \"message\": ",
				kr_check_status_name(rep->items[i].status));
			kr_json_string(f, rep->items[i].msg);
			fputc('}', f);
		}
		fprintf(f, "],\n \"passed\": %zu, \"failed\": %zu, \"skipped\": %zu, \"result\": \"%s\"}\n",
			pass, rep->nfail, rep->nskip, result);
		return;
	}
	if (subject != NULL)
		fprintf(f, "checks of %s\n", subject);
	for (size_t i = 0; i < rep->n; i++)
		fprintf(f, "%s %s: %s\n", kr_check_status_name(rep->items[i].status),
			rep->items[i].id, rep->items[i].msg);
	fprintf(f, "%zu checks: %zu passed, %zu failed, %zu skipped: %s\n", rep->n, pass,
		rep->nfail, rep->nskip, result);
}

int kr_tool_report(int rc, const struct kr_check_report *rep, const char *subject, int json)
{
	if (rc != KR_OK && rc != KR_EPOLICY)
		return kr_cli_fail(rc, "checking %s", subject);
	kr_report_print(stdout, rep, subject, json);
	if (rc == KR_OK)
		return KR_EXIT_OK;
	kr_cli_error("%s: %zu check(s) failed", subject, rep->nfail);
	return KR_EXIT_REJECTED;
}

size_t kr_bundle_table_print(FILE *f, const struct kr_ksr_doc *doc)
{
	size_t big = 0;
	char zone[1024];
	kr_name_to_str(&doc->domain, zone, sizeof(zone));
	fprintf(f, "%s %s for %s, id %s, serial %u, %zu bundles\n",
		doc->kind == KR_KSR_REQUEST ? "KSR" : "SKR",
		doc->kind == KR_KSR_REQUEST ? "(request)" : "(response)", zone, doc->id,
		doc->serial, doc->nbundles);
	fprintf(f, "%-3s %-8s %-20s %-20s %-40s %-14s %s\n", "#", "id", "inception", "expiration",
		"keys (tag/flags, * signed, R revoked)", "signers", "bytes");
	for (size_t i = 0; i < doc->nbundles; i++) {
		const struct kr_ksr_bundle *b = &doc->bundles[i];
		char inc[40], exp[40], keys[512] = "", signers[256] = "";
		kr_time_format(b->inception, inc, sizeof(inc));
		kr_time_format(b->expiration, exp, sizeof(exp));
		for (size_t k = 0; k < b->nkeys; k++) {
			int signer = 0;
			for (size_t s = 0; s < b->nsigs; s++)
				if (strcmp(b->sigs[s].key_identifier, b->keys[k].key_identifier) == 0)
					signer = 1;
			size_t len = strlen(keys);
			snprintf(keys + len, sizeof(keys) - len, "%s%u/%u%s%s", k ? " " : "",
				 b->keys[k].key_tag, b->keys[k].dnskey.flags, signer ? "*" : "",
				 (b->keys[k].dnskey.flags & 0x80) ? "R" : "");
		}
		for (size_t s = 0; s < b->nsigs; s++) {
			size_t len = strlen(signers);
			snprintf(signers + len, sizeof(signers) - len, "%s%u", s ? "," : "",
				 b->sigs[s].rrsig.key_tag);
		}
		size_t size = kr_dnskey_response_size(&doc->domain, b);
		int warn = size > KR_DNSKEY_RESPONSE_WARN;
		big += warn;
		fprintf(f, "%-3zu %-8.8s %-20s %-20s %-40s %-14s %zu%s\n", i + 1, b->id, inc, exp,
			keys, signers[0] ? signers : "-", size, warn ? " !" : "");
	}
	return big;
}

int kr_tool_load_doc(const char *what, const char *path, int want, struct kr_ksr_doc **out)
{
	char err[512];
	struct kr_ksr_doc *d = NULL;
	int rc = kr_knot_read_doc(path, &d, err, sizeof(err)); /* XML or Knot text */
	if (rc != KR_OK) {
		if (err[0] != '\0') {
			kr_cli_error("%s %s: %s", what, path, err);
			return rc == KR_ENOMEM ? KR_EXIT_ENV : KR_EXIT_REJECTED;
		}
		return kr_cli_fail(rc, "%s %s", what, path);
	}
	if (want != 0 && (int)d->kind != want) {
		kr_cli_error("%s %s: is a%s, not a%s", what, path,
			     d->kind == KR_KSR_REQUEST ? " KSR (<Request>)" : "n SKR (<Response>)",
			     want == KR_KSR_REQUEST ? " KSR (<Request>)" : "n SKR (<Response>)");
		kr_ksr_free(d);
		return KR_EXIT_REJECTED;
	}
	*out = d;
	return KR_EXIT_OK;
}

int kr_tool_load_policy(const char *path, struct kr_policy **out)
{
	char def[4096], err[512];
	if (path == NULL) {
		if (kr_policy_default_path(def, sizeof(def)) != KR_OK) {
			kr_cli_error("no --policy given and the default skr/policies/root.yaml was "
				     "found neither in ./ nor under $KEYROLL_DATADIR nor %s",
				     KEYROLL_DATADIR);
			return KR_EXIT_ENV;
		}
		path = def;
	}
	int rc = kr_policy_load(path, out, err, sizeof(err));
	if (rc == KR_ESYS || rc == KR_ENOMEM)
		return kr_cli_fail(rc, "policy %s", path);
	if (rc != KR_OK) {
		kr_cli_error("policy %s: %s", path, err);
		return KR_EXIT_REJECTED;
	}
	return KR_EXIT_OK;
}

int kr_tool_now(const char *arg, int64_t *now)
{
	if (arg == NULL) {
		*now = (int64_t)time(NULL);
		return KR_EXIT_OK;
	}
	if (kr_time_parse(arg, now) != KR_OK) {
		kr_cli_error("--now: bad time \"%s\" (ISO 8601 like 2017-03-15 or "
			     "2017-03-15T12:00:00Z, or @seconds)",
			     arg);
		return KR_EXIT_USAGE;
	}
	return KR_EXIT_OK;
}
