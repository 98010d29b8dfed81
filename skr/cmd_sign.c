/*
 * cmd_sign.c - keyroll-skr sign (KSR -> SKR with the KSKs on a token) and
 * keyroll-skr schemas (list the rollover schemas a policy offers).
 *
 * Order of a signing run, each step fail-closed: policy and schema, every
 * KSR check (report printed; any FAIL -> exit 1 before the token is
 * touched), token login and KSK signers (exit 3 if the token, PIN or a
 * label is wrong), the KSKs against the policy's key list, the KSR hash
 * shown and confirmed, signing with software re-verification of each
 * signature, the serialized SKR parsed back and verified again, then one
 * atomic write.  Nothing is written unless everything passed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsm/keystore.h"
#include "ksr/checks.h"
#include "ksr/knotin.h"
#include "ksr/policy.h"
#include "ksr/report.h"
#include "lib/cli.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/timeutil.h"
#include "skr/commands.h"
#include "skr/schema.h"
#include "skr/sign.h"
#include "skr/tool.h"

#define MAX_KSKS 8
#define MAX_CARDS 16

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: keyroll-skr sign --ksr KSR --token LABEL --ksk LABEL [--ksk LABEL ...]\n"
	    "         (--previous-skr SKR | --no-previous-skr) --out SKR\n"
	    "         [--schema NAME] [--policy FILE] [--module PATH]\n"
	    "         [--pin-file FILE | --card FILE...] [--now TIME] [--yes] [--json]\n"
	    "         [--format xml|knot] [--bundle-validity D --bundle-step D]\n"
	    "Check a KSR against the policy and the previous SKR, then sign each bundle\n"
	    "with the KSKs on the token following the rollover schema (default normal;\n"
	    "the first --ksk is 'current', the second 'next').  See keyroll-skr schemas.\n"
	    "--card FILE: a crypto officer card (repeat, at least the quorum) instead of a PIN.\n"
	    "A Knot DNS KSR (keymgr generate-ksr) is recognised by its first line; --format\n"
	    "knot writes the SKR for keymgr import-skr "
	    "(docs/knot-interop.md).\n" KR_KNOT_USAGE_BUNDLES);
}

/* The KSKs must be the ones the policy lists, and sign only inside their
 * validity windows. */
static int check_ksk_policy(const struct kr_policy *pol, const struct kr_ksr_doc *ksr,
			    const struct kr_schema *schema, const size_t *ref2ksk,
			    const char *const *labels, const struct kr_signer *signers, size_t n,
			    struct kr_check_report *rep)
{
	const char *id = "SKR-POLICY-KSK-KEYS";
	char why[KR_CHECK_MSG_MAX] = "";

