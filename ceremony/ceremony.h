/*
 * ceremony.h - helpers shared by the keyroll-ceremony subcommands (tool
 * side: they print).
 */
#ifndef KR_CEREMONY_H
#define KR_CEREMONY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dnssec.h"

/* Print "<label> SHA-256:" with the hash in hex groups and PGP words. */
int kr_ceremony_show_hash(const char *label, const uint8_t *h, size_t len);

/*
 * Read an audit public key: a DNSKEY line ("owner [ttl] [IN] DNSKEY ...", as
 * keyroll-hsm export prints) or a PEM public key (RSA: algorithm 8, P-256:
 * 13, P-384: 14, Ed25519: 15).  Prints an error: line on failure.
 */
int kr_ceremony_read_pubkey(const char *path, struct kr_dnskey *out);

/* Write key as a PEM public key to path (atomically). */
int kr_ceremony_write_pubkey(const char *path, const struct kr_dnskey *key);

#endif
