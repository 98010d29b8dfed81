/*
 * test_respsize.c - DNSKEY response sizes against dnspython's wire renderer
 * (dns.message.make_response(...).to_wire() for the same records; the
 * 2017 root roll's 3 KSK/ZSK + 2 RRSIG answer is the well-known 1425).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/error.h"
#include "lib/respsize.h"

static size_t size_of(const char *owner, const unsigned *klen, size_t nk, const unsigned *slen,
		      size_t ns)
{
	struct kr_name name;
	struct kr_dnskey keys[4];
	struct kr_rrsig sigs[4];
	size_t size = 0;

	assert_int_equal(kr_name_from_str(owner, &name), KR_OK);
	memset(keys, 0, sizeof(keys));
	memset(sigs, 0, sizeof(sigs));
	for (size_t i = 0; i < nk; i++)
		keys[i].pubkey_len = (uint16_t)klen[i];
	for (size_t i = 0; i < ns; i++) {
		sigs[i].signer = name;
		sigs[i].sig_len = (uint16_t)slen[i];
	}
	assert_int_equal(kr_dnskey_response_size(&name, keys, nk, sigs, ns, &size), KR_OK);
	return size;
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

static void test_invalid(void **state)
{
	struct kr_name name;
	size_t size;

	(void)state;
	assert_int_equal(kr_name_from_str(".", &name), KR_OK);
	assert_int_equal(kr_dnskey_response_size(NULL, NULL, 0, NULL, 0, &size), KR_EINVAL);
	assert_int_equal(kr_dnskey_response_size(&name, NULL, 1, NULL, 0, &size), KR_EINVAL);
	assert_int_equal(kr_dnskey_response_size(&name, NULL, 0, NULL, 0, NULL), KR_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
