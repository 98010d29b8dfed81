/* Audit log (ceremony/auditlog.h): chain, seal, and every kind of tampering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "ceremony/auditlog.h"
#include "lib/cbor.h"
#include "lib/error.h"
#include "lib/fileio.h"

struct fixture {
	char dir[64];
	char path[96];
	EVP_PKEY *pkey, *other;
	struct kr_signer signer, other_signer;
	uint8_t *log;
	size_t len;
	struct kr_audit_view *view;
};

static EVP_PKEY *ed25519(void)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	assert_non_null(c);
	assert_int_equal(EVP_PKEY_keygen_init(c), 1);
	assert_int_equal(EVP_PKEY_keygen(c, &k), 1);
	EVP_PKEY_CTX_free(c);
	return k;
}

static cbor_item_t *step_data(const char *id)
{
	cbor_item_t *d = cbor_new_definite_map(2);
	assert_int_equal(kr_cbor_put(d, "id", kr_cbor_text(id)), KR_OK);
	assert_int_equal(kr_cbor_put(d, "result", kr_cbor_text("done")), KR_OK);
	return d;
}

/* A sealed log: open, participants, three steps, close, seal (7 records). */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/kr-auditlog.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/log.cbor", f->dir);
	f->pkey = ed25519();
	f->other = ed25519();
	assert_int_equal(kr_signer_from_pkey(f->pkey, KR_ALG_ED25519, 257, &f->signer), KR_OK);
	assert_int_equal(kr_signer_from_pkey(f->other, KR_ALG_ED25519, 257, &f->other_signer), KR_OK);

	struct kr_audit_writer *w = NULL;
	assert_int_equal(kr_audit_create(f->path, &w), KR_OK);
	assert_int_equal(kr_audit_create(f->path, &w), KR_EEXIST);
	cbor_item_t *d = cbor_new_definite_map(0);
	assert_int_equal(kr_audit_append(w, "open", 1000, d, NULL), KR_OK);
	assert_int_equal(kr_audit_append(w, "participants", 1001, d, NULL), KR_OK);
	cbor_decref(&d);
	for (int i = 1; i <= 3; i++) {
		char id[16];
		snprintf(id, sizeof(id), "1.%d", i);
		d = step_data(id);
		assert_int_equal(kr_audit_append(w, "step", 1001 + (uint64_t)i, d, NULL), KR_OK);
		cbor_decref(&d);
	}
	uint8_t head[32];
	d = cbor_new_definite_map(1);
	assert_int_equal(kr_cbor_put(d, "status", kr_cbor_text("complete")), KR_OK);
	assert_int_equal(kr_audit_seal(w, &f->signer, 1010, d, head), KR_OK);
	cbor_decref(&d);
	/* nothing may follow the seal */
	d = step_data("9.9");
	assert_int_not_equal(kr_audit_append(w, "step", 1011, d, NULL), KR_OK);
	cbor_decref(&d);
	kr_audit_writer_close(w);

	assert_int_equal(kr_read_file(f->path, KR_AUDIT_MAX_LOG, &f->log, &f->len), KR_OK);
	char why[256];
	assert_int_equal(kr_audit_parse(f->log, f->len, &f->view, why, sizeof(why)), KR_OK);
	assert_int_equal(f->view->n, 7);
	assert_true(f->view->sealed);
	assert_memory_equal(head, f->view->recs[5].hash, 32);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kr_audit_view_free(f->view);
	free(f->log);
	EVP_PKEY_free(f->pkey);
	EVP_PKEY_free(f->other);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void test_valid(void **state)
{
	struct fixture *f = *state;
	char why[256];
	assert_int_equal(kr_audit_verify_seal(f->view, &f->signer.key, why, sizeof(why)), KR_OK);
	/* the chain: record 0 names zeros, every other its predecessor */
	for (size_t i = 1; i < f->view->n; i++)
		assert_memory_equal(f->view->recs[i].prev, f->view->recs[i - 1].hash, 32);
	/* a second implementation of the hash: OpenSSL's one-shot SHA-256 of the bytes */
	uint8_t h[32];
	unsigned int hl = 0;
	const struct kr_audit_record *r = &f->view->recs[3];
	assert_int_equal(EVP_Digest(f->log + r->offset, r->len, h, &hl, EVP_sha256(), NULL), 1);
	assert_memory_equal(h, r->hash, 32);
	assert_int_equal(f->view->recs[6].offset + f->view->recs[6].len, f->len);
}

