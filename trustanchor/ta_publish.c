/*
 * ta_publish.c - keyroll-trustanchor publish: write (or update) an RFC 9718
 * trust-anchor file for KSKs in a token or in DNSKEY files.
 *
 * Each key becomes one KeyDigest with a SHA-256 digest, PublicKey and Flags.
 * With --update the existing file is the starting point: a key already in it
 * can only be retired (validUntil set), a new key is appended, and every id
 * stays as it was.  The result is checked against the shipped RFC 9718
 * grammar and re-read by the strict reader (digests recomputed) before it is
 * written atomically.
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hsm/keystore.h"
#include "lib/anchor.h"
#include "lib/cli.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/timeutil.h"
#include "trustanchor/commands.h"
#include "trustanchor/ta.h"

#define MAX_SPECS 64
#define DNSKEY_FILE_MAX (256 * 1024)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: keyroll-trustanchor publish --zone Z --out XML [--update EXISTING.xml]\n"
		"         (--token T [--module M] [--pin-file F] --key LABEL[,FROM[,UNTIL]] ...\n"
		"          | --dnskey FILE[,FROM[,UNTIL]] ...) [--id ID] [--source URL]\n"
		"Write an RFC 9718 trust-anchor file: one KeyDigest (SHA-256, PublicKey, Flags)\n"
		"per key, valid from FROM (default now) until UNTIL (default open).\n"
		"  --key LABEL[,FROM[,UNTIL]]    a KSK in the token, published under id LABEL\n"
		"  --dnskey FILE[,FROM[,UNTIL]]  the DNSKEY lines of FILE (owner must be Z)\n"
		"  --update EXISTING.xml   start from this file: add new keys, retire listed\n"
		"                          ones (LABEL,,UNTIL sets validUntil); ids are kept\n"
		"  --id ID        TrustAnchor id (default: kept with --update, else a new UUID)\n"
		"  --source URL   TrustAnchor source (default: kept, else the --out file name)\n"
		"  --token T, --module M, --pin-file F   the token holding the keys\n"
		"  --card C      a crypto officer card instead of a PIN (repeat, at least M)\n");
}

struct spec {
	const char *what; /* label or file name (points into argv copy) */
	int is_label;
	int64_t from, until; /* 0: not given */
	int has_from, has_until;
	char *buf; /* owned copy of the argument */
};

static int parse_spec(const char *arg, int is_label, struct spec *s)
{
	memset(s, 0, sizeof(*s));
	s->is_label = is_label;
	if ((s->buf = strdup(arg)) == NULL)
		return KR_ENOMEM;
	char *from = strchr(s->buf, ','), *until = NULL;
	if (from != NULL) {
		*from++ = '\0';
		if ((until = strchr(from, ',')) != NULL)
			*until++ = '\0';
	}
	s->what = s->buf;
	if (s->what[0] == '\0')
		return KR_EINVAL;
	if (from != NULL && from[0] != '\0') {
		if (ta_parse_time(from, &s->from) != KR_OK)
			return KR_EINVAL;
		s->has_from = 1;
	}
	if (until != NULL && until[0] != '\0') {
		if (ta_parse_time(until, &s->until) != KR_OK)
			return KR_EINVAL;
		s->has_until = 1;
	}
	return KR_OK;
}

/* Apply one key: add it, or retire it if it is already in the document. */
static int apply_key(struct kr_anchor *a, const char *id, const struct kr_dnskey *key,
		     const struct spec *s, int64_t now)
{
	size_t at;
	char when[32];
	if (kr_anchor_find_key(a, key, &at) == KR_OK) {
		struct kr_anchor_digest *d = &a->digests[at];
		if (!s->has_until) {
			kr_cli_error("%s (tag %u) is already published as KeyDigest %s; give "
				     "%s,,UNTIL to retire it",
				     s->what, kr_dnskey_keytag(key), d->id, s->what);
			return KR_EXIT_REJECTED;
		}
		if (s->has_from && s->from != d->valid_from) {
			kr_cli_error("%s: validFrom of the published KeyDigest %s cannot change",
				     s->what, d->id);
			return KR_EXIT_REJECTED;
		}
		if (s->until <= d->valid_from) {
			kr_cli_error("%s: validUntil must be after validFrom of KeyDigest %s",
				     s->what, d->id);
			return KR_EXIT_REJECTED;
		}
		d->valid_until = s->until;
		d->has_valid_until = 1;
		kr_time_format(s->until, when, sizeof(when));
		fprintf(stderr, "retiring KeyDigest %s (tag %u) at %s\n", d->id, d->key_tag, when);
		return KR_EXIT_OK;
	}
	int64_t from = s->has_from ? s->from : now;
	int rc = kr_anchor_add_key(a, id, key, from, s->has_until ? s->until : 0);
	if (rc == KR_EEXIST) {
		kr_cli_error("%s: KeyDigest id %s is already used by another key", s->what,
			     id != NULL ? id : "(derived)");
		return KR_EXIT_REJECTED;
	}
	if (rc == KR_ERANGE) {
		kr_cli_error("%s: validUntil must be after validFrom", s->what);
		return KR_EXIT_REJECTED;
	}
	if (rc == KR_EPOLICY) {
		kr_cli_error("%s: flags %u lack the Zone Key bit: not a trust anchor", s->what,
			     key->flags);
		return KR_EXIT_REJECTED;
	}
	if (rc)
		return kr_cli_fail(rc, "adding %s", s->what);
	const struct kr_anchor_digest *d = &a->digests[a->ndigests - 1];
	kr_time_format(from, when, sizeof(when));
	fprintf(stderr, "adding KeyDigest %s (tag %u) valid from %s\n", d->id, d->key_tag, when);
	return KR_EXIT_OK;
}

