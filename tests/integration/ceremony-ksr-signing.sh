#!/bin/sh
# scripts/ceremonies/ksr-signing.yaml as a rehearsal after the KSK
# generation rehearsal: a real ICANN KSR (legacy test set) is validated and
# signed by the ceremony's KSK with officer cards; the SKR verifies and the
# sealed log verifies.  Needs keyroll-skr sign with --card (officer cards).
. "$(dirname "$0")/ceremony-setup.inc"
: "${TESTDATA:?}"
L="$TESTDATA/icann/dnssec-keytools-legacy"
POLICY="$TOP/tests/data/legacy-policy.yaml"
"$BIN/keyroll-skr" sign --help 2>/dev/null | grep -q -- '--card' ||
	{ echo "skip: this build's keyroll-skr sign does not take --card (officer cards)"; exit 77; }
[ -f "$POLICY" ] || { echo "skip: $POLICY (legacy KSR policy) is not in this tree"; exit 77; }
ksk_generation || exit 1
$C run "$S/ksr-signing.yaml" --answers "$S/ksr-signing.answers.yaml" --log logs \
	--param ksr="$L/baseline/ksr-root-2009-q4-2.xml" --param previous=--no-previous-skr \
	--param now=2009-10-20 --param policy="$POLICY" >"$T/ks.out" 2>"$T/ks.err" </dev/null ||
	{ echo "FAIL: KSR signing: $(tail -5 "$T/ks.err")"; exit 1; }
LOG=$(ls logs/ksr-signing-*.cbor)
$C verify-log "$LOG" --pubkey out/audit2026.pem >"$T/v.out" 2>&1 || fail "verify-log: $(cat "$T/v.out")"
"$BIN/keyroll-skr" verify out/skr.xml >"$T/skr.out" 2>&1 || fail "SKR does not verify: $(cat "$T/skr.out")"
want=$(sha256sum "$L/baseline/ksr-root-2009-q4-2.xml" | cut -c1-64)
tr -d ' \n' <"$T/ks.out" | grep -q "$want" || fail "the KSR hash was not read out"
[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
echo "KSR signing ceremony: rehearsal passed"
