/*
 * keyroll-ceremony transcript: the audit log as a printable HTML page - the
 * annotated script with times, initials, exceptions, tool output, record
 * hashes and a signature block for the witnesses.
 *
 * A log whose chain is broken is refused; a seal is checked when --pubkey is
 * given, and the page says plainly whether it was.  All log text is escaped:
 * the log is data, never markup.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony/auditlog.h"
#include "ceremony/ceremony.h"
#include "ceremony/commands.h"
#include "lib/cbor.h"
#include "lib/cli.h"
#include "lib/encode.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/pgpwords.h"
#include "lib/timeutil.h"

static const char css[] =
	"body{font-family:'DejaVu Serif',Georgia,serif;font-size:10.5pt;margin:2em;color:#000}"
	"h1{font-size:17pt;margin:0 0 .2em}h2{font-size:13pt;margin:1.2em 0 .4em;"
	"border-bottom:1.5pt solid #000;page-break-after:avoid}"
	"table{border-collapse:collapse;width:100%;margin:.3em 0}"
	"th,td{border:.6pt solid #444;padding:3pt 5pt;vertical-align:top;text-align:left}"
	"th{background:#e8e8e8}tr{page-break-inside:avoid}"
	".mono,pre{font-family:'DejaVu Sans Mono',monospace;font-size:8.5pt}"
	"pre{white-space:pre-wrap;word-break:break-all;margin:.3em 0;padding:3pt;background:#f6f6f6;"
	"border-left:2pt solid #999}"
	".exc{background:#fff0d0;font-weight:bold}.fail{background:#ffd8d8;font-weight:bold}"
	".banner{border:2pt solid #000;padding:6pt;margin:.6em 0;font-weight:bold}"
	".rehearsal{font-size:14pt;text-align:center;letter-spacing:.3em}"
	".box{display:inline-block;min-width:5em;border-bottom:.6pt solid #000}"
	".sig td{height:2.4em}.words{font-size:10pt}.small{font-size:8.5pt;color:#333}"
	"@page{size:A4;margin:15mm}@media print{body{margin:0}}";

static void esc(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		switch (ch) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if (ch < 0x20 && ch != '\n' && ch != '\t')
				fputs("\xef\xbf\xbd", f); /* U+FFFD for control bytes */
			else
				fputc(ch, f);
		}
	}
}

static void esc_s(FILE *f, const char *s)
{
	esc(f, s, strlen(s));
}

/* A text field of a record, escaped, or dflt. */
static void field(FILE *f, const cbor_item_t *m, const char *key, const char *dflt)
{
	cbor_item_t *v = kr_cbor_get(m, key, NULL);
	if (v != NULL && cbor_isa_string(v) && cbor_string_is_definite(v))
		esc(f, (const char *)cbor_string_handle(v), cbor_string_length(v));
	else if (dflt != NULL)
		esc_s(f, dflt);
}

static void strv(FILE *f, const cbor_item_t *m, const char *key, const char *sep)
{
	cbor_item_t *a = kr_cbor_get(m, key, NULL);
	if (a == NULL || !cbor_isa_array(a))
		return;
	for (size_t i = 0; i < cbor_array_size(a); i++) {
		cbor_item_t *e = cbor_array_handle(a)[i];
		if (!cbor_isa_string(e))
			continue;
		if (i > 0)
			fputs(sep, f);
		esc(f, (const char *)cbor_string_handle(e), cbor_string_length(e));
	}
}

static void time_of(FILE *f, uint64_t t)
{
	char buf[32];
	if (kr_time_format((int64_t)t, buf, sizeof(buf)) == KR_OK)
		fputs(buf, f);
}

/* hh:mm:ssZ of a time (the date is in the header) */
static void clock_of(FILE *f, uint64_t t)
{
	char buf[32];
	if (kr_time_format((int64_t)t, buf, sizeof(buf)) == KR_OK && strlen(buf) == 20)
		fputs(buf + 11, f);
}

/* hex (in groups of four) and PGP words of a hash */
static void hash_block(FILE *f, const uint8_t *h, size_t len)
{
	char *hex = NULL, *words = NULL;
	if (kr_hex_encode(h, len, 0, &hex) == KR_OK && kr_pgp_words(h, len, &words) == KR_OK) {
		fputs("<div class=\"mono\">", f);
		for (size_t i = 0; hex[i]; i += 4)
			fprintf(f, "%.4s ", hex + i);
		fputs("</div><div class=\"words\">", f);
		esc_s(f, words);
		fputs("</div>", f);
	}
	free(hex);
	free(words);
}