	if (kr_policy_skips(pol, id))
		return kr_check_report_add(rep, id, KR_CHECK_SKIP, "disabled by the policy");
	if (pol->nksks == 0)
		return kr_check_report_add(rep, id, KR_CHECK_SKIP, "the policy lists no KSKs");
	for (size_t j = 0; j < n && !why[0]; j++) {
		const struct kr_policy_ksk *k = kr_policy_find_ksk(pol, labels[j]);
		const struct kr_dnskey *key = &signers[j].key;
		unsigned bits = 0;
		uint64_t e = 0;
		uint8_t ds[KR_DIGEST_MAX];
		size_t dslen = 0;

		if (!k) {
			snprintf(why, sizeof(why), "KSK %s is not among the policy's keys",
				 labels[j]);
			break;
		}
		if (kr_dnskey_params(key, &bits, &e) != KR_OK || key->algorithm != k->algorithm ||
		    (k->size && bits != k->size) || (k->exponent && e != k->exponent)) {
			snprintf(why, sizeof(why),
				 "KSK %s on the token is algorithm %u, %u bits; the policy says "
				 "%u, %u bits",
				 labels[j], key->algorithm, bits, k->algorithm, k->size);
			break;
		}
		if (k->key_tag && kr_dnskey_keytag(key) != k->key_tag) {
			snprintf(why, sizeof(why), "KSK %s has key tag %u, the policy says %u",
				 labels[j], kr_dnskey_keytag(key), k->key_tag);
			break;
		}
		if (k->has_ds &&
		    (kr_ds_digest(&pol->zone, key, KR_DS_SHA256, ds, &dslen) != KR_OK ||
		     dslen != 32 || memcmp(ds, k->ds_sha256, 32) != 0)) {
			snprintf(why, sizeof(why), "KSK %s does not match the policy's ds_sha256",
				 labels[j]);
			break;
		}
		for (size_t i = 0; i < ksr->nbundles; i++) {
			const struct kr_ksr_bundle *b = &ksr->bundles[i];
			struct kr_schema_action act;
			int signs = 0;

			if (kr_schema_slot(schema, i + 1, ksr->nbundles, &act) != KR_OK)
				continue;
			for (size_t r = 0; r < schema->nrefs; r++)
				if (ref2ksk[r] == j && (act.sign & (1u << r)))
					signs = 1;
			if (signs && (b->inception < k->valid_from ||
				      (k->valid_until && b->expiration > k->valid_until))) {
				char a[32], z[32];

				if (kr_time_format(k->valid_from, a, sizeof(a)) ||
				    kr_time_format(k->valid_until, z, sizeof(z)))
					a[0] = z[0] = '\0';
				snprintf(
				    why, sizeof(why),
				    "KSK %s would sign bundle %zu outside its validity (%s to %s)",
				    labels[j], i + 1, a, k->valid_until ? z : "open");
				break;
			}
		}
	}
	if (why[0])
		return kr_check_report_add(rep, id, KR_CHECK_FAIL, "%s", why);
	return kr_check_report_add(rep, id, KR_CHECK_PASS,
				   "%zu KSK%s match the policy's keys and validity windows", n,
				   n == 1 ? "" : "s");
}

/* Parse the serialized SKR back and verify it on its own and against the
 * KSR: what goes to disk is what was checked. */
static int reverify(const char *xml, size_t len, const struct kr_ksr_doc *ksr,
		    struct kr_check_report *rep)
{
	struct kr_ksr_doc *back = NULL;
	char err[512] = "";
	int rc;

	rc = kr_ksr_parse((const uint8_t *)xml, len, &back, err, sizeof(err));
	if (rc) {
		kr_check_report_add(rep, "SKR-VERIFY-REPARSE", KR_CHECK_FAIL,
				    "the written SKR does not parse: %s", err);
		return rc;
	}
	rc = kr_skr_check(back, rep);
	if (rc == KR_OK) {
		rc = kr_skr_verify_response(ksr, back, err, sizeof(err));
		kr_check_report_add(rep, "SKR-VERIFY-RESPONSE", rc ? KR_CHECK_FAIL : KR_CHECK_PASS,
				    "%s", rc ? err : "the SKR answers every bundle of the KSR");
	}
	kr_ksr_free(back);
	return rc;
}

struct sign_args {
	const char *ksr, *out, *schema, *policy, *prev, *now;
	const char *ksks[MAX_KSKS];
	size_t nksks;
	const char *cards[MAX_CARDS + 1];
	size_t ncards;
	int no_prev, yes, json;
	struct kr_hsm_opts hsm;
};

