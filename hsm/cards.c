/*
 * Officer and recovery cards on disk: reading, unsealing, combining and
 * writing them, with one error: line naming the file or officer at fault.
 * The rebuilt secret lives only in the caller's buffer, wiped on every
 * failure path here; cards are wiped before returning.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hsm/cards.h"
#include "hsm/keystore.h"
#include "lib/cli.h"
#include "lib/error.h"
#include "lib/fileio.h"

#define MAX_CARDS 255
#define PASS_MAX 256

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* The passphrase for card file path: $KEYROLL_PASSPHRASE_DIR/NAME.pass or
 * the terminal (twice when confirm is set). */
static int passphrase(const char *path, const struct kr_card *c, int confirm, char *buf,
		      size_t size)
{
	const char *dir = getenv("KEYROLL_PASSPHRASE_DIR");
	char file[4096], prompt[384], again[PASS_MAX];
	int rc;
	if (dir != NULL) {
		if (snprintf(file, sizeof(file), "%s/%s.pass", dir, base_name(path)) >= (int)sizeof(file))
			return KR_ETOOBIG;
		rc = kr_pin_read(file, NULL, buf, size);
		if (rc != KR_OK)
			kr_cli_fail(rc, "reading the passphrase for %s from %s", path, file);
		return rc;
	}
	snprintf(prompt, sizeof(prompt), "Passphrase for %s card %u of %u (%s): ", c->kind, c->index,
		 c->count, c->name);
	rc = kr_tty_secret(prompt, buf, size);
	if (rc == KR_OK && buf[0] == '\0')
		rc = KR_EMALFORMED;
	if (rc == KR_OK && confirm) {
		rc = kr_tty_secret("Again: ", again, sizeof(again));
		if (rc == KR_OK && strcmp(again, buf) != 0)
			rc = KR_ECANCEL;
		OPENSSL_cleanse(again, sizeof(again));
	}
	if (rc != KR_OK) {
		OPENSSL_cleanse(buf, size);
		kr_cli_fail(rc, "reading the passphrase for %s from the terminal%s", path,
			    rc == KR_ECANCEL ? " (the two entries differ)" : "");
	}
	return rc;
}

int kr_cards_read(const char *const *paths, size_t n, const char *kind, struct kr_card *cards)
{
	char pass[PASS_MAX];
	for (size_t i = 0; i < n; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;
		int rc = kr_read_file(paths[i], KR_CARD_MAX_SIZE, &buf, &len);
		if (rc != KR_OK) {
			kr_cli_fail(rc, "reading card %s", paths[i]);
			return rc;
		}
		rc = kr_card_decode(buf, len, &cards[i]);
		OPENSSL_clear_free(buf, len);
		if (rc != KR_OK) {
			kr_cli_error("%s is not a keyroll %s card (%s)", paths[i], kind, kr_strerror(rc));
			return KR_EMALFORMED;
		}
		if (strcmp(cards[i].kind, kind) != 0) {
			kr_cli_error("%s is a %s card, not a %s card", paths[i], cards[i].kind, kind);
			return KR_EDENIED;
		}
		if (!cards[i].sealed)
			continue;
		if ((rc = passphrase(paths[i], &cards[i], 0, pass, sizeof(pass))) != KR_OK)
			return rc;
		rc = kr_card_unseal(&cards[i], pass);
		OPENSSL_cleanse(pass, sizeof(pass));
		if (rc == KR_EPIN) {
			kr_cli_error("wrong passphrase for %s (card %u, %s), or the card was altered",
				     paths[i], cards[i].index, cards[i].name);
			return rc;
		}
		if (rc != KR_OK) {
			kr_cli_fail(rc, "unsealing %s", paths[i]);
			return rc;
		}
	}
	return KR_OK;
}

