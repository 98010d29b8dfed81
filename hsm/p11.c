#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/err.h>

#include "hsm/p11.h"
#include "lib/error.h"

#define SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"

/* Loaded modules of this process (single-threaded use). */
static struct kr_p11_module *modules;

const char *kr_p11_module_path(const char *path)
{
	if (path != NULL && *path != '\0')
		return path;
	const char *env = getenv("KEYROLL_PKCS11_MODULE");
	if (env != NULL && *env != '\0')
		return env;
	return SOFTHSM_MODULE;
}

int kr_p11_error(CK_RV rv)
{
	switch (rv) {
	case CKR_OK:
		return KR_OK;
	case CKR_HOST_MEMORY:
		return KR_ENOMEM;
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_LOCKED:
	case CKR_PIN_EXPIRED:
	case CKR_USER_NOT_LOGGED_IN:
		return KR_EPIN;
	case CKR_ATTRIBUTE_SENSITIVE:
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
	case CKR_KEY_UNEXTRACTABLE:
		return KR_EDENIED;
	case CKR_MECHANISM_INVALID:
	case CKR_CURVE_NOT_SUPPORTED:
	case CKR_KEY_SIZE_RANGE:
		return KR_EALG;
	default:
		return KR_EHSM;
	}
}

void kr_p11_string(const unsigned char *field, size_t size, char *buf, size_t bufsize)
{
	size_t n = size;
	while (n > 0 && (field[n - 1] == ' ' || field[n - 1] == '\0'))
		n--;
	if (n >= bufsize)
		n = bufsize - 1;
	memcpy(buf, field, n);
	buf[n] = '\0';
}

int kr_p11_module_get(const char *path, struct kr_p11_module **out, char *why, size_t why_size)
{
	struct kr_p11_module *m = NULL;
	int rc = KR_EHSM;
	snprintf(why, why_size, "%s", "");
	path = kr_p11_module_path(path);
	for (m = modules; m != NULL; m = m->next) {
		if (strcmp(m->path, path) == 0) {
			m->refs++;
			*out = m;
			return KR_OK;
		}
	}
	if (access(path, R_OK) != 0) {
		snprintf(why, why_size, "PKCS#11 module %s not found", path);
		return KR_EHSM;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL || (m->path = strdup(path)) == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	m->ctx = PKCS11_CTX_new();
	if (m->ctx == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	if (PKCS11_CTX_load(m->ctx, path) != 0) {
		snprintf(why, why_size, "cannot load PKCS#11 module %s (C_Initialize failed)", path);
		PKCS11_CTX_free(m->ctx);
		m->ctx = NULL;
		goto out;
	}
	/* The same library libp11 loaded: dlopen only takes a reference. */
	m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	CK_C_GetFunctionList getf = NULL;
	if (m->dl != NULL)
		*(void **)&getf = dlsym(m->dl, "C_GetFunctionList");
	if (getf == NULL || getf(&m->f) != CKR_OK || m->f == NULL) {
		snprintf(why, why_size, "PKCS#11 module %s has no usable C_GetFunctionList", path);
		goto out;
	}
	CK_RV rv = m->f->C_Initialize(NULL);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		snprintf(why, why_size, "PKCS#11 module %s: C_Initialize: 0x%lx", path, (unsigned long)rv);
		goto out;
	}
	m->refs = 1;
	m->next = modules;
	modules = m;
	*out = m;
	m = NULL; /* transferred */
	rc = KR_OK;
out:
	if (m != NULL) {
		if (m->ctx != NULL) {
			PKCS11_CTX_unload(m->ctx);
			PKCS11_CTX_free(m->ctx);
		}
		if (m->dl != NULL)
			dlclose(m->dl);
		free(m->path);
		free(m);
	}
	ERR_clear_error();
	return rc;
}

void kr_p11_module_retire_slots(struct kr_p11_module *m, PKCS11_SLOT *slots, unsigned n)
{
	struct kr_p11_slots *r = malloc(sizeof(*r));
	if (r == NULL) {
		PKCS11_release_all_slots(m->ctx, slots, n);
		return;
	}
	r->slots = slots;
	r->n = n;
	r->next = m->retired;
	m->retired = r;
}

void kr_p11_module_put(struct kr_p11_module *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	while (m->retired != NULL) {
		struct kr_p11_slots *r = m->retired;
		m->retired = r->next;
		PKCS11_release_all_slots(m->ctx, r->slots, r->n);
		free(r);
	}
	for (struct kr_p11_module **pp = &modules; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	/* libp11 initialised the module, so it finalises it. */
	PKCS11_CTX_unload(m->ctx);
	PKCS11_CTX_free(m->ctx);
	dlclose(m->dl);
	free(m->path);
	free(m);
}

int kr_p11_find(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG count,
		CK_OBJECT_HANDLE *handles, size_t max, size_t *n)
{
	CK_RV rv = f->C_FindObjectsInit(s, tmpl, count);
	if (rv != CKR_OK)
		return kr_p11_error(rv);
	size_t total = 0;
	int rc = KR_OK;
	for (;;) {
		CK_OBJECT_HANDLE batch[16];
		CK_ULONG got = 0;
		rv = f->C_FindObjects(s, batch, 16, &got);
		if (rv != CKR_OK) {
			rc = kr_p11_error(rv);
			break;
		}
		if (got == 0)
			break;
		for (CK_ULONG i = 0; i < got; i++, total++) {
			if (total < max)
				handles[total] = batch[i];
		}
	}
	f->C_FindObjectsFinal(s);
	*n = total;
	return rc;
}

int kr_p11_attr(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
		CK_ATTRIBUTE_TYPE type, uint8_t **out, size_t *len)
{
	CK_ATTRIBUTE a = {type, NULL, 0};
	CK_RV rv = f->C_GetAttributeValue(s, o, &a, 1);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID || a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return KR_ENOTFOUND;
	if (rv != CKR_OK)
		return kr_p11_error(rv);
	uint8_t *buf = calloc(1, a.ulValueLen + 1);
	if (buf == NULL)
		return KR_ENOMEM;
	a.pValue = buf;
	rv = f->C_GetAttributeValue(s, o, &a, 1);
	if (rv != CKR_OK) {
		free(buf);
		return kr_p11_error(rv);
	}
	*out = buf;
	*len = a.ulValueLen;
	return KR_OK;
}

int kr_p11_bool(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
		CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = CK_FALSE;
	CK_ATTRIBUTE a = {type, &v, sizeof(v)};
	if (f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK || a.ulValueLen != sizeof(v))
		return -1;
	return v ? 1 : 0;
}

/*
 * LeakSanitizer (only sanitizer builds read these hooks): SoftHSM 2.6.1
 * leaks a 37-byte ASN.1 string inside every CKM_EDDSA C_Sign (measured with
 * valgrind); it is the module's memory, not ours to free.  The module is
 * unloaded before the leak report, so the suppression names our caller,
 * p11_sign(), which allocates nothing itself; the slow unwinder is needed
 * to see past OpenSSL's frames (built without frame pointers).
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:p11_sign\n";
}

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}
