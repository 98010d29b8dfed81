/*
 * error.h - the one error enum of libkeyroll.
 *
 * Every library function that can fail returns an int: 0 (KR_OK) on success,
 * or one of the negative codes below.  The library never prints or exits; the
 * tools map a code to an exit status with kr_exit_status() and to text with
 * kr_strerror().  KR_ESYS means "see errno", KR_ECRYPTO "see the OpenSSL
 * error queue".
 */
#ifndef KR_ERROR_H
#define KR_ERROR_H

enum kr_error {
	KR_OK = 0,
	KR_ENOMEM = -1,     /* allocation failed */
	KR_EINVAL = -2,     /* invalid argument (programming or usage error) */
	KR_EMALFORMED = -3, /* input is malformed (syntax, encoding) */
	KR_ERANGE = -4,     /* a value is out of its allowed range */
	KR_ETRUNC = -5,     /* input ended early */
	KR_ETOOBIG = -6,    /* input or output exceeds a size cap */
	KR_EALG = -7,       /* unknown or unsupported algorithm */
	KR_EBADSIG = -8,    /* a signature does not verify */
	KR_ENOTFOUND = -9,  /* the named thing does not exist */
	KR_EEXIST = -10,    /* the named thing exists already */
	KR_ESYS = -11,      /* system call failed: see errno */
	KR_ECRYPTO = -12,   /* OpenSSL failed: see its error queue */
	KR_EHSM = -13,      /* the PKCS#11 module or token failed */
	KR_EPIN = -14,      /* wrong PIN or login refused */
	KR_EPOLICY = -15,   /* input violates policy */
	KR_EDENIED = -16,   /* refused by the token or a security rule */
	KR_ECANCEL = -17,   /* the operator declined */
	KR_ELIB = -18,      /* another library (libxml2, libcbor, libfyaml) failed */
};

/* Static text for an error code; never NULL. */
const char *kr_strerror(int err);

/*
 * Exit status for a failed call, per DESIGN.md: 1 when the input was read and
 * rejected, 2 for usage errors, 3 for environment failures (HSM, I/O, library).
 * kr_exit_status(0) is 0.
 */
int kr_exit_status(int err);

#endif
