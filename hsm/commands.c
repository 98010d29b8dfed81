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
#include <openssl/rand.h>

#include "hsm/backup.h"
#include "hsm/cards.h"

#include "hsm/commands.h"
#include "hsm/keystore.h"
#include "hsm/p11.h"
#include "lib/cli.h"
#include "lib/dnssec.h"
#include "lib/encode.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/pgpwords.h"

#define DEFAULT_TTL 172800 /* the root zone's DNSKEY TTL */
#define MAX_CARDS 16
#define MAX_OFFICERS 64
#define RANDOM_PIN_LEN 26 /* 26 symbols of 5 bits: 130 bits */

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
	OPT_OFFICERS,
	OPT_QUORUM,
	OPT_CARDS_DIR,
	OPT_OFFICER,
	OPT_SEAL,
	OPT_BACKUP,
	OPT_SHARE,
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
	/* M-of-N officer cards (init) */
	unsigned officers, quorum;
	const char *cards_dir;
	const char *officer_names[MAX_OFFICERS];
	size_t nofficer_names;
	int seal;
	/* key backup */
	int backup;
	const char *shares[MAX_OFFICERS + 1];
	size_t nshares;
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
		case OPT_OFFICERS:
		case OPT_QUORUM:
			if (parse_uint(optarg, MAX_OFFICERS, &v) != KR_OK || v < 2)
				return usage_error(a->cmd, "--%s '%s': a number from 2 to %d",
						   c == OPT_OFFICERS ? "officers" : "quorum", optarg,
						   MAX_OFFICERS);
			*(c == OPT_OFFICERS ? &a->officers : &a->quorum) = (unsigned)v;
			break;
		case OPT_CARDS_DIR:
			a->cards_dir = optarg;
			break;
		case OPT_OFFICER:
			if (a->nofficer_names == MAX_OFFICERS)
				return usage_error(a->cmd, "at most %d --officer options", MAX_OFFICERS);
			if (*optarg == '\0' || strlen(optarg) > 100)
				return usage_error(a->cmd, "--officer: a name of 1 to 100 characters");
			a->officer_names[a->nofficer_names++] = optarg;
			break;
		case OPT_SEAL:
			a->seal = 1;
			break;
		case OPT_BACKUP:
			a->backup = 1;
			break;
		case OPT_SHARE:
			if (a->nshares == MAX_OFFICERS)
				return usage_error(a->cmd, "at most %d --share options", MAX_OFFICERS);
			a->shares[a->nshares++] = optarg;
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

/* Generated in the token as backup-capable: it may leave, but only wrapped
 * under a KEK the security officer trusted. */
static int backup_born(const struct kr_keyinfo *ki)
{
	return ki->local == 1 && ki->always_sensitive == 1 && ki->wrap_with_trusted == 1;
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

/* A user PIN nobody knows: RANDOM_PIN_LEN symbols of a 32-letter alphabet
 * (no look-alikes), 5 unbiased bits each from RAND_bytes. */
static int random_pin(char *pin, size_t size)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
	uint8_t r[RANDOM_PIN_LEN];
	if (size <= RANDOM_PIN_LEN || RAND_bytes(r, sizeof(r)) != 1)
		return KR_ECRYPTO;
	for (size_t i = 0; i < RANDOM_PIN_LEN; i++)
		pin[i] = alphabet[r[i] & 31];
	pin[RANDOM_PIN_LEN] = '\0';
	OPENSSL_cleanse(r, sizeof(r));
	return KR_OK;
}

static void card_prefix(const struct args *a, const char *kind, char *buf, size_t size)
{
	snprintf(buf, size, "%s-%s", a->hsm.token, kind);
}

