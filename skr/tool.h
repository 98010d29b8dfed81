/*
 * tool.h - command-line plumbing of the signing subcommands (keyroll-ksr
 * generate, keyroll-skr sign) beyond ksr/report.h: token signers and the
 * hash shown to the ceremony's witnesses.  These print; library code never
 * calls them.
 */
#ifndef KR_SKR_TOOL_H
#define KR_SKR_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hsm/keystore.h"
#include "lib/dnssec.h"

/* Signers for labels[0..n) on the open token, signing as flags; signers
 * already made are released on failure.  Returns an exit status (3 for a
 * missing label too: the token is not the one the operator meant). */
int kr_tool_signers(struct kr_keystore *ks, const char *const *labels, size_t n, uint16_t flags,
		    struct kr_signer *out);
void kr_tool_signers_free(struct kr_signer *s, size_t n);

/* SHA-256 of data: "<label> SHA-256: hex" and "<label> PGP words: ..." lines
 * on out (unless NULL), the lowercase hex into hex_out (unless NULL). */
int kr_tool_hash(FILE *out, const char *label, const uint8_t *data, size_t len, char hex_out[65]);

#endif
