#!/bin/sh
# scripts/ceremonies/ksr-signing.yaml as a rehearsal after the KSK
# generation rehearsal: a real ICANN KSR (the legacy test set, 2010 Q1) is
# validated against its previous SKR and signed with officer cards by the
# legacy TEST KSK1 (imported into the ceremony's token); the SKR's
# signatures are byte for byte those of ICANN's baseline SKR (RSA PKCS#1
# v1.5 is deterministic), the SKR verifies and the sealed log verifies.
. "$(dirname "$0")/ceremony-setup.inc"
: "${TESTDATA:?}"
L="$TESTDATA/icann/dnssec-keytools-legacy"
POLICY="$TOP/tests/data/legacy-policy.yaml"
"$BIN/keyroll-skr" sign --help 2>/dev/null | grep -q -- '--card' ||
	{ echo "skip: this build's keyroll-skr sign does not take --card (officer cards)"; exit 77; }
[ -f "$POLICY" ] || { echo "skip: $POLICY (legacy KSR policy) is not in this tree"; exit 77; }
ksk_generation || exit 1
# the policy knows the legacy TEST KSK1 only: bring it into the token (a
# rehearsal; a real ceremony signs with the key generated in the token)
$H import --token ksk2026 --card cards/ksk2026-officer-1.card --card cards/ksk2026-officer-2.card \
	--card cards/ksk2026-officer-3.card --label KSK1 --key-file "$L/test-keys/rsa2048-1.key" >/dev/null ||
	{ echo "FAIL: import of the legacy TEST KSK1"; exit 1; }
$C run "$S/ksr-signing.yaml" --answers "$S/ksr-signing.answers.yaml" --log logs \
	--param ksr="$L/baseline/ksr-root-2010-q1-0.xml" --param previous-skr="$L/baseline/skr-root-2009-q4-2.xml" \
	--param now=2009-12-20 --param policy="$POLICY" --param ksk-label=KSK1 >"$T/ks.out" 2>"$T/ks.err" </dev/null ||
	{ echo "FAIL: KSR signing: $(tail -5 "$T/ks.err")"; exit 1; }
LOG=$(ls logs/ksr-signing-*.cbor)
$C verify-log "$LOG" --pubkey out/audit2026.pem >"$T/v.out" 2>&1 || fail "verify-log: $(cat "$T/v.out")"
"$BIN/keyroll-skr" verify out/skr.xml >"$T/skr.out" 2>&1 || fail "SKR does not verify: $(cat "$T/skr.out")"
# the same signatures as ICANN's SKR for this KSR
$PY - out/skr.xml "$L/baseline/skr-root-2010-q1-0.xml" <<'PYEOF' || fail "SKR signatures differ from ICANN's baseline"
import re, sys
sig = lambda f: sorted(re.findall(r"<SignatureData>([^<]+)</SignatureData>", open(f).read()))
a, b = sig(sys.argv[1]), sig(sys.argv[2])
assert a and [s.replace("\n", "").strip() for s in a] == [s.replace("\n", "").strip() for s in b], (len(a), len(b))
PYEOF
want=$(sha256sum "$L/baseline/ksr-root-2010-q1-0.xml" | cut -c1-64)
tr -d ' \n' <"$T/ks.out" | grep -q "$want" || fail "the KSR hash was not read out"
[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
echo "KSR signing ceremony: rehearsal passed"
