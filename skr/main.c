/*
 * keyroll-skr - the KSK operator's side: check a KSR and sign it into an SKR.
 *
 * Failure policy: every check runs and is reported by name; any failure means
 * exit 1 and no SKR; every HSM signature is re-verified in software before
 * the SKR is written atomically.
 */
#include "lib/cli.h"
#include "skr/commands.h"

static const struct kr_cli_command commands[] = {
	{"sign", skr_cmd_sign, "check a KSR and sign it with the KSKs on a token into an SKR"},
	{"schemas", skr_cmd_schemas, "list the rollover schemas slot by slot"},
	{"verify", skr_cmd_verify, "verify an SKR: structure, signatures by its KSKs, times"},
	{NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	return kr_cli_dispatch("keyroll-skr", "KSK operator: check a KSR against policy and sign it into an SKR.", commands, argc, argv);
}
