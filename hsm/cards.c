/*
 * Officer cards are not part of this build: activation by M of N crypto
 * officers (hsm/shares.c) replaces this file.  Until then a --card option
 * is refused rather than silently ignored.
 */
#include <openssl/crypto.h>

#include "hsm/cards.h"
#include "lib/cli.h"
#include "lib/error.h"

int kr_cards_pin(const char *const *cards, const char *token_label, char *pin, size_t size)
{
	(void)cards;
	(void)token_label;
	if (pin != NULL && size > 0)
		OPENSSL_cleanse(pin, size);
	kr_cli_error("officer cards need M-of-N share support, which this build lacks; "
		     "use --pin-file or KEYROLL_PIN");
	return KR_EINVAL;
}
