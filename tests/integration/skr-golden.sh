#!/bin/sh
# keyroll-skr sign against the 2010 ksrsigner's golden vectors: the legacy
# TEST KSKs imported into a throw-away SoftHSM token re-sign the baseline
# KSRs (chained through our own previous SKRs, in the era's time) into SKRs
# whose every SignatureData equals the baseline SKRs' byte for byte,
# including the in-quarter roll KSK1 -> KSK2 with revocation and
# revoke-all.  dnspython validates every signature we made.  Then the
# failures: a KSR failing a check, a wrong PIN, a missing KSK label, a
# missing token, an unknown schema - each with its exit status and no SKR.
set -eu
T=$(mktemp -d "$TOP/$BUILD/t.XXXXXX")
trap 'rm -rf "$T"' EXIT
L="$TESTDATA/icann/dnssec-keytools-legacy"
PY=/usr/bin/python3
V="$TOP/tests/integration/skr_verify.py"
POL="$TOP/tests/data/legacy-policy.yaml"

mkdir "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF="$T/softhsm2.conf"
unset KEYROLL_PIN KEYROLL_TOKEN || true
printf '2718-user\n' >"$T/pin"
printf '3141-so\n' >"$T/so"
printf 'wrong-pin\n' >"$T/badpin"
"$BIN/keyroll-hsm" init --token legacy --so-pin-file "$T/so" --pin-file "$T/pin" >/dev/null
for k in 1 2; do
	"$BIN/keyroll-hsm" import --token legacy --pin-file "$T/pin" --label "KSK$k" \
		--key-file "$L/test-keys/rsa2048-$k.key" >/dev/null
done

sign() { # ksr out now prev-option... [more args]
	ksr=$1 out=$2 now=$3
	shift 3
	"$BIN/keyroll-skr" sign --ksr "$L/baseline/$ksr" --token legacy --pin-file "$T/pin" \
		--policy "$POL" --now "$now" --yes --out "$T/$out" "$@" >"$T/$out.log"
}
sign ksr-root-2009-q4-2.xml q4.xml 2009-10-20 --ksk KSK1 --no-previous-skr
sign ksr-root-2010-q1-0.xml q1.xml 2009-12-20 --ksk KSK1 --previous-skr "$T/q4.xml"
sign ksr-root-2010-q2-0.xml q2.xml 2010-03-20 --ksk KSK1 --ksk KSK2 --schema legacy-roll \
	--previous-skr "$T/q1.xml"
sign ksr-root-2010-q2-0-revoke.xml q2r.xml 2010-03-20 --ksk KSK1 --schema revoke-all \
	--previous-skr "$T/q1.xml"

for pair in "q4 skr-root-2009-q4-2" "q1 skr-root-2010-q1-0" "q2 skr-root-2010-q2-0" \
	"q2r skr-root-2010-q2-0-revoke"; do
	set -- $pair
	$PY "$V" same-sigs "$T/$1.xml" "$L/baseline/$2.xml"
	$PY "$V" validate "$T/$1.xml"
done

# The ZSK side accepts them against DS anchors made by the token (KSK1;
# KSK1+KSK2 for the roll, whose last slots are carried by KSK2), chained to
# the previous SKR; the revoke-all SKR has no unrevoked signer and is refused.
"$BIN/keyroll-hsm" export --token legacy --pin-file "$T/pin" --label KSK1 --format ds \
	--output "$T/ksk1.ds" >/dev/null
"$BIN/keyroll-hsm" export --token legacy --pin-file "$T/pin" --label KSK2 --format ds \
	--output "$T/ksk2.ds" >/dev/null
cat "$T/ksk1.ds" "$T/ksk2.ds" >"$T/both.ds"
"$BIN/keyroll-ksr" accept "$T/q1.xml" --ksr "$L/baseline/ksr-root-2010-q1-0.xml" \
	--anchor "$T/ksk1.ds" --previous-skr "$T/q4.xml" >"$T/acc.log"
grep -q '^PASS SKR-CHAIN' "$T/acc.log"
"$BIN/keyroll-ksr" accept "$T/q2.xml" --ksr "$L/baseline/ksr-root-2010-q2-0.xml" \
	--anchor "$T/both.ds" --previous-skr "$T/q1.xml" >/dev/null
if "$BIN/keyroll-ksr" accept "$T/q2.xml" --ksr "$L/baseline/ksr-root-2010-q2-0.xml" \
	--anchor "$T/ksk2.ds" >"$T/acc.log" 2>&1; then
	echo "the roll's first slot (KSK1 only) was accepted with a KSK2-only anchor"
	exit 1
