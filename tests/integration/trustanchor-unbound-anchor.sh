#!/bin/sh
# Our trust-anchor file and CMS signature, made with KSKs and a signer key that
# live in a SoftHSM token, are accepted by the real unbound-anchor fetching them
# over HTTPS from 127.0.0.1: it writes exactly the DS set we published as valid
# now.  A tampered file, or one signed by another address, leaves its anchor
# file untouched.  openssl cms and `keyroll-hsm export` are the second opinions.
. "$TOP/tests/data/ta-testlib.sh"
command -v unbound-anchor >/dev/null || { echo "unbound-anchor not installed"; exit 77; }
HSM="$BIN/keyroll-hsm"
EMAIL=ta-signer@example.test

# A throw-away token with two KSKs and the CMS signer key.
mkdir "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF="$T/softhsm2.conf"
unset KEYROLL_PIN KEYROLL_TOKEN
echo 'ta-user-pin' >"$T/pin"; echo 'ta-so-pin' >"$T/so-pin"
H="--token ta-test --pin-file $T/pin"
$HSM init --token ta-test --so-pin-file "$T/so-pin" --pin-file "$T/pin" >/dev/null 2>"$T/err" || die "token init"
for k in ksk-old ksk-a ksk-b ta-signer; do
	$HSM keygen $H --label $k --algorithm RSASHA256 --bits 2048 --zone . >/dev/null 2>"$T/err" || die "keygen $k"
done
$HSM export $H --label ta-signer --format pem --output "$T/signer-pub.pem" 2>"$T/err" || die "export signer key"
sh "$TOP/tests/data/gen-test-ca.sh" "$T/ca" $EMAIL "$T/signer-pub.pem" >/dev/null 2>&1 || die "gen-test-ca.sh"
[ -e "$T/ca/signer.key" ] && die "the signer key must exist only in the token"
ok "token with KSKs and a CMS signer key; test PKI certifies the token's signer key"

# Publish: ksk-old and ksk-a; then an update adds ksk-b and retires ksk-old.
$TA publish --zone . $H --key ksk-old,2020-01-01 --key ksk-a,2021-01-01 \
	--source https://127.0.0.1/root-anchors/root-anchors.xml --out "$T/v1.xml" >/dev/null 2>"$T/err" || die "publish"
$TA publish --zone . $H --update "$T/v1.xml" --key ksk-b,2022-01-01 --key ksk-old,,2023-01-01 \
	--out "$T/root-anchors.xml" >/dev/null 2>"$T/err" || die "publish --update"
xmllint --noout --relaxng "$TOP/trustanchor/rfc9718.rng" "$T/root-anchors.xml" 2>"$T/err" || die "schema"
grep -q 'id="ksk-old" validFrom="2020-01-01T00:00:00+00:00" validUntil="2023-01-01T00:00:00+00:00"' \
	"$T/root-anchors.xml" || die "ksk-old not retired in place"
for k in ksk-a ksk-b; do
	$HSM export $H --label $k --format ds 2>/dev/null | awk '{print $NF}'
done | sort >"$T/want.digests"
[ "$(wc -l <"$T/want.digests")" = 2 ] || die "keyroll-hsm export gave no DS"
ok "publish with token keys and --update (add ksk-b, retire ksk-old) is schema-valid"
expect_fail "publish of a key the token does not hold" "no key labelled 'ksk-none'" \
	$TA publish --zone . $H --key ksk-none --out "$T/none.xml"
$TA publish --zone . --token ta-test --pin-file "$T/so-pin" --key ksk-a --out "$T/none.xml" >/dev/null 2>"$T/err"
[ $? = 3 ] && [ ! -e "$T/none.xml" ] || die "publish with a wrong PIN: want exit 3 and no output"
ok "publish with a wrong PIN exits 3 and writes nothing"

# Sign with the key in the token; check with our verify and with openssl.
$TA sign "$T/root-anchors.xml" --signer-cert "$T/ca/signer.pem" --signer-chain "$T/ca/int.pem" \
	$H --signer-label ta-signer --out "$T/root-anchors.p7s" >"$T/out" 2>"$T/err" || die "sign in the token"