static int write_officer_cards(const struct args *a, const char *pin, const char *serial)
{
	char prefix[64];
	card_prefix(a, "officer", prefix, sizeof(prefix));
	int rc = kr_cards_issue((const uint8_t *)pin, strlen(pin), "officer", a->quorum, a->officers,
				a->officer_names, a->nofficer_names, a->hsm.token, serial,
				a->cards_dir, prefix, a->seal);
	if (rc != KR_OK) {
		kr_cli_error("token '%s' is initialised but its officer cards are incomplete: "
			     "nobody can log in; delete the token and run init again", a->hsm.token);
		return kr_exit_status(rc) == KR_EXIT_OK ? KR_EXIT_ENV : kr_exit_status(rc);
	}
	printf("%u officer cards, any %u of which activate token '%s'\n", a->officers, a->quorum,
	       a->hsm.token);
	return KR_EXIT_OK;
}

static const char init_help[] =
	"usage: keyroll-hsm init --token LABEL --so-pin-file FILE [--pin-file FILE] [--module PATH]\n"
	"       keyroll-hsm init --token LABEL --so-pin-file FILE --officers N --quorum M\n"
	"                        --cards DIR [--officer NAME]... [--seal]\n"
	"Initialise a token on a free slot of the module (SoftHSM2: a new token), set its\n"
	"security officer PIN and user PIN.  With SoftHSM2's module and SOFTHSM2_CONF unset,\n"
	"the token goes to the embedded store ./var/tokens (./var/softhsm2.conf).\n"
	"With --officers the user PIN is random, known to nobody, and split into N officer\n"
	"cards of which any M activate the token (--card FILE on every command).\n"
	"  --so-pin-file FILE  security officer PIN (required)\n"
	"  --officers N        number of officer cards (2..64)\n"
	"  --quorum M          cards needed to log in (2..N)\n"
	"  --cards DIR         where to write DIR/TOKEN-officer-I.card (mode 0600)\n"
	"  --officer NAME      card holder names, in card order (default \"officer I\")\n"
	"  --seal              seal each card under its officer's passphrase (scrypt,\n"
	"                      AES-256-GCM); passphrases from $KEYROLL_PASSPHRASE_DIR/\n"
	"                      CARDFILE.pass or typed twice on the terminal\n";