/* parse buf; expect failure (rc) with why containing text */
static void expect_bad(const uint8_t *buf, size_t len, int rc, const char *text)
{
	struct kr_audit_view *v = NULL;
	char why[256];
	assert_int_equal(kr_audit_parse(buf, len, &v, why, sizeof(why)), rc);
	assert_null(v);
	if (strstr(why, text) == NULL)
		fail_msg("reason '%s' lacks '%s'", why, text);
}

static void test_changed(void **state)
{
	struct fixture *f = *state;
	const struct kr_audit_record *r = &f->view->recs[3];
	uint8_t *b = malloc(f->len);
	/* flip every byte of a step record in turn: never accepted */
	for (size_t i = 0; i < r->len; i++) {
		memcpy(b, f->log, f->len);
		b[r->offset + i] ^= 0x01;
		struct kr_audit_view *v = NULL;
		char why[256];
		int rc = kr_audit_parse(b, f->len, &v, why, sizeof(why));
		if (rc == KR_OK) {
			/* only possible if the change kept a valid chain: never */
			kr_audit_view_free(v);
			fail_msg("flipped byte %zu of record 3 was accepted", i);
		}
	}
	/* a changed value in the last step: the close record no longer chains */
	memcpy(b, f->log, f->len);
	uint8_t *p = memmem(b + f->view->recs[4].offset, f->view->recs[4].len, "1.3", 3);
	assert_non_null(p);
	p[2] = '4';
	expect_bad(b, f->len, KR_EMALFORMED, "record 5 at offset");
	free(b);
}

static void test_removed(void **state)
{
	struct fixture *f = *state;
	const struct kr_audit_record *r = &f->view->recs[3];
	uint8_t *b = malloc(f->len);
	memcpy(b, f->log, r->offset);
	memcpy(b + r->offset, f->log + r->offset + r->len, f->len - r->offset - r->len);
	expect_bad(b, f->len - r->len, KR_EMALFORMED, "sequence number");
	free(b);
}

static void test_reordered(void **state)
{
	struct fixture *f = *state;
	const struct kr_audit_record *a = &f->view->recs[2], *c = &f->view->recs[3];
	uint8_t *b = malloc(f->len);
	memcpy(b, f->log, f->len);
	memcpy(b + a->offset, f->log + c->offset, c->len);
	memcpy(b + a->offset + c->len, f->log + a->offset, a->len);
	expect_bad(b, f->len, KR_EMALFORMED, "record 2 at offset");
	free(b);
}

static void test_appended(void **state)
{
	struct fixture *f = *state;
	/* a well-formed record that chains correctly to the seal */
	cbor_item_t *rec = cbor_new_definite_map(6), *d = step_data("2.1");
	const struct kr_audit_record *last = &f->view->recs[6];
	assert_int_equal(kr_cbor_put(rec, "v", kr_cbor_uint(1)), KR_OK);
	assert_int_equal(kr_cbor_put(rec, "seq", kr_cbor_uint(7)), KR_OK);
	assert_int_equal(kr_cbor_put(rec, "prev", kr_cbor_bytes(last->hash, 32)), KR_OK);
	assert_int_equal(kr_cbor_put(rec, "time", kr_cbor_uint(2000)), KR_OK);
	assert_int_equal(kr_cbor_put(rec, "type", kr_cbor_text("step")), KR_OK);
	assert_int_equal(kr_cbor_put(rec, "data", d), KR_OK);
	uint8_t *enc = NULL;
	size_t elen = 0;
	assert_int_equal(kr_cbor_encode(rec, &enc, &elen), KR_OK);
	cbor_decref(&rec);
	uint8_t *b = malloc(f->len + elen);
	memcpy(b, f->log, f->len);
	memcpy(b + f->len, enc, elen);
	expect_bad(b, f->len + elen, KR_EMALFORMED, "follows the seal");
	/* a stray byte at the end */
	b[f->len] = 0x00;
	expect_bad(b, f->len + 1, KR_EMALFORMED, "record 7");
	free(enc);
	free(b);
}

static void test_truncated(void **state)
{
	struct fixture *f = *state;
	char why[256];
	/* cut inside the seal: a torn record */
	expect_bad(f->log, f->len - 5, KR_ETRUNC, "truncated");
	/* cut at a record boundary: readable, but no longer sealed */
	struct kr_audit_view *v = NULL;
	assert_int_equal(kr_audit_parse(f->log, f->view->recs[6].offset, &v, why, sizeof(why)), KR_OK);
	assert_false(v->sealed);
	assert_int_equal(kr_audit_verify_seal(v, &f->signer.key, why, sizeof(why)), KR_EMALFORMED);
	assert_non_null(strstr(why, "not sealed"));
	kr_audit_view_free(v);
	/* without close and seal too */
	assert_int_equal(kr_audit_parse(f->log, f->view->recs[5].offset, &v, why, sizeof(why)), KR_OK);
	assert_int_equal(kr_audit_verify_seal(v, &f->signer.key, why, sizeof(why)), KR_EMALFORMED);
	kr_audit_view_free(v);
	expect_bad(f->log, 0, KR_ETRUNC, "empty");
}

