/*
 * The keyroll-hsm subcommands.  Option values are checked before the token
 * is touched (a bad value is a usage error, exit 2); token, module and PIN
 * problems are environment failures (exit 3); a request the token state
 * rejects (a duplicate label, no such key) is exit 1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "hsm/commands.h"
#include "hsm/keystore.h"
#include "lib/cli.h"
#include "lib/dnssec.h"
#include "lib/encode.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/pgpwords.h"

#define DEFAULT_TTL 172800 /* the root zone's DNSKEY TTL */
#define MAX_CARDS 16

enum {
	OPT_MODULE = 1000,
	OPT_TOKEN,
	OPT_PIN_FILE,
	OPT_CARD,
	OPT_LABEL,
	OPT_ALG,
	OPT_BITS,
	OPT_ZONE,
	OPT_TTL,
	OPT_JSON,
	OPT_FORMAT,
	OPT_FLAGS,
	OPT_DIGEST,
	OPT_OUTPUT,
	OPT_KEY_FILE,
	OPT_YES,
	OPT_SO_PIN_FILE,
};

#define COMMON_OPTIONS                                                                           \
	{"module", required_argument, NULL, OPT_MODULE},                                         \
		{"token", required_argument, NULL, OPT_TOKEN},                                   \
		{"pin-file", required_argument, NULL, OPT_PIN_FILE},                             \
		{"card", required_argument, NULL, OPT_CARD}, {"help", no_argument, NULL, 'h'}

static const char common_help[] =
	"  --module PATH     PKCS#11 module (env KEYROLL_PKCS11_MODULE; default SoftHSM2's)\n"
	"  --token LABEL     token label (env KEYROLL_TOKEN)\n"
	"  --pin-file FILE   user PIN from the first line of FILE (else env KEYROLL_PIN,\n"
	"                    else a prompt on the terminal; never on the command line)\n"
	"  --card FILE       crypto officer card (repeat for M of N) instead of a PIN\n"
	"  -h, --help        this help\n";

/* What every subcommand parses. */
struct args {
	const char *cmd;
	struct kr_hsm_opts hsm;
	const char *cards[MAX_CARDS + 1];
	size_t ncards;
	const char *label, *key_file, *format, *output, *so_pin_file;
	const char *selftest_labels[64];
	size_t nlabels;
	uint8_t alg;
	int have_alg, json, yes;
	unsigned bits;
	uint16_t flags;
	uint8_t digest;
	uint32_t ttl;
	struct kr_name zone;
};

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'keyroll-hsm %s --help')\n", cmd);
	return KR_EXIT_USAGE;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end = NULL;
	if (s == NULL || *s < '0' || *s > '9')
		return KR_EMALFORMED;
	errno = 0;
	unsigned long x = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || x > max)
		return KR_ERANGE;
	*v = x;
	return KR_OK;
}

/* Parse argv with the subcommand's own options on top of the common ones.
 * Returns -1 to go on, else the exit status (help: 0). */
