/*
 * keyroll-trustanchor - publish, sign, verify and export trust anchors
 * (RFC 9718 root-anchors.xml with a detached CMS signature), and simulate
 * an RFC 5011 validator population across a rollover.
 *
 * Failure policy: verification starts from "not verified" and succeeds only
 * against the named CA and signer; anything unexpected fails closed with an
 * error: line and the DESIGN.md exit status; outputs are written atomically.
 */
#include "lib/cli.h"
#include "trustanchor/commands.h"

static const struct kr_cli_command commands[] = {
	/* trust-anchor files (trustanchor/ta_*.c) */
	{"publish", ta_cmd_publish, "write or update an RFC 9718 trust-anchor file for KSKs"},
	{"sign", ta_cmd_sign, "detached CMS signature over an anchor file (key in a token or PEM)"},
	{"verify", ta_cmd_verify, "check an anchor file and its CMS signature; print the DS set"},
	{"export", ta_cmd_export, "anchors valid at a time as ds, dnskey, unbound, bind, kresd config"},
	/* simulator (trustanchor/sim*.c) */
	{"simulate", sim_cmd_simulate, "RFC 5011 validator population across a rollover timeline"},
	{"lint", sim_cmd_lint, "check a rollover plan or SKR series against RFC 5011 wait times"},
	{NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	return kr_cli_dispatch("keyroll-trustanchor",
			       "Trust anchors for a KSK: RFC 9718 files, CMS signatures, "
			       "validator exports, RFC 5011 rollover simulation.",
			       commands, argc, argv);
}
