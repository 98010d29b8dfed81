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
[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
echo "trust-anchor publication ceremony: rehearsal passed"
