#include <stdlib.h>
#include <string.h>

#include "lib/cbor.h"
#include "lib/error.h"

cbor_item_t *kr_cbor_uint(uint64_t v)
{
	if (v <= UINT8_MAX)
		return cbor_build_uint8((uint8_t)v);
	if (v <= UINT16_MAX)
		return cbor_build_uint16((uint16_t)v);
	if (v <= UINT32_MAX)
		return cbor_build_uint32((uint32_t)v);
	return cbor_build_uint64(v);
}

cbor_item_t *kr_cbor_text(const char *s)
{
	return s ? cbor_build_stringn(s, strlen(s)) : NULL;
}

cbor_item_t *kr_cbor_bytes(const uint8_t *data, size_t len)
{
	static const uint8_t empty[1];
	return cbor_build_bytestring(data ? data : empty, len);
}

int kr_cbor_put(cbor_item_t *map, const char *key, cbor_item_t *value)
{
	int rc = KR_ENOMEM;
	cbor_item_t *k = kr_cbor_text(key);
	if (k != NULL && value != NULL &&
	    cbor_map_add(map, (struct cbor_pair){.key = k, .value = value}))
		rc = KR_OK;
	if (k != NULL)
		cbor_decref(&k);
	if (value != NULL)
		cbor_decref(&value);
	return rc;
}

int kr_cbor_push(cbor_item_t *array, cbor_item_t *value)
{
	if (value == NULL)
		return KR_ENOMEM;
	int rc = cbor_array_push(array, value) ? KR_OK : KR_ENOMEM;
	cbor_decref(&value);
	return rc;
}

int kr_cbor_encode(const cbor_item_t *item, uint8_t **out, size_t *len)
{
	if (item == NULL || out == NULL || len == NULL)
		return KR_EINVAL;
	unsigned char *buf = NULL;
	size_t size = 0;
	size_t n = cbor_serialize_alloc(item, &buf, &size);
	if (n == 0) {
		free(buf);
		return KR_ENOMEM;
	}
	*out = buf;
	*len = n;
	return KR_OK;
}

/* --- validation pass ------------------------------------------------------ */

/*
 * The streaming decoder reports one head per call; the callbacks note what it
 * was so the loop can check the head is the shortest one and track how many
 * items each open container still expects.
 */
struct scan {
	int bad;           /* a head outside the canonical subset */
	uint64_t arg;      /* integer value, string length or container size */
	uint64_t strlen;   /* payload bytes that follow the head (strings) */
	uint64_t children; /* items a container head opens */
};

static void on_u8(void *c, uint8_t v) { ((struct scan *)c)->arg = v; }
static void on_u16(void *c, uint16_t v) { ((struct scan *)c)->arg = v; }
static void on_u32(void *c, uint32_t v) { ((struct scan *)c)->arg = v; }
static void on_u64(void *c, uint64_t v) { ((struct scan *)c)->arg = v; }
static void on_bad(void *c) { ((struct scan *)c)->bad = 1; }
static void on_bad64(void *c, uint64_t v) { (void)v; ((struct scan *)c)->bad = 1; }
static void on_bad32(void *c, uint32_t v) { (void)v; ((struct scan *)c)->bad = 1; }
static void on_bad16(void *c, uint16_t v) { (void)v; ((struct scan *)c)->bad = 1; }
static void on_bad8(void *c, uint8_t v) { (void)v; ((struct scan *)c)->bad = 1; }
static void on_badf(void *c, float v) { (void)v; ((struct scan *)c)->bad = 1; }
static void on_badd(void *c, double v) { (void)v; ((struct scan *)c)->bad = 1; }
static void on_bool(void *c, bool v) { (void)v; ((struct scan *)c)->arg = 0; }

static void on_string(void *c, cbor_data d, size_t len)
{
	(void)d;
	struct scan *s = c;
	s->arg = len;
	s->strlen = len;
}

static void on_array(void *c, size_t n)
{
	struct scan *s = c;
	s->arg = n;
	s->children = n;
}