static int parse_args(int argc, char **argv, const struct option *extra, size_t nextra,
		      const char *help, struct args *a)
{
	struct option opts[32] = {COMMON_OPTIONS};
	size_t n = 5;
	for (size_t i = 0; i < nextra && n < 31; i++)
		opts[n++] = extra[i];
	opts[n] = (struct option){NULL, 0, NULL, 0};
	memset(a, 0, sizeof(*a));
	a->cmd = argv[0];
	/* getopt_long takes abbreviations ("--pin" for "--pin-file"); refuse them,
	 * so a PIN typed after "--pin" is never read as a file name or echoed. */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strncmp(argv[i], "--", 2) != 0)
			continue;
		size_t len = strcspn(argv[i] + 2, "=");
		const struct option *o = opts;
		while (o->name != NULL && (strlen(o->name) != len || strncmp(o->name, argv[i] + 2, len) != 0))
			o++;
		if (o->name == NULL) {
			if (strncmp(argv[i] + 2, "pin", 3) == 0 || strncmp(argv[i] + 2, "so-pin", 6) == 0)
				return usage_error(a->cmd, "unknown option '%.*s': PINs are never taken "
							   "from the command line (use --pin-file or "
							   "KEYROLL_PIN)", (int)len + 2, argv[i]);
			return usage_error(a->cmd, "unknown option '%.*s'", (int)len + 2, argv[i]);
		}
		if (o->has_arg == required_argument && argv[i][2 + len] != '=')
			i++;
	}
	a->ttl = DEFAULT_TTL;
	a->flags = KR_DNSKEY_ZONE | KR_DNSKEY_SEP;
	a->digest = KR_DS_SHA256;
	kr_name_from_str(".", &a->zone);
	a->hsm.cards = a->cards;
	opterr = 0;
	optind = 1;
	int c;
	unsigned long v = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("%s%s", help, common_help);
			return KR_EXIT_OK;
		case OPT_MODULE:
			a->hsm.module = optarg;
			break;
		case OPT_TOKEN:
			a->hsm.token = optarg;
			break;
		case OPT_PIN_FILE:
			a->hsm.pin_file = optarg;
			break;
		case OPT_CARD:
			if (a->ncards == MAX_CARDS)
				return usage_error(a->cmd, "at most %d --card options", MAX_CARDS);
			a->cards[a->ncards++] = optarg;
			break;
		case OPT_LABEL:
			if (*optarg == '\0' || strlen(optarg) > 127)
				return usage_error(a->cmd, "--label must have 1 to 127 characters");
			if (a->nlabels < 64)
				a->selftest_labels[a->nlabels++] = optarg;
			a->label = optarg;
			break;
		case OPT_ALG:
			if (kr_alg_from_name(optarg, &a->alg) != KR_OK || !kr_alg_supported(a->alg))
				return usage_error(a->cmd,
						   "unknown algorithm '%s' (use RSASHA256, RSASHA512, "
						   "ECDSAP256SHA256, ECDSAP384SHA384 or ED25519)",
						   optarg);
			a->have_alg = 1;
			break;
		case OPT_BITS:
			if (parse_uint(optarg, 65536, &v) != KR_OK)
				return usage_error(a->cmd, "--bits '%s' is not a key size", optarg);
			a->bits = (unsigned)v;
			break;
		case OPT_ZONE:
			if (kr_name_from_str(optarg, &a->zone) != KR_OK)
				return usage_error(a->cmd, "--zone '%s' is not a domain name", optarg);
			break;
		case OPT_TTL:
			if (parse_uint(optarg, 2147483647UL, &v) != KR_OK)
				return usage_error(a->cmd, "--ttl '%s' is not a TTL (0 to 2147483647)",
						   optarg);
			a->ttl = (uint32_t)v;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "dnskey") != 0 && strcmp(optarg, "ds") != 0 &&
			    strcmp(optarg, "pem") != 0)
				return usage_error(a->cmd, "--format '%s': use dnskey, ds or pem", optarg);
			a->format = optarg;
			break;
		case OPT_FLAGS:
			if (strcmp(optarg, "257") != 0 && strcmp(optarg, "385") != 0)
				return usage_error(a->cmd, "--flags '%s': use 257 or 385 (revoked)",
						   optarg);
			a->flags = (uint16_t)atoi(optarg);
			break;
		case OPT_DIGEST:
			if (strcmp(optarg, "sha256") == 0 || strcmp(optarg, "2") == 0)
				a->digest = KR_DS_SHA256;
			else if (strcmp(optarg, "sha384") == 0 || strcmp(optarg, "4") == 0)
				a->digest = KR_DS_SHA384;
			else
				return usage_error(a->cmd, "--digest '%s': use sha256 or sha384", optarg);
			break;
		case OPT_OUTPUT:
			a->output = optarg;
			break;
		case OPT_KEY_FILE:
			a->key_file = optarg;
			break;
		case OPT_YES:
			a->yes = 1;
			break;
		case OPT_SO_PIN_FILE:
			a->so_pin_file = optarg;
			break;
		case ':':
			return usage_error(a->cmd, "option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error(a->cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(a->cmd, "unexpected argument '%s'", argv[optind]);
	return -1;
}

static int need_label(const struct args *a)
{
	if (a->label == NULL)
		return usage_error(a->cmd, "--label is required");
	return -1;
}

/* Open the token and log in (kr_hsm_open prints the reason on failure). */
static int open_hsm(struct args *a, struct kr_keystore **ks)
{
	int rc = kr_hsm_open(&a->hsm, ks);
	return rc ? kr_exit_status(rc) : KR_EXIT_OK;
}

static const char *token_name(const struct args *a)
{
	const char *t = a->hsm.token != NULL ? a->hsm.token : getenv("KEYROLL_TOKEN");
	return t != NULL ? t : "?";
}

static int key_not_found(const struct args *a, int rc)
{
	if (rc == KR_ENOTFOUND)
		kr_cli_error("no key labelled '%s' on token '%s'", a->label, token_name(a));
	else if (rc == KR_EEXIST)
		kr_cli_error("several private keys are labelled '%s' on token '%s'", a->label,
			     token_name(a));
	else
		return kr_cli_fail(rc, "reading key '%s'", a->label);
	return KR_EXIT_REJECTED;
}

/* --- output helpers ---------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static const char *tri(int v)
{
	return v < 0 ? "unknown" : v ? "yes" : "no";
}

static const char *tri_json(int v)
{
	return v < 0 ? "null" : v ? "true" : "false";
}

/* Generated in the token and never out of it, as the token reports it. */
static int token_born(const struct kr_keyinfo *ki)
{
	return ki->local == 1 && ki->always_sensitive == 1 && ki->never_extractable == 1;
}

