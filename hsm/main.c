/*
 * keyroll-hsm - KSKs in a PKCS#11 token: init, keygen, list, export, import, delete, selftest.
 *
 * Failure policy: private keys are generated and used only inside the token;
 * PINs never come from argv and are wiped after login; any token, PIN or
 * input problem is an error: line and the DESIGN.md exit status.
 */
#include "lib/cli.h"
#include "hsm/commands.h"

static const struct kr_cli_command commands[] = {
	{NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	return kr_cli_dispatch("keyroll-hsm", "KSKs inside a PKCS#11 HSM (SoftHSM2 by default).", commands, argc, argv);
}
