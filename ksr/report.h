/*
 * report.h - printing shared by keyroll-ksr and keyroll-skr: check reports
 * (text or JSON), the bundle table of a KSR/SKR, and loading a KSR/SKR or
 * policy with the tools' error conventions.  Tool code only: these print.
 */
#ifndef KR_KSR_REPORT_H
#define KR_KSR_REPORT_H

#include <stdio.h>

#include "ksr/checks.h"
#include "ksr/policy.h"
#include "lib/ksr.h"

/*
 * One line per check ("PASS KSR-DOMAIN: ...") and a summary line, or with
 * json a JSON object {"subject", "checks": [{"id", "status", "message"}],
 * "passed", "failed", "skipped", "result"}.
 */
void kr_report_print(FILE *f, const struct kr_check_report *rep, const char *subject, int json);

/*
 * After kr_ksr_check()/kr_skr_check() returned rc: print the report on
 * stdout and, if a check failed, "error: SUBJECT: N check(s) failed" on
 * stderr.  Returns the exit status (0, 1, or 3 when the checks could not
 * run, e.g. out of memory, in which case nothing is printed but the error).
 */
int kr_tool_report(int rc, const struct kr_check_report *rep, const char *subject, int json);

/* A JSON string literal (quotes and escapes) for s. */
void kr_json_string(FILE *f, const char *s);

/*
 * The bundle table: number, id, inception, expiration, keys as
 * tag/flags (a '*' after keys that signed the bundle, 'R' for revoked),
 * signer tags and the DNSKEY response size in bytes ('!' above
 * KR_DNSKEY_RESPONSE_WARN).  Returns how many bundles are above it.
 */
size_t kr_bundle_table_print(FILE *f, const struct kr_ksr_doc *doc);

/*
 * Read a KSR/SKR file; on failure print "error: WHAT FILE: reason" and
 * return the exit status (1 for a malformed document, 3 for I/O), else 0.
 * want is KR_KSR_REQUEST, KR_KSR_RESPONSE or 0 for either.
 */
int kr_tool_load_doc(const char *what, const char *path, int want, struct kr_ksr_doc **out);

/* Load --policy FILE or the default policy; same conventions. */
int kr_tool_load_policy(const char *path, struct kr_policy **out);

/* Parse --now (ISO 8601 or @seconds) or take the clock; 2 on a bad value. */
int kr_tool_now(const char *arg, int64_t *now);

#endif