static int parse_args(int argc, char **argv, struct sign_args *a)
{
	static const struct option opts[] = {
	    {"ksr", required_argument, NULL, 'k'},
	    {"out", required_argument, NULL, 'o'},
	    {"token", required_argument, NULL, 't'},
	    {"module", required_argument, NULL, 'm'},
	    {"pin-file", required_argument, NULL, 'p'},
	    {"ksk", required_argument, NULL, 'K'},
	    {"schema", required_argument, NULL, 's'},
	    {"policy", required_argument, NULL, 'y'},
	    {"previous-skr", required_argument, NULL, 'P'},
	    {"no-previous-skr", no_argument, NULL, 'N'},
	    {"now", required_argument, NULL, 'n'},
	    {"yes", no_argument, NULL, 'Y'},
	    {"json", no_argument, NULL, 'j'},
	    {"card", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    KR_KNOT_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	int c, status;

	memset(a, 0, sizeof(*a));
	a->schema = "normal";
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			a->ksr = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 't':
			a->hsm.token = optarg;
			break;
		case 'm':
			a->hsm.module = optarg;
			break;
		case 'p':
			a->hsm.pin_file = optarg;
			break;
		case 'c':
			if (a->ncards == MAX_CARDS) {
				kr_cli_error("at most %d --card", MAX_CARDS);
				return KR_EXIT_USAGE;
			}
			a->cards[a->ncards++] = optarg;
			a->hsm.cards = a->cards;
			break;
		case 'K':
			if (a->nksks == MAX_KSKS) {
				kr_cli_error("at most %d --ksk", MAX_KSKS);
				return KR_EXIT_USAGE;
			}
			a->ksks[a->nksks++] = optarg;
			break;
		case 's':
			a->schema = optarg;
			break;
		case 'y':
			a->policy = optarg;
			break;
		case 'P':
			a->prev = optarg;
			break;
		case 'N':
			a->no_prev = 1;
			break;
		case 'n':
			a->now = optarg;
			break;
		case 'Y':
			a->yes = 1;
			break;
		case 'j':
			a->json = 1;
			break;
		case KR_OPT_KNOT_FORMAT:
		case KR_OPT_KNOT_VALIDITY:
		case KR_OPT_KNOT_STEP:
			if ((status = kr_knot_option(c, optarg, 1)))
				return status;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return KR_EXIT_USAGE;
		}
	}
	if (optind != argc || !a->ksr || !a->out || a->nksks == 0) {
		kr_cli_error("sign needs --ksr, --out and at least one --ksk");
		usage(stderr);
		return KR_EXIT_USAGE;
	}
	if (!!a->prev == a->no_prev) {
		kr_cli_error(
		    "give either --previous-skr SKR or --no-previous-skr (the chain checks "
		    "are skipped only when you say so)");
		return KR_EXIT_USAGE;
	}
	for (size_t i = 0; i < a->nksks; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(a->ksks[i], a->ksks[j]) == 0) {
				kr_cli_error("--ksk %s given twice", a->ksks[i]);
				return KR_EXIT_USAGE;
			}
	return KR_EXIT_OK;
}

static int find_schema(const struct kr_policy *pol, const char *name, struct kr_schema *out)
{
	struct kr_schema *custom = NULL;
	size_t n = 0;
	char err[512] = "";
	int rc;

	rc = kr_schema_load_file(pol->path, &custom, &n, err, sizeof(err));
	if (rc) {
		kr_cli_error("policy %s: %s", pol->path, err);
		return rc == KR_ESYS ? KR_EXIT_ENV : KR_EXIT_REJECTED;
	}
	rc = kr_schema_find(name, custom, n, out);
	free(custom);
	if (rc) {
		kr_cli_error("no schema %s (built in: normal, pre-publish, rollover, revoke, "
			     "publish+, rollover+, revoke+; or the policy's schemas:)",
			     name);
		return KR_EXIT_USAGE;
	}
	return KR_EXIT_OK;
}