static void bytes_hash(FILE *f, const cbor_item_t *m, const char *key)
{
	cbor_item_t *v = kr_cbor_get(m, key, NULL);
	if (v != NULL && cbor_isa_bytestring(v))
		hash_block(f, cbor_bytestring_handle(v), cbor_bytestring_length(v));
}

static void short_hash(FILE *f, const uint8_t *h)
{
	for (int i = 0; i < 8; i++)
		fprintf(f, "%02x", h[i]);
}

static void step_row(FILE *f, const struct kr_audit_record *r)
{
	const cbor_item_t *d = r->data;
	char *result = NULL, *action = NULL;
	kr_cbor_get_text(d, "result", 32, &result);
	kr_cbor_get_text(d, "action", 32, &action);
	const char *cls = result && strcmp(result, "exception") == 0 ? " class=\"exc\""
			  : result && strcmp(result, "failed") == 0  ? " class=\"fail\""
								      : "";
	fputs("<tr><td><b>", f);
	field(f, d, "id", "?");
	fputs("</b></td><td>", f);
	strv(f, d, "roles", ", ");
	fputs("</td><td><b>", f);
	field(f, d, "title", "");
	fputs("</b>", f);
	char *title = NULL, *text = NULL;
	kr_cbor_get_text(d, "title", 4096, &title);
	kr_cbor_get_text(d, "text", 4096, &text);
	if (text != NULL && (title == NULL || strcmp(title, text) != 0)) {
		fputs("<br>", f);
		esc_s(f, text);
	}
	free(title);
	free(text);
	if (action && strcmp(action, "run") == 0) {
		uint64_t ex = 0, size = 0;
		kr_cbor_get_uint(d, "exit", 255, &ex);
		kr_cbor_get_uint(d, "output-size", UINT64_MAX, &size);
		fputs("<div class=\"mono\">$ ", f);
		strv(f, d, "argv", " ");
		fprintf(f, "</div><div class=\"small\">exit status %llu, %llu bytes of output",
			(unsigned long long)ex, (unsigned long long)size);
		cbor_item_t *out = kr_cbor_get(d, "output", NULL);
		if (out != NULL && cbor_isa_bytestring(out) && cbor_bytestring_length(out) > 0) {
			if (cbor_bytestring_length(out) < size)
				fputs(" (first part kept in the log)", f);
			fputs("</div><pre>", f);
			esc(f, (const char *)cbor_bytestring_handle(out), cbor_bytestring_length(out));
			fputs("</pre>", f);
		} else {
			fputs("</div>", f);
		}
	}
	if (action && strcmp(action, "hash") == 0) {
		fputs("<div class=\"small\">SHA-256 of <span class=\"mono\">", f);
		field(f, d, "file", "");
		fputs("</span>, read aloud:</div>", f);
		bytes_hash(f, d, "sha256");
	}
	uint64_t started = 0;
	kr_cbor_get_uint(d, "started", UINT64_MAX, &started);
	fputs("</td><td class=\"small\">", f);
	clock_of(f, started);
	fputs("<br>", f);
	clock_of(f, r->time);
	fprintf(f, "</td><td><b>");
	field(f, d, "initials", "");
	fprintf(f, "</b></td><td%s>", cls);
	esc_s(f, result ? result : "?");
	if (kr_cbor_get(d, "exception", NULL) != NULL) {
		fputs(": ", f);
		field(f, d, "exception", "");
	}
	fprintf(f, "</td><td class=\"mono\">#%llu<br>", (unsigned long long)r->seq);
	short_hash(f, r->hash);
	fputs("</td><td></td></tr>\n", f);
	free(result);
	free(action);
}

