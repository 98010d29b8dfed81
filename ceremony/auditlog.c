#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ceremony/auditlog.h"
#include "lib/cbor.h"
#include "lib/error.h"
#include "lib/fileio.h"

static const char *const record_keys[] = {"v", "seq", "prev", "time", "type", "data"};
static const char *const types[] = {"open", "participants", "step", "resume", "close", "seal"};

struct kr_audit_writer {
	int fd;
	int broken;
	int closed; /* the last record is "close" (its seal is missing) */
	uint64_t seq;
	uint8_t head[KR_AUDIT_HASH_LEN];
};

static int sha256(const uint8_t *data, size_t len, uint8_t out[KR_AUDIT_HASH_LEN])
{
	unsigned int n = 0;
	return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 ? KR_OK : KR_ECRYPTO;
}

static void say(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t size, const char *fmt, ...)
{
	if (why == NULL || size == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

static int known_type(const char *t)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(t, types[i]) == 0)
			return 1;
	return 0;
}

void kr_audit_view_free(struct kr_audit_view *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++)
		if (v->recs[i].data != NULL)
			cbor_decref(&v->recs[i].data);
	free(v->recs);
	free(v);
}

/* Decode one record at buf[0..len) (exactly one item) into r. */
static int parse_record(const uint8_t *buf, size_t len, struct kr_audit_record *r, char *why,
			size_t whysize)
{
	cbor_item_t *item = NULL;
	char *type = NULL;
	uint8_t *prev = NULL;
	size_t prev_len = 0;
	uint64_t v = 0;
	int rc = kr_cbor_decode(buf, len, &item);
	if (rc != KR_OK) {
		say(why, whysize, "not canonical CBOR");
		goto out;
	}
	rc = kr_cbor_map_check(item, record_keys, 6);
	if (rc != KR_OK) {
		say(why, whysize, "not a record (keys must be v, seq, prev, time, type, data)");
		goto out;
	}
	if ((rc = kr_cbor_get_uint(item, "v", 1, &v)) != KR_OK || v != 1 ||
	    (rc = kr_cbor_get_uint(item, "seq", UINT64_MAX, &r->seq)) != KR_OK ||
	    (rc = kr_cbor_get_uint(item, "time", UINT32_MAX * (uint64_t)256, &r->time)) != KR_OK ||
	    (rc = kr_cbor_get_bytes(item, "prev", KR_AUDIT_HASH_LEN, &prev, &prev_len)) != KR_OK ||
	    (rc = kr_cbor_get_text(item, "type", sizeof(r->type) - 1, &type)) != KR_OK) {
		rc = KR_EMALFORMED;
		say(why, whysize, "bad version, sequence number, time, previous hash or type field");
		goto out;
	}
	if (prev_len != KR_AUDIT_HASH_LEN || !known_type(type)) {
		rc = KR_EMALFORMED;
		say(why, whysize, "bad previous hash length or unknown type");
		goto out;
	}
	cbor_item_t *data = kr_cbor_get(item, "data", NULL);
	if (data == NULL || !cbor_isa_map(data)) {
		rc = KR_EMALFORMED;
		say(why, whysize, "data is not a map");
		goto out;
	}
	memcpy(r->prev, prev, KR_AUDIT_HASH_LEN);
	snprintf(r->type, sizeof(r->type), "%s", type);
	if ((rc = sha256(buf, len, r->hash)) != KR_OK)
		goto out;
	r->data = cbor_incref(data);
out:
	free(type);
	free(prev);
	if (item != NULL)
		cbor_decref(&item);
	return rc;
}

