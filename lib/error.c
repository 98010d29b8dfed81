#include "lib/error.h"

const char *kr_strerror(int err)
{
	switch (err) {
	case KR_OK: return "success";
	case KR_ENOMEM: return "out of memory";
	case KR_EINVAL: return "invalid argument";
	case KR_EMALFORMED: return "malformed input";
	case KR_ERANGE: return "value out of range";
	case KR_ETRUNC: return "input truncated";
	case KR_ETOOBIG: return "size limit exceeded";
	case KR_EALG: return "unsupported algorithm";
	case KR_EBADSIG: return "signature does not verify";
	case KR_ENOTFOUND: return "not found";
	case KR_EEXIST: return "already exists";
	case KR_ESYS: return "system error";
	case KR_ECRYPTO: return "cryptographic library error";
	case KR_EHSM: return "HSM error";
	case KR_EPIN: return "PIN rejected";
	case KR_EPOLICY: return "policy violation";
	case KR_EDENIED: return "operation refused";
	case KR_ECANCEL: return "cancelled by operator";
	case KR_ELIB: return "library error";
	}
	return "unknown error";
}

int kr_exit_status(int err)
{
	switch (err) {
	case KR_OK:
		return 0;
	case KR_EINVAL:
		return 2;
	case KR_ENOMEM:
	case KR_ESYS:
	case KR_ECRYPTO:
	case KR_EHSM:
	case KR_EPIN:
	case KR_ELIB:
		return 3;
	default:
		return 1;
	}
}
