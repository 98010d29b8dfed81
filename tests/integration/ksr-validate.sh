#!/bin/sh
# keyroll-ksr validate/show/hash and keyroll-skr verify end to end on the
# real ICANN files: the genuine 2017-Q2 KSR passes every check against its
# real predecessor SKR in its era; ksr.bad.xml fails KSR-BUNDLE-POP; the
# 2016-Q3 KSR fails what SOURCES.md says; every real SKR verifies and a
# copy mutated with Python's xml.etree does not; hostile XML is refused
# with the element named; DNSKEY response sizes agree with dnspython's
# wire encoding; hashes agree with sha256sum; exit statuses per DESIGN.md.
set -u
: "${BIN:?}" "${TOP:?}" "${BUILD:?}" "${TESTDATA:?}"
PY=/usr/bin/python3
T=$(mktemp -d "$TOP/$BUILD/t.XXXXXX")
trap 'rm -rf "$T"' EXIT
K="$BIN/keyroll-ksr" S="$BIN/keyroll-skr"
D="$TESTDATA/icann/dnssec-keytools"
L="$TESTDATA/icann/dnssec-keytools-legacy/baseline"
fail() { echo "FAIL: $*"; exit 1; }

# run EXPECTED-STATUS command... (stdout to $T/out, stderr to $T/err)
run() {
	want=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	[ "$got" = "$want" ] || { cat "$T/out" "$T/err"; fail "exit $got, wanted $want: $*"; }
}
# The ids of failed checks, sorted, on one line.
fails() { grep '^FAIL ' "$T/out" | cut -d' ' -f2 | tr -d ':' | sort | tr '\n' ' '; }

# --- the genuine chain -------------------------------------------------
run 0 $K validate "$D/ksr-root-2017-q2-0.xml" --previous-skr "$D/skr-root-2017-q1-0.xml" --now 2017-03-15
grep -q '^PASS KSR-CHAIN-KEYS: ' "$T/out" || fail "chain keys not passed"
grep -q '^PASS KSR-CHAIN-OVERLAP: ' "$T/out" || fail "chain overlap not passed"
grep -q '^22 checks: 22 passed, 0 failed, 0 skipped: accepted$' "$T/out" || fail "summary"
# Without the previous SKR the chain checks are skipped, not passed.
run 0 $K validate "$D/ksr-root-2017-q2-0.xml" --now 2017-03-15
grep -q '^SKIP KSR-CHAIN-KEYS: no previous SKR' "$T/out" || fail "chain not skipped"
# JSON report, read by Python.
run 0 $K validate "$D/ksr-root-2017-q2-0.xml" --previous-skr "$D/skr-root-2017-q1-0.xml" --now 2017-03-15 --json
$PY - "$T/out" <<'EOF' || fail "json report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "accepted" and r["failed"] == 0 and r["passed"] == 22, r
ids = [c["id"] for c in r["checks"]]
for want in ("KSR-DOMAIN", "KSR-ID", "KSR-BUNDLE-POP", "KSR-CHAIN-KEYS", "SKR-POLICY-TTL"):
    assert want in ids, want
EOF

# --- real failures --------------------------------------------------------
run 1 $K validate "$D/ksr.bad.xml" --now 2017-10-20
[ "$(fails)" = "KSR-BUNDLE-POP " ] || fail "ksr.bad.xml: $(fails)"
grep -q '^error: .*ksr.bad.xml: 1 check(s) failed' "$T/err" || fail "no error line"
run 1 $K validate "$D/ksr-root-2016-q3-0.xml" --now 2016-06-15
[ "$(fails)" = "KSR-POLICY-ALG KSR-POLICY-SIG-OVERLAP KSR-POLICY-SIG-VALIDITY SKR-POLICY-SIG-OVERLAP SKR-POLICY-SIG-VALIDITY " ] ||
	fail "2016-Q3: $(fails)"
run 0 $K validate "$D/ksr-root-2018-q1-0-d_to_e.xml" --now 2017-10-20
run 1 $K validate "$D/ksr-root-2018-q1-0-d_to_e.xml"
[ "$(fails)" = "KSR-POLICY-SIG-HORIZON " ] || fail "2018-Q1 today: $(fails)"

# --- a copy mutated by an independent XML library ---------------------------
$PY - "$D/ksr-root-2017-q2-0.xml" "$T/flags.xml" <<'EOF' || fail "python mutation"
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1])
key = t.getroot().find("Request/RequestBundle[3]/Key")
key.find("Flags").text = "257"
t.write(sys.argv[2], xml_declaration=True, encoding="UTF-8")
EOF
run 1 $K validate "$T/flags.xml" --previous-skr "$D/skr-root-2017-q1-0.xml" --now 2017-03-15
[ "$(fails)" = "KSR-BUNDLE-KEYS KSR-BUNDLE-POP " ] || fail "flags: $(fails)"

# --- keyroll-skr verify -------------------------------------------------------
for f in "$D"/skr-*.xml "$L"/skr-*.xml; do
	run 0 $S verify "$f"
	grep -q '^3 checks: 3 passed' "$T/out" || fail "verify $f"