static void people_table(FILE *f, const cbor_item_t *d)
{
	cbor_item_t *list = kr_cbor_get(d, "people", NULL);
	fputs("<h2>Participants</h2><table class=\"sig\"><tr><th>Role</th><th>Name</th>"
	      "<th>Initials</th><th style=\"width:35%\">Signature</th></tr>\n", f);
	for (size_t i = 0; list != NULL && cbor_isa_array(list) && i < cbor_array_size(list); i++) {
		cbor_item_t *p = cbor_array_handle(list)[i];
		fputs("<tr><td>", f);
		field(f, p, "role", "");
		fputs("</td><td>", f);
		field(f, p, "name", "");
		fputs("</td><td><b>", f);
		field(f, p, "initials", "");
		fputs("</b></td><td></td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void open_block(FILE *f, const struct kr_audit_record *r)
{
	const cbor_item_t *d = r->data;
	char *mode = NULL;
	kr_cbor_get_text(d, "mode", 32, &mode);
	int rehearsal = mode != NULL && strcmp(mode, "rehearsal") == 0;
	if (rehearsal)
		fputs("<div class=\"banner rehearsal\">REHEARSAL - NOT A CEREMONY</div>\n", f);
	fputs("<h1>", f);
	field(f, d, "ceremony", "Ceremony");
	fputs("</h1>\n<table><tr><th>Script</th><td class=\"mono\">", f);
	field(f, d, "script", "");
	fputs("</td></tr><tr><th>Script SHA-256</th><td>", f);
	bytes_hash(f, d, "script-sha256");
	fputs("</td></tr><tr><th>Started</th><td>", f);
	time_of(f, r->time);
	fputs("</td></tr><tr><th>Mode</th><td>", f);
	esc_s(f, mode ? mode : "?");
	fputs(" (keyroll ", f);
	field(f, d, "version", "?");
	fputs(")</td></tr>", f);
	cbor_item_t *params = kr_cbor_get(d, "params", NULL);
	if (params != NULL && cbor_isa_map(params) && cbor_map_size(params) > 0) {
		fputs("<tr><th>Parameters</th><td class=\"mono\">", f);
		for (size_t i = 0; i < cbor_map_size(params); i++) {
			struct cbor_pair *p = &cbor_map_handle(params)[i];
			if (!cbor_isa_string(p->key) || !cbor_isa_array(p->value))
				continue;
			fputs(i ? "<br>" : "", f);
			esc(f, (const char *)cbor_string_handle(p->key), cbor_string_length(p->key));
			fputs(" = ", f);
			for (size_t j = 0; j < cbor_array_size(p->value); j++) {
				cbor_item_t *e = cbor_array_handle(p->value)[j];
				if (!cbor_isa_string(e))
					continue;
				fputs(j ? ", " : "", f);
				esc(f, (const char *)cbor_string_handle(e), cbor_string_length(e));
			}
		}
		fputs("</td></tr>", f);
	}
	fputs("</table>\n", f);
	free(mode);
}

static void close_block(FILE *f, const struct kr_audit_view *v, const char *seal_status,
			int sealed_ok)
{
	fputs("<h2>Closing</h2>\n", f);
	if (!v->sealed) {
		fputs("<div class=\"banner\">INCOMPLETE: this log is not sealed (the ceremony stopped "
		      "or is still running).</div>\n",
		      f);
	} else {
		const struct kr_audit_record *c = &v->recs[v->n - 2], *s = &v->recs[v->n - 1];
		uint64_t steps = 0, exc = 0, tag = 0;
		kr_cbor_get_uint(c->data, "steps", UINT64_MAX, &steps);
		kr_cbor_get_uint(c->data, "exceptions", UINT64_MAX, &exc);
		kr_cbor_get_uint(s->data, "key-tag", 65535, &tag);
		fputs("<table><tr><th>Status</th><td>", f);
		field(f, c->data, "status", "?");
		fprintf(f, ", %llu steps, %llu exceptions, closed ", (unsigned long long)steps,
			(unsigned long long)exc);
		time_of(f, c->time);
		fputs("</td></tr><tr><th>Log head (SHA-256 of the close record)</th><td>", f);
		hash_block(f, c->hash, KR_AUDIT_HASH_LEN);
		fprintf(f, "</td></tr><tr><th>Seal</th><td>audit key tag %llu; ", (unsigned long long)tag);
		esc_s(f, seal_status);
		fputs("<div class=\"mono small\">", f);
		cbor_item_t *sig = kr_cbor_get(s->data, "sig", NULL);
		if (sig != NULL && cbor_isa_bytestring(sig))
			for (size_t i = 0; i < cbor_bytestring_length(sig); i++)
				fprintf(f, "%02x%s", cbor_bytestring_handle(sig)[i], i % 32 == 31 ? " " : "");
		fputs("</div></td></tr></table>\n", f);
	}
	if (!sealed_ok)
		fputs("<div class=\"banner\">The seal was not verified for this printout: check the "
		      "log with keyroll-ceremony verify-log LOG --pubkey KEY.</div>\n",
		      f);
	fputs("<p>We, the undersigned, witnessed this ceremony and confirm that this transcript "
	      "and the log head above match what was read aloud.</p>\n"
	      "<table class=\"sig\"><tr><th>Role</th><th>Name</th><th>Signature</th><th>Date</th>"
	      "</tr>\n",
	      f);
	for (int i = 0; i < 3; i++)
		fputs("<tr><td></td><td></td><td></td><td></td></tr>\n", f);
	fputs("</table>\n", f);
}

static int render(FILE *f, const struct kr_audit_view *v, const char *log_name,
		  const char *seal_status, int sealed_ok)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
	field(f, v->recs[0].data, "ceremony", "Ceremony");
	fprintf(f, " - transcript</title>\n<style>%s</style></head><body>\n", css);
	open_block(f, &v->recs[0]);
	char *act = NULL;
	int in_table = 0;
	for (size_t i = 1; i < v->n; i++) {
		const struct kr_audit_record *r = &v->recs[i];
		if (strcmp(r->type, "participants") == 0) {
			people_table(f, r->data);
		} else if (strcmp(r->type, "resume") == 0) {
			if (!in_table)
				fputs("<table>", f);
			in_table = 1;
			fputs("<tr><td colspan=\"8\" class=\"exc\">Resumed at ", f);
			time_of(f, r->time);
			fputs(" after an interruption; log chain verified, continuing at step ", f);
			field(f, r->data, "next-step", "?");
			fputs("</td></tr>\n", f);
		} else if (strcmp(r->type, "step") == 0) {
			char *a = NULL;
			kr_cbor_get_text(r->data, "act", 1024, &a);
			if (a != NULL && (act == NULL || strcmp(a, act) != 0)) {
				if (in_table)
					fputs("</table>\n", f);
				fputs("<h2>", f);
				esc_s(f, a);
				fputs("</h2>\n<table><tr><th>Step</th><th>Roles</th><th>Action</th>"
				      "<th>Start<br>end</th><th>By</th><th>Result</th><th>Record</th>"
				      "<th>Witness</th></tr>\n",
				      f);
				in_table = 1;
				free(act);
				act = a;
			} else {
				free(a);
			}
			step_row(f, r);
		}
	}
	if (in_table)
		fputs("</table>\n", f);
	free(act);
	close_block(f, v, seal_status, sealed_ok);
	fprintf(f, "<p class=\"small\">Transcript of ");
	esc_s(f, log_name);
	fprintf(f, " (%zu records, hash chain verified) by keyroll-ceremony %s.</p>\n</body></html>\n",
		v->n, KEYROLL_VERSION);
	return ferror(f) ? KR_ESYS : KR_OK;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: keyroll-ceremony transcript LOG --out FILE.html [--pubkey FILE]\n"
		   "Write a printable HTML transcript of an audit log (\"-\" for stdout).\n"
		   "  --out FILE     the HTML file to write\n"
		   "  --pubkey FILE  also verify the seal with this audit public key\n");
}

int ceremony_cmd_transcript(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'},
		{"pubkey", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *pubkey = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'k': pubkey = optarg; break;
		case 'h': usage(stdout); return KR_EXIT_OK;
		default: usage(stderr); return KR_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || out == NULL) {
		usage(stderr);
		return KR_EXIT_USAGE;
	}
	const char *path = argv[optind];
	struct kr_audit_view *v = NULL;
	struct kr_atomic *a = NULL;
	char why[512], status[600] = "seal not checked (no --pubkey given)";
	int sealed_ok = 0;
	int rc = kr_audit_load(path, &v, why, sizeof(why));
	if (rc == KR_ESYS)
		return kr_cli_fail(rc, "reading %s", path);
	if (rc != KR_OK) {
		kr_cli_error("%s: %s", path, why);
		return KR_EXIT_REJECTED;
	}
	if (pubkey != NULL && v->sealed) {
		struct kr_dnskey key;
		if ((rc = kr_ceremony_read_pubkey(pubkey, &key)) != KR_OK) {
			kr_audit_view_free(v);
			return kr_exit_status(rc);
		}
		if ((rc = kr_audit_verify_seal(v, &key, why, sizeof(why))) != KR_OK) {
			kr_cli_error("%s: %s", path, why);
			kr_audit_view_free(v);
			return KR_EXIT_REJECTED;
		}
		snprintf(status, sizeof(status), "seal verified: %s", why);
		sealed_ok = 1;
	}
	const char *base = strrchr(path, '/');
	if ((rc = kr_atomic_begin(out, 0644, &a)) == KR_OK &&
	    (rc = render(kr_atomic_stream(a), v, base ? base + 1 : path, status, sealed_ok)) == KR_OK)
		rc = kr_atomic_commit(a);
	else
		kr_atomic_abort(a);
	kr_audit_view_free(v);
	if (rc != KR_OK)
		return kr_cli_fail(rc, "writing %s", out);
	return KR_EXIT_OK;
}