grep -q "SHA-256 $(sha256sum "$T/root-anchors.xml" | cut -c1-64 | tr a-f A-F)" "$T/out" || die "sign: fingerprint"
openssl cms -verify -binary -inform DER -in "$T/root-anchors.p7s" -content "$T/root-anchors.xml" \
	-CAfile "$T/ca/ca.pem" -purpose smimesign -out /dev/null 2>"$T/err" || die "openssl cms rejects our signature"
openssl cms -cmsout -print -inform DER -in "$T/root-anchors.p7s" >"$T/dump" 2>"$T/err" || die "cms print"
grep -q "algorithm: sha256" "$T/dump" || die "digest is not SHA-256"
grep -q "eContent: <ABSENT>" "$T/dump" || die "signature is not detached"
$TA verify "$T/root-anchors.xml" --p7s "$T/root-anchors.p7s" --ca "$T/ca/ca.pem" --signer-email $EMAIL \
	>"$T/verified" 2>"$T/err" || die "our verify rejects our signature"
awk '{print $NF}' "$T/verified" | sort | cmp -s - "$T/want.digests" || die "verify: DS set is not ksk-a + ksk-b"
ok "sign with the token key: detached SHA-256 CMS that openssl and verify accept"

# The real unbound-anchor, over HTTPS from 127.0.0.1.
mkdir -p "$T/www/root-anchors"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" -out "$T/tls.pem" -subj /CN=127.0.0.1 \
	-days 1 2>/dev/null || die "TLS certificate"
/usr/bin/python3 "$TOP/tests/data/https-serve.py" "$T/www" "$T/https.port" "$T/tls.pem" "$T/tls.key" 2>"$T/https.log" &
pids="$pids $!"
/usr/bin/python3 "$TOP/tests/data/dns-refuse.py" "$T/dns.port" 2>"$T/dns.log" &
pids="$pids $!"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	[ -s "$T/https.port" ] && [ -s "$T/dns.port" ] && break
	sleep 0.2
done
[ -s "$T/https.port" ] && [ -s "$T/dns.port" ] || die "test servers did not start"
# The RFC 5011 probe goes to a local server that refuses at once (no network).
printf 'server:\n\tdo-not-query-localhost: no\nforward-zone:\n\tname: "."\n\tforward-addr: 127.0.0.1@%s\n' \
	"$(cat "$T/dns.port")" >"$T/probe.conf"
# fetch XML P7S ANCHORFILE: serve the pair and run unbound-anchor; its exit status
fetch() {
	cp "$1" "$T/www/root-anchors/root-anchors.xml"
	cp "$2" "$T/www/root-anchors/root-anchors.p7s"
	unbound-anchor -a "$3" -c "$T/ca/ca.pem" -u 127.0.0.1 -P "$(cat "$T/https.port")" -S \
		-x /root-anchors/root-anchors.xml -s /root-anchors/root-anchors.p7s -n $EMAIL \
		-C "$T/probe.conf" -F -v >"$T/ua.log" 2>&1
}
fetch "$T/root-anchors.xml" "$T/root-anchors.p7s" "$T/root.key"; rc=$?
cp "$T/ua.log" "$T/err"
[ $rc = 1 ] || die "unbound-anchor did not update the anchor (exit $rc)"
grep -q "the PKCS7 signature verified" "$T/ua.log" || die "unbound-anchor did not verify the signature"
grep '^\. IN DS ' "$T/root.key" | awk '{print $NF}' | sort >"$T/got.digests"
cmp -s "$T/got.digests" "$T/want.digests" || die "unbound-anchor wrote another DS set: $(cat "$T/root.key")"
grep '^\. IN DS ' "$T/root.key" | sort | cmp -s - "$(sort "$T/verified" >"$T/v.sorted"; echo "$T/v.sorted")" ||
	die "unbound-anchor's DS lines differ from verify's"
ok "unbound-anchor fetches over HTTPS, verifies, and writes exactly ksk-a and ksk-b"

