/*
 * commands.h - the subcommands of keyroll-hsm.  Each takes the arguments
 * after the tool name (argv[0] is the subcommand) and returns the exit status
 * of DESIGN.md.
 */
#ifndef KR_HSM_COMMANDS_H
#define KR_HSM_COMMANDS_H

int hsm_cmd_init(int argc, char **argv);
int hsm_cmd_keygen(int argc, char **argv);
int hsm_cmd_list(int argc, char **argv);
int hsm_cmd_export(int argc, char **argv);
int hsm_cmd_import(int argc, char **argv);
int hsm_cmd_delete(int argc, char **argv);
int hsm_cmd_selftest(int argc, char **argv);
int hsm_cmd_backup_kek(int argc, char **argv);
int hsm_cmd_backup(int argc, char **argv);
int hsm_cmd_restore(int argc, char **argv);

#endif