static void test_forged_seal(void **state)
{
	struct fixture *f = *state;
	char why[256];
	/* the right log checked with another key */
	assert_int_equal(kr_audit_verify_seal(f->view, &f->other_signer.key, why, sizeof(why)),
			 KR_EBADSIG);
	/* a flipped signature bit: the seal record's last byte is inside sig */
	uint8_t *b = malloc(f->len);
	memcpy(b, f->log, f->len);
	b[f->len - 1] ^= 0x80;
	struct kr_audit_view *v = NULL;
	assert_int_equal(kr_audit_parse(b, f->len, &v, why, sizeof(why)), KR_OK);
	assert_int_equal(kr_audit_verify_seal(v, &f->signer.key, why, sizeof(why)), KR_EBADSIG);
	assert_non_null(strstr(why, "does not verify"));
	kr_audit_view_free(v);
	free(b);
}

/* Rewriting the whole log needs the audit key: a log rebuilt and sealed
 * with another key fails against the real one. */
static void test_rewritten(void **state)
{
	struct fixture *f = *state;
	char path[128], why[256];
	snprintf(path, sizeof(path), "%s/forged.cbor", f->dir);
	struct kr_audit_writer *w = NULL;
	assert_int_equal(kr_audit_create(path, &w), KR_OK);
	cbor_item_t *d = cbor_new_definite_map(0);
	assert_int_equal(kr_audit_append(w, "open", 1000, d, NULL), KR_OK);
	assert_int_equal(kr_audit_seal(w, &f->other_signer, 1001, d, NULL), KR_OK);
	cbor_decref(&d);
	kr_audit_writer_close(w);
	struct kr_audit_view *v = NULL;
	assert_int_equal(kr_audit_load(path, &v, why, sizeof(why)), KR_OK);
	assert_int_equal(kr_audit_verify_seal(v, &f->signer.key, why, sizeof(why)), KR_EBADSIG);
	kr_audit_view_free(v);
}

/* Resume: reopen an unsealed log and continue the chain. */
static void test_reopen(void **state)
{
	struct fixture *f = *state;
	char path[128], why[256];
	snprintf(path, sizeof(path), "%s/open.cbor", f->dir);
	/* the first five records of the sealed log: open, people, three steps */
	assert_int_equal(kr_write_file_atomic(path, f->log, f->view->recs[5].offset, 0644), KR_OK);
	struct kr_audit_view *v = NULL;
	struct kr_audit_writer *w = NULL, *w2 = NULL;
	assert_int_equal(kr_audit_load(path, &v, why, sizeof(why)), KR_OK);
	assert_int_equal(kr_audit_reopen(path, v, &w), KR_OK);
	/* a second writer is locked out */
	assert_int_equal(kr_audit_reopen(path, v, &w2), KR_EDENIED);
	cbor_item_t *d = step_data("1.4");
	assert_int_equal(kr_audit_append(w, "resume", 1020, d, NULL), KR_OK);
	assert_int_equal(kr_audit_append(w, "step", 1021, d, NULL), KR_OK);
	cbor_decref(&d);
	d = cbor_new_definite_map(0);
	assert_int_equal(kr_audit_seal(w, &f->signer, 1022, d, NULL), KR_OK);
	cbor_decref(&d);
	kr_audit_writer_close(w);
	/* the view is stale now: reopening with it is refused */
	assert_int_equal(kr_audit_reopen(path, v, &w), KR_EDENIED);
	kr_audit_view_free(v);
	assert_int_equal(kr_audit_load(path, &v, why, sizeof(why)), KR_OK);
	assert_int_equal(v->n, 9);
	assert_memory_equal(v->recs[4].hash, f->view->recs[4].hash, 32);
	assert_int_equal(kr_audit_verify_seal(v, &f->signer.key, why, sizeof(why)), KR_OK);
	assert_int_equal(kr_audit_reopen(path, v, &w), KR_EEXIST);
	kr_audit_view_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reordered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_appended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_seal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewritten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