/* The zone-file lines and check values of a key, as keygen and import print them. */
static int print_key(const struct kr_keyinfo *ki, const struct args *a)
{
	char *dnskey = NULL, *ds = NULL, *hex = NULL, *words = NULL, owner[1024];
	uint8_t digest[KR_DIGEST_MAX];
	size_t dlen = 0;
	struct kr_dnskey rev = ki->dnskey;
	rev.flags |= KR_DNSKEY_REVOKE;
	int rc = kr_name_to_str(&a->zone, owner, sizeof(owner));
	if (rc == KR_OK)
		rc = kr_dnskey_format(&a->zone, a->ttl, &ki->dnskey, &dnskey);
	if (rc == KR_OK)
		rc = kr_ds_format(&a->zone, a->ttl, &ki->dnskey, KR_DS_SHA256, &ds);
	if (rc == KR_OK)
		rc = kr_ds_digest(&a->zone, &ki->dnskey, KR_DS_SHA256, digest, &dlen);
	if (rc == KR_OK)
		rc = kr_hex_encode(ki->id, ki->id_len, 0, &hex);
	if (rc == KR_OK)
		rc = kr_pgp_words(digest, dlen, &words);
	if (rc == KR_OK) {
		printf("; label %s, id %s, token %s\n", ki->label, hex, token_name(a));
		printf("; algorithm %s (%u), %u bits, zone %s\n", kr_alg_name(ki->algorithm),
		       ki->algorithm, ki->bits, owner);
		printf("; key tag %u, revoked key tag %u\n", kr_dnskey_keytag(&ki->dnskey),
		       kr_dnskey_keytag(&rev));
		printf("%s\n%s\n", dnskey, ds);
		printf("; DS SHA-256 in PGP words: %s\n", words);
	}
	free(dnskey);
	free(ds);
	free(hex);
	free(words);
	return rc;
}

/* --- init ------------------------------------------------------------------- */

static const char init_help[] =
	"usage: keyroll-hsm init --token LABEL --so-pin-file FILE [--pin-file FILE] [--module PATH]\n"
	"Initialise a token on a free slot of the module (SoftHSM2: a new token), set its\n"
	"security officer PIN and user PIN.  With SoftHSM2's module and SOFTHSM2_CONF unset,\n"
	"the token goes to the embedded store ./var/tokens (./var/softhsm2.conf).\n"
	"  --so-pin-file FILE  security officer PIN (required)\n";

int hsm_cmd_init(int argc, char **argv)
{
	static const struct option extra[] = {
		{"so-pin-file", required_argument, NULL, OPT_SO_PIN_FILE},
	};
	struct args a;
	char so_pin[256], pin[256];
	int st = parse_args(argc, argv, extra, 1, init_help, &a);
	if (st >= 0)
		return st;
	if (a.hsm.token == NULL)
		return usage_error(a.cmd, "--token is required");
	if (strlen(a.hsm.token) > 32)
		return usage_error(a.cmd, "--token: a token label has at most 32 characters");
	if (a.so_pin_file == NULL)
		return usage_error(a.cmd, "--so-pin-file is required");
	int rc = kr_hsm_embedded(a.hsm.module, 1);
	if (rc)
		return kr_cli_fail(rc, "creating the embedded token store ./var");
	rc = kr_pin_read(a.so_pin_file, NULL, so_pin, sizeof(so_pin));
	if (rc)
		return kr_cli_fail(rc, "reading the SO PIN from %s", a.so_pin_file);
	rc = kr_pin_read(a.hsm.pin_file, "New user PIN: ", pin, sizeof(pin));
	if (rc) {
		OPENSSL_cleanse(so_pin, sizeof(so_pin));
		return kr_cli_fail(rc, "reading the user PIN from %s",
				   a.hsm.pin_file ? a.hsm.pin_file : "$KEYROLL_PIN or the terminal");
	}
	rc = kr_keystore_init_token(a.hsm.module, a.hsm.token, so_pin, pin);
	OPENSSL_cleanse(so_pin, sizeof(so_pin));
	OPENSSL_cleanse(pin, sizeof(pin));
	if (rc == KR_EEXIST) {
		kr_cli_error("a token labelled '%s' exists already", a.hsm.token);
		return KR_EXIT_REJECTED;
	}
	if (rc == KR_ENOTFOUND) {
		kr_cli_error("the module has no free slot for a new token");
		return KR_EXIT_ENV;
	}
	if (rc == KR_EHSM && a.hsm.module != NULL)
		kr_cli_error("cannot initialise a token with PKCS#11 module %s", a.hsm.module);
	if (rc)
		return kr_cli_fail(rc, "initialising token '%s'", a.hsm.token);
	struct kr_keystore *ks = NULL;
	struct kr_keystore_opts ko = {.module = a.hsm.module, .token_label = a.hsm.token};
	struct kr_tokeninfo ti;
	rc = kr_keystore_open(&ko, &ks);
	if (rc == KR_OK)
		rc = kr_keystore_info(ks, &ti);
	kr_keystore_close(ks);
	if (rc)
		return kr_cli_fail(rc, "reopening token '%s'", a.hsm.token);
	printf("initialised token '%s' (serial %s) with %s\n", ti.label, ti.serial, ti.module);
	if (getenv("SOFTHSM2_CONF") != NULL)
		printf("SoftHSM2 configuration: %s\n", getenv("SOFTHSM2_CONF"));
	return KR_EXIT_OK;
}

