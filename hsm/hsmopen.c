/*
 * Tool side of the keystore: where the PIN comes from (never argv), the
 * embedded SoftHSM2 token store, and one error: line per failure naming
 * the module, token or PIN source at fault.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hsm/cards.h"
#include "hsm/keystore.h"
#include "hsm/p11.h"
#include "lib/cli.h"
#include "lib/error.h"
#include "lib/fileio.h"

#define SOFTHSM_DEFAULT "/usr/lib/softhsm/libsofthsm2.so"
#define PIN_MAX 256

/* First line of a file, stream or terminal into buf; KR_ETOOBIG if longer. */
static int read_line(FILE *f, char *buf, size_t size)
{
	if (fgets(buf, (int)size, f) == NULL)
		return ferror(f) ? KR_ESYS : KR_ETRUNC;
	size_t n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == size - 1 && !feof(f))
		return KR_ETOOBIG;
	buf[n] = '\0';
	return KR_OK;
}

int kr_tty_secret(const char *prompt, char *buf, size_t size)
{
	FILE *tty = fopen("/dev/tty", "r+");
	if (tty == NULL)
		return KR_ESYS;
	struct termios old, quiet;
	int restore = 0, rc;
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		restore = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
	}
	fprintf(tty, "%s", prompt);
	fflush(tty);
	rc = read_line(tty, buf, size);
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	return rc;
}

int kr_pin_read(const char *pin_file, const char *prompt, char *buf, size_t size)
{
	if (buf == NULL || size < 2)
		return KR_EINVAL;
	int rc;
	const char *env = getenv("KEYROLL_PIN");
	if (pin_file != NULL) {
		FILE *f = fopen(pin_file, "r");
		if (f == NULL)
			return KR_ESYS;
		setvbuf(f, NULL, _IONBF, 0); /* no copy of the PIN in a stdio buffer */
		rc = read_line(f, buf, size);
		int saved = errno;
		fclose(f);
		errno = saved;
		if (rc == KR_ETRUNC)
			rc = KR_EMALFORMED; /* empty file */
	} else if (env != NULL) {
		size_t n = strlen(env);
		rc = n < size ? KR_OK : KR_ETOOBIG;
		if (rc == KR_OK)
			memcpy(buf, env, n + 1);
	} else {
		rc = kr_tty_secret(prompt != NULL ? prompt : "PIN: ", buf, size);
	}
	if (rc == KR_OK && buf[0] == '\0')
		rc = KR_EMALFORMED;
	if (rc)
		OPENSSL_cleanse(buf, size);
	return rc;
}

static int is_softhsm(const char *module)
{
	char a[PATH_MAX], b[PATH_MAX];
	if (strcmp(module, SOFTHSM_DEFAULT) == 0)
		return 1;
	return realpath(module, a) != NULL && realpath(SOFTHSM_DEFAULT, b) != NULL &&
	       strcmp(a, b) == 0;
}

int kr_hsm_embedded(const char *module, int create)
{
	module = kr_p11_module_path(module);
	if (getenv("SOFTHSM2_CONF") != NULL || !is_softhsm(module))
		return KR_OK;
	char cwd[PATH_MAX], conf[PATH_MAX + 32], tokens[PATH_MAX + 32], var[PATH_MAX + 32];
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return KR_ESYS;
	if (snprintf(var, sizeof(var), "%s/var", cwd) >= (int)sizeof(var) ||
	    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", var) >= (int)sizeof(conf) ||
	    snprintf(tokens, sizeof(tokens), "%s/tokens", var) >= (int)sizeof(tokens))
		return KR_ETOOBIG;
	if (access(conf, F_OK) != 0) {
		if (!create)
			return KR_ENOTFOUND;
		if ((mkdir(var, 0700) != 0 && errno != EEXIST) ||
		    (mkdir(tokens, 0700) != 0 && errno != EEXIST))
			return KR_ESYS;
		char text[PATH_MAX + 256];
		int n = snprintf(text, sizeof(text),
				 "# keyroll's embedded SoftHSM2 token store (keyroll-hsm init)\n"
				 "directories.tokendir = %s\n"
				 "objectstore.backend = file\n"
				 "log.level = ERROR\n"
				 "slots.removable = false\n",
				 tokens);
		if (n < 0 || n >= (int)sizeof(text))
			return KR_ETOOBIG;
		int rc = kr_write_file_atomic(conf, text, (size_t)n, 0600);
		if (rc)
			return rc;
	}
	return setenv("SOFTHSM2_CONF", conf, 1) == 0 ? KR_OK : KR_ESYS;
}

