/*
 * p11.h - the raw PKCS#11 layer under the keystore (internal to hsm/).
 *
 * A module is loaded once per process and path: libp11 owns C_Initialize
 * (and C_Finalize when the last user unloads it); the raw function list is
 * taken from the same, already loaded library, so both share one
 * initialised module.  The raw side never calls C_Finalize.
 */
#ifndef KR_HSM_P11_H
#define KR_HSM_P11_H

#include <stddef.h>
#include <stdint.h>

#include <libp11.h>
#include <p11-kit/pkcs11.h>

/* Slot lists of closed keystores, released with the module (see below). */
struct kr_p11_slots {
	PKCS11_SLOT *slots;
	unsigned n;
	struct kr_p11_slots *next;
};

struct kr_p11_module {
	char *path;
	PKCS11_CTX *ctx;
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	unsigned refs;
	struct kr_p11_slots *retired;
	struct kr_p11_module *next;
};

/* Load path (or reuse the loaded module); KR_EHSM with a reason in why. */
int kr_p11_module_get(const char *path, struct kr_p11_module **out, char *why, size_t why_size);
/*
 * Hand over a keystore's libp11 slot list.  libp11 releases a slot with
 * C_CloseAllSessions, which would also close the sessions of other
 * keystores on the same token in this process; so the lists are released
 * only when the last reference to the module goes.  On failure to record
 * it, the list is released at once (a leak would be worse than that).
 */
void kr_p11_module_retire_slots(struct kr_p11_module *m, PKCS11_SLOT *slots, unsigned n);
/* Drop one reference; the last one releases retired slots and unloads the
 * module.  NULL-safe. */
void kr_p11_module_put(struct kr_p11_module *m);

/* The module to use: path if set, else $KEYROLL_PKCS11_MODULE, else SoftHSM2's. */
const char *kr_p11_module_path(const char *path);

/* Map a PKCS#11 return value to a KR_E* code. */
int kr_p11_error(CK_RV rv);

/* A fixed-size, blank-padded PKCS#11 string (label, serial) without the padding. */
void kr_p11_string(const unsigned char *field, size_t size, char *buf, size_t bufsize);

/* Up to max object handles matching tmpl; *n is the number found (which
 * may exceed max: the rest are not returned). */
int kr_p11_find(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG count,
		CK_OBJECT_HANDLE *handles, size_t max, size_t *n);

/* One attribute value, allocated (caller frees with free(); it is NUL
 * terminated past *len).  KR_ENOTFOUND if the object lacks it. */
int kr_p11_attr(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
		CK_ATTRIBUTE_TYPE type, uint8_t **out, size_t *len);
/* A CK_BBOOL attribute: 1, 0, or -1 when the token does not report it. */
int kr_p11_bool(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
		CK_ATTRIBUTE_TYPE type);

#endif
