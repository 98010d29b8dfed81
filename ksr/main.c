/*
 * keyroll-ksr - the ZSK operator's side: build KSRs, validate them, accept SKRs.
 *
 * Failure policy: an SKR is accepted only if every bundle, key and signature
 * matches the KSR and chains to a trusted KSK; every check is reported by
 * name; outputs are written atomically and nothing is written on failure.
 */
#include "lib/cli.h"
#include "ksr/commands.h"

static const struct kr_cli_command commands[] = {
	{"validate", ksr_cmd_validate, "run every KSR check against the policy and the previous SKR"},
	{"show", ksr_cmd_show, "print a KSR's or SKR's bundles with DNSKEY response sizes"},
	{"hash", ksr_cmd_hash, "SHA-256 of a file in hex and PGP words"},
	{"generate", ksr_cmd_generate, "build and sign a KSR with the ZSKs on a token"},
	{"accept", ksr_cmd_accept, "check an SKR against its KSR, the trust anchor and the previous SKR"},
	{"bundle", ksr_cmd_bundle, "the DNSKEY RRset and RRSIGs in force at a time, as zone-file lines"},
	{NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	return kr_cli_dispatch("keyroll-ksr", "ZSK operator: Key Signing Requests and Signed Key Response acceptance.", commands, argc, argv);
}