static const char *opts_token(const struct kr_hsm_opts *opts)
{
	return opts->token != NULL ? opts->token : getenv("KEYROLL_TOKEN");
}

int kr_hsm_connect(const struct kr_hsm_opts *opts, struct kr_keystore **out)
{
	if (opts == NULL || out == NULL)
		return KR_EINVAL;
	const char *module = kr_p11_module_path(opts->module);
	const char *token = opts_token(opts);
	struct kr_p11_module *m = NULL;
	struct kr_keystore *ks = NULL;
	char why[256];
	int rc;
	if (token == NULL || *token == '\0') {
		kr_cli_error("no token given: use --token LABEL or set KEYROLL_TOKEN");
		return KR_EINVAL;
	}
	rc = kr_hsm_embedded(module, 0);
	if (rc == KR_ENOTFOUND) {
		kr_cli_error("no token store: SOFTHSM2_CONF is unset and ./var/softhsm2.conf does "
			     "not exist (run 'keyroll-hsm init' here first)");
		return KR_EHSM;
	}
	if (rc) {
		kr_cli_fail(rc, "setting up the embedded token store ./var");
		return rc;
	}
	/* Load the module here to name the reason if it fails. */
	rc = kr_p11_module_get(module, &m, why, sizeof(why));
	if (rc) {
		kr_cli_error("%s", why);
		return rc;
	}
	struct kr_keystore_opts ko = {.module = module, .token_label = token};
	rc = kr_keystore_open(&ko, &ks);
	kr_p11_module_put(m);
	if (rc == KR_ENOTFOUND) {
		kr_cli_error("no token labelled '%s' in %s", token, module);
		return KR_EHSM;
	}
	if (rc == KR_EEXIST) {
		kr_cli_error("several tokens are labelled '%s' in %s", token, module);
		return KR_EHSM;
	}
	if (rc) {
		kr_cli_fail(rc, "opening token '%s'", token);
		return rc;
	}
	*out = ks;
	return KR_OK;
}

int kr_hsm_login(struct kr_keystore *ks, const struct kr_hsm_opts *opts)
{
	if (ks == NULL || opts == NULL)
		return KR_EINVAL;
	const char *token = opts_token(opts);
	char pin[PIN_MAX];
	int rc;
	if (opts->cards != NULL && opts->cards[0] != NULL) {
		/* the cards must be this very token's: check its serial before login */
		struct kr_tokeninfo ti;
		rc = kr_keystore_info(ks, &ti);
		if (rc)
			kr_cli_fail(rc, "reading the serial of token '%s'", token);
		else
			rc = kr_cards_pin_serial(opts->cards, token, ti.serial, pin, sizeof(pin));
	} else {
		char prompt[128];
		snprintf(prompt, sizeof(prompt), "User PIN for token '%s': ", token);
		struct stat st;
		if (opts->pin_file != NULL && stat(opts->pin_file, &st) == 0 && (st.st_mode & 077))
			kr_cli_warn("PIN file %s can be read by other users (mode %03o); chmod 600 it",
				    opts->pin_file, (unsigned)(st.st_mode & 0777));
		rc = kr_pin_read(opts->pin_file, prompt, pin, sizeof(pin));
		if (rc) {
			const char *src = opts->pin_file != NULL	   ? opts->pin_file
					  : getenv("KEYROLL_PIN") != NULL ? "$KEYROLL_PIN"
									  : "/dev/tty";
			kr_cli_fail(rc, "reading the PIN from %s", src);
		}
	}
	if (rc == KR_OK) {
		rc = kr_keystore_login(ks, pin);
		OPENSSL_cleanse(pin, sizeof(pin));
		if (rc == KR_EPIN)
			kr_cli_error("login to token '%s' refused: wrong PIN (or PIN locked)", token);
		else if (rc)
			kr_cli_fail(rc, "login to token '%s'", token);
	}
	return rc;
}

int kr_hsm_open(const struct kr_hsm_opts *opts, struct kr_keystore **out)
{
	struct kr_keystore *ks = NULL;
	int rc = kr_hsm_connect(opts, &ks);
	if (rc)
		return rc;
	if ((rc = kr_hsm_login(ks, opts)) != KR_OK) {
		kr_keystore_close(ks);
		return rc;
	}
	*out = ks;
	return KR_OK;
}