static void print_json_tail(const char *ksr_hash_hex, const struct kr_ksr_doc *skr, const char *out)
{
	printf(", \"ksr_sha256\": \"%s\", \"skr\": ", ksr_hash_hex);
	kr_json_string(stdout, out);
	printf(", \"id\": ");
	kr_json_string(stdout, skr->id);
	printf(", \"bundles\": [");
	for (size_t i = 0; i < skr->nbundles; i++) {
		const struct kr_ksr_bundle *b = &skr->bundles[i];
		char inc[32], exp[32];

		if (kr_time_format(b->inception, inc, sizeof(inc)) ||
		    kr_time_format(b->expiration, exp, sizeof(exp)))
			inc[0] = exp[0] = '\0';
		printf("%s\n  {\"id\": ", i ? "," : "");
		kr_json_string(stdout, b->id);
		printf(", \"inception\": \"%s\", \"expiration\": \"%s\", \"keys\": [", inc, exp);
		for (size_t k = 0; k < b->nkeys; k++) {
			int signs = 0;

			for (size_t s = 0; s < b->nsigs; s++)
				signs |= strcmp(b->sigs[s].key_identifier,
						b->keys[k].key_identifier) == 0;
			printf("%s{\"tag\": %u, \"flags\": %u, \"signs\": %s}", k ? ", " : "",
			       b->keys[k].key_tag, b->keys[k].dnskey.flags,
			       signs ? "true" : "false");
		}
		printf("], \"dnskey_response_bytes\": %zu}",
		       kr_dnskey_response_size(&skr->domain, b));
	}
	printf("]}\n");
}