static int apply_dnskey_file(struct kr_anchor *a, const struct spec *s, int64_t now)
{
	uint8_t *buf = NULL;
	size_t len = 0, nkeys = 0;
	int rc = kr_read_file(s->what, DNSKEY_FILE_MAX, &buf, &len);
	if (rc)
		return kr_cli_fail(rc, "reading DNSKEY file %s", s->what);
	int status = KR_EXIT_OK;
	char *save = NULL;
	unsigned lineno = 0;
	for (char *line = strtok_r((char *)buf, "\n", &save); line != NULL && status == KR_EXIT_OK;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		const char *p = line + strspn(line, " \t\r");
		if (*p == '\0' || *p == ';' || *p == '#')
			continue;
		struct kr_name owner;
		struct kr_dnskey key;
		if ((rc = kr_dnskey_parse(line, &owner, NULL, &key)) != KR_OK) {
			kr_cli_error("%s:%u: not a DNSKEY record: %s", s->what, lineno,
				     kr_strerror(rc));
			status = KR_EXIT_REJECTED;
		} else if (!kr_name_equal(&owner, &a->zone)) {
			kr_cli_error("%s:%u: owner is not the zone of the trust anchor", s->what,
				     lineno);
			status = KR_EXIT_REJECTED;
		} else {
			status = apply_key(a, NULL, &key, s, now);
			nkeys++;
		}
	}
	if (status == KR_EXIT_OK && nkeys == 0) {
		kr_cli_error("%s: no DNSKEY record", s->what);
		status = KR_EXIT_REJECTED;
	}
	free(buf);
	return status;
}

static int apply_token_key(struct kr_anchor *a, struct kr_keystore *ks, const char *token,
			   const struct spec *s, int64_t now)
{
	struct kr_keyinfo ki;
	int rc = kr_keystore_find(ks, s->what, &ki);
	if (rc == KR_ENOTFOUND) {
		kr_cli_error("no key labelled '%s' in token %s", s->what,
			     token != NULL ? token : "(default)");
		return KR_EXIT_REJECTED;
	}
	if (rc)
		return kr_cli_fail(rc, "looking up key '%s'", s->what);
	return apply_key(a, s->what, &ki.dnskey, s, now);
}

/* Serialize, check against the grammar and the strict reader, write atomically. */
static int write_checked(const struct kr_anchor *a, const char *out)
{
	char *xml = NULL, err[512] = "";
	size_t len = 0;
	struct kr_anchor *back = NULL;
	int rc = kr_anchor_write(a, &xml, &len);
	if (rc)
		return kr_cli_fail(rc, "serializing the trust anchor");
	int status = KR_EXIT_OK;
	if ((rc = ta_schema_validate(xml, len, err, sizeof(err))) != KR_OK) {
		kr_cli_error("the new document does not match the RFC 9718 schema: %s", err);
		status = KR_EXIT_REJECTED;
	} else if ((rc = kr_anchor_parse((const uint8_t *)xml, len, &back, err, sizeof(err)))) {
		kr_cli_error("the new document does not read back: %s", err);
		status = kr_exit_status(rc);
	} else if ((rc = kr_write_file_atomic(out, xml, len, 0644))) {
		status = kr_cli_fail(rc, "writing %s", out);
	}
	kr_anchor_free(back);
	free(xml);
	return status;
}

