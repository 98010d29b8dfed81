/*
 * commands.h - the subcommands of keyroll-ceremony.  Each takes the arguments
 * after the tool name (argv[0] is the subcommand) and returns the exit status
 * of DESIGN.md.
 */
#ifndef KR_CEREMONY_COMMANDS_H
#define KR_CEREMONY_COMMANDS_H

int ceremony_cmd_run(int argc, char **argv);
int ceremony_cmd_verify_log(int argc, char **argv);
int ceremony_cmd_transcript(int argc, char **argv);

#endif