fi
grep -q '^FAIL SKR-TRUST.*bundle 1 ' "$T/acc.log"
if "$BIN/keyroll-ksr" accept "$T/q2r.xml" --ksr "$L/baseline/ksr-root-2010-q2-0-revoke.xml" \
	--anchor "$T/ksk1.ds" >"$T/acc.log" 2>&1; then
	echo "an SKR signed only by a revoked KSK was accepted"
	exit 1
fi
grep -q '^FAIL SKR-TRUST' "$T/acc.log"
# ... and the published baseline SKRs likewise (ICANN's own files)
"$BIN/keyroll-ksr" accept "$L/baseline/skr-root-2010-q2-0.xml" \
	--ksr "$L/baseline/ksr-root-2010-q2-0.xml" --anchor "$T/both.ds" \
	--previous-skr "$L/baseline/skr-root-2010-q1-0.xml" >/dev/null
# The real 2017-Q2 root SKR: KSK-2010 is in the GTA root-anchors.xml fixture,
# not in the KSK-2017/KSK-2024 DS file.
R="$TESTDATA/icann/dnssec-keytools"
"$BIN/keyroll-ksr" accept "$R/skr-root-2017-q2-0.xml" --ksr "$R/ksr-root-2017-q2-0.xml" \
	--anchor "$TESTDATA/icann/get-trust-anchor/root-anchors.xml" \
	--previous-skr "$R/skr-root-2017-q1-0.xml" >/dev/null
if "$BIN/keyroll-ksr" accept "$R/skr-root-2017-q2-0.xml" --ksr "$R/ksr-root-2017-q2-0.xml" \
	--anchor "$TESTDATA/icann/get-trust-anchor/ksk-as-ds.txt" >/dev/null 2>&1; then
	echo "2017-Q2 accepted with anchors that lack KSK-2010"
	exit 1
fi

# The report names every check; the table marks the revoked, self-signing KSK1
# (5145) and warns about the two 1297-byte bundles; sizes agree with dnspython.
grep -q '^PASS KSR-BUNDLE-POP' "$T/q2.xml.log"
grep -q '^PASS KSR-CHAIN-KEYS' "$T/q2.xml.log"
grep -q '^PASS SKR-POLICY-KSK-KEYS' "$T/q2.xml.log"
grep -q '^7 .* 5145/385\*R 55186/257\* .* 1297 !' "$T/q2.xml.log"
[ "$($PY "$V" size "$T/q2.xml" 7)" = 1297 ]
[ "$($PY "$V" size "$T/q2.xml" 1)" = 883 ]
grep -q '^KSR SHA-256: ' "$T/q2.xml.log"
grep -q '^KSR PGP words: ' "$T/q2.xml.log"

expect_fail() { # status out-file command...
	want=$1 out=$2
	shift 2
	set +e
	"$@" >"$T/fail.log" 2>&1
	rc=$?
	set -e
	if [ "$rc" != "$want" ]; then
		echo "expected exit $want, got $rc: $*"
		cat "$T/fail.log"
		exit 1
	fi
	if [ -e "$out" ]; then
		echo "a failed run left $out behind"
		exit 1
	fi
	grep -q '^error: ' "$T/fail.log" || { echo "no error: line"; cat "$T/fail.log"; exit 1; }
}
SIGN="$BIN/keyroll-skr sign --ksr $L/baseline/ksr-root-2010-q1-0.xml --policy $POL --now 2009-12-20 --yes --no-previous-skr"

# A KSR that fails a check: its two PoP signatures swapped (ICANN's ksr.bad.xml
# trick applied to the legacy KSR).
$PY - "$L/baseline/ksr-root-2010-q1-0.xml" "$T/bad.xml" <<'EOF'
import sys, re
s = open(sys.argv[1]).read()
sigs = re.findall(r"<SignatureData>([^<]*)</SignatureData>", s)
s = s.replace(sigs[0], "@@", 1).replace(sigs[1], sigs[0], 1).replace("@@", sigs[1], 1)
open(sys.argv[2], "w").write(s)
EOF
expect_fail 1 "$T/o1.xml" $BIN/keyroll-skr sign --ksr "$T/bad.xml" --policy "$POL" --now 2009-12-20 \
	--yes --no-previous-skr --token legacy --pin-file "$T/pin" --ksk KSK1 --out "$T/o1.xml"
grep -q '^FAIL KSR-BUNDLE-POP' "$T/fail.log"
# ... and the replay of the previous SKR's id
expect_fail 1 "$T/o1.xml" $BIN/keyroll-skr sign --ksr "$L/baseline/ksr-root-2010-q1-0.xml" \
	--policy "$POL" --now 2009-12-20 --yes --previous-skr "$T/q1.xml" --token legacy \
	--pin-file "$T/pin" --ksk KSK1 --out "$T/o1.xml"