int hsm_cmd_init(int argc, char **argv)
{
	static const struct option extra[] = {
		{"so-pin-file", required_argument, NULL, OPT_SO_PIN_FILE},
		{"officers", required_argument, NULL, OPT_OFFICERS},
		{"quorum", required_argument, NULL, OPT_QUORUM},
		{"cards", required_argument, NULL, OPT_CARDS_DIR},
		{"officer", required_argument, NULL, OPT_OFFICER},
		{"seal", no_argument, NULL, OPT_SEAL},
	};
	struct args a;
	char so_pin[256], pin[256];
	int st = parse_args(argc, argv, extra, 6, init_help, &a);
	if (st >= 0)
		return st;
	if (a.hsm.token == NULL)
		return usage_error(a.cmd, "--token is required");
	if (strlen(a.hsm.token) > 32)
		return usage_error(a.cmd, "--token: a token label has at most 32 characters");
	if (a.so_pin_file == NULL)
		return usage_error(a.cmd, "--so-pin-file is required");
	int rc, officers = a.officers || a.quorum || a.cards_dir || a.nofficer_names || a.seal;
	if (officers) {
		if (!a.officers || !a.quorum || !a.cards_dir)
			return usage_error(a.cmd, "officer cards need --officers, --quorum and --cards");
		if (a.quorum > a.officers)
			return usage_error(a.cmd, "--quorum %u exceeds --officers %u", a.quorum,
					   a.officers);
		if (a.nofficer_names != 0 && a.nofficer_names != a.officers)
			return usage_error(a.cmd, "%zu --officer names for %u officers",
					   a.nofficer_names, a.officers);
		if (a.hsm.pin_file != NULL || a.ncards > 0)
			return usage_error(a.cmd, "with --officers the user PIN is random: no "
						  "--pin-file or --card");
		/* before the token exists: a PIN no card set carries is never set */
		char prefix[64];
		card_prefix(&a, "officer", prefix, sizeof(prefix));
		if ((rc = kr_cards_free(a.cards_dir, prefix, a.officers)) != KR_OK)
			return KR_EXIT_REJECTED;
	}
	rc = kr_hsm_embedded(a.hsm.module, 1);
	if (rc)
		return kr_cli_fail(rc, "creating the embedded token store ./var");
	struct kr_p11_module *m = NULL;
	char why[256];
	if ((rc = kr_p11_module_get(a.hsm.module, &m, why, sizeof(why))) != KR_OK) {
		kr_cli_error("%s", why);
		return kr_exit_status(rc);
	}
	rc = kr_pin_read(a.so_pin_file, NULL, so_pin, sizeof(so_pin));
	if (rc) {
		kr_p11_module_put(m);
		return kr_cli_fail(rc, "reading the SO PIN from %s", a.so_pin_file);
	}
	if (officers)
		rc = random_pin(pin, sizeof(pin));
	else
		rc = kr_pin_read(a.hsm.pin_file, "New user PIN: ", pin, sizeof(pin));
	if (rc) {
		OPENSSL_cleanse(so_pin, sizeof(so_pin));
		kr_p11_module_put(m);
		return kr_cli_fail(rc, "reading the user PIN from %s",
				   a.hsm.pin_file ? a.hsm.pin_file : "$KEYROLL_PIN or the terminal");
	}
	rc = kr_keystore_init_token(a.hsm.module, a.hsm.token, so_pin, pin);
	OPENSSL_cleanse(so_pin, sizeof(so_pin));
	if (rc || !officers)
		OPENSSL_cleanse(pin, sizeof(pin));
	kr_p11_module_put(m);
	if (rc == KR_EEXIST) {
		kr_cli_error("a token labelled '%s' exists already", a.hsm.token);
		return KR_EXIT_REJECTED;
	}
	if (rc == KR_ENOTFOUND) {
		kr_cli_error("the module has no free slot for a new token");
		return KR_EXIT_ENV;
	}
	if (rc == KR_EPIN) {
		kr_cli_error("the token refuses PINs of that length (SoftHSM2: 4 to 255 characters)");
		return KR_EXIT_REJECTED;
	}
	if (rc)
		return kr_cli_fail(rc, "initialising token '%s'", a.hsm.token);
	struct kr_keystore *ks = NULL;
	struct kr_keystore_opts ko = {.module = a.hsm.module, .token_label = a.hsm.token};
	struct kr_tokeninfo ti;
	rc = kr_keystore_open(&ko, &ks);
	if (rc == KR_OK)
		rc = kr_keystore_info(ks, &ti);
	kr_keystore_close(ks);
	if (rc) {
		OPENSSL_cleanse(pin, sizeof(pin));
		return kr_cli_fail(rc, "reopening token '%s'", a.hsm.token);
	}
	printf("initialised token '%s' (serial %s) with %s\n", ti.label, ti.serial, ti.module);
	if (officers) {
		st = write_officer_cards(&a, pin, ti.serial);
		OPENSSL_cleanse(pin, sizeof(pin));
		if (st != KR_EXIT_OK)
			return st;
	}
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
	"  --ttl S         TTL of the printed lines (default 172800)\n"
	"  --backup        backup-capable: extractable only wrapped under the token's\n"
	"                  trusted backup KEK (see backup-kek); never otherwise\n";

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
		{"backup", no_argument, NULL, OPT_BACKUP},
	};
	struct args a;
	struct kr_keystore *ks = NULL;
	struct kr_keyinfo ki;
	int st = parse_args(argc, argv, extra, 6, keygen_help, &a);
	if (st >= 0 || (st = need_label(&a)) >= 0)
		return st;
	if (!a.have_alg)
		return usage_error(a.cmd, "--algorithm is required");
	if ((st = check_bits(&a)) >= 0)
		return st;
	if ((st = open_hsm(&a, &ks)) != KR_EXIT_OK)
		return st;
	int rc = kr_keystore_generate_ex(ks, a.label, a.alg, a.bits, a.backup ? KR_KEYGEN_BACKUP : 0,
					 &ki);
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
		       "\"derive\": %s, \"local\": %s, \"wrap_with_trusted\": %s, \"imported\": %s}",
		       tri_json(ki->sensitive), tri_json(ki->always_sensitive),
		       tri_json(ki->extractable), tri_json(ki->never_extractable),
		       tri_json(ki->can_sign), tri_json(ki->can_decrypt), tri_json(ki->can_unwrap),
		       tri_json(ki->can_derive), tri_json(ki->local), tri_json(ki->wrap_with_trusted),
		       token_born(ki) || backup_born(ki) ? "false" : "true");
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
		printf("  extractable       %s (never: %s)%s\n", tri(ki->extractable),
		       tri(ki->never_extractable),
		       ki->wrap_with_trusted == 1 ? ", only wrapped under a trusted KEK (backup-capable)"
						  : "");
		printf("  sign/decrypt/unwrap/derive  %s/%s/%s/%s\n", tri(ki->can_sign),
		       tri(ki->can_decrypt), tri(ki->can_unwrap), tri(ki->can_derive));
		printf("  origin            %s\n",
		       token_born(ki)	? "generated in the token"
		       : backup_born(ki) ? "generated in the token, backup-capable"
					 : "imported or restored (was outside the token)");
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
	"usage: keyroll-hsm selftest --token T [--pin-file F] [--label L]... [--json]\n"
	"Report the module and token, then sign a test DNSKEY RRset inside the token and\n"
	"verify it in software (and check a forged copy fails): with a temporary session\n"
	"key for each of the five algorithms, or with each key given by --label.\n"
	"  --json     a JSON report instead of text\n";

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
		{"json", no_argument, NULL, OPT_JSON},
	};
	struct args a;
	struct kr_keystore *ks = NULL;
	struct kr_tokeninfo ti;
	int st = parse_args(argc, argv, extra, 2, selftest_help, &a), failed = 0;
	if (st >= 0)
		return st;
	if ((st = open_hsm(&a, &ks)) != KR_EXIT_OK)
		return st;
	int rc = kr_keystore_info(ks, &ti);
	if (rc) {
		st = kr_cli_fail(rc, "reading token information");
		goto out;
	}
	if (a.json) {
		printf("{\"module\": ");
		json_str(stdout, ti.module);
		printf(", \"library\": ");
		json_str(stdout, ti.library);
		printf(", \"library_version\": \"%u.%u\",\n \"token\": {\"label\": ", ti.lib_major,
		       ti.lib_minor);
		json_str(stdout, ti.label);
		printf(", \"manufacturer\": ");
		json_str(stdout, ti.manufacturer);
		printf(", \"model\": ");
		json_str(stdout, ti.model);
		printf(", \"serial\": ");
		json_str(stdout, ti.serial);
		printf("},\n \"checks\": [");
	} else {
		printf("module  %s (%s %u.%u)\n", ti.module, ti.library, ti.lib_major, ti.lib_minor);
		printf("token   %s (%s %s, serial %s), logged in: %s\n", ti.label, ti.manufacturer,
		       ti.model, ti.serial, ti.logged_in ? "yes" : "no");
	}
	static const uint8_t algs[] = {KR_ALG_RSASHA256, KR_ALG_RSASHA512, KR_ALG_ECDSAP256SHA256,
				       KR_ALG_ECDSAP384SHA384, KR_ALG_ED25519};
	size_t n = a.nlabels > 0 ? a.nlabels : sizeof(algs);
	for (size_t i = 0; i < n; i++) {
		struct kr_signer s;
		const char *what = a.nlabels > 0 ? a.selftest_labels[i] : "session key";
		unsigned bits = 0;
		uint8_t alg = a.nlabels > 0 ? 0 : algs[i];
		uint16_t tag = 0;
		rc = a.nlabels > 0 ? kr_keystore_signer(ks, what, 257, &s)
				   : kr_keystore_ephemeral_signer(ks, algs[i], 0, &s);
		if (rc == KR_OK) {
			kr_dnskey_params(&s.key, &bits, NULL);
			alg = s.key.algorithm;
			tag = kr_dnskey_keytag(&s.key);
			rc = selftest_sign(&s);
			kr_keystore_signer_free(&s);
		} else if (rc == KR_ENOTFOUND) {
			kr_cli_error("no key labelled '%s' on token '%s'", what, token_name(&a));
		}
		const char *alg_name = alg ? kr_alg_name(alg) : "-";
		if (a.json) {
			printf("%s\n  {\"key\": ", i ? "," : "");
			json_str(stdout, what);
			printf(", \"algorithm\": \"%s\", \"bits\": %u, \"key_tag\": %u, \"ok\": %s, "
			       "\"error\": ",
			       alg_name, bits, tag, rc ? "false" : "true");
			if (rc)
				json_str(stdout, kr_strerror(rc));
			else
				printf("null");
			printf("}");
		} else if (rc == KR_OK) {
			printf("ok   %-16s %s %u bits, key tag %u: signed in the token, verified in "
			       "software, forgery rejected\n", what, alg_name, bits, tag);
		} else {
			printf("FAIL %-16s %s: %s\n", what, alg_name, kr_strerror(rc));
		}
		if (rc) {
			failed++;
			/* The first failure sets the status; an environment failure wins. */
			if (st == KR_EXIT_OK || kr_exit_status(rc) == KR_EXIT_ENV)
				st = kr_exit_status(rc);
		}
	}
	if (a.json)
		printf("\n ],\n \"passed\": %s}\n", failed ? "false" : "true");
	else if (!failed)
		printf("selftest passed\n");
	if (failed)
		kr_cli_error("selftest: %d of %zu checks failed", failed, n);
