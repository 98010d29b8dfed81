/*
 * cli.h - helpers for the tools' main.c files.  This is the only part of
 * libkeyroll that writes to the terminal; library code never calls it.
 */
#ifndef KR_CLI_H
#define KR_CLI_H

#include <stdio.h>

/* Exit statuses of DESIGN.md. */
enum { KR_EXIT_OK = 0, KR_EXIT_REJECTED = 1, KR_EXIT_USAGE = 2, KR_EXIT_ENV = 3 };

/* "error: ..." / "warning: ..." on stderr, newline added. */
void kr_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kr_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "error: <what>: <kr_strerror(rc)>[: errno text | OpenSSL reason]"; returns
 * the exit status for rc (kr_exit_status). */
int kr_cli_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Show prompt on the terminal and require the operator to type exactly
 * "Yes".  Returns 0 if confirmed, KR_ECANCEL if not, KR_ESYS without a
 * terminal (use --yes in scripts). */
int kr_cli_confirm(const char *prompt);

/* Flush stdout and report a write error (e.g. full disk): returns the exit
 * status to use (status unchanged when stdout is fine). */
int kr_cli_finish(int status);

/* A subcommand: fn gets argc/argv starting at the subcommand's name and
 * returns an exit status. */
struct kr_cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/*
 * main() of a tool with subcommands: handles -h/--help (usage on stdout,
 * exit 0), -V/--version, unknown or missing subcommands (usage on stderr,
 * exit 2), runs the subcommand and checks stdout for write errors.
 */
int kr_cli_dispatch(const char *tool, const char *purpose, const struct kr_cli_command *cmds,
		    int argc, char **argv);

#endif
