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
	{"init", hsm_cmd_init, "initialise a token (SoftHSM2: create one) with SO and user PINs"},
	{"keygen", hsm_cmd_keygen, "generate a KSK inside the token; print DNSKEY, DS, key tags"},
	{"list", hsm_cmd_list, "list key pairs with key tags, DS and security attributes"},
	{"export", hsm_cmd_export, "export a public key as DNSKEY, DS or PEM"},
	{"import", hsm_cmd_import, "bring a software key into the token (non-extractable)"},
	{"delete", hsm_cmd_delete, "destroy a key pair (asks for confirmation)"},
	{"selftest", hsm_cmd_selftest, "sign and verify a test DNSKEY RRset in the token"},
	{"backup-kek", hsm_cmd_backup_kek, "create the M-of-N backup KEK (recovery cards, SO)"},
	{"backup", hsm_cmd_backup, "wrap a backup-capable KSK under the KEK into a container"},
	{"restore", hsm_cmd_restore, "recreate a backed-up KSK from M recovery cards"},
	{NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	return kr_cli_dispatch("keyroll-hsm", "KSKs inside a PKCS#11 HSM (SoftHSM2 by default).", commands, argc, argv);
}
