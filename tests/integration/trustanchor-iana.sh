#!/bin/sh
# keyroll-trustanchor verify/export against the real IANA files: the 2015
# root-anchors.xml and ICANN's own CMS signature, and the current RFC 9718 file.
# Independent facts: openssl cms agrees on the 2015 signature, the DS records
# in get-trust-anchor's ksk-as-ds.txt, ldns-key2ds over our DNSKEY export, the
# RELAX NG schema with xmllint, unbound-checkconf and named-checkconf.
. "$TOP/tests/data/ta-testlib.sh"
I="$TESTDATA/iana"
GTA="$TESTDATA/icann/get-trust-anchor"

# 1. The 2015 file at its historical time, as unbound-anchor and openssl see it.
V="$TA verify $I/root-anchors-2015.xml --p7s $I/root-anchors-2015.p7s --ca $I/icann-root-ca.pem"
$V --signer-email dnssec@iana.org --at 2016-06-01 >"$T/out" 2>"$T/err" || die "2015 file does not verify"
echo ". IN DS 19036 8 2 49AAC11D7B6F6446702E54A1607371607A1A41855200FD2CE1CDDE32F24E8FB5" >"$T/want"
cmp -s "$T/out" "$T/want" || die "2015 DS set differs: $(cat "$T/out")"
openssl cms -verify -binary -inform DER -in "$I/root-anchors-2015.p7s" \
	-content "$I/root-anchors-2015.xml" -CAfile "$I/icann-root-ca.pem" -purpose smimesign \
	-attime 1464739200 -out /dev/null 2>/dev/null || die "openssl disagrees on the 2015 signature"
ok "2015 IANA file verifies at 2016-06-01 (openssl agrees) and yields KSK-2010's DS"
$V --signer-email dnssec@iana.org --at 2016-06-01 --json >"$T/out" 2>"$T/err" || die "--json"
/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["verified"] and d["keys"][0]["key_tag"]==19036 and d["signer_email"]=="dnssec@iana.org"' <"$T/out" || die "--json report"
ok "--json report"

# 2. Fail closed on the real file.
expect_fail "after the signer certificate expired (2018)" "certificate has expired" \
	$V --signer-email dnssec@iana.org --at 2018-06-01
expect_fail "wrong signer address" "does not carry the address dnssec@icann.org" \
	$V --signer-email dnssec@icann.org --at 2016-06-01
expect_fail "uppercase signer address (exact match)" "does not carry the address" \
	$V --signer-email DNSSEC@iana.org --at 2016-06-01
# The signer's issuing CA alone (taken from the message) is not a trust anchor.
openssl pkcs7 -inform DER -in "$I/root-anchors-2015.p7s" -print_certs |
	awk '/subject=.*CN = ICANN EMAIL CA/{p=1} p{print} /END CERT/{p=0}' >"$T/int.pem"
grep -q "BEGIN CERT" "$T/int.pem" || die "no ICANN EMAIL CA in the 2015 p7s"
expect_fail "the signer's intermediate CA as --ca" "is not trusted by" \
	$TA verify "$I/root-anchors-2015.xml" --p7s "$I/root-anchors-2015.p7s" \
	--ca "$T/int.pem" --signer-email dnssec@iana.org --at 2016-06-01
size=$(wc -c <"$I/root-anchors-2015.xml")
for off in 0 100 $((size - 2)); do
	cp "$I/root-anchors-2015.xml" "$T/flip.xml"
	/usr/bin/python3 - "$T/flip.xml" "$off" <<'PY'
import sys
p, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, 'rb').read()); b[off] ^= 0x01
open(p, 'wb').write(bytes(b))
PY
	expect_fail "one flipped bit at byte $off" "does not verify over the XML bytes" \
		$TA verify "$T/flip.xml" --p7s "$I/root-anchors-2015.p7s" --ca "$I/icann-root-ca.pem" \
		--signer-email dnssec@iana.org --at 2016-06-01
done
head -c 500 "$I/root-anchors-2015.p7s" >"$T/short.p7s"
expect_fail "truncated signature" "not one DER CMS message" \
	$TA verify "$I/root-anchors-2015.xml" --p7s "$T/short.p7s" --ca "$I/icann-root-ca.pem" \
	--at 2016-06-01

# 3. The current RFC 9718 file: digests match keys, exports reproduce the real DS set.
xmllint --noout --relaxng "$TOP/trustanchor/rfc9718.rng" "$I/root-anchors-current.xml" 2>"$T/err" ||
	die "current file does not match our RFC 9718 schema"