static void on_map(void *c, size_t n)
{
	struct scan *s = c;
	s->arg = n;
	s->children = (uint64_t)n * 2;
	if (n > UINT64_MAX / 2)
		s->bad = 1;
}

static const struct cbor_callbacks scan_callbacks = {
	.uint8 = on_u8,
	.uint16 = on_u16,
	.uint32 = on_u32,
	.uint64 = on_u64,
	.negint8 = on_bad8,
	.negint16 = on_bad16,
	.negint32 = on_bad32,
	.negint64 = on_bad64,
	.byte_string_start = on_bad,
	.byte_string = on_string,
	.string = on_string,
	.string_start = on_bad,
	.indef_array_start = on_bad,
	.array_start = on_array,
	.indef_map_start = on_bad,
	.map_start = on_map,
	.tag = on_bad64,
	.float2 = on_badf,
	.float4 = on_badf,
	.float8 = on_badd,
	.undefined = on_bad,
	.null = on_bad,
	.boolean = on_bool,
	.indef_break = on_bad,
};

static size_t head_len(uint64_t arg)
{
	if (arg < 24)
		return 1;
	if (arg <= UINT8_MAX)
		return 2;
	if (arg <= UINT16_MAX)
		return 3;
	if (arg <= UINT32_MAX)
		return 5;
	return 9;
}

int kr_cbor_item_len(const uint8_t *buf, size_t len, size_t *item_len)
{
	if ((buf == NULL && len > 0) || item_len == NULL)
		return KR_EINVAL;
	uint64_t pending[KR_CBOR_MAX_DEPTH + 1]; /* items still expected per level */
	size_t depth = 0, pos = 0;
	pending[0] = 1;
	while (depth > 0 || pending[0] > 0) {
		if (pos >= len)
			return KR_ETRUNC;
		struct scan s = {0};
		struct cbor_decoder_result r =
			cbor_stream_decode(buf + pos, len - pos, &scan_callbacks, &s);
		if (r.status == CBOR_DECODER_NEDATA)
			return KR_ETRUNC;
		if (r.status != CBOR_DECODER_FINISHED || s.bad)
			return KR_EMALFORMED;
		/* the shortest head for its argument (booleans: one byte) */
		if (r.read != head_len(s.arg) + s.strlen)
			return KR_EMALFORMED;
		pos += r.read;
		pending[depth]--;
		if (s.children > 0) {
			/* Every child takes at least one byte: refuse sizes the
			 * buffer cannot hold before anyone allocates for them. */
			if (s.children > len - pos)
				return KR_ETRUNC;
			if (depth == KR_CBOR_MAX_DEPTH)
				return KR_EMALFORMED;
			pending[++depth] = s.children;
		}
		while (depth > 0 && pending[depth] == 0)
			depth--;
	}
	*item_len = pos;
	return KR_OK;
}

int kr_cbor_decode(const uint8_t *buf, size_t len, cbor_item_t **out)
{
	if (out == NULL)
		return KR_EINVAL;
	size_t n = 0;
	int rc = kr_cbor_item_len(buf, len, &n);
	if (rc != KR_OK)
		return rc;
	if (n != len)
		return KR_EMALFORMED; /* trailing bytes */
	struct cbor_load_result res;
	cbor_item_t *item = cbor_load(buf, len, &res);
	if (item == NULL)
		return res.error.code == CBOR_ERR_MEMERROR ? KR_ENOMEM : KR_EMALFORMED;
	if (res.read != len) {
		cbor_decref(&item);
		return KR_EMALFORMED;
	}
	*out = item;
	return KR_OK;
}

/* --- getters --------------------------------------------------------------- */

static int key_is(const cbor_item_t *k, const char *key)
{
	size_t n = strlen(key);
	return cbor_isa_string(k) && cbor_string_is_definite(k) && cbor_string_length(k) == n &&
	       memcmp(cbor_string_handle(k), key, n) == 0;
}