/* --- keygen ----------------------------------------------------------------- */

static const char keygen_help[] =
	"usage: keyroll-hsm keygen --token T [--pin-file F] --label L --algorithm ALG\n"
	"                          [--bits N] [--zone Z] [--ttl S]\n"
	"Generate a KSK pair inside the token (sensitive, never extractable, sign only)\n"
	"and print its DNSKEY and DS (SHA-256) lines, key tag, revoked key tag and the DS\n"
	"in PGP words.  A label in use is refused.\n"
	"  --label L       key label (unique on the token)\n"
	"  --algorithm A   RSASHA256, RSASHA512, ECDSAP256SHA256, ECDSAP384SHA384, ED25519\n"
	"  --bits N        RSA modulus size, 2048 to 4096 (default 2048)\n"
	"  --zone Z        owner name of the DNSKEY/DS lines (default .)\n"
	"  --ttl S         TTL of the printed lines (default 172800)\n";

static int check_bits(const struct args *a)
{
	if (a->alg == KR_ALG_RSASHA256 || a->alg == KR_ALG_RSASHA512) {
		if (a->bits != 0 && (a->bits < 2048 || a->bits > 4096))
			return usage_error(a->cmd, "--bits %u: RSA keys have 2048 to 4096 bits",
					   a->bits);
	} else {
		unsigned fixed = a->alg == KR_ALG_ECDSAP384SHA384 ? 384 : 256;
		if (a->bits != 0 && a->bits != fixed)
			return usage_error(a->cmd, "--bits %u does not fit %s (%u bits)", a->bits,
					   kr_alg_name(a->alg), fixed);
	}
	return -1;
}

int hsm_cmd_keygen(int argc, char **argv)
{
	static const struct option extra[] = {
		{"label", required_argument, NULL, OPT_LABEL},
		{"algorithm", required_argument, NULL, OPT_ALG},
		{"bits", required_argument, NULL, OPT_BITS},
		{"zone", required_argument, NULL, OPT_ZONE},
		{"ttl", required_argument, NULL, OPT_TTL},
	};
	struct args a;
	struct kr_keystore *ks = NULL;
	struct kr_keyinfo ki;
	int st = parse_args(argc, argv, extra, 5, keygen_help, &a);
	if (st >= 0 || (st = need_label(&a)) >= 0)
		return st;
	if (!a.have_alg)
		return usage_error(a.cmd, "--algorithm is required");
	if ((st = check_bits(&a)) >= 0)
		return st;
	if ((st = open_hsm(&a, &ks)) != KR_EXIT_OK)
		return st;
	int rc = kr_keystore_generate(ks, a.label, a.alg, a.bits, &ki);
	if (rc == KR_EEXIST) {
		kr_cli_error("a key labelled '%s' exists already on token '%s'", a.label,
			     token_name(&a));
		st = KR_EXIT_REJECTED;
	} else if (rc) {
		st = kr_cli_fail(rc, "generating %s key '%s'", kr_alg_name(a.alg), a.label);
	} else if ((rc = print_key(&ki, &a)) != KR_OK) {
		st = kr_cli_fail(rc, "formatting key '%s'", a.label);
	}
	kr_keystore_close(ks);
	return st;
}

/* --- list ------------------------------------------------------------------- */

static const char list_help[] =
	"usage: keyroll-hsm list --token T [--pin-file F] [--zone Z] [--json]\n"
	"List the key pairs on the token: label, CKA_ID, algorithm, size, key tag,\n"
	"revoked key tag, DS (SHA-256) and the private key's security attributes as the\n"
	"token reports them.  A key imported from software shows as not always-sensitive\n"
	"and not never-extractable.\n"
	"  --zone Z   owner name for the DS (default .)\n"
	"  --json     a JSON array instead of text\n";

