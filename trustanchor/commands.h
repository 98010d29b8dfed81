/*
 * commands.h - the subcommands of keyroll-trustanchor.  Each takes the
 * arguments after its name (argv[0] is the subcommand) and returns the exit
 * status of DESIGN.md.
 */
#ifndef KR_TA_COMMANDS_H
#define KR_TA_COMMANDS_H

int ta_cmd_publish(int argc, char **argv);
int ta_cmd_sign(int argc, char **argv);
int ta_cmd_verify(int argc, char **argv);
int ta_cmd_export(int argc, char **argv);
int sim_cmd_simulate(int argc, char **argv);
int sim_cmd_lint(int argc, char **argv);

#endif