grep -q '^FAIL KSR-ID' "$T/fail.log"
# A KSK that is not the policy's (another key tag), or used outside its window
sed 's/key_tag: 5017/key_tag: 5018/' "$POL" >"$T/tag.yaml"
expect_fail 1 "$T/o2.xml" $SIGN --token legacy --pin-file "$T/pin" --ksk KSK1 --out "$T/o2.xml" \
	--policy "$T/tag.yaml"
grep -q '^FAIL SKR-POLICY-KSK-KEYS: KSK KSK1 has key tag 5017, the policy says 5018' "$T/fail.log"
awk '/label: KSK1/ {k=1} k && /valid_from/ {sub(/2009-01-01/, "2010-02-01"); k=0} {print}' "$POL" \
	>"$T/window.yaml"
expect_fail 1 "$T/o2.xml" $SIGN --token legacy --pin-file "$T/pin" --ksk KSK1 --out "$T/o2.xml" \
	--policy "$T/window.yaml"
grep -q '^FAIL SKR-POLICY-KSK-KEYS: KSK KSK1 would sign bundle 1 outside' "$T/fail.log"
expect_fail 3 "$T/o2.xml" $SIGN --token legacy --pin-file "$T/badpin" --ksk KSK1 --out "$T/o2.xml"
expect_fail 3 "$T/o3.xml" $SIGN --token legacy --pin-file "$T/pin" --ksk KSK9 --out "$T/o3.xml"
grep -q 'KSK9' "$T/fail.log"
expect_fail 3 "$T/o4.xml" $SIGN --token nosuchtoken --pin-file "$T/pin" --ksk KSK1 --out "$T/o4.xml"
# No token named at all is a usage error, not an HSM failure.
(unset KEYROLL_TOKEN; expect_fail 2 "$T/o4.xml" $SIGN --pin-file "$T/pin" --ksk KSK1 --out "$T/o4.xml")
expect_fail 2 "$T/o5.xml" $SIGN --token legacy --pin-file "$T/pin" --ksk KSK1 --schema nosuch \
	--out "$T/o5.xml"
# a schema needing two KSKs with one, and a KSK the schema does not use
expect_fail 2 "$T/o5.xml" $SIGN --token legacy --pin-file "$T/pin" --ksk KSK1 --schema rollover \
	--out "$T/o5.xml"
expect_fail 2 "$T/o5.xml" $SIGN --token legacy --pin-file "$T/pin" --ksk KSK1 --ksk KSK2 \
	--out "$T/o5.xml"
# neither --previous-skr nor --no-previous-skr
expect_fail 2 "$T/o6.xml" $BIN/keyroll-skr sign --ksr "$L/baseline/ksr-root-2010-q1-0.xml" \
	--policy "$POL" --token legacy --pin-file "$T/pin" --ksk KSK1 --yes --out "$T/o6.xml"
# no terminal to confirm on (no --yes): nothing signed
expect_fail 3 "$T/o7.xml" setsid $BIN/keyroll-skr sign --ksr "$L/baseline/ksr-root-2010-q1-0.xml" \
	--policy "$POL" --now 2009-12-20 --no-previous-skr --token legacy --pin-file "$T/pin" \
	--ksk KSK1 --out "$T/o7.xml"
# a failed run leaves an existing output untouched
cp "$T/q1.xml" "$T/keep.xml"
set +e
$SIGN --token legacy --pin-file "$T/badpin" --ksk KSK1 --out "$T/keep.xml" >/dev/null 2>&1
set -e
cmp "$T/q1.xml" "$T/keep.xml"

# --json: one object with the checks and the bundles
"$BIN/keyroll-skr" sign --ksr "$L/baseline/ksr-root-2010-q1-0.xml" --policy "$POL" --now 2009-12-20 \
	--yes --no-previous-skr --token legacy --pin-file "$T/pin" --ksk KSK1 --json \
	--out "$T/j.xml" >"$T/j.json"
$PY - "$T/j.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["signed"] is True and d["checks"]["result"] == "accepted", d
assert len(d["bundles"]) == 9 and d["bundles"][0]["dnskey_response_bytes"] == 883, d["bundles"][0]
assert len(d["ksr_sha256"]) == 64
EOF
$PY "$V" same-sigs "$T/j.xml" "$L/baseline/skr-root-2010-q1-0.xml"
echo "skr golden vectors: all SignatureData identical"