static int list_one(const struct kr_keyinfo *ki, const struct args *a, int first)
{
	char *hex = NULL, *ds = NULL, *dshex = NULL;
	uint8_t digest[KR_DIGEST_MAX];
	size_t dlen = 0;
	struct kr_dnskey rev = ki->dnskey;
	rev.flags |= KR_DNSKEY_REVOKE;
	int usable = ki->algorithm != 0, rc = kr_hex_encode(ki->id, ki->id_len, 0, &hex);
	if (rc == KR_OK && usable)
		rc = kr_ds_format(&a->zone, a->ttl, &ki->dnskey, KR_DS_SHA256, &ds);
	if (rc == KR_OK && usable)
		rc = kr_ds_digest(&a->zone, &ki->dnskey, KR_DS_SHA256, digest, &dlen);
	if (rc == KR_OK && usable)
		rc = kr_hex_encode(digest, dlen, 1, &dshex);
	if (rc)
		goto out;
	if (a->json) {
		printf("%s\n  {\"label\": ", first ? "" : ",");
		json_str(stdout, ki->label);
		printf(", \"id\": \"%s\"", hex);
		if (usable) {
			printf(", \"algorithm\": %u, \"algorithm_name\": \"%s\", \"bits\": %u, "
			       "\"key_tag\": %u, \"revoked_key_tag\": %u, \"ds\": ",
			       ki->algorithm, kr_alg_name(ki->algorithm), ki->bits,
			       kr_dnskey_keytag(&ki->dnskey), kr_dnskey_keytag(&rev));
			json_str(stdout, ds);
			printf(", \"ds_digest\": \"%s\"", dshex);
		} else {
			printf(", \"algorithm\": null");
		}
		printf(",\n   \"sensitive\": %s, \"always_sensitive\": %s, \"extractable\": %s, "
		       "\"never_extractable\": %s, \"sign\": %s, \"decrypt\": %s, \"unwrap\": %s, "
		       "\"derive\": %s, \"local\": %s, \"imported\": %s}",
		       tri_json(ki->sensitive), tri_json(ki->always_sensitive),
		       tri_json(ki->extractable), tri_json(ki->never_extractable),
		       tri_json(ki->can_sign), tri_json(ki->can_decrypt), tri_json(ki->can_unwrap),
		       tri_json(ki->can_derive), tri_json(ki->local),
		       token_born(ki) ? "false" : "true");
	} else {
		printf("%s\n", ki->label);
		printf("  id                %s\n", hex);
		if (usable) {
			printf("  algorithm         %s (%u), %u bits\n", kr_alg_name(ki->algorithm),
			       ki->algorithm, ki->bits);
			printf("  key tag           %u (revoked %u)\n", kr_dnskey_keytag(&ki->dnskey),
			       kr_dnskey_keytag(&rev));
			printf("  DS                %s\n", ds);
		} else {
			printf("  algorithm         none (a key type keyroll does not sign with)\n");
		}
		printf("  sensitive         %s (always: %s)\n", tri(ki->sensitive),
		       tri(ki->always_sensitive));
		printf("  extractable       %s (never: %s)\n", tri(ki->extractable),
		       tri(ki->never_extractable));
		printf("  sign/decrypt/unwrap/derive  %s/%s/%s/%s\n", tri(ki->can_sign),
		       tri(ki->can_decrypt), tri(ki->can_unwrap), tri(ki->can_derive));
		printf("  origin            %s\n",
		       token_born(ki) ? "generated in the token" : "imported (was outside the token)");
	}
out:
	free(hex);
	free(ds);
	free(dshex);
	return rc;
}

int hsm_cmd_list(int argc, char **argv)
{
	static const struct option extra[] = {
		{"zone", required_argument, NULL, OPT_ZONE},
		{"ttl", required_argument, NULL, OPT_TTL},
		{"json", no_argument, NULL, OPT_JSON},
	};
	struct args a;
	struct kr_keystore *ks = NULL;
	struct kr_keyinfo *keys = NULL;
	size_t n = 0;
	int st = parse_args(argc, argv, extra, 3, list_help, &a);
	if (st >= 0)
		return st;
	if ((st = open_hsm(&a, &ks)) != KR_EXIT_OK)
		return st;
	int rc = kr_keystore_list(ks, &keys, &n);
	if (rc) {
		st = kr_cli_fail(rc, "listing the keys of token '%s'", token_name(&a));
		goto out;
	}
	if (a.json)
		printf("[");
	for (size_t i = 0; i < n && rc == KR_OK; i++)
		rc = list_one(&keys[i], &a, i == 0);
	if (a.json)
		printf("%s]\n", n ? "\n" : "");
	else if (n == 0)
		printf("no keys on token '%s'\n", token_name(&a));
	if (rc)
		st = kr_cli_fail(rc, "formatting the key list");
out:
	free(keys);
	kr_keystore_close(ks);
	return st;
}

/* --- export ----------------------------------------------------------------- */