int skr_cmd_sign(int argc, char **argv)
{
	struct sign_args a;
	struct kr_policy *pol = NULL;
	struct kr_schema schema;
	struct kr_ksr_doc *ksr = NULL, *prev = NULL, *skr = NULL;
	struct kr_check_report rep = {0};
	struct kr_keystore *ks = NULL;
	struct kr_signer signers[MAX_KSKS], revoked[MAX_KSKS];
	struct kr_skr_ksk ksks[MAX_KSKS];
	struct kr_skr_params params;
	size_t ref2ksk[KR_SCHEMA_MAX_REFS], nsigners = 0, nrevoked = 0, xml_len = 0, ksr_len = 0;
	uint8_t *ksr_bytes = NULL;
	char err[512] = "", *xml = NULL, hex[65] = "";
	int64_t now = 0;
	int status, rc, signed_ok = 0;

	status = parse_args(argc, argv, &a);
	if (status)
		return status < 0 ? KR_EXIT_OK : status;
	if ((status = kr_tool_now(a.now, &now)) || (status = kr_tool_load_policy(a.policy, &pol)) ||
	    (status = find_schema(pol, a.schema, &schema)))
		goto out;
	if (kr_schema_resolve(&schema, a.ksks, a.nksks, ref2ksk, err, sizeof(err)) != KR_OK) {
		kr_cli_error("schema %s: %s", a.schema, err);
		status = KR_EXIT_USAGE;
		goto out;
	}
	/* One read: the bytes hashed for the witnesses are the bytes parsed. */
	rc = kr_read_file(a.ksr, KR_KSR_MAX_SIZE, &ksr_bytes, &ksr_len);
	if (rc) {
		status = kr_cli_fail(rc, "KSR %s", a.ksr);
		goto out;
	}
	kr_knot_use_policy(pol);
	rc = kr_knot_parse_doc(ksr_bytes, ksr_len, &ksr, err, sizeof(err)); /* XML or Knot */
	if (rc || ksr->kind != KR_KSR_REQUEST) {
		kr_cli_error("KSR %s: %s", a.ksr, rc ? err : "is an SKR, not a KSR");
		status = rc == KR_ENOMEM ? KR_EXIT_ENV : KR_EXIT_REJECTED;
		goto out;
	}
	if (a.prev && (status = kr_tool_load_doc("previous SKR", a.prev, KR_KSR_RESPONSE, &prev)))
		goto out;

	/* Every check, before the token is touched. */
	rc = kr_ksr_check(ksr, prev, pol, now, &rep);
	if (rc == KR_OK && kr_schema_check(&schema, ksr->nbundles, err, sizeof(err)) != KR_OK) {
		rc = kr_check_report_add(&rep, "SKR-SCHEMA", KR_CHECK_FAIL, "%s", err);
		if (rc == KR_OK)
			rc = KR_EPOLICY;
	}
	if (rc != KR_OK) {
		if (!a.json)
			kr_report_print(stdout, &rep, a.ksr, 0);
		if (rc == KR_ENOMEM || rc == KR_EINVAL)
			status = kr_cli_fail(rc, "checking %s", a.ksr);
		else
			kr_cli_error("KSR %s fails %zu check%s: not signed", a.ksr, rep.nfail,
				     rep.nfail == 1 ? "" : "s");
		status = status ? status : KR_EXIT_REJECTED;
		goto out;
	}

	if ((rc = kr_hsm_open(&a.hsm, &ks)) != KR_OK) {
		status = kr_exit_status(rc); /* kr_hsm_open printed why */
		goto out;
	}
	if ((status = kr_tool_signers(ks, a.ksks, a.nksks, 257, signers)))
		goto out;
	nsigners = a.nksks;
	if ((status = kr_tool_signers(ks, a.ksks, a.nksks, 257 | KR_DNSKEY_REVOKE, revoked)))
		goto out;
	nrevoked = a.nksks;
	for (size_t j = 0; j < a.nksks; j++) {
		ksks[j].label = a.ksks[j];
		ksks[j].signer = &signers[j];
		ksks[j].revoked = &revoked[j];
	}
	rc = check_ksk_policy(pol, ksr, &schema, ref2ksk, a.ksks, signers, a.nksks, &rep);
	if (rc == KR_OK)
		rc = kr_check_report_add(&rep, "SKR-SCHEMA", KR_CHECK_PASS,
					 "schema %s fits %zu bundles", schema.name, ksr->nbundles);
	if (!a.json)
		kr_report_print(stdout, &rep, a.ksr, 0);
	if (rc || rep.nfail) {
		kr_cli_error("KSR %s: the KSKs do not match the policy: not signed", a.ksr);
		status = rc == KR_ENOMEM ? KR_EXIT_ENV : KR_EXIT_REJECTED;
		goto out;
	}

	/* With --json stdout carries only the JSON object: the hash the
	 * operator confirms against goes to the terminal's stderr. */
	rc = kr_tool_hash(!a.json ? stdout : a.yes ? NULL : stderr, "KSR", ksr_bytes, ksr_len, hex);
	if (rc) {
		status = kr_cli_fail(rc, "hashing the KSR");
		goto out;
	}
	if (!a.yes) {
		fflush(stdout);
		rc = kr_cli_confirm(
		    "Sign this KSR (compare the hash with the ZSK operator's)? Type Yes: ");
		if (rc) {
			status = rc == KR_ECANCEL ? KR_EXIT_REJECTED : KR_EXIT_ENV;
			kr_cli_error("%s", rc == KR_ECANCEL
					       ? "not confirmed: nothing signed"
					       : "no terminal to confirm on: use --yes");
			goto out;
		}
	}

	memset(&params, 0, sizeof(params));
	params.ttl = pol->dnskey_ttl;
	params.ksk_policy = pol->ksk;
	rc = kr_skr_sign(ksr, &schema, ksks, a.nksks, &params, &skr, err, sizeof(err));
	if (rc) {
		kr_cli_error("signing %s: %s", a.ksr, err[0] ? err : kr_strerror(rc));
		/* A signature from the token that fails software verification is
		 * the HSM's fault, not the KSR's. */
		status = rc == KR_EBADSIG || rc == KR_EHSM ? KR_EXIT_ENV : kr_exit_status(rc);
		goto out;
	}
	rc = kr_ksr_write(skr, &xml, &xml_len);
	if (rc) {
		status = kr_cli_fail(rc, "serializing the SKR");
		goto out;
	}
	rc = reverify(xml, xml_len, ksr, &rep);
	if (rc || rep.nfail) {
		kr_report_print(stderr, &rep, "the SKR before writing", 0);
		kr_cli_error("the SKR failed verification after signing: not written");
		status = KR_EXIT_ENV;
		goto out;
	}
	if (kr_knot_format_knot()) {
		/* the verified SKR in Knot DNS's text format instead (read back and
		 * verified again by kr_knot_skr_text) */
		free(xml);
		xml = NULL;
		if ((status = kr_knot_skr_text(skr, now, &xml, &xml_len)))
			goto out;
	}
	rc = kr_write_file_atomic(a.out, xml, xml_len, 0644);
	if (rc) {
		status = kr_cli_fail(rc, "writing %s", a.out);
		goto out;
	}
	signed_ok = 1;
	if (!a.json) {
		size_t big;

		printf("SKR written to %s (schema %s)\n", a.out, schema.name);
		big = kr_bundle_table_print(stdout, skr);
		if (big)
			kr_cli_warn(
			    "%zu bundle%s DNSKEY response%s exceed%s %d bytes (TCP fallback, "
			    "fragmentation)",
			    big, big == 1 ? "'s" : "s'", big == 1 ? "" : "s", big == 1 ? "s" : "",
			    KR_DNSKEY_RESPONSE_WARN);
		kr_tool_hash(stdout, "SKR", (const uint8_t *)xml, xml_len, NULL);
	}
out:
	if (a.json && rep.n) {
		/* One JSON object: the check report, then what was signed. */
		printf("{\"checks\": ");
		kr_report_print(stdout, &rep, a.ksr, 1);
		printf(", \"signed\": %s", signed_ok ? "true" : "false");
		if (signed_ok)
			print_json_tail(hex, skr, a.out);
		else
			printf("}\n");
	}
	free(xml);
	free(ksr_bytes);
	kr_check_report_clear(&rep);
	kr_ksr_free(skr);
	kr_ksr_free(prev);
	kr_ksr_free(ksr);
	kr_tool_signers_free(revoked, nrevoked);
	kr_tool_signers_free(signers, nsigners);
	kr_keystore_close(ks);
	kr_policy_free(pol);
	return status;
}

