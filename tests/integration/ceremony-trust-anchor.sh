#!/bin/sh
# scripts/ceremonies/trust-anchor.yaml as a rehearsal after the KSK
# generation rehearsal: the trust-anchor file names the ceremony's KSK (its
# DS, recomputed by dnspython), its CMS signature verifies with the openssl
# CLI, and the sealed log verifies.  Needs keyroll-trustanchor publish/sign.
. "$(dirname "$0")/ceremony-setup.inc"
for c in publish sign; do
	"$BIN/keyroll-trustanchor" $c --help >/dev/null 2>&1 ||
		{ echo "skip: this build's keyroll-trustanchor has no '$c'"; exit 77; }
done
$PY -c 'import dns.dnssec' 2>/dev/null || { echo "skip: python3-dnspython missing"; exit 77; }
ksk_generation || exit 1
# a test PKI: CA and publication signer with an e-mail address
mkdir pki
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=Test anchors CA" \
	-keyout pki/ca.key -out pki/ca.pem -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign >/dev/null 2>&1 || exit 1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=anchors" \
	-keyout pki/signer.key -out pki/signer.csr >/dev/null 2>&1 || exit 1
printf 'subjectAltName=email:anchors@example.net\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection\n' >pki/ext
openssl x509 -req -in pki/signer.csr -CA pki/ca.pem -CAkey pki/ca.key -CAcreateserial -days 30 \
	-extfile pki/ext -out pki/signer.pem >/dev/null 2>&1 || exit 1
$C run "$S/trust-anchor.yaml" --answers "$S/trust-anchor.answers.yaml" --log logs \
	--param valid-from="$(date -u -d yesterday +%Y-%m-%dT00:00:00Z)" >"$T/ta.out" 2>"$T/ta.err" </dev/null ||
	{ echo "FAIL: trust-anchor publication: $(tail -5 "$T/ta.err")"; exit 1; }
LOG=$(ls logs/trust-anchor-*.cbor)
$C verify-log "$LOG" --pubkey out/audit2026.pem >"$T/v.out" 2>&1 || fail "verify-log: $(cat "$T/v.out")"
openssl cms -verify -binary -inform DER -in out/root-anchors.p7s -content out/root-anchors.xml \
	-CAfile pki/ca.pem -purpose any -out /dev/null >/dev/null 2>&1 || fail "openssl cms does not verify the signature"
$PY - <<'PYEOF' || fail "the anchor does not name the KSK"
import re, dns.dnssec, dns.name, dns.rdata, dns.rdataclass, dns.rdatatype
k = open("out/ksk2026.dnskey").read().split()
key = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, " ".join(k[4:]))
ds = dns.dnssec.make_ds(dns.name.root, key, "SHA256")
xml = open("out/root-anchors.xml").read()
assert re.search(r"<KeyTag>%d</KeyTag>" % ds.key_tag, xml), "key tag"
assert ds.digest.hex().upper() in xml.upper(), "digest"
PYEOF
# the same anchor straight from the token, activated by officer cards
"$BIN/keyroll-trustanchor" publish --zone . --token ksk2026 --card cards/ksk2026-officer-2.card \
	--card cards/ksk2026-officer-4.card --card cards/ksk2026-officer-5.card \
	--key "ksk2026,$(date -u -d yesterday +%Y-%m-%dT00:00:00Z)" --out "$T/from-token.xml" ||
	fail "publish --token --card"
d1=$(sed -n 's:.*<Digest>\(.*\)</Digest>.*:\1:p' out/root-anchors.xml)
d2=$(sed -n 's:.*<Digest>\(.*\)</Digest>.*:\1:p' "$T/from-token.xml")
[ -n "$d1" ] && [ "$d1" = "$d2" ] || fail "the token's anchor digest $d2 differs from the DNSKEY file's $d1"
"$BIN/keyroll-trustanchor" publish --zone . --token ksk2026 --card cards/ksk2026-officer-2.card \
	--key ksk2026 --out "$T/few.xml" >/dev/null 2>"$T/err" && fail "publish with one card of three"
grep -q "quorum is 3 of 5" "$T/err" || fail "publish with too few cards: $(cat "$T/err")"
[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
echo "trust-anchor publication ceremony: rehearsal passed"