int kr_cards_pin_serial(const char *const *paths, const char *token_label, const char *serial,
			char *pin, size_t size)
{
	size_t n = 0;
	uint8_t secret[KR_SHARE_MAX];
	size_t len = 0;
	char why[256];
	int rc;
	while (paths != NULL && paths[n] != NULL)
		n++;
	if (n == 0 || n > MAX_CARDS || pin == NULL || size == 0)
		return KR_EINVAL;
	struct kr_card *cards = OPENSSL_zalloc(n * sizeof(*cards));
	if (cards == NULL)
		return KR_ENOMEM;
	OPENSSL_cleanse(pin, size);
	rc = kr_cards_read(paths, n, "officer", cards);
	for (size_t i = 0; rc == KR_OK && token_label != NULL && i < n; i++)
		if (strcmp(cards[i].token, token_label) != 0) {
			kr_cli_error("%s is a card for token '%s', not '%s'", paths[i], cards[i].token,
				     token_label);
			rc = KR_EDENIED;
		}
	if (rc == KR_OK) {
		rc = kr_cards_combine(cards, n, "officer", serial, secret, &len, why, sizeof(why));
		if (rc != KR_OK)
			kr_cli_error("officer cards: %s", why);
	}
	if (rc == KR_OK && (len >= size || memchr(secret, 0, len) != NULL)) {
		kr_cli_error("officer cards: the rebuilt PIN does not fit");
		rc = KR_ERANGE;
	}
	if (rc == KR_OK) {
		memcpy(pin, secret, len);
		pin[len] = '\0';
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	for (size_t i = 0; i < n; i++)
		kr_card_wipe(&cards[i]);
	OPENSSL_free(cards);
	if (rc != KR_OK)
		OPENSSL_cleanse(pin, size);
	return rc;
}

int kr_cards_pin(const char *const *cards, const char *token_label, char *pin, size_t size)
{
	return kr_cards_pin_serial(cards, token_label, NULL, pin, size);
}

int kr_cards_free(const char *dir, const char *prefix, unsigned n)
{
	char path[4096];
	for (unsigned i = 1; i <= n; i++) {
		if (snprintf(path, sizeof(path), "%s/%s-%u.card", dir, prefix, i) >= (int)sizeof(path)) {
			kr_cli_error("card path %s/%s-%u.card is too long", dir, prefix, i);
			return KR_ETOOBIG;
		}
		if (access(path, F_OK) == 0) {
			kr_cli_error("%s exists already: cards are never overwritten", path);
			return KR_EEXIST;
		}
	}
	return KR_OK;
}

static int write_card(const char *path, struct kr_card *card, int seal)
{
	char pass[PASS_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = KR_OK;
	if (seal) {
		if ((rc = passphrase(path, card, 1, pass, sizeof(pass))) != KR_OK)
			return rc;
		rc = kr_card_seal(card, pass);
		OPENSSL_cleanse(pass, sizeof(pass));
		if (rc != KR_OK) {
			kr_cli_fail(rc, "sealing %s", path);
			return rc;
		}
	}
	rc = kr_card_encode(card, &buf, &len);
	if (rc == KR_OK)
		rc = kr_write_file_atomic(path, buf, len, 0600);
	if (buf != NULL)
		OPENSSL_clear_free(buf, len);
	if (rc != KR_OK)
		kr_cli_fail(rc, "writing %s", path);
	else
		printf("wrote %s card %u of %u for %s: %s%s\n", card->kind, card->index, card->count,
		       card->name, path, seal ? " (sealed)" : "");
	return rc;
}

int kr_cards_issue(const uint8_t *secret, size_t len, const char *kind, unsigned m, unsigned n,
		   const char *const *names, size_t nnames, const char *token, const char *serial,
		   const char *dir, const char *prefix, int seal)
{
	if (n == 0 || n > MAX_CARDS)
		return KR_EINVAL;
	char path[4096], (*holder)[128] = calloc(n, sizeof(*holder));
	const char **hv = calloc(n, sizeof(*hv));
	struct kr_card *cards = OPENSSL_zalloc(n * sizeof(*cards));
	int rc = holder && hv && cards ? KR_OK : KR_ENOMEM;
	for (unsigned i = 0; rc == KR_OK && i < n; i++) {
		if (i < nnames)
			snprintf(holder[i], sizeof(holder[i]), "%s", names[i]);
		else
			snprintf(holder[i], sizeof(holder[i]), "%s %u",
				 strcmp(kind, "officer") == 0 ? "officer" : "holder", i + 1);
		hv[i] = holder[i];
	}
	if (rc == KR_OK && (rc = kr_cards_free(dir, prefix, n)) != KR_OK)
		goto out;
	if (rc == KR_OK && (rc = kr_cards_split(secret, len, m, n, kind, hv, token, serial, cards)) != KR_OK)
		kr_cli_fail(rc, "splitting the secret into %s cards", kind);
	if (rc == KR_OK && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = KR_ESYS;
		kr_cli_fail(rc, "creating the card directory %s", dir);
	}
	for (unsigned i = 0; rc == KR_OK && i < n; i++) {
		if (snprintf(path, sizeof(path), "%s/%s-%u.card", dir, prefix, cards[i].index) >=
		    (int)sizeof(path))
			rc = KR_ETOOBIG;
		else
			rc = write_card(path, &cards[i], seal);
	}
out:
	for (unsigned i = 0; cards != NULL && i < n; i++)
		kr_card_wipe(&cards[i]);
	OPENSSL_free(cards);
	free(hv);
	free(holder);
	return rc;
}
