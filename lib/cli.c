#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "lib/cli.h"
#include "lib/error.h"

static void vmsg(const char *tag, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void kr_cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
}

void kr_cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning", fmt, ap);
	va_end(ap);
}

int kr_cli_fail(int rc, const char *fmt, ...)
{
	int saved = errno;
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (rc == KR_ESYS) {
		fprintf(stderr, "error: %s: %s\n", what, strerror(saved));
	} else if (rc == KR_ECRYPTO) {
		unsigned long e = ERR_peek_last_error();
		char reason[256] = "no details";
		if (e != 0)
			ERR_error_string_n(e, reason, sizeof(reason));
		fprintf(stderr, "error: %s: %s: %s\n", what, kr_strerror(rc), reason);
	} else {
		fprintf(stderr, "error: %s: %s\n", what, kr_strerror(rc));
	}
	ERR_clear_error();
	return kr_exit_status(rc);
}

int kr_cli_confirm(const char *prompt)
{
	FILE *tty = fopen("/dev/tty", "r+");
	if (tty == NULL)
		return KR_ESYS;
	fprintf(tty, "%s [type Yes to continue] ", prompt);
	fflush(tty);
	char line[64];
	int rc = KR_ECANCEL;
	if (fgets(line, sizeof(line), tty) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "Yes") == 0)
			rc = KR_OK;
	}
	fclose(tty);
	return rc;
}

int kr_cli_finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "error: writing standard output: %s\n", strerror(errno));
		return status ? status : KR_EXIT_ENV;
	}
	return status;
}

static void usage(FILE *f, const char *tool, const char *purpose,
		  const struct kr_cli_command *cmds)
{
	fprintf(f, "usage: %s COMMAND [OPTIONS]\n%s\n\ncommands:\n", tool, purpose);
	for (const struct kr_cli_command *c = cmds; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f, "\n'%s COMMAND --help' describes a command; see %s(1).\n", tool, tool);
}

int kr_cli_dispatch(const char *tool, const char *purpose, const struct kr_cli_command *cmds,
		    int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr, tool, purpose, cmds);
		return KR_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout, tool, purpose, cmds);
		return kr_cli_finish(KR_EXIT_OK);
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("%s (keyroll) %s\n", tool, KEYROLL_VERSION);
		return kr_cli_finish(KR_EXIT_OK);
	}
	for (const struct kr_cli_command *c = cmds; c->name; c++) {
		if (strcmp(c->name, cmd) == 0)
			return kr_cli_finish(c->fn(argc - 1, argv + 1));
	}
	kr_cli_error("unknown command '%s'", cmd);
	usage(stderr, tool, purpose, cmds);
	return KR_EXIT_USAGE;
}
