/*
 * commands.h - the subcommands of keyroll-skr.  Each takes the arguments
 * after the tool name (argv[0] is the subcommand) and returns the exit status
 * of DESIGN.md.
 */
#ifndef KR_SKR_COMMANDS_H
#define KR_SKR_COMMANDS_H

/* skr/cmd_verify.c */
int skr_cmd_verify(int argc, char **argv);

/* skr/cmd_sign.c */
int skr_cmd_sign(int argc, char **argv);
int skr_cmd_schemas(int argc, char **argv);

#endif