static const char export_help[] =
	"usage: keyroll-hsm export --token T [--pin-file F] --label L --format dnskey|ds|pem\n"
	"                          [--zone Z] [--ttl S] [--flags 257|385] [--digest sha256|sha384]\n"
	"                          [--output FILE]\n"
	"Export the public part of a key: a DNSKEY or DS zone-file line, or a PEM public key.\n"
	"  --flags 385     the revoked form (RFC 5011) of the DNSKEY or DS\n"
	"  --output FILE   write FILE atomically instead of standard output\n";

int hsm_cmd_export(int argc, char **argv)
{
	static const struct option extra[] = {
		{"label", required_argument, NULL, OPT_LABEL},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"zone", required_argument, NULL, OPT_ZONE},
		{"ttl", required_argument, NULL, OPT_TTL},
		{"flags", required_argument, NULL, OPT_FLAGS},
		{"digest", required_argument, NULL, OPT_DIGEST},
		{"output", required_argument, NULL, OPT_OUTPUT},
	};
	struct args a;
	struct kr_keystore *ks = NULL;
	struct kr_keyinfo ki;
	char *text = NULL;
	EVP_PKEY *pub = NULL;
	BIO *bio = NULL;
	int st = parse_args(argc, argv, extra, 7, export_help, &a);
	if (st >= 0 || (st = need_label(&a)) >= 0)
		return st;
	if (a.format == NULL)
		return usage_error(a.cmd, "--format is required (dnskey, ds or pem)");
	if ((st = open_hsm(&a, &ks)) != KR_EXIT_OK)
		return st;
	int rc = kr_keystore_find(ks, a.label, &ki);
	if (rc) {
		st = key_not_found(&a, rc);
		goto out;
	}
	if (ki.algorithm == 0) {
		kr_cli_error("key '%s' is of a type keyroll does not use", a.label);
		st = KR_EXIT_REJECTED;
		goto out;
	}
	ki.dnskey.flags = a.flags;
	const char *data = NULL;
	size_t len = 0;
	if (strcmp(a.format, "dnskey") == 0) {
		rc = kr_dnskey_format(&a.zone, a.ttl, &ki.dnskey, &text);
	} else if (strcmp(a.format, "ds") == 0) {
		rc = kr_ds_format(&a.zone, a.ttl, &ki.dnskey, a.digest, &text);
	} else {
		char *mem = NULL;
		rc = kr_dnskey_to_pkey(&ki.dnskey, &pub);
		if (rc == KR_OK && ((bio = BIO_new(BIO_s_mem())) == NULL ||
				    PEM_write_bio_PUBKEY(bio, pub) != 1))
			rc = KR_ECRYPTO;
		if (rc == KR_OK) {
			len = (size_t)BIO_get_mem_data(bio, &mem);
			data = mem;
		}
	}
	if (rc) {
		st = kr_cli_fail(rc, "exporting key '%s'", a.label);
		goto out;
	}
	char *line = NULL;
	if (text != NULL) {
		/* One line with its newline. */
		len = strlen(text);
		line = malloc(len + 2);
		if (line == NULL) {
			st = kr_cli_fail(KR_ENOMEM, "exporting key '%s'", a.label);
			goto out;
		}
		memcpy(line, text, len);
		line[len++] = '\n';
		data = line;
	}
	if (a.output != NULL && strcmp(a.output, "-") != 0) {
		rc = kr_write_file_atomic(a.output, data, len, 0644);
		if (rc)
			st = kr_cli_fail(rc, "writing %s", a.output);
	} else {
		fwrite(data, 1, len, stdout);
	}
	free(line);
out:
	free(text);
	BIO_free(bio);
	EVP_PKEY_free(pub);
	kr_keystore_close(ks);
	return st;
}

/* --- import ----------------------------------------------------------------- */

static const char import_help[] =
	"usage: keyroll-hsm import --token T [--pin-file F] --label L --key-file PEM\n"
	"                          [--algorithm ALG] [--zone Z] [--ttl S]\n"
	"Bring a software key pair (PEM private key: RSA, EC P-256/P-384, Ed25519) into the\n"
	"token as a sensitive, non-extractable signing key; the in-memory copy is wiped.\n"
	"The token records it as imported (not always-sensitive, not never-extractable).\n"
	"  --algorithm A   for RSA keys: RSASHA256 (default) or RSASHA512\n";

#define KEY_FILE_MAX 65536

static int pkey_alg(EVP_PKEY *pkey, const struct args *a, uint8_t *alg)
{
	int type = EVP_PKEY_get_base_id(pkey);
	uint8_t implied = 0;
	if (type == EVP_PKEY_RSA)
		implied = !a->have_alg ? KR_ALG_RSASHA256
			  : a->alg == KR_ALG_RSASHA256 || a->alg == KR_ALG_RSASHA512 ? a->alg
										       : 0;
	else if (type == EVP_PKEY_ED25519)
		implied = KR_ALG_ED25519;
	else if (type == EVP_PKEY_EC)
		implied = EVP_PKEY_get_bits(pkey) == 384 ? KR_ALG_ECDSAP384SHA384
							  : KR_ALG_ECDSAP256SHA256;
	if (implied == 0 || (a->have_alg && a->alg != implied))
		return KR_EALG;
	*alg = implied;
	return KR_OK;
}

