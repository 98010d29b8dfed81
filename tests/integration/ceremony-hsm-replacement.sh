#!/bin/sh
# scripts/ceremonies/hsm-replacement.yaml as a rehearsal after the KSK
# generation rehearsal: the KSK moves to a new token with its own officer
# cards; both tokens' DS files are identical; the new token signs for the
# same DNSKEY (selftest) and can back the key up again under the same KEK.
. "$(dirname "$0")/ceremony-setup.inc"
ksk_generation || exit 1
printf 'so-pin-new\n' >so-new.pin
$H init --token ksk2026b --so-pin-file so-new.pin --officers 3 --quorum 2 --cards newcards >/dev/null || exit 1
$C run "$S/hsm-replacement.yaml" --answers "$S/hsm-replacement.answers.yaml" --log logs \
	>"$T/hr.out" 2>"$T/hr.err" </dev/null || { echo "FAIL: replacement: $(tail -5 "$T/hr.err")"; exit 1; }
LOG=$(ls logs/hsm-replacement-*.cbor)
$C verify-log "$LOG" --pubkey out/audit2026.pem >"$T/v.out" 2>&1 || fail "verify-log: $(cat "$T/v.out")"
cmp -s out/old-ksk2026.ds out/new-ksk2026.ds || fail "the DS differs between the tokens"
cmp -s out/old-ksk2026.ds out/ksk2026.ds || fail "the DS differs from the generation ceremony's"
NEW="--token ksk2026b --card newcards/ksk2026b-officer-1.card --card newcards/ksk2026b-officer-3.card"
$H export $NEW --label ksk2026 --format dnskey --output "$T/new.dnskey" || fail export
cmp -s "$T/new.dnskey" out/ksk2026.dnskey || fail "the restored DNSKEY differs"
$H selftest $NEW --label ksk2026 >/dev/null 2>"$T/err" || fail "selftest on the new token: $(cat "$T/err")"
$H backup $NEW --label ksk2026 --out "$T/again.backup" >"$T/b.out" || fail "backup from the new token"
fp_old=$(sed -n 's/^KEK fingerprint: //p' "$T/b.out")
grep -q "$fp_old" "$T/kg.out" || fail "the new token's KEK is not the generation ceremony's"
[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
echo "HSM replacement ceremony: rehearsal passed"
