/*
 * keyroll-ceremony - run scripted, witnessed key ceremonies with a tamper-evident audit log.
 *
 * Failure policy: steps run in order and cannot be skipped; every step is a
 * CBOR record in a hash chain, fsync'd before the next; a damaged log is
 * refused, never repaired silently.
 */
#include "lib/cli.h"
#include "ceremony/commands.h"

static const struct kr_cli_command commands[] = {
	{"run", ceremony_cmd_run, "run (or rehearse, or resume) a ceremony script"},
	{"verify-log", ceremony_cmd_verify_log, "check an audit log's chain and seal"},
	{"transcript", ceremony_cmd_transcript, "printable HTML transcript of an audit log"},
	{NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	return kr_cli_dispatch("keyroll-ceremony", "Scripted key ceremonies with quorum, witnesses and an audit log.", commands, argc, argv);
}