int hsm_cmd_import(int argc, char **argv)
{
	static const struct option extra[] = {
		{"label", required_argument, NULL, OPT_LABEL},
		{"key-file", required_argument, NULL, OPT_KEY_FILE},
		{"algorithm", required_argument, NULL, OPT_ALG},
		{"zone", required_argument, NULL, OPT_ZONE},
		{"ttl", required_argument, NULL, OPT_TTL},
	};
	struct args a;
	struct kr_keystore *ks = NULL;
	struct kr_keyinfo ki;
	uint8_t *pem = NULL, alg = 0;
	size_t pem_len = 0;
	EVP_PKEY *pkey = NULL;
	int st = parse_args(argc, argv, extra, 5, import_help, &a);
	if (st >= 0 || (st = need_label(&a)) >= 0)
		return st;
	if (a.key_file == NULL)
		return usage_error(a.cmd, "--key-file is required");
	int rc = kr_read_file(a.key_file, KEY_FILE_MAX, &pem, &pem_len);
	if (rc)
		return kr_cli_fail(rc, "reading %s", a.key_file);
	BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
	if (bio != NULL)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	OPENSSL_cleanse(pem, pem_len);
	free(pem);
	if (pkey == NULL) {
		kr_cli_error("%s: not a PEM private key (or an encrypted one)", a.key_file);
		return KR_EXIT_REJECTED;
	}
	if (pkey_alg(pkey, &a, &alg) != KR_OK) {
		kr_cli_error("%s: a %s key does not fit algorithm %s", a.key_file,
			     EVP_PKEY_get0_type_name(pkey),
			     a.have_alg ? kr_alg_name(a.alg) : "ECDSAP256SHA256/ECDSAP384SHA384");
		st = KR_EXIT_REJECTED;
		goto out;
	}
	if ((st = open_hsm(&a, &ks)) != KR_EXIT_OK)
		goto out;
	rc = kr_keystore_import(ks, a.label, alg, pkey, &ki);
	EVP_PKEY_free(pkey); /* frees the private parts cleared */
	pkey = NULL;
	if (rc == KR_EEXIST) {
		kr_cli_error("a key labelled '%s' exists already on token '%s'", a.label,
			     token_name(&a));
		st = KR_EXIT_REJECTED;
	} else if (rc == KR_ERANGE || rc == KR_EALG) {
		kr_cli_error("%s: key not accepted for %s (RSA needs 2048 to 4096 bits)", a.key_file,
			     kr_alg_name(alg));
		st = KR_EXIT_REJECTED;
	} else if (rc) {
		st = kr_cli_fail(rc, "importing %s as '%s'", a.key_file, a.label);
	} else if ((rc = print_key(&ki, &a)) != KR_OK) {
		st = kr_cli_fail(rc, "formatting key '%s'", a.label);
	}
out:
	EVP_PKEY_free(pkey);
	kr_keystore_close(ks);
	return st;
}

/* --- delete ----------------------------------------------------------------- */

static const char delete_help[] =
	"usage: keyroll-hsm delete --token T [--pin-file F] --label L [--yes]\n"
	"Destroy both halves of a key pair.  Asks for \"Yes\" on the terminal unless --yes.\n";

int hsm_cmd_delete(int argc, char **argv)
{
	static const struct option extra[] = {
		{"label", required_argument, NULL, OPT_LABEL},
		{"yes", no_argument, NULL, OPT_YES},
	};
	struct args a;
	struct kr_keystore *ks = NULL;
	struct kr_keyinfo ki;
	int st = parse_args(argc, argv, extra, 2, delete_help, &a);
	if (st >= 0 || (st = need_label(&a)) >= 0)
		return st;
	if ((st = open_hsm(&a, &ks)) != KR_EXIT_OK)
		return st;
	int rc = kr_keystore_find(ks, a.label, &ki);
	if (rc) {
		st = key_not_found(&a, rc);
		goto out;
	}
	if (!a.yes) {
		char prompt[256];
		snprintf(prompt, sizeof(prompt), "Destroy key '%s' (%s, key tag %u) on token '%s'?",
			 ki.label, ki.algorithm ? kr_alg_name(ki.algorithm) : "unknown type",
			 kr_dnskey_keytag(&ki.dnskey), token_name(&a));
		rc = kr_cli_confirm(prompt);
		if (rc == KR_ESYS) {
			st = usage_error(a.cmd, "delete asks for confirmation on a terminal; "
						"use --yes in scripts");
			goto out;
		}
		if (rc) {
			kr_cli_error("not confirmed: key '%s' kept", a.label);
			st = KR_EXIT_REJECTED;
			goto out;
		}
	}
	rc = kr_keystore_delete(ks, a.label);
	if (rc)
		st = kr_cli_fail(rc, "deleting key '%s'", a.label);
	else
		printf("deleted key '%s' (key tag %u)\n", a.label, kr_dnskey_keytag(&ki.dnskey));
out:
	kr_keystore_close(ks);
	return st;
}