int skr_cmd_schemas(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"policy", required_argument, NULL, 'y'},
	    {"slots", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *policy = NULL;
	struct kr_policy *pol = NULL;
	struct kr_schema *custom = NULL;
	size_t n = 0, slots = 9;
	char err[512] = "";
	int c, rc, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'y':
			policy = optarg;
			break;
		case 'n': {
			char *end = NULL;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v == 0 || v > 1000) {
				kr_cli_error("--slots %s: 1 to 1000", optarg);
				return KR_EXIT_USAGE;
			}
			slots = v;
			break;
		}
		case 'h':
			printf(
			    "usage: keyroll-skr schemas [--policy FILE] [--slots N]\n"
			    "List the rollover schemas (built in and the policy's) slot by slot\n"
			    "for a KSR of N bundles (default 9).\n");
			return KR_EXIT_OK;
		default:
			return KR_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		kr_cli_error("schemas takes no arguments");
		return KR_EXIT_USAGE;
	}
	status = kr_tool_load_policy(policy, &pol);
	if (status)
		return status;
	rc = kr_schema_load_file(pol->path, &custom, &n, err, sizeof(err));
	if (rc) {
		kr_cli_error("policy %s: %s", pol->path, err);
		kr_policy_free(pol);
		return rc == KR_ESYS ? KR_EXIT_ENV : KR_EXIT_REJECTED;
	}
	for (size_t i = 0; i < kr_schema_builtin_count() + n; i++) {
		struct kr_schema s;

		if (i < kr_schema_builtin_count())
			kr_schema_builtin(kr_schema_builtin_name(i), &s);
		else
			s = custom[i - kr_schema_builtin_count()];
		printf("%s%s\n", s.name, i < kr_schema_builtin_count() ? " (built in)" : "");
		for (size_t slot = 1; slot <= slots; slot++) {
			struct kr_schema_action act;
			char buf[256];

			if (kr_schema_slot(&s, slot, slots, &act) != KR_OK) {
				printf("  %3zu  (no rule: this schema does not fit %zu bundles)\n",
				       slot, slots);
				continue;
			}
			if (kr_schema_action_format(&s, &act, buf, sizeof(buf)) != KR_OK)
				snprintf(buf, sizeof(buf), "?");
			printf("  %3zu  %s\n", slot, buf);
		}
	}
	free(custom);
	kr_policy_free(pol);
	return KR_EXIT_OK;
}
