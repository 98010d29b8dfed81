/*
 * auditlog.h - the ceremony audit log: an append-only file of CBOR records
 * forming a SHA-256 hash chain (DESIGN.md "Ceremony records").
 *
 * Each record is a canonical CBOR map, keys in this order:
 *   "v" 1, "seq" n (0, 1, 2, ...), "prev" SHA-256 of the previous record's
 *   bytes (32 zero bytes for record 0), "time" seconds since the epoch,
 *   "type" text, "data" map.
 * Types: "open" (first record, only there), "participants", "step",
 * "resume", "close", "seal".  A sealed log ends with "close" followed by
 * "seal", whose data is {"head": SHA-256 of the close record, "alg",
 * "key-tag", "sig"}; sig signs KR_AUDIT_SEAL_CONTEXT || head with the audit
 * key (a DNSSEC-style key pair in the HSM).  The head hash commits to every
 * record, so it is what witnesses write down.
 *
 * Every record is written with one write() and fsync'd before the call
 * returns; the writer holds an exclusive flock() on the file.
 */
#ifndef KR_AUDITLOG_H
#define KR_AUDITLOG_H

#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

#include "lib/dnssec.h"

#define KR_AUDIT_HASH_LEN 32
#define KR_AUDIT_MAX_RECORD (1024 * 1024)
#define KR_AUDIT_MAX_LOG (256 * 1024 * 1024)
#define KR_AUDIT_SEAL_CONTEXT "keyroll audit log seal v1"

struct kr_audit_record {
	uint64_t seq;
	uint64_t time;
	char type[16];
	uint8_t prev[KR_AUDIT_HASH_LEN];
	uint8_t hash[KR_AUDIT_HASH_LEN]; /* SHA-256 of this record's bytes */
	size_t offset, len;              /* where the record sits in the file */
	cbor_item_t *data;               /* the "data" map (owned by the view) */
};

struct kr_audit_view {
	struct kr_audit_record *recs;
	size_t n;
	int sealed; /* ends with close + seal (signature not yet checked) */
};

/*
 * Parse and check a whole log held in buf: record framing and canonical
 * form, sequence numbers, the hash chain, record types and their placement.
 * On failure a sentence naming the first bad record and what is wrong with
 * it goes to why (never NULL-terminated beyond whysize); *out is untouched.
 */
int kr_audit_parse(const uint8_t *buf, size_t len, struct kr_audit_view **out, char *why,
		   size_t whysize);
/* Read path (capped at KR_AUDIT_MAX_LOG) and parse it. */
int kr_audit_load(const char *path, struct kr_audit_view **out, char *why, size_t whysize);
void kr_audit_view_free(struct kr_audit_view *v);

/*
 * Check the seal of a parsed log with the audit public key: the log is
 * sealed, the head is the close record's hash, the key matches the one the
 * close record names ("audit-key", DNSKEY RDATA) and the signature verifies.
 * KR_EBADSIG (signature, key) or KR_EMALFORMED (not sealed, bad fields).
 */
int kr_audit_verify_seal(const struct kr_audit_view *v, const struct kr_dnskey *pubkey, char *why,
			 size_t whysize);

struct kr_audit_writer;

/* Create a new log (KR_EEXIST if path exists). */
int kr_audit_create(const char *path, struct kr_audit_writer **out);
/* Continue a log: v must be the parse of path's current content, which must
 * not be sealed; appends go after its last record. */
int kr_audit_reopen(const char *path, const struct kr_audit_view *v,
		    struct kr_audit_writer **out);
/* Append one record; data is borrowed.  hash (may be NULL) gets its SHA-256.
 * After a failed write the writer refuses further records. */
int kr_audit_append(struct kr_audit_writer *w, const char *type, uint64_t time,
		    const cbor_item_t *data, uint8_t hash[KR_AUDIT_HASH_LEN]);
/* Append the close record (close_data's fields, borrowed, then "audit-key":
 * signer->key's RDATA) and the seal signed by signer.  head gets the close
 * record's hash.  After a crash between the two, a writer reopened on the
 * log signs the close record already there. */
int kr_audit_seal(struct kr_audit_writer *w, const struct kr_signer *signer, uint64_t time,
		  cbor_item_t *close_data, uint8_t head[KR_AUDIT_HASH_LEN]);
/* Records written so far (the next sequence number). */
uint64_t kr_audit_next_seq(const struct kr_audit_writer *w);
void kr_audit_writer_close(struct kr_audit_writer *w);

#endif