/* --- selftest --------------------------------------------------------------- */

static const char selftest_help[] =
	"usage: keyroll-hsm selftest --token T [--pin-file F] [--label L]...\n"
	"Report the module and token, then sign a test DNSKEY RRset inside the token and\n"
	"verify it in software (and check a forged copy fails): with a temporary session\n"
	"key for each of the five algorithms, or with each key given by --label.\n";

/* Sign an RRset of the signer's key and a test ZSK; verify; verify a forgery. */
static int selftest_sign(const struct kr_signer *s)
{
	struct kr_name root;
	struct kr_dnskey zsk = {.flags = KR_DNSKEY_ZONE, .protocol = 3, .algorithm = 15,
				.pubkey_len = 32};
	memset(zsk.pubkey, 0xa5, 32);
	struct kr_dnskey keys[2] = {s->key, zsk};
	struct kr_rrsig sig;
	kr_name_from_str(".", &root);
	int rc = kr_rrsig_sign(s, &root, keys, 2, DEFAULT_TTL, 1700000000, 1701814400, &sig);
	if (rc)
		return rc;
	sig.sig[0] ^= 0x01;
	if (kr_rrsig_verify(&sig, &root, keys, 2, &s->key) != KR_EBADSIG)
		return KR_EBADSIG; /* the verifier accepted a forgery */
	return KR_OK;
}

int hsm_cmd_selftest(int argc, char **argv)
{
	static const struct option extra[] = {
		{"label", required_argument, NULL, OPT_LABEL},
	};
	struct args a;
	struct kr_keystore *ks = NULL;
	struct kr_tokeninfo ti;
	int st = parse_args(argc, argv, extra, 1, selftest_help, &a), failed = 0;
	if (st >= 0)
		return st;
	if ((st = open_hsm(&a, &ks)) != KR_EXIT_OK)
		return st;
	int rc = kr_keystore_info(ks, &ti);
	if (rc) {
		st = kr_cli_fail(rc, "reading token information");
		goto out;
	}
	printf("module  %s (%s %u.%u)\n", ti.module, ti.library, ti.lib_major, ti.lib_minor);
	printf("token   %s (%s %s, serial %s), logged in: %s\n", ti.label, ti.manufacturer,
	       ti.model, ti.serial, ti.logged_in ? "yes" : "no");
	static const uint8_t algs[] = {KR_ALG_RSASHA256, KR_ALG_RSASHA512, KR_ALG_ECDSAP256SHA256,
				       KR_ALG_ECDSAP384SHA384, KR_ALG_ED25519};
	size_t n = a.nlabels > 0 ? a.nlabels : sizeof(algs);
	for (size_t i = 0; i < n; i++) {
		struct kr_signer s;
		const char *what = a.nlabels > 0 ? a.selftest_labels[i] : "session key";
		rc = a.nlabels > 0 ? kr_keystore_signer(ks, what, 257, &s)
				   : kr_keystore_ephemeral_signer(ks, algs[i], 0, &s);
		if (rc == KR_OK) {
			unsigned bits = 0;
			kr_dnskey_params(&s.key, &bits, NULL);
			rc = selftest_sign(&s);
			printf("%s %-16s %s %u bits, key tag %u: %s\n", rc ? "FAIL" : "ok  ", what,
			       kr_alg_name(s.key.algorithm), bits, kr_dnskey_keytag(&s.key),
			       rc ? kr_strerror(rc)
				  : "signed in the token, verified in software, forgery rejected");
			kr_keystore_signer_free(&s);
		} else {
			if (rc == KR_ENOTFOUND)
				kr_cli_error("no key labelled '%s' on token '%s'", what, token_name(&a));
			printf("FAIL %-16s %s: %s\n", what,
			       a.nlabels > 0 ? "key" : kr_alg_name(algs[i]), kr_strerror(rc));
		}
		if (rc) {
			failed++;
			st = st == KR_EXIT_OK || kr_exit_status(rc) == KR_EXIT_ENV ? kr_exit_status(rc) : st;
		}
	}
	if (failed)
		kr_cli_error("selftest: %d of %zu checks failed", failed, n);
	else
		printf("selftest passed\n");
out:
	kr_keystore_close(ks);
	return st;
}