out:
	kr_keystore_close(ks);
	return st;
}

/* --- backup-kek, backup, restore ------------------------------------------------- */

static void show_hash(const char *what, const uint8_t *h, size_t len)
{
	char *hex = NULL, *words = NULL;
	if (kr_hex_encode(h, len, 0, &hex) == KR_OK && kr_pgp_words(h, len, &words) == KR_OK)
		printf("%s: %s\n%s (PGP words): %s\n", what, hex, what, words);
	free(hex);
	free(words);
}

/* The KEK from M recovery cards (printing errors); kek is wiped on failure. */
static int kek_from_shares(const struct args *a, uint8_t kek[KR_KEK_LEN])
{
	struct kr_card cards[MAX_OFFICERS];
	uint8_t secret[KR_SHARE_MAX];
	size_t len = 0;
	char why[256];
	int rc = kr_cards_read(a->shares, a->nshares, "recovery", cards);
	if (rc == KR_OK) {
		rc = kr_cards_combine(cards, a->nshares, "recovery", NULL, secret, &len, why,
				      sizeof(why));
		if (rc != KR_OK)
			kr_cli_error("recovery cards: %s", why);
		else if (len != KR_KEK_LEN) {
			kr_cli_error("recovery cards: they hold %zu bytes, not a 32-byte KEK", len);
			rc = KR_EMALFORMED;
		}
	}
	if (rc == KR_OK)
		memcpy(kek, secret, KR_KEK_LEN);
	OPENSSL_cleanse(secret, sizeof(secret));
	for (size_t i = 0; i < a->nshares; i++)
		kr_card_wipe(&cards[i]);
	return rc;
}