int kr_audit_parse(const uint8_t *buf, size_t len, struct kr_audit_view **out, char *why,
		   size_t whysize)
{
	if ((buf == NULL && len > 0) || out == NULL)
		return KR_EINVAL;
	say(why, whysize, "no problem found");
	int rc = KR_OK;
	struct kr_audit_view *v = calloc(1, sizeof(*v));
	size_t cap = 0, pos = 0;
	if (v == NULL)
		return KR_ENOMEM;
	if (len == 0) {
		rc = KR_ETRUNC;
		say(why, whysize, "the log is empty");
		goto out;
	}
	while (pos < len) {
		size_t n = 0;
		char reason[160] = "";
		if (v->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct kr_audit_record *nr = realloc(v->recs, ncap * sizeof(*nr));
			if (nr == NULL) {
				rc = KR_ENOMEM;
				goto out;
			}
			v->recs = nr;
			cap = ncap;
		}
		struct kr_audit_record *r = &v->recs[v->n];
		memset(r, 0, sizeof(*r));
		rc = kr_cbor_item_len(buf + pos, len - pos, &n);
		if (rc == KR_ETRUNC) {
			say(why, whysize, "record %zu at offset %zu is truncated (%zu bytes left)", v->n,
			    pos, len - pos);
			goto out;
		}
		if (rc == KR_OK && n > KR_AUDIT_MAX_RECORD)
			rc = KR_ETOOBIG;
		if (rc == KR_OK)
			rc = parse_record(buf + pos, n, r, reason, sizeof(reason));
		else
			snprintf(reason, sizeof(reason), "not canonical CBOR");
		if (rc != KR_OK) {
			say(why, whysize, "record %zu at offset %zu: %s", v->n, pos, reason);
			goto out;
		}
		r->offset = pos;
		r->len = n;
		v->n++;
		pos += n;
		/* The chain: every record names its predecessor's hash and its
		 * own position, so a changed, removed, inserted or reordered
		 * record breaks it at that point. */
		static const uint8_t zero[KR_AUDIT_HASH_LEN];
		const uint8_t *want = v->n == 1 ? zero : v->recs[v->n - 2].hash;
		if (r->seq != v->n - 1) {
			rc = KR_EMALFORMED;
			say(why, whysize,
			    "record %zu at offset %zu has sequence number %llu (records were removed, "
			    "inserted or reordered)",
			    v->n - 1, r->offset, (unsigned long long)r->seq);
			goto out;
		}
		if (memcmp(r->prev, want, KR_AUDIT_HASH_LEN) != 0) {
			rc = KR_EMALFORMED;
			say(why, whysize,
			    "record %zu at offset %zu does not chain to the record before it (a record "
			    "was changed, removed or reordered)",
			    v->n - 1, r->offset);
			goto out;
		}
		/* placement rules */
		const char *t = r->type;
		const char *prev_type = v->n > 1 ? v->recs[v->n - 2].type : "";
		const char *bad = NULL;
		if ((v->n == 1) != (strcmp(t, "open") == 0))
			bad = "the log must start with one open record";
		else if (strcmp(prev_type, "seal") == 0)
			bad = "a record follows the seal (appended after the log was closed)";
		else if (strcmp(prev_type, "close") == 0 && strcmp(t, "seal") != 0)
			bad = "the close record must be followed by the seal";
		else if (strcmp(t, "seal") == 0 && strcmp(prev_type, "close") != 0)
			bad = "a seal without a close record before it";
		if (bad != NULL) {
			rc = KR_EMALFORMED;
			say(why, whysize, "record %zu at offset %zu: %s", v->n - 1, r->offset, bad);
			goto out;
		}
		if (r->time < v->recs[v->n > 1 ? v->n - 2 : 0].time) {
			rc = KR_EMALFORMED;
			say(why, whysize, "record %zu at offset %zu: time goes backwards", v->n - 1,
			    r->offset);
			goto out;
		}
	}
	v->sealed = v->n >= 2 && strcmp(v->recs[v->n - 1].type, "seal") == 0;
	*out = v;
	v = NULL; /* transferred */
out:
	kr_audit_view_free(v);
	return rc;
}

int kr_audit_load(const char *path, struct kr_audit_view **out, char *why, size_t whysize)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = kr_read_file(path, KR_AUDIT_MAX_LOG, &buf, &len);
	if (rc != KR_OK) {
		say(why, whysize, "cannot read the log");
		return rc;
	}
	rc = kr_audit_parse(buf, len, out, why, whysize);
	free(buf);
	return rc;
}

static int seal_message(const uint8_t head[KR_AUDIT_HASH_LEN], uint8_t *msg, size_t *len)
{
	size_t c = sizeof(KR_AUDIT_SEAL_CONTEXT); /* with its NUL as separator */
	memcpy(msg, KR_AUDIT_SEAL_CONTEXT, c);
	memcpy(msg + c, head, KR_AUDIT_HASH_LEN);
	*len = c + KR_AUDIT_HASH_LEN;
	return KR_OK;
}

