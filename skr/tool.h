/*
 * tool.h - command-line plumbing shared by the KSR/SKR subcommands of
 * keyroll-ksr and keyroll-skr (generate, sign, accept, bundle).  These
 * print "error:" lines and return exit statuses; library code never calls
 * them.
 */
#ifndef KR_SKR_TOOL_H
#define KR_SKR_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hsm/keystore.h"
#include "ksr/policy.h"
#include "lib/dnssec.h"
#include "lib/ksr.h"

/* The policy at path, or the default one when path is NULL.  Returns an
 * exit status (0 on success) after printing the error. */
int kr_tool_policy(const char *path, struct kr_policy **out);

/* --now or the clock.  Returns an exit status. */
int kr_tool_now(const char *arg, int64_t *now);

/* Read a KSR or SKR file and check its kind.  Returns an exit status. */
int kr_tool_read_doc(const char *path, const char *what, int want_kind,
		     struct kr_ksr_doc **out);

/* Signers for labels[0..n) on the open token, signing as flags; signers
 * already made are released on failure.  Returns an exit status (3 for a
 * missing label: the token is not the one the operator meant). */
int kr_tool_signers(struct kr_keystore *ks, const char *const *labels, size_t n,
		    uint16_t flags, struct kr_signer *out);
void kr_tool_signers_free(struct kr_signer *s, size_t n);

/* SHA-256 of a file's bytes as hex and PGP words on out. */
int kr_tool_print_hash(FILE *out, const char *label, const uint8_t *data, size_t len);

/*
 * The bundle table of an SKR (or KSR): number, inception, expiration, ZSK
 * tags, KSK tags marked (S)igning, (P)ublished only, (R)evoked, and the
 * DNSKEY response size with a warning mark above 1232 bytes.  Returns the
 * number of bundles over that size.
 */
size_t kr_tool_print_bundles(FILE *out, const struct kr_ksr_doc *doc);

/* A JSON string (quotes and escapes) on out. */
void kr_tool_json_string(FILE *out, const char *s);

#endif