static const char backup_kek_help[] =
	"usage: keyroll-hsm backup-kek --token T --so-pin-file F --holders N --quorum M\n"
	"                              --cards DIR [--holder NAME]... [--seal]\n"
	"       keyroll-hsm backup-kek --token T --so-pin-file F --share FILE...\n"
	"Create the token's key-encryption key for KSK backups: 32 random bytes split\n"
	"into N recovery cards (any M rebuild it), installed by the security officer as a\n"
	"trusted, wrap-only AES key; the KEK exists nowhere else.  With --share, install\n"
	"an existing KEK rebuilt from its recovery cards (a replacement token).\n"
	"  --so-pin-file F   security officer PIN (else asked on the terminal)\n"
	"  --holders N       number of recovery cards (2..64)\n"
	"  --quorum M        cards needed to rebuild the KEK\n"
	"  --cards DIR       where to write DIR/TOKEN-recovery-I.card\n"
	"  --holder NAME     card holder names, in card order\n"
	"  --seal            seal each card under its holder's passphrase\n"
	"  --share FILE      a recovery card (repeat, at least M)\n";

int hsm_cmd_backup_kek(int argc, char **argv)
{
	static const struct option extra[] = {
		{"so-pin-file", required_argument, NULL, OPT_SO_PIN_FILE},
		{"holders", required_argument, NULL, OPT_OFFICERS},
		{"quorum", required_argument, NULL, OPT_QUORUM},
		{"cards", required_argument, NULL, OPT_CARDS_DIR},
		{"holder", required_argument, NULL, OPT_OFFICER},
		{"seal", no_argument, NULL, OPT_SEAL},
		{"share", required_argument, NULL, OPT_SHARE},
	};
	struct args a;
	struct kr_keystore *ks = NULL;
	uint8_t kek[KR_KEK_LEN], fp[32];
	char so_pin[256], prefix[64];
	int st = parse_args(argc, argv, extra, 7, backup_kek_help, &a), rc;
	if (st >= 0)
		return st;
	st = KR_EXIT_OK;
	int split = a.officers || a.quorum || a.cards_dir;
	if (split == (a.nshares > 0))
		return usage_error(a.cmd, "give --holders, --quorum and --cards (a new KEK) or "
					  "--share (an existing one)");
	if (split && (!a.officers || !a.quorum || !a.cards_dir || a.quorum > a.officers))
		return usage_error(a.cmd, "a new KEK needs --holders N, --quorum M (M <= N) and --cards");
	if (a.nofficer_names != 0 && a.nofficer_names != a.officers)
		return usage_error(a.cmd, "%zu --holder names for %u holders", a.nofficer_names,
				   a.officers);
	if (a.hsm.token == NULL)
		return usage_error(a.cmd, "--token is required");
	if (split) {
		card_prefix(&a, "recovery", prefix, sizeof(prefix));
		if (kr_cards_free(a.cards_dir, prefix, a.officers) != KR_OK)
			return KR_EXIT_REJECTED;
		if (RAND_bytes(kek, sizeof(kek)) != 1)
			return kr_cli_fail(KR_ECRYPTO, "generating the KEK");
	} else if ((rc = kek_from_shares(&a, kek)) != KR_OK) {
		return kr_exit_status(rc);
	}
	if ((rc = kr_hsm_connect(&a.hsm, &ks)) != KR_OK) {
		st = kr_exit_status(rc);
		goto out;
	}
	if (a.so_pin_file != NULL)
		rc = kr_pin_read(a.so_pin_file, NULL, so_pin, sizeof(so_pin));
	else
		rc = kr_tty_secret("Security officer PIN: ", so_pin, sizeof(so_pin));
	if (rc != KR_OK) {
		st = kr_cli_fail(rc, "reading the SO PIN from %s", a.so_pin_file ? a.so_pin_file : "the terminal");
		goto out;
	}
	/* cards first: a KEK in the token that no card set carries is useless */
	if (split && (rc = kr_cards_issue(kek, sizeof(kek), "recovery", a.quorum, a.officers,
					  a.officer_names, a.nofficer_names, NULL, NULL, a.cards_dir,
					  prefix, a.seal)) != KR_OK) {
		OPENSSL_cleanse(so_pin, sizeof(so_pin));
		st = kr_exit_status(rc);
		goto out;
	}
	rc = kr_backup_kek_install(ks, so_pin, kek);
	OPENSSL_cleanse(so_pin, sizeof(so_pin));
	if (rc == KR_EEXIST) {
		kr_cli_error("token '%s' has a backup KEK already", a.hsm.token);
		st = KR_EXIT_REJECTED;
	} else if (rc == KR_EPIN) {
		kr_cli_error("security officer login to token '%s' refused: wrong SO PIN", a.hsm.token);
		st = KR_EXIT_ENV;
	} else if (rc != KR_OK) {
		st = kr_cli_fail(rc, "installing the backup KEK in token '%s'", a.hsm.token);
	} else if ((rc = kr_kek_fingerprint(kek, fp)) != KR_OK) {
		st = kr_cli_fail(rc, "KEK fingerprint");
	} else {
		printf("installed the backup KEK in token '%s' (trusted, wrap only)\n", a.hsm.token);
		show_hash("KEK fingerprint", fp, sizeof(fp));
	}
out:
	OPENSSL_cleanse(kek, sizeof(kek));
	kr_keystore_close(ks);
	return st;
}

