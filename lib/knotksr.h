/*
 * knotksr.h - Knot DNS 3.x offline-KSK files (keymgr generate-ksr / sign-ksr /
 * import-skr) mapped onto the ICANN KSR/SKR model of lib/ksr.h.
 *
 * Knot's text format is a zone file cut into sections by comment lines:
 *
 *   ;; KeySigningRequest 1.0 <unix-time> (<ISO 8601>) =====
 *   <DNSKEY records, zone-file syntax, may span lines in parentheses>
 *   ...
 *   ;; KeySigningRequest 1.0 generated at <ISO 8601> by Knot DNS <version>
 *
 * (SignedKeyResponse instead of KeySigningRequest in an SKR, whose sections
 * also hold the RRSIGs over the DNSKEY RRset).  A section is the key set from
 * its time until the next section's time.  docs/knot-interop.md explains the
 * mapping; in short:
 *
 *   - a KSR section [T_i, T_i+1) becomes bundles at T_i, T_i + step, ... < T_i+1,
 *     each valid for `validity` seconds (Knot's own sign-ksr does the same
 *     with step = rrsig-lifetime - rrsig-refresh, validity = rrsig-lifetime);
 *     the last section (Knot's "end of period" marker) gets one bundle;
 *   - an SKR bundle becomes one section whose time is the bundle's inception.
 *
 * Parsing is strict (fail closed): the input is capped at KR_KSR_MAX_SIZE,
 * every line must be a section header, a comment, a blank line or part of a
 * DNSKEY/RRSIG record of one owner; the closing "generated at" line is
 * required (a truncated file is refused), section times must increase, and
 * an ISO time in a header must agree with its unix time.
 */
#ifndef KR_KNOTKSR_H
#define KR_KNOTKSR_H

#include <stddef.h>
#include <stdint.h>

#include "lib/ksr.h"

/* Hard cap on the bundles one Knot KSR may expand to. */
#define KR_KNOT_MAX_BUNDLES 4096

/* How a KSR's sections are cut into bundles (both in seconds). */
struct kr_knot_ksr_opts {
	int64_t validity; /* expiration - inception of every bundle; > 0 */
	int64_t step;	  /* between inceptions inside one section; 0 < step <= validity */
};

/* KR_KSR_REQUEST for a Knot KSR, KR_KSR_RESPONSE for a Knot SKR (judged by
 * the first line that is not blank), 0 for anything else. */
int kr_knot_detect(const uint8_t *buf, size_t len);

/*
 * Parse a Knot KSR into a request document (*out; caller frees with
 * kr_ksr_free()).  The document id and bundle ids are UUID-shaped strings
 * derived from the SHA-256 of the input, the serial is the first section's
 * time, key identifiers are "ZSK-"/"KSK-" plus 16 hex digits of the SHA-256
 * of algorithm and public key (the same for a key and its revoked form), and
 * RequestPolicy/ZSK is derived: the keys' algorithms, signature validity
 * `validity`, the overlaps the expansion made (validity - step inside a
 * section, more where the end marker falls off the step grid), safety
 * margins 0.  The KSR has no
 * proof-of-possession signatures (Knot does not make them).  On failure
 * errbuf (if given) names the line and the problem.
 */
int kr_knot_ksr_parse(const uint8_t *text, size_t len, const struct kr_knot_ksr_opts *opts,
		      struct kr_ksr_doc **out, char *errbuf, size_t errlen);

/*
 * Parse a Knot SKR into a response document: one bundle per section,
 * inception = the section time, expiration = the earliest RRSIG expiration
 * of the section.  Signatures are parsed, not verified.
 */
int kr_knot_skr_parse(const uint8_t *text, size_t len, struct kr_ksr_doc **out, char *errbuf,
		      size_t errlen);

/*
 * Write a response document as a Knot SKR: one section per bundle, headed by
 * the bundle's inception, holding its DNSKEYs then its RRSIGs, one record per
 * line; closed by a "generated at <generated>" line.  Refused (KR_EPOLICY,
 * reason in errbuf) unless what keymgr import-skr and knotd need holds:
 * inceptions strictly increase; every bundle has keys of one TTL and at least
 * one signature; every signature's inception is at or before its bundle's
 * inception and its expiration at or after the next bundle's inception (Knot
 * serves a section until the next one starts).  *text is NUL-terminated,
 * allocated; caller frees with free().
 */
int kr_knot_skr_write(const struct kr_ksr_doc *skr, int64_t generated, char **text, size_t *len,
		      char *errbuf, size_t errlen);

#endif