ok "current IANA file validates against trustanchor/rfc9718.rng"
$TA export "$I/root-anchors-current.xml" --format ds --at 2025-01-01 >"$T/ds" 2>"$T/err" || die "export ds"
sort "$T/ds" >"$T/ds.sorted"; sort "$GTA/ksk-as-ds.txt" >"$T/want.sorted"
cmp -s "$T/ds.sorted" "$T/want.sorted" || die "DS export differs from ksk-as-ds.txt"
ok "export --format ds reproduces get-trust-anchor's ksk-as-ds.txt"
$TA export "$I/root-anchors-current.xml" --format dnskey --at 2025-01-01 >"$T/dnskey" 2>"$T/err" || die "export dnskey"
tr -s ' \t' ' ' <"$GTA/ksk-as-dnskey.txt" | sort >"$T/want.sorted"
sort "$T/dnskey" | cmp -s - "$T/want.sorted" || die "DNSKEY export differs from ksk-as-dnskey.txt"
(cd "$T" && ldns-key2ds -n -2 dnskey) | awk '{print $1, $3, $4, $5, $6, $7, toupper($8)}' | sort >"$T/ldns"
cmp -s "$T/ldns" "$T/ds.sorted" || die "ldns-key2ds over our DNSKEY export disagrees: $(cat "$T/ldns")"
ok "export --format dnskey matches ksk-as-dnskey.txt and ldns-key2ds derives the same DS"
$TA export "$I/root-anchors-current.xml" --format ds --at 2016-01-01 >"$T/ds16" 2>"$T/err" || die "export 2016"
grep -q "^\. IN DS 19036 8 2 49AAC11D" "$T/ds16" && [ "$(wc -l <"$T/ds16")" = 1 ] ||
	die "at 2016 only KSK-2010 is valid: $(cat "$T/ds16")"
$TA export "$I/root-anchors-current.xml" --format ds --at 2018-01-01 | cut -d" " -f4 | sort | tr '\n' ' ' >"$T/tags"
[ "$(cat "$T/tags")" = "19036 20326 " ] || die "at 2018 want 19036 and 20326: $(cat "$T/tags")"
ok "validFrom/validUntil select the anchors of 2016 and 2018"
expect_fail "dnskey export of a file without PublicKey" "has no PublicKey" \
	$TA export "$I/root-anchors-2015.xml" --format dnskey --at 2016-01-01
expect_fail "export at a time before any anchor" "no KeyDigest is valid at 2009" \
	$TA export "$I/root-anchors-current.xml" --format ds --at 2009-01-01

# Validator configuration checked by the validators' own tools.
$TA export "$I/root-anchors-current.xml" --format unbound --at 2025-01-01 >"$T/unbound.conf" 2>"$T/err" || die "export unbound"
grep -c 'trust-anchor: "\. IN DS ' "$T/unbound.conf" | grep -qx 2 || die "unbound: want 2 trust-anchor lines"
if command -v unbound-checkconf >/dev/null; then
	unbound-checkconf "$T/unbound.conf" >"$T/err" 2>&1 || die "unbound-checkconf refuses the export"
	sed 's/E06D44B8/E06D44B/' "$T/unbound.conf" >"$T/bad.conf"
	unbound-checkconf "$T/bad.conf" >/dev/null 2>&1 && die "unbound-checkconf accepts a broken DS (check is void)"
	ok "unbound export passes unbound-checkconf (and a broken one does not)"
else
	echo "# unbound-checkconf not installed: unbound export not checked by unbound"
fi
$TA export "$I/root-anchors-current.xml" --format bind --at 2025-01-01 >"$T/named.conf" 2>"$T/err" || die "export bind"
grep -c '"\." initial-key 257 3 8 "AwEAA' "$T/named.conf" | grep -qx 2 || die "bind: want 2 initial-key lines"
$TA export "$I/root-anchors-2015.xml" --format bind --at 2016-01-01 >"$T/named15.conf" 2>"$T/err" || die "export bind 2015"
grep -q '"\." initial-ds 19036 8 2 "49AAC11D' "$T/named15.conf" || die "bind: initial-ds for a file without keys"
if command -v named-checkconf >/dev/null; then
	named-checkconf "$T/named.conf" >"$T/err" 2>&1 || die "named-checkconf refuses the export"
	named-checkconf "$T/named15.conf" >"$T/err" 2>&1 || die "named-checkconf refuses the initial-ds export"
	sed 's/"AwEAAa96/"AwEAAa9@/' "$T/named.conf" >"$T/bad.conf"
	named-checkconf "$T/bad.conf" >/dev/null 2>&1 && die "named-checkconf accepts a broken key (check is void)"
	ok "bind exports (initial-key, initial-ds) pass named-checkconf"
else
	echo "# named-checkconf not installed (bind9-utils): bind export not checked by BIND"
fi
$TA export "$I/root-anchors-current.xml" --format knot-resolver --at 2025-01-01 >"$T/kresd.conf" 2>"$T/err" || die "export kresd"
grep -v '^--' "$T/kresd.conf" | sed -n "s/^trust_anchors.add('\(.*\)')\$/\1/p" | sort >"$T/kres.ds"
cmp -s "$T/kres.ds" "$T/ds.sorted" || die "knot-resolver export does not wrap the DS set"
[ "$(grep -vc '^--' "$T/kresd.conf")" = 2 ] || die "knot-resolver: stray lines"
ok "knot-resolver export is trust_anchors.add() of the real DS records"

echo "1..$n"