cbor_item_t *kr_cbor_get(const cbor_item_t *map, const char *key, int *dup)
{
	if (dup != NULL)
		*dup = 0;
	if (map == NULL || !cbor_isa_map(map))
		return NULL;
	struct cbor_pair *pairs = cbor_map_handle(map);
	size_t n = cbor_map_size(map);
	cbor_item_t *found = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!key_is(pairs[i].key, key))
			continue;
		if (found != NULL) {
			if (dup != NULL)
				*dup = 1;
			return NULL;
		}
		found = pairs[i].value;
	}
	return found;
}

static int lookup(const cbor_item_t *map, const char *key, cbor_item_t **v)
{
	int dup = 0;
	*v = kr_cbor_get(map, key, &dup);
	if (dup || map == NULL || !cbor_isa_map(map))
		return KR_EMALFORMED;
	return *v ? KR_OK : KR_ENOTFOUND;
}

int kr_cbor_get_uint(const cbor_item_t *map, const char *key, uint64_t max, uint64_t *out)
{
	cbor_item_t *v = NULL;
	int rc = lookup(map, key, &v);
	if (rc != KR_OK)
		return rc;
	if (!cbor_isa_uint(v))
		return KR_EMALFORMED;
	uint64_t x = cbor_get_int(v);
	if (x > max)
		return KR_ERANGE;
	*out = x;
	return KR_OK;
}

int kr_cbor_text_dup(const cbor_item_t *item, size_t cap, char **out)
{
	if (item == NULL || !cbor_isa_string(item) || !cbor_string_is_definite(item))
		return KR_EMALFORMED;
	size_t n = cbor_string_length(item);
	if (n > cap)
		return KR_ERANGE;
	const unsigned char *p = cbor_string_handle(item);
	if (n > 0 && memchr(p, 0, n) != NULL)
		return KR_EMALFORMED;
	char *s = malloc(n + 1);
	if (s == NULL)
		return KR_ENOMEM;
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	*out = s;
	return KR_OK;
}

int kr_cbor_get_text(const cbor_item_t *map, const char *key, size_t cap, char **out)
{
	cbor_item_t *v = NULL;
	int rc = lookup(map, key, &v);
	return rc != KR_OK ? rc : kr_cbor_text_dup(v, cap, out);
}

int kr_cbor_get_bytes(const cbor_item_t *map, const char *key, size_t cap, uint8_t **out,
		      size_t *len)
{
	cbor_item_t *v = NULL;
	int rc = lookup(map, key, &v);
	if (rc != KR_OK)
		return rc;
	if (!cbor_isa_bytestring(v) || !cbor_bytestring_is_definite(v))
		return KR_EMALFORMED;
	size_t n = cbor_bytestring_length(v);
	if (n > cap)
		return KR_ERANGE;
	uint8_t *b = malloc(n ? n : 1);
	if (b == NULL)
		return KR_ENOMEM;
	if (n > 0)
		memcpy(b, cbor_bytestring_handle(v), n);
	*out = b;
	*len = n;
	return KR_OK;
}

int kr_cbor_map_check(const cbor_item_t *map, const char *const *keys, size_t n)
{
	if (map == NULL || !cbor_isa_map(map) || !cbor_map_is_definite(map))
		return KR_EMALFORMED;
	struct cbor_pair *pairs = cbor_map_handle(map);
	size_t np = cbor_map_size(map), k = 0;
	for (size_t i = 0; i < np; i++) {
		/* advance through the allowed keys; skipped ones must be optional */
		for (;;) {
			if (k == n)
				return KR_EMALFORMED;
			const char *name = keys[k][0] == '?' ? keys[k] + 1 : keys[k];
			k++;
			if (key_is(pairs[i].key, name))
				break;
			if (keys[k - 1][0] != '?')
				return KR_EMALFORMED;
		}
	}
	for (; k < n; k++)
		if (keys[k][0] != '?')
			return KR_EMALFORMED;
	return KR_OK;
}