done
$PY - "$D/skr-root-2017-q2-0.xml" "$T/forged.xml" <<'EOF' || fail "python forgery"
import sys, base64, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1])
sd = t.getroot().find("Response/ResponseBundle[5]/Signature/SignatureData")
raw = bytearray(base64.b64decode(sd.text)); raw[17] ^= 1
sd.text = base64.b64encode(bytes(raw)).decode()
t.write(sys.argv[2], xml_declaration=True, encoding="UTF-8")
EOF
run 1 $S verify "$T/forged.xml" --json
$PY - "$T/out" <<'EOF' || fail "verify json"
import json, sys
r = json.load(open(sys.argv[1]))
bad = [c for c in r["checks"] if c["status"] == "FAIL"]
assert r["result"] == "rejected" and [c["id"] for c in bad] == ["SKR-VERIFY-SIGNATURES"], r
assert "bundle #5" in bad[0]["message"], bad
EOF
run 1 $S verify "$D/ksr-root-2017-q2-0.xml"
grep -q 'is a KSR' "$T/err" || fail "KSR given to verify"

# --- hostile and broken input: refused, element named, exit 1 ---------------
sed 's/^<KSR /<!DOCTYPE KSR [<!ENTITY x SYSTEM "file:\/\/\/etc\/passwd">]><KSR /' \
	"$D/skr-root-2017-q2-0.xml" >"$T/xxe.xml"
run 1 $S verify "$T/xxe.xml"
grep -q '^error: SKR .*xxe.xml: document: line 2: DOCTYPE not allowed' "$T/err" || fail "doctype: $(cat "$T/err")"
sed '0,/<SignatureExpiration>2017-04-22T00:00:00+00:00/s//<SignatureExpiration>2017-04-22T25:00:00+00:00/' \
	"$D/skr-root-2017-q2-0.xml" >"$T/time.xml"
run 1 $K show "$T/time.xml"
grep -q 'KSR/Response/ResponseBundle\[1\]/Signature\[1\]/SignatureExpiration: bad time' "$T/err" || fail "bad time"
head -c 5000 "$D/ksr-root-2017-q2-0.xml" >"$T/trunc.xml"
run 1 $K validate "$T/trunc.xml"
grep -q 'not well-formed' "$T/err" || fail "truncated"
$PY -c 'import sys; sys.stdout.write("<KSR>" + " " * (1 << 20) + "</KSR>")' >"$T/big.xml"
run 1 $K validate "$T/big.xml"
grep -q 'larger than 1048576 bytes' "$T/err" || fail "oversize"

# --- show: sizes agree with dnspython's wire format ---------------------------
run 0 $K show "$D/skr-root-2018-q1-0-d_to_e.xml"
$PY - "$D/skr-root-2018-q1-0-d_to_e.xml" "$T/out" <<'EOF' || fail "sizes"
import sys, base64, datetime, xml.etree.ElementTree as ET
import dns.message, dns.rrset
root = ET.parse(sys.argv[1]).getroot()
table = [l.split() for l in open(sys.argv[2]) if l[:1].isdigit()]
def rt(s):
    d = datetime.datetime.fromisoformat(s)
    return d.strftime("%Y%m%d%H%M%S")
for i, b in enumerate(root.iter("ResponseBundle")):
    keys = [f'{k.find("Flags").text} 3 {k.find("Algorithm").text} {k.find("PublicKey").text}'
            for k in b.findall("Key")]
    sigs = [" ".join(["DNSKEY", s.find("Algorithm").text, s.find("Labels").text,
                      s.find("OriginalTTL").text, rt(s.find("SignatureExpiration").text),
                      rt(s.find("SignatureInception").text), s.find("KeyTag").text,
                      s.find("SignersName").text, s.find("SignatureData").text])
            for s in b.findall("Signature")]
    q = dns.message.make_query(".", "DNSKEY", want_dnssec=True, payload=1232)
    r = dns.message.make_response(q)
    r.answer.append(dns.rrset.from_text_list(".", 172800, "IN", "DNSKEY", keys))
    r.answer.append(dns.rrset.from_text_list(".", 172800, "IN", "RRSIG", sigs))
    want = len(r.to_wire(max_size=65535))
    got = int(table[i][-1] if table[i][-1] != "!" else table[i][-2])
    assert got == want, (i + 1, got, want)
    assert (table[i][-1] == "!") == (want > 1232), table[i]
print("sizes ok")
EOF
grep -q 'warning: .* above 1232 bytes' "$T/err" || fail "no size warning for the 2018 rollover SKR"

# --- hash ------------------------------------------------------------------------
run 0 $K hash "$D/ksr-root-2017-q2-0.xml"
want=$(sha256sum "$D/ksr-root-2017-q2-0.xml" | cut -d' ' -f1 | tr a-f A-F)
grep -q "^SHA-256:   $want\$" "$T/out" || fail "hash"
[ "$(grep '^PGP words:' "$T/out" | wc -w)" = 34 ] || fail "PGP words"

# --- usage and environment ------------------------------------------------------
run 2 $K validate
run 2 $K validate "$D/ksr.bad.xml" --now yesterday
run 0 $K validate --help
grep -q '^usage: keyroll-ksr validate' "$T/out" || fail "help"
run 3 $K validate "$T/no-such-file.xml"
sed 's/max_bundle_interval/max_bundle_intervall/' "$TOP/skr/policies/root.yaml" >"$T/typo.yaml"
run 1 $K validate "$D/ksr-root-2017-q2-0.xml" --policy "$T/typo.yaml"
grep -q 'request_policy.max_bundle_intervall: unknown key' "$T/err" || fail "policy typo"
echo "ok"
