/*
 * checks.h - every check a KSR must pass before it is signed (DESIGN.md),
 * by ICANN's ids, plus the KSK operator's own limits (SKR-POLICY-*) and the
 * stand-alone verification of an SKR (SKR-VERIFY-*).
 *
 * A check never stops the others: every check runs and lands in the report
 * as PASS, FAIL (with the first reason and a count of further ones) or SKIP
 * (with why: no previous SKR, disabled by the policy's skip_checks).  The
 * caller decides what to do with the report; a FAIL must stop signing.
 * docs/ksr-skr-format.md describes each check.
 */
#ifndef KR_KSR_CHECKS_H
#define KR_KSR_CHECKS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ksr/policy.h"
#include "lib/ksr.h"

enum kr_check_status { KR_CHECK_PASS = 0, KR_CHECK_FAIL = 1, KR_CHECK_SKIP = 2 };

#define KR_CHECK_ID_MAX 40
#define KR_CHECK_MSG_MAX 512

struct kr_check_result {
	char id[KR_CHECK_ID_MAX];
	enum kr_check_status status;
	char msg[KR_CHECK_MSG_MAX];
};

struct kr_check_report {
	size_t n, cap;
	struct kr_check_result *items; /* owned */
	size_t nfail, nskip;
};

/* A zeroed report is empty and valid; clear frees its items. */
void kr_check_report_clear(struct kr_check_report *rep);
/* Append a result (message formatted like printf).  KR_ENOMEM on failure. */
int kr_check_report_add(struct kr_check_report *rep, const char *id, enum kr_check_status st,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The first result with this id, or NULL. */
const struct kr_check_result *kr_check_report_find(const struct kr_check_report *rep,
						   const char *id);
const char *kr_check_status_name(enum kr_check_status st); /* "PASS", "FAIL", "SKIP" */

/*
 * Run every KSR check on ksr (a Request) against the policy, the previous
 * SKR (NULL = none: the chain checks are SKIPped) and the time now (for
 * KSR-POLICY-SIG-HORIZON), appending one result per check to rep.
 * Returns KR_OK if nothing failed, KR_EPOLICY if a check failed, KR_EINVAL
 * if ksr is not a Request or prev_skr not a Response, KR_ENOMEM.
 */
int kr_ksr_check(const struct kr_ksr_doc *ksr, const struct kr_ksr_doc *prev_skr,
		 const struct kr_policy *pol, int64_t now, struct kr_check_report *rep);

/*
 * Verify an SKR on its own: structure (SKR-VERIFY-STRUCTURE), every
 * signature valid over its bundle's whole DNSKEY RRset and made by a KSK
 * published in that bundle (SKR-VERIFY-SIGNATURES), and consistent times
 * (SKR-VERIFY-TIMES).  Same return convention as kr_ksr_check().
 */
int kr_skr_check(const struct kr_ksr_doc *skr, struct kr_check_report *rep);

/*
 * Bytes of a DNS response to "zone DNSKEY" carrying bundle b's DNSKEY
 * RRset and its RRSIGs in the answer section, with an EDNS OPT record (no
 * options) and name compression as a server would use it.  Above 1232
 * bytes (the DNS flag day 2020 EDNS buffer size) it risks fragmentation or
 * TCP fallback.
 */
size_t kr_dnskey_response_size(const struct kr_name *zone, const struct kr_ksr_bundle *b);
#define KR_DNSKEY_RESPONSE_WARN 1232

#endif
