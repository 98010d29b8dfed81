/*
 * yamltext.c - screen YAML text before libfyaml parses it.
 */
#include "lib/yamltext.h"

#include <stdio.h>

#include "lib/errbuf.h"
#include "lib/error.h"

int kr_yaml_text_check(const char *text, size_t len, char *errbuf, size_t errlen)
{
	const unsigned char *s = (const unsigned char *)text;
	int line_start = 1;

	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n = c < 0x80		? 1
			   : (c & 0xe0) == 0xc0 ? 2
			   : (c & 0xf0) == 0xe0 ? 3
			   : (c & 0xf8) == 0xf0 ? 4
						: 0;

		if (c == '%' && line_start) {
			kr_errbuf(errbuf, errlen, "YAML directives (%%) are not accepted");
			return KR_EMALFORMED;
		}
		if (n == 0 || c == 0 || (n == 2 && c < 0xc2) || i + n > len) {
			kr_errbuf(errbuf, errlen, "not UTF-8 text (byte %zu)", i);
			return KR_EMALFORMED;
		}
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80) {
				kr_errbuf(errbuf, errlen, "not UTF-8 text (byte %zu)", i);
				return KR_EMALFORMED;
			}
		}
		/* YAML line breaks: LF, CR, and NEL, LS, PS in UTF-8. */
		line_start = c == '\n' || c == '\r' || (n == 2 && c == 0xc2 && s[i + 1] == 0x85) ||
			     (n == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
			      (s[i + 2] == 0xa8 || s[i + 2] == 0xa9));
		i += n;
	}
	return KR_OK;
}