static const char backup_help[] =
	"usage: keyroll-hsm backup --token T [--pin-file F | --card FILE...] --label L\n"
	"                          --out FILE [--zone Z]\n"
	"Wrap a backup-capable KSK (keygen --backup) under the token's backup KEK\n"
	"(CKM_AES_KEY_WRAP_PAD) into a CBOR container with its label, DNSKEY, DS,\n"
	"algorithm and the KEK fingerprint.  Any other key is refused: it cannot leave\n"
	"the token.\n"
	"  --label L     the key to back up\n"
	"  --out FILE    the container (written atomically, mode 0600)\n"
	"  --zone Z      owner name for the DS (default .)\n";

static void print_backup(const struct kr_backup *b)
{
	char *ds = NULL;
	printf("label: %s\nkey tag: %u\nalgorithm: %s\n", b->label, kr_dnskey_keytag(&b->dnskey),
	       kr_alg_name(b->dnskey.algorithm));
	if (kr_ds_format(&b->zone, DEFAULT_TTL, &b->dnskey, KR_DS_SHA256, &ds) == KR_OK)
		printf("%s\n", ds);
	free(ds);
	show_hash("KEK fingerprint", b->kek, sizeof(b->kek));
}

int hsm_cmd_backup(int argc, char **argv)
{
	static const struct option extra[] = {
		{"label", required_argument, NULL, OPT_LABEL},
		{"out", required_argument, NULL, OPT_OUTPUT},
		{"zone", required_argument, NULL, OPT_ZONE},
	};
	struct args a;
	struct kr_keystore *ks = NULL;
	struct kr_backup b;
	CK_OBJECT_HANDLE h = 0;
	uint8_t *buf = NULL;
	size_t len = 0;
	int st = parse_args(argc, argv, extra, 3, backup_help, &a);
	if (st >= 0 || (st = need_label(&a)) >= 0)
		return st;
	if (a.output == NULL)
		return usage_error(a.cmd, "--out is required");
	if ((st = open_hsm(&a, &ks)) != KR_EXIT_OK)
		return st;
	memset(&b, 0, sizeof(b));
	int rc = kr_backup_wrap(ks, a.label, &a.zone, &b);
	if (rc == KR_EDENIED) {
		kr_cli_error("key '%s' was not generated for backup (keygen --backup): it is not "
			     "extractable and cannot leave token '%s'", a.label, token_name(&a));
		st = KR_EXIT_REJECTED;
	} else if (rc == KR_ENOTFOUND && kr_keystore_handles(ks, a.label, &h, NULL) == KR_OK) {
		kr_cli_error("token '%s' has no backup KEK (keyroll-hsm backup-kek)", token_name(&a));
		st = KR_EXIT_REJECTED;
	} else if (rc != KR_OK) {
		st = key_not_found(&a, rc);
	} else if ((rc = kr_backup_encode(&b, &buf, &len)) != KR_OK ||
		   (rc = kr_write_file_atomic(a.output, buf, len, 0600)) != KR_OK) {
		st = kr_cli_fail(rc, "writing the backup %s", a.output);
	} else {
		printf("backed up key '%s' to %s\n", a.label, a.output);
		print_backup(&b);
	}
	free(buf);
	kr_backup_clear(&b);
	kr_keystore_close(ks);
	return st;
}

