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
	{"verify", ta_cmd_verify, "check an anchor file and its CMS signature; print the DS set"},
	{"export", ta_cmd_export, "anchors valid at a time as ds, dnskey, unbound, bind, kresd config"},
	/* simulator (trustanchor/sim*.c) */
	{NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	return kr_cli_dispatch("keyroll-trustanchor",
			       "Trust anchors for a KSK: RFC 9718 files, CMS signatures, "
			       "validator exports, RFC 5011 rollover simulation.",
			       commands, argc, argv);
}
