/*
 * encode.h - strict base64 (RFC 4648, with padding) and hex codecs.
 *
 * Decoders skip ASCII white space (XML and zone files wrap base64), reject any
 * other character, bad padding or non-canonical trailing bits, and never write
 * more than the caller's cap.
 */
#ifndef KR_ENCODE_H
#define KR_ENCODE_H

#include <stddef.h>
#include <stdint.h>

/* Base64 of len bytes into a new NUL-terminated string; caller frees with free(). */
int kr_base64_encode(const uint8_t *in, size_t len, char **out);

/*
 * Decode base64 text (inlen bytes; white space ignored) into a new buffer of
 * at most cap bytes.  *out is allocated (caller frees with free()) and *outlen
 * set.  Empty input decodes to a zero-length, non-NULL buffer.
 */
int kr_base64_decode(const char *in, size_t inlen, size_t cap, uint8_t **out, size_t *outlen);

/* Lowercase hex into a new string; caller frees.  upper != 0 gives uppercase. */
int kr_hex_encode(const uint8_t *in, size_t len, int upper, char **out);

/* Hex (either case, white space ignored) into a new buffer of at most cap bytes. */
int kr_hex_decode(const char *in, size_t inlen, size_t cap, uint8_t **out, size_t *outlen);

#endif
