/*
 * cbor.h - canonical CBOR on top of libcbor, for audit records, officer
 * cards and backup containers.
 *
 * Writing: integers get the shortest encoding (kr_cbor_uint), strings and
 * containers are definite-length, maps are built in a fixed key order by the
 * caller, so one value has exactly one encoding and hashes over it are stable.
 *
 * Reading: kr_cbor_decode() accepts only that canonical subset (unsigned
 * integers, byte and text strings, arrays, maps, booleans; shortest heads;
 * definite lengths; nesting at most KR_CBOR_MAX_DEPTH; declared lengths
 * checked against the bytes present before anything is allocated) and
 * rejects trailing bytes.  Map getters refuse duplicate keys.
 */
#ifndef KR_CBOR_H
#define KR_CBOR_H

#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

#define KR_CBOR_MAX_DEPTH 16

/* An unsigned integer item with the shortest width; NULL on allocation failure. */
cbor_item_t *kr_cbor_uint(uint64_t v);
/* A text string item (copied); NULL on failure. */
cbor_item_t *kr_cbor_text(const char *s);
/* A byte string item (copied); NULL on failure. */
cbor_item_t *kr_cbor_bytes(const uint8_t *data, size_t len);

/* Add key -> value to a definite map built with cbor_new_definite_map().
 * Always consumes the caller's reference to value (also on failure and when
 * value is NULL, which gives KR_ENOMEM). */
int kr_cbor_put(cbor_item_t *map, const char *key, cbor_item_t *value);
/* Append value to a definite array; consumes value like kr_cbor_put. */
int kr_cbor_push(cbor_item_t *array, cbor_item_t *value);

/* Serialize item; *out is allocated (caller frees with free()). */
int kr_cbor_encode(const cbor_item_t *item, uint8_t **out, size_t *len);

/*
 * Length of the first canonical item in buf (KR_ETRUNC if it is cut short,
 * KR_EMALFORMED if it is not in the accepted subset).  For record sequences.
 */
int kr_cbor_item_len(const uint8_t *buf, size_t len, size_t *item_len);
/* Decode exactly one canonical item filling buf; caller cbor_decref()s *out. */
int kr_cbor_decode(const uint8_t *buf, size_t len, cbor_item_t **out);

/*
 * Map getters.  kr_cbor_get returns the value for key or NULL (absent, map is
 * not a map, or the key appears twice: *dup set when dup is non-NULL).
 * The typed getters return KR_ENOTFOUND when the key is absent,
 * KR_EMALFORMED for a wrong type or duplicate key, KR_ERANGE when a number
 * exceeds max or a string exceeds its cap.
 */
cbor_item_t *kr_cbor_get(const cbor_item_t *map, const char *key, int *dup);
int kr_cbor_get_uint(const cbor_item_t *map, const char *key, uint64_t max, uint64_t *out);
/* A text string without NUL bytes, copied NUL-terminated; caller frees. */
int kr_cbor_get_text(const cbor_item_t *map, const char *key, size_t cap, char **out);
/* A byte string, copied; caller frees (and wipes if secret). */
int kr_cbor_get_bytes(const cbor_item_t *map, const char *key, size_t cap, uint8_t **out,
		      size_t *len);
/* Text string item contents (NUL-terminated copy); for array elements. */
int kr_cbor_text_dup(const cbor_item_t *item, size_t cap, char **out);

/*
 * Check a map's shape: its keys must be text, drawn from keys[0..n) and in
 * that order; a key written with a leading '?' ("?exception") is optional,
 * every other one required.  KR_EMALFORMED otherwise (unknown, missing,
 * repeated or misordered key, or not a map).
 */
int kr_cbor_map_check(const cbor_item_t *map, const char *const *keys, size_t n);

#endif