int ta_cmd_publish(int argc, char **argv)
{
	enum { O_ZONE = 256, O_TOKEN, O_MODULE, O_PIN, O_KEY, O_DNSKEY, O_UPDATE, O_ID, O_SOURCE,
	       O_OUT, O_CARD };
	static const struct option opts[] = {
		{"zone", required_argument, NULL, O_ZONE},
		{"token", required_argument, NULL, O_TOKEN},
		{"module", required_argument, NULL, O_MODULE},
		{"pin-file", required_argument, NULL, O_PIN},
		{"card", required_argument, NULL, O_CARD},
		{"key", required_argument, NULL, O_KEY},
		{"dnskey", required_argument, NULL, O_DNSKEY},
		{"update", required_argument, NULL, O_UPDATE},
		{"id", required_argument, NULL, O_ID},
		{"source", required_argument, NULL, O_SOURCE},
		{"out", required_argument, NULL, O_OUT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct kr_hsm_opts ho = {0};
	const char *cards[TA_MAX_CARDS + 1] = {NULL};
	size_t ncards = 0;
	const char *zone_str = NULL, *update = NULL, *id = NULL, *source = NULL, *out = NULL;
	struct spec specs[MAX_SPECS];
	size_t nspecs = 0, nlabels = 0;
	struct kr_anchor *a = NULL;
	struct kr_keystore *ks = NULL;
	int status = KR_EXIT_USAGE, c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_ZONE: zone_str = optarg; break;
		case O_TOKEN: ho.token = optarg; break;
		case O_MODULE: ho.module = optarg; break;
		case O_PIN: ho.pin_file = optarg; break;
		case O_CARD:
			if (ncards == TA_MAX_CARDS) {
				kr_cli_error("at most %d --card", TA_MAX_CARDS);
				return KR_EXIT_USAGE;
			}
			cards[ncards++] = optarg;
			ho.cards = cards;
			break;
		case O_UPDATE: update = optarg; break;
		case O_ID: id = optarg; break;
		case O_SOURCE: source = optarg; break;
		case O_OUT: out = optarg; break;
		case O_KEY:
		case O_DNSKEY:
			if (nspecs == MAX_SPECS) {
				kr_cli_error("more than %d --key/--dnskey options", MAX_SPECS);
				goto out;
			}
			if (parse_spec(optarg, c == O_KEY, &specs[nspecs]) != KR_OK) {
				free(specs[nspecs].buf);
				kr_cli_error("'%s' is not %s[,FROM[,UNTIL]] with ISO 8601 times", optarg,
					     c == O_KEY ? "LABEL" : "FILE");
				goto out;
			}
			nlabels += c == O_KEY;
			nspecs++;
			break;
		case 'h': usage(stdout); status = KR_EXIT_OK; goto out;
		default: usage(stderr); goto out;
		}
	}
	if (optind != argc || zone_str == NULL || out == NULL || nspecs == 0) {
		kr_cli_error("publish needs --zone, --out and at least one --key or --dnskey");
		usage(stderr);
		goto out;
	}
	struct kr_name zone;
	if (kr_name_from_str(zone_str, &zone) != KR_OK) {
		kr_cli_error("--zone '%s' is not a domain name", zone_str);
		goto out;
	}
	int64_t now = (int64_t)time(NULL);
	int rc;
	if (update != NULL) {
		if ((status = ta_load_anchor(update, &a)))
			goto out;
		if (!kr_name_equal(&a->zone, &zone)) {
			kr_cli_error("%s is for another zone than %s", update, zone_str);
			status = KR_EXIT_REJECTED;
			goto out;
		}
		char *nid = id != NULL ? strdup(id) : NULL, *nsrc = source != NULL ? strdup(source) : NULL;
		if ((id != NULL && nid == NULL) || (source != NULL && nsrc == NULL)) {
			free(nid);
			free(nsrc);
			status = kr_cli_fail(KR_ENOMEM, "publish");
			goto out;
		}
		if (nid != NULL) {
			free(a->id);
			a->id = nid;
		}
		if (nsrc != NULL) {
			free(a->source);
			a->source = nsrc;
		}
	} else {
		char *copy = strdup(out);
		if (copy == NULL) {
			status = kr_cli_fail(KR_ENOMEM, "publish");
			goto out;
		}
		rc = kr_anchor_new(&zone, id, source != NULL ? source : basename(copy), &a);
		free(copy);
		if (rc) {
			status = kr_cli_fail(rc, "creating the trust anchor");
			goto out;
		}
	}
	/* Keys in command-line order; the token is opened once, if any key is in it. */
	if (nlabels > 0 && (rc = kr_hsm_open(&ho, &ks)) != KR_OK) {
		status = kr_exit_status(rc); /* kr_hsm_open printed why */
		goto out;
	}
	status = KR_EXIT_OK;
	for (size_t i = 0; i < nspecs && status == KR_EXIT_OK; i++)
		status = specs[i].is_label ? apply_token_key(a, ks, ho.token, &specs[i], now)
					   : apply_dnskey_file(a, &specs[i], now);
	kr_keystore_close(ks);
	ks = NULL;
	if (status)
		goto out;
	if ((status = write_checked(a, out)))
		goto out;
	for (size_t i = 0; i < a->ndigests; i++) {
		char *ds = NULL;
		if ((rc = kr_anchor_digest_ds(a, &a->digests[i], &ds))) {
			status = kr_cli_fail(rc, "formatting DS");
			goto out;
		}
		printf("%s ; %s\n", ds, a->digests[i].id);
		free(ds);
	}
out:
	kr_keystore_close(ks);
	for (size_t i = 0; i < nspecs; i++)
		free(specs[i].buf);
	kr_anchor_free(a);
	return status;
}
