/*
 * commands.h - the subcommands of keyroll-ksr.  Each takes the arguments
 * after the tool name (argv[0] is the subcommand) and returns the exit status
 * of DESIGN.md.
 */
#ifndef KR_KSR_COMMANDS_H
#define KR_KSR_COMMANDS_H

/* ksr/cmd_inspect.c */
int ksr_cmd_validate(int argc, char **argv);
int ksr_cmd_show(int argc, char **argv);
int ksr_cmd_hash(int argc, char **argv);

/* ksr/cmd_generate.c, ksr/cmd_accept.c */
int ksr_cmd_generate(int argc, char **argv);
int ksr_cmd_accept(int argc, char **argv);
int ksr_cmd_bundle(int argc, char **argv);

#endif
