#include <stdlib.h>
#include <string.h>

#include "lib/encode.h"
#include "lib/error.h"

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int kr_base64_encode(const uint8_t *in, size_t len, char **out)
{
	if (out == NULL || (in == NULL && len > 0))
		return KR_EINVAL;
	if (len > (SIZE_MAX / 4) - 3)
		return KR_ETOOBIG;
	size_t olen = ((len + 2) / 3) * 4;
	char *s = malloc(olen + 1);
	if (s == NULL)
		return KR_ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		s[o++] = b64chars[(v >> 18) & 63];
		s[o++] = b64chars[(v >> 12) & 63];
		s[o++] = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
		s[o++] = i + 2 < len ? b64chars[v & 63] : '=';
	}
	s[o] = '\0';
	*out = s;
	return KR_OK;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int kr_base64_decode(const char *in, size_t inlen, size_t cap, uint8_t **out, size_t *outlen)
{
	if (out == NULL || outlen == NULL || (in == NULL && inlen > 0))
		return KR_EINVAL;
	/* Worst case output size, before white space is removed. */
	size_t max = (inlen / 4) * 3 + 3;
	uint8_t *buf = malloc(max > 0 ? max : 1);
	if (buf == NULL)
		return KR_ENOMEM;
	int rc = KR_EMALFORMED;
	uint32_t acc = 0;
	size_t nchars = 0, npad = 0, o = 0;
	for (size_t i = 0; i < inlen; i++) {
		char c = in[i];
		if (is_space(c))
			continue;
		if (c == '=') {
			npad++;
			nchars++;
			continue;
		}
		int v = b64val(c);
		if (v < 0 || npad > 0)
			goto out; /* bad character, or data after padding */
		acc = (acc << 6) | (uint32_t)v;
		nchars++;
		if (nchars % 4 == 0) {
			buf[o++] = (uint8_t)(acc >> 16);
			buf[o++] = (uint8_t)(acc >> 8);
			buf[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (nchars % 4 != 0 || npad > 2)
		goto out;
	if (npad > 0) {
		/* The last quantum: 4 - npad data characters were accumulated. */
		size_t ndata = 4 - npad;
		if (ndata == 2) {
			if (acc & 0xf)
				goto out; /* non-zero trailing bits */
			buf[o++] = (uint8_t)(acc >> 4);
		} else {
			if (acc & 0x3)
				goto out;
			buf[o++] = (uint8_t)(acc >> 10);
			buf[o++] = (uint8_t)(acc >> 2);
		}
	}
	if (o > cap) {
		rc = KR_ETOOBIG;
		goto out;
	}
	*out = buf;
	*outlen = o;
	buf = NULL; /* transferred */
	rc = KR_OK;
out:
	free(buf);
	return rc;
}

int kr_hex_encode(const uint8_t *in, size_t len, int upper, char **out)
{
	if (out == NULL || (in == NULL && len > 0))
		return KR_EINVAL;
	if (len > SIZE_MAX / 2 - 1)
		return KR_ETOOBIG;
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char *s = malloc(len * 2 + 1);
	if (s == NULL)
		return KR_ENOMEM;
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = digits[in[i] >> 4];
		s[2 * i + 1] = digits[in[i] & 15];
	}
	s[len * 2] = '\0';
	*out = s;
	return KR_OK;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int kr_hex_decode(const char *in, size_t inlen, size_t cap, uint8_t **out, size_t *outlen)
{
	if (out == NULL || outlen == NULL || (in == NULL && inlen > 0))
		return KR_EINVAL;
	uint8_t *buf = malloc(inlen / 2 + 1);
	if (buf == NULL)
		return KR_ENOMEM;
	size_t o = 0;
	int hi = -1;
	for (size_t i = 0; i < inlen; i++) {
		if (is_space(in[i]))
			continue;
		int v = hexval(in[i]);
		if (v < 0) {
			free(buf);
			return KR_EMALFORMED;
		}
		if (hi < 0) {
			hi = v;
		} else {
			buf[o++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0) {
		free(buf);
		return KR_EMALFORMED;
	}
	if (o > cap) {
		free(buf);
		return KR_ETOOBIG;
	}
	*out = buf;
	*outlen = o;
	return KR_OK;
}
