/*
 * respsize.c - DNSKEY response size on the wire.
 */
#include "lib/respsize.h"

#include "lib/error.h"

enum {
	DNS_HEADER = 12,
	RR_FIXED = 10,     /* type, class, TTL, RDLENGTH */
	RRSIG_FIXED = 18,  /* RRSIG RDATA before the signer name */
	OPT_RR = 11,       /* root name, type, class, TTL, RDLENGTH 0 */
	POINTER = 2,
};

int kr_dnskey_response_size(const struct kr_name *owner, const struct kr_dnskey *keys,
			    size_t nkeys, const struct kr_rrsig *sigs, size_t nsigs, size_t *size)
{
	size_t total, rr_owner;

	if (!owner || !size || (nkeys && !keys) || (nsigs && !sigs) || owner->len == 0)
		return KR_EINVAL;
	/* The root name (one zero byte) is shorter than a pointer to it. */
	rr_owner = owner->len < POINTER ? owner->len : POINTER;
	total = DNS_HEADER + owner->len + 4 + OPT_RR;
	for (size_t i = 0; i < nkeys; i++)
		total += rr_owner + RR_FIXED + 4 + keys[i].pubkey_len;
	for (size_t i = 0; i < nsigs; i++)
		total += rr_owner + RR_FIXED + RRSIG_FIXED + sigs[i].signer.len + sigs[i].sig_len;
	*size = total;
	return KR_OK;
}