int kr_audit_verify_seal(const struct kr_audit_view *v, const struct kr_dnskey *pubkey, char *why,
			 size_t whysize)
{
	if (v == NULL || pubkey == NULL)
		return KR_EINVAL;
	if (!v->sealed) {
		say(why, whysize, "the log is not sealed (no close and seal records at its end)");
		return KR_EMALFORMED;
	}
	const struct kr_audit_record *close = &v->recs[v->n - 2], *seal = &v->recs[v->n - 1];
	uint8_t *head = NULL, *sig = NULL, *keyrdata = NULL;
	size_t head_len = 0, sig_len = 0, key_len = 0;
	uint64_t alg = 0, tag = 0;
	struct kr_dnskey named;
	int rc = KR_EMALFORMED;
	if (kr_cbor_get_bytes(seal->data, "head", KR_AUDIT_HASH_LEN, &head, &head_len) != KR_OK ||
	    kr_cbor_get_bytes(seal->data, "sig", KR_SIG_MAX, &sig, &sig_len) != KR_OK ||
	    kr_cbor_get_uint(seal->data, "alg", 255, &alg) != KR_OK ||
	    kr_cbor_get_uint(seal->data, "key-tag", 65535, &tag) != KR_OK ||
	    kr_cbor_get_bytes(close->data, "audit-key", 4 + KR_PUBKEY_MAX, &keyrdata, &key_len) !=
		    KR_OK ||
	    kr_dnskey_from_rdata(keyrdata, key_len, &named) != KR_OK) {
		say(why, whysize, "the close or seal record lacks a field (head, sig, alg, key-tag, "
				  "audit-key)");
		goto out;
	}
	if (head_len != KR_AUDIT_HASH_LEN || memcmp(head, close->hash, KR_AUDIT_HASH_LEN) != 0) {
		say(why, whysize, "the seal does not name the close record's hash");
		goto out;
	}
	rc = KR_EBADSIG;
	if (!kr_dnskey_same_key(&named, pubkey) || alg != pubkey->algorithm) {
		say(why, whysize, "the log was sealed by another audit key (key tag %u, algorithm %u)",
		    kr_dnskey_keytag(&named), named.algorithm);
		goto out;
	}
	uint8_t msg[sizeof(KR_AUDIT_SEAL_CONTEXT) + KR_AUDIT_HASH_LEN];
	size_t msg_len = 0;
	seal_message(close->hash, msg, &msg_len);
	if (kr_verify_raw(pubkey, msg, msg_len, sig, sig_len) != KR_OK) {
		say(why, whysize, "the seal signature does not verify");
		goto out;
	}
	rc = KR_OK;
	say(why, whysize, "sealed by audit key %u", kr_dnskey_keytag(&named));
out:
	free(head);
	free(sig);
	free(keyrdata);
	return rc;
}

/* --- writing ---------------------------------------------------------------- */