# Refusals: the anchor file must stay as it was.
printf '; sentinel anchor\n. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n' >"$T/sentinel"
sed 's/validUntil="2023-01-01/validUntil="2033-01-01/' "$T/root-anchors.xml" >"$T/tampered.xml"
cmp -s "$T/tampered.xml" "$T/root-anchors.xml" && die "tampering did not change the file"
cp "$T/sentinel" "$T/root.key"
fetch "$T/tampered.xml" "$T/root-anchors.p7s" "$T/root.key"; rc=$?
cp "$T/ua.log" "$T/err"
[ $rc = 0 ] || die "unbound-anchor updated from a tampered file (exit $rc)"
cmp -s "$T/root.key" "$T/sentinel" || die "unbound-anchor changed its anchor for a tampered file"
grep -q "signature failed" "$T/ua.log" || die "unbound-anchor did not report the bad signature"
$TA verify "$T/tampered.xml" --p7s "$T/root-anchors.p7s" --ca "$T/ca/ca.pem" --signer-email $EMAIL >/dev/null 2>&1
[ $? = 1 ] || die "our verify accepts the tampered file"
ok "a tampered file is refused by unbound-anchor (anchor unchanged) and by verify"

# Signed with a software key by a certificate for another address.
$TA sign "$T/root-anchors.xml" --signer-cert "$T/ca/wrong-email.pem" --signer-chain "$T/ca/int.pem" \
	--signer-key "$T/ca/wrong-email.key" --out "$T/wrong.p7s" >/dev/null 2>"$T/err" || die "sign with a PEM key"
cp "$T/sentinel" "$T/root.key"
fetch "$T/root-anchors.xml" "$T/wrong.p7s" "$T/root.key"; rc=$?
cp "$T/ua.log" "$T/err"
[ $rc = 0 ] || die "unbound-anchor accepted another signer address (exit $rc)"
cmp -s "$T/root.key" "$T/sentinel" || die "unbound-anchor changed its anchor for the wrong signer"
$TA verify "$T/root-anchors.xml" --p7s "$T/wrong.p7s" --ca "$T/ca/ca.pem" --signer-email $EMAIL >/dev/null 2>"$T/err"
[ $? = 1 ] && grep -q "does not carry the address $EMAIL" "$T/err" || die "our verify accepts the wrong signer"
ok "a signature by another address is refused by unbound-anchor (anchor unchanged) and by verify"

# sign refuses what it must not sign.
$TA sign "$T/root-anchors.xml" --signer-cert "$T/ca/no-ds.pem" --signer-key "$T/ca/no-ds.key" \
	--out "$T/nods.p7s" >/dev/null 2>"$T/err"
[ $? = 1 ] && grep -q "lacks the digitalSignature key usage" "$T/err" && [ ! -e "$T/nods.p7s" ] ||
	die "sign with a certificate without digitalSignature"
$TA sign "$T/root-anchors.xml" --signer-cert "$T/ca/signer.pem" --signer-key "$T/ca/wrong-email.key" \
	--out "$T/mismatch.p7s" >/dev/null 2>"$T/err"
[ $? != 0 ] && grep -q "does not belong to the certificate" "$T/err" && [ ! -e "$T/mismatch.p7s" ] ||
	die "sign with a key that is not the certificate's"
printf '<?xml version="1.0"?>\n<!DOCTYPE TrustAnchor []>\n<TrustAnchor id="x" source="y"/>\n' >"$T/dtd.xml"
$TA sign "$T/dtd.xml" --signer-cert "$T/ca/signer.pem" $H --signer-label ta-signer --out "$T/dtd.p7s" \
	>/dev/null 2>"$T/err"
[ $? = 1 ] && grep -q "DOCTYPE is not allowed" "$T/err" && [ ! -e "$T/dtd.p7s" ] || die "sign a DOCTYPE"
$TA sign "$T/root-anchors.xml" --signer-cert "$T/ca/signer.pem" $H --signer-label no-such-key \
	--out "$T/nokey.p7s" >/dev/null 2>"$T/err"
[ $? != 0 ] && [ ! -e "$T/nokey.p7s" ] || die "sign with a missing token key"
echo wrong >"$T/badpin"
$TA sign "$T/root-anchors.xml" --signer-cert "$T/ca/signer.pem" --token ta-test --pin-file "$T/badpin" \
	--signer-label ta-signer --out "$T/badpin.p7s" >/dev/null 2>"$T/err"
[ $? = 3 ] && [ ! -e "$T/badpin.p7s" ] || die "sign with a wrong PIN: want exit 3"
ok "sign refuses: no digitalSignature, key not the certificate's, DOCTYPE, missing key, wrong PIN"

echo "1..$n"
