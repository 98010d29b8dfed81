/*
 * respsize.h - the size on the wire of a DNSKEY response, to warn before an
 * SKR puts a DNSKEY RRset into production that does not fit the 1232-byte
 * EDNS buffer most resolvers use (DNS flag day 2020): above it, answers fall
 * back to TCP or fail behind broken middleboxes.
 */
#ifndef KR_RESPSIZE_H
#define KR_RESPSIZE_H

#include <stddef.h>

#include "lib/dnssec.h"

/* The EDNS(0) payload size recommended since DNS flag day 2020. */
#define KR_DNS_SAFE_UDP_SIZE 1232

/*
 * Bytes of the response to "owner IN DNSKEY" with EDNS(0) and the DO bit:
 * header, question, every DNSKEY RR and every RRSIG RR (owner names
 * compressed to the question name, or the one-byte root name; RRSIG signer
 * names never compressed, RFC 4034 3.1.7) and an OPT RR without options.
 */
int kr_dnskey_response_size(const struct kr_name *owner, const struct kr_dnskey *keys,
			    size_t nkeys, const struct kr_rrsig *sigs, size_t nsigs, size_t *size);

#endif