static int fsync_parent(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return KR_ENOMEM;
	char *slash = strrchr(copy, '/');
	const char *dir = ".";
	if (slash == copy)
		dir = "/";
	else if (slash != NULL) {
		*slash = '\0';
		dir = copy;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd >= 0 && fsync(fd) == 0 ? KR_OK : KR_ESYS;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

static int writer_new(const char *path, int flags, struct kr_audit_writer **out)
{
	struct kr_audit_writer *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return KR_ENOMEM;
	w->fd = open(path, flags | O_WRONLY | O_APPEND | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		int rc = errno == EEXIST ? KR_EEXIST : KR_ESYS;
		free(w);
		return rc;
	}
	if (flock(w->fd, LOCK_EX | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;
		kr_audit_writer_close(w);
		return busy ? KR_EDENIED : KR_ESYS;
	}
	*out = w;
	return KR_OK;
}

int kr_audit_create(const char *path, struct kr_audit_writer **out)
{
	if (path == NULL || out == NULL)
		return KR_EINVAL;
	struct kr_audit_writer *w = NULL;
	int rc = writer_new(path, O_CREAT | O_EXCL, &w);
	if (rc != KR_OK)
		return rc;
	if ((rc = fsync_parent(path)) != KR_OK) {
		kr_audit_writer_close(w);
		return rc;
	}
	*out = w;
	return KR_OK;
}

int kr_audit_reopen(const char *path, const struct kr_audit_view *v,
		    struct kr_audit_writer **out)
{
	if (path == NULL || v == NULL || v->n == 0 || out == NULL)
		return KR_EINVAL;
	if (v->sealed)
		return KR_EEXIST;
	struct kr_audit_writer *w = NULL;
	int rc = writer_new(path, 0, &w);
	if (rc != KR_OK)
		return rc;
	/* The file must still be exactly what was verified. */
	const struct kr_audit_record *last = &v->recs[v->n - 1];
	struct stat st;
	if (fstat(w->fd, &st) != 0 || (uint64_t)st.st_size != last->offset + last->len) {
		kr_audit_writer_close(w);
		return KR_EDENIED;
	}
	w->seq = v->n;
	w->closed = strcmp(last->type, "close") == 0;
	memcpy(w->head, last->hash, KR_AUDIT_HASH_LEN);
	*out = w;
	return KR_OK;
}

uint64_t kr_audit_next_seq(const struct kr_audit_writer *w)
{
	return w ? w->seq : 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return KR_ESYS;
		}
		p += n;
		len -= (size_t)n;
	}
	return KR_OK;
}

/* Serialize the next record (not yet written) and its hash. */
static int build_record(const struct kr_audit_writer *w, const char *type, uint64_t time,
			const cbor_item_t *data, uint8_t **buf, size_t *len,
			uint8_t hash[KR_AUDIT_HASH_LEN])
{
	int rc = KR_ENOMEM;
	cbor_item_t *rec = cbor_new_definite_map(6);
	if (rec == NULL ||
	    kr_cbor_put(rec, "v", kr_cbor_uint(1)) != KR_OK ||
	    kr_cbor_put(rec, "seq", kr_cbor_uint(w->seq)) != KR_OK ||
	    kr_cbor_put(rec, "prev", kr_cbor_bytes(w->head, KR_AUDIT_HASH_LEN)) != KR_OK ||
	    kr_cbor_put(rec, "time", kr_cbor_uint(time)) != KR_OK ||
	    kr_cbor_put(rec, "type", kr_cbor_text(type)) != KR_OK ||
	    kr_cbor_put(rec, "data", cbor_incref((cbor_item_t *)data)) != KR_OK)
		goto out;
	if ((rc = kr_cbor_encode(rec, buf, len)) != KR_OK)
		goto out;
	if (*len > KR_AUDIT_MAX_RECORD) {
		free(*buf);
		*buf = NULL;
		rc = KR_ETOOBIG;
		goto out;
	}
	rc = sha256(*buf, *len, hash);
out:
	if (rec != NULL)
		cbor_decref(&rec);
	return rc;
}

/* One record, one write, then fsync: after a crash the file ends with whole
 * records, unless the kernel tore the last write. */
static int commit_record(struct kr_audit_writer *w, const char *type, const uint8_t *buf,
			 size_t len, const uint8_t hash[KR_AUDIT_HASH_LEN])
{
	if (write_all(w->fd, buf, len) != KR_OK || fsync(w->fd) != 0) {
		w->broken = 1;
		return KR_ESYS;
	}
	memcpy(w->head, hash, KR_AUDIT_HASH_LEN);
	w->seq++;
	w->closed = strcmp(type, "close") == 0;
	return KR_OK;
}

int kr_audit_append(struct kr_audit_writer *w, const char *type, uint64_t time,
		    const cbor_item_t *data, uint8_t hash[KR_AUDIT_HASH_LEN])
{
	if (w == NULL || type == NULL || !known_type(type) || strcmp(type, "seal") == 0 ||
	    data == NULL || !cbor_isa_map(data))
		return KR_EINVAL;
	if (w->broken || w->closed)
		return KR_EDENIED;
	uint8_t *buf = NULL, h[KR_AUDIT_HASH_LEN];
	size_t len = 0;
	int rc = build_record(w, type, time, data, &buf, &len, h);
	if (rc == KR_OK)
		rc = commit_record(w, type, buf, len, h);
	if (rc == KR_OK && hash != NULL)
		memcpy(hash, h, KR_AUDIT_HASH_LEN);
	free(buf);
	return rc;
}

int kr_audit_seal(struct kr_audit_writer *w, const struct kr_signer *signer, uint64_t time,
		  cbor_item_t *close_data, uint8_t head[KR_AUDIT_HASH_LEN])
{
	if (w == NULL || signer == NULL || close_data == NULL || !cbor_isa_map(close_data))
		return KR_EINVAL;
	if (w->broken)
		return KR_EDENIED;
	uint8_t rdata[4 + KR_PUBKEY_MAX], h[KR_AUDIT_HASH_LEN];
	uint8_t msg[sizeof(KR_AUDIT_SEAL_CONTEXT) + KR_AUDIT_HASH_LEN], sig[KR_SIG_MAX];
	size_t rlen = 0, msg_len = 0, sig_len = sizeof(sig), len = 0;
	uint8_t *buf = NULL;
	cbor_item_t *seal = NULL, *close = NULL;
	int rc = kr_dnskey_rdata(&signer->key, rdata, sizeof(rdata), &rlen);
	if (rc != KR_OK)
		return rc;
	if (w->closed) {
		/* resumed after a crash between close and seal: sign that close */
		memcpy(h, w->head, sizeof(h));
	} else {
		/* the caller's fields, then the audit key */
		size_t n = cbor_map_size(close_data);
		struct cbor_pair *pairs = cbor_map_handle(close_data);
		close = cbor_new_definite_map(n + 1);
		rc = close ? KR_OK : KR_ENOMEM;
		for (size_t i = 0; rc == KR_OK && i < n; i++) {
			if (!cbor_map_add(close, (struct cbor_pair){.key = pairs[i].key,
								    .value = pairs[i].value}))
				rc = KR_ENOMEM;
		}
		if (rc == KR_OK)
			rc = kr_cbor_put(close, "audit-key", kr_cbor_bytes(rdata, rlen));
		if (rc != KR_OK ||
		    (rc = build_record(w, "close", time, close, &buf, &len, h)) != KR_OK)
			goto out;
	}
	/* Sign and check the signature before writing the close record, so a
	 * signing failure (wrong key, HSM gone) leaves the log open. */
	seal_message(h, msg, &msg_len);
	rc = signer->sign(signer->ctx, signer->key.algorithm, msg, msg_len, sig, &sig_len);
	if (rc != KR_OK)
		goto out;
	if ((rc = kr_verify_raw(&signer->key, msg, msg_len, sig, sig_len)) != KR_OK)
		goto out;
	if (buf != NULL && (rc = commit_record(w, "close", buf, len, h)) != KR_OK)
		goto out;
	seal = cbor_new_definite_map(4);
	rc = KR_ENOMEM;
	if (seal == NULL || kr_cbor_put(seal, "head", kr_cbor_bytes(h, sizeof(h))) != KR_OK ||
	    kr_cbor_put(seal, "alg", kr_cbor_uint(signer->key.algorithm)) != KR_OK ||
	    kr_cbor_put(seal, "key-tag", kr_cbor_uint(kr_dnskey_keytag(&signer->key))) != KR_OK ||
	    kr_cbor_put(seal, "sig", kr_cbor_bytes(sig, sig_len)) != KR_OK)
		goto out;
	free(buf);
	buf = NULL;
	uint8_t sh[KR_AUDIT_HASH_LEN];
	if ((rc = build_record(w, "seal", time, seal, &buf, &len, sh)) != KR_OK ||
	    (rc = commit_record(w, "seal", buf, len, sh)) != KR_OK)
		goto out;
	w->broken = 1; /* nothing may follow the seal */
	if (head != NULL)
		memcpy(head, h, KR_AUDIT_HASH_LEN);
out:
	free(buf);
	if (seal != NULL)
		cbor_decref(&seal);
	if (close != NULL)
		cbor_decref(&close);
	return rc;
}

void kr_audit_writer_close(struct kr_audit_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}
