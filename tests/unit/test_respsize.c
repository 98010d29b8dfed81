/*
 * test_respsize.c - kr_dnskey_response_size() against dnspython's wire renderer
 * (dns.message.make_response(...).to_wire() for the same records; the
 * 2017 root roll's 3 KSK/ZSK + 2 RRSIG answer is the well-known 1425).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ksr/checks.h"
#include "lib/error.h"

static size_t size_of(const char *owner, const unsigned *klen, size_t nk, const unsigned *slen,
		      size_t ns)
{
	struct kr_name name;
	struct kr_ksr_key keys[4];
	struct kr_ksr_sig sigs[4];
	struct kr_ksr_bundle b;

	assert_int_equal(kr_name_from_str(owner, &name), KR_OK);
	memset(keys, 0, sizeof(keys));
	memset(sigs, 0, sizeof(sigs));
	memset(&b, 0, sizeof(b));
	for (size_t i = 0; i < nk; i++)
		keys[i].dnskey.pubkey_len = (uint16_t)klen[i];
	for (size_t i = 0; i < ns; i++) {
		sigs[i].rrsig.signer = name;
		sigs[i].rrsig.sig_len = (uint16_t)slen[i];
	}
	b.keys = keys;
	b.nkeys = nk;
	b.sigs = sigs;
	b.nsigs = ns;
	return kr_dnskey_response_size(&name, &b);
}

static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(size_of(".", (unsigned[]){260, 260, 132}, 3, (unsigned[]){256}, 1), 1011);
	assert_int_equal(size_of(".", (unsigned[]){260, 260, 260}, 3, (unsigned[]){256, 256}, 2),
			 1425);
	assert_int_equal(size_of("se.", (unsigned[]){260, 260, 68}, 3, (unsigned[]){256, 64}, 2),
			 1055);
	assert_int_equal(size_of("example.co.uk.", (unsigned[]){32, 32}, 2, (unsigned[]){64}, 1),
			 247);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