static const char restore_help[] =
	"usage: keyroll-hsm restore FILE --token T [--pin-file F | --card FILE...]\n"
	"                           --share FILE... [--label L]\n"
	"Recreate a backed-up KSK in this token: rebuild the KEK from M recovery cards as\n"
	"a session key, unwrap the key (sensitive, sign only, backup-capable), create its\n"
	"public half, check it signs for the backed-up DNSKEY, destroy the KEK.\n"
	"  --share FILE  a recovery card (repeat, at least M)\n"
	"  --label L     label in this token (default: the backed-up label)\n";

int hsm_cmd_restore(int argc, char **argv)
{
	static const struct option extra[] = {
		{"share", required_argument, NULL, OPT_SHARE},
		{"label", required_argument, NULL, OPT_LABEL},
	};
	struct args a;
	struct kr_keystore *ks = NULL;
	struct kr_backup b;
	struct kr_keyinfo ki;
	uint8_t kek[KR_KEK_LEN], *buf = NULL;
	size_t len = 0;
	char *args[64];
	/* FILE first, then options */
	if (argc < 2 || argc > 63 || argv[1][0] == '-') {
		if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
			printf("%s%s", restore_help, common_help);
			return KR_EXIT_OK;
		}
		return usage_error(argv[0], "the backup FILE comes first");
	}
	const char *file = argv[1];
	args[0] = argv[0];
	for (int i = 2; i < argc; i++)
		args[i - 1] = argv[i];
	args[argc - 1] = NULL;
	int st = parse_args(argc - 1, args, extra, 2, restore_help, &a);
	if (st >= 0)
		return st;
	if (a.nshares == 0)
		return usage_error(a.cmd, "--share recovery cards are required");
	memset(&b, 0, sizeof(b));
	int rc = kr_read_file(file, KR_BACKUP_MAX_SIZE, &buf, &len);
	if (rc != KR_OK)
		return kr_cli_fail(rc, "reading %s", file);
	rc = kr_backup_decode(buf, len, &b);
	free(buf);
	if (rc != KR_OK) {
		kr_cli_error("%s is not a keyroll key backup (%s)", file, kr_strerror(rc));
		return KR_EXIT_REJECTED;
	}
	if ((rc = kek_from_shares(&a, kek)) != KR_OK) {
		kr_backup_clear(&b);
		return kr_exit_status(rc);
	}
	if ((st = open_hsm(&a, &ks)) != KR_EXIT_OK)
		goto out;
	const char *label = a.label ? a.label : b.label;
	rc = kr_backup_restore(ks, &b, kek, label, &ki);
	if (rc == KR_EDENIED) {
		kr_cli_error("the recovery cards rebuild another KEK than the one %s was wrapped "
			     "under", file);
		st = KR_EXIT_REJECTED;
	} else if (rc == KR_EEXIST) {
		kr_cli_error("a key labelled '%s' exists already on token '%s'", label, token_name(&a));
		st = KR_EXIT_REJECTED;
	} else if (rc == KR_EBADSIG) {
		kr_cli_error("%s does not unwrap to the key it names: damaged or forged", file);
		st = KR_EXIT_REJECTED;
	} else if (rc != KR_OK) {
		st = kr_cli_fail(rc, "restoring '%s' into token '%s'", label, token_name(&a));
	} else {
		printf("restored key '%s' into token '%s'; the KEK is destroyed\n", label,
		       token_name(&a));
		print_backup(&b);
	}
out:
	OPENSSL_cleanse(kek, sizeof(kek));
	kr_backup_clear(&b);
	kr_keystore_close(ks);
	return st;
}
