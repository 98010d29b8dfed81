#!/bin/sh
# KSK backup and restore across tokens with keyroll-hsm: backup-kek (recovery
# cards, SO-installed trusted KEK), keygen --backup, backup, restore on a
# second token activated by officer cards.  The restored key's DNSKEY and DS
# equal the original's; the DS in the container matches dnspython's; the KEK
# does not stay in the target token (pkcs11-tool); a key not generated for
# backup is refused and nothing is written; too few, wrong or foreign
# recovery cards, a damaged container and a second restore are refused.
set -u
: "${BIN:?}" "${TOP:?}" "${BUILD:?}"
PY=/usr/bin/python3
command -v pkcs11-tool >/dev/null || { echo "skip: pkcs11-tool not installed"; exit 77; }
$PY -c 'import dns.dnssec' 2>/dev/null || { echo "skip: python3-dnspython missing"; exit 77; }
T=$(mktemp -d "$TOP/$BUILD/t.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF="$T/softhsm2.conf"
unset KEYROLL_PIN KEYROLL_TOKEN KEYROLL_PKCS11_MODULE KEYROLL_PASSPHRASE_DIR
printf 'so-5678\n' >"$T/sopin"
printf 'pin-1234\n' >"$T/pin"
H="$BIN/keyroll-hsm"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() { # status 'error text' command...
	want=$1 text=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err" </dev/null
	got=$?
	[ "$got" = "$want" ] || fail "$* -> exit $got, want $want ($(cat "$T/err"))"
	grep -q "^error: .*$text" "$T/err" || fail "$* -> stderr lacks 'error: ...$text': $(cat "$T/err")"
}

# the old token with officer cards, the new one with a PIN
$H init --token old --so-pin-file "$T/sopin" --officers 3 --quorum 2 --cards "$T/oc" >/dev/null || exit 1
$H init --token new --so-pin-file "$T/sopin" --pin-file "$T/pin" >/dev/null || exit 1
OLD="--token old --card $T/oc/old-officer-1.card --card $T/oc/old-officer-2.card"
NEW="--token new --pin-file $T/pin"

# no KEK yet
$H keygen $OLD --label ksk --algorithm RSASHA256 --backup >"$T/keygen.out" || fail "keygen --backup"
expect 1 "has no backup KEK" $H backup $OLD --label ksk --out "$T/ksk.backup"
printf 'wrong\n' >"$T/badso"
expect 3 "wrong SO PIN" $H backup-kek --token old --so-pin-file "$T/badso" --holders 3 --quorum 2 --cards "$T/rc0"
$H backup-kek --token old --so-pin-file "$T/sopin" --holders 3 --quorum 2 --cards "$T/rc" \
	--holder "Rita Recovery" --holder "Sam Safe" --holder "Tom Trust" >"$T/kek.out" || fail "backup-kek"
grep -q "installed the backup KEK in token 'old'" "$T/kek.out" || fail "backup-kek output"
fp=$(sed -n 's/^KEK fingerprint: //p' "$T/kek.out")
expect 1 "has a backup KEK already" $H backup-kek --token old --so-pin-file "$T/sopin" --share "$T/rc/old-recovery-1.card" --share "$T/rc/old-recovery-2.card"
# the KEK in the token is trusted, wrap-only, not extractable (OpenSC's view)
pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label old --list-objects --type secrkey \
	>"$T/p11.out" 2>&1 || fail "pkcs11-tool list"
grep -q "keyroll-backup-kek" "$T/p11.out" || fail "KEK not on the token: $(cat "$T/p11.out")"
grep -qi "Usage: *wrap$" "$T/p11.out" || fail "KEK usage is not wrap only: $(cat "$T/p11.out")"

# --- backup -------------------------------------------------------------------
$H keygen $OLD --label plain --algorithm RSASHA256 >/dev/null || fail keygen
expect 1 "key 'plain' was not generated for backup" $H backup $OLD --label plain --out "$T/plain.backup"
[ -e "$T/plain.backup" ] && fail "a refused backup wrote a file"
expect 1 "no key labelled 'nope'" $H backup $OLD --label nope --out "$T/nope.backup"
$H backup $OLD --label ksk --out "$T/ksk.backup" >"$T/backup.out" 2>"$T/err" || fail "backup: $(cat "$T/err")"
[ "$(stat -c %a "$T/ksk.backup")" = 600 ] || fail "backup file mode"
grep -q "KEK fingerprint: $fp" "$T/backup.out" || fail "container names another KEK"
$H export $OLD --label ksk --format dnskey --output "$T/old.dnskey" || fail export
# the container read by an independent decoder; its DS is dnspython's
$PY - "$T/ksk.backup" "$T/old.dnskey" "$fp" <<'PYEOF' || fail "independent container check"
import sys, dns.dnssec, dns.name, dns.rdata, dns.rdataclass, dns.rdatatype, dns.zone
def cbor(data, i=0):
    b = data[i]; mt, ai = b >> 5, b & 31; i += 1
    n = {24: 1, 25: 2, 26: 4, 27: 8}.get(ai, 0)
    arg = ai if ai < 24 else int.from_bytes(data[i:i+n], "big"); i += n
    if mt == 0: return arg, i
    if mt == 2: return data[i:i+arg], i + arg
    if mt == 3: return data[i:i+arg].decode(), i + arg
    if mt == 5:
        d = {}
        for _ in range(arg):
            k, i = cbor(data, i); v, i = cbor(data, i); d[k] = v
        return d, i
    raise ValueError(mt)
c, end = cbor(open(sys.argv[1], "rb").read())
assert list(c) == ["v", "type", "label", "id", "algorithm", "dnskey", "zone", "ds", "key-tag",
                   "mechanism", "wrapped", "kek", "source", "created"], list(c)
assert c["type"] == "keyroll-key-backup" and c["label"] == "ksk" and c["algorithm"] == 8
assert c["mechanism"] == "CKM_AES_KEY_WRAP_PAD" and c["kek"].hex() == sys.argv[3]
line = open(sys.argv[2]).read().split()
key = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, " ".join(line[4:]))
assert key.to_wire() == c["dnskey"], "DNSKEY differs from the token's export"
ds = dns.dnssec.make_ds(dns.name.root, key, "SHA256")
assert ds.digest == c["ds"] and ds.key_tag == c["key-tag"]
# AES key wrap with padding: 8-byte blocks, longer than a PKCS#8 RSA-2048 key
assert len(c["wrapped"]) % 8 == 0 and len(c["wrapped"]) > 1100
PYEOF

# --- restore --------------------------------------------------------------------
expect 1 "1 card given, the quorum is 2 of 3" $H restore "$T/ksk.backup" $NEW --share "$T/rc/old-recovery-2.card"
expect 1 "given twice" $H restore "$T/ksk.backup" $NEW --share "$T/rc/old-recovery-2.card" --share "$T/rc/old-recovery-2.card"
expect 1 "is a officer card, not a recovery card\|not a recovery card" $H restore "$T/ksk.backup" $NEW \
	--share "$T/oc/old-officer-1.card" --share "$T/oc/old-officer-2.card"
# recovery cards of another KEK
$H init --token other --so-pin-file "$T/sopin" --pin-file "$T/pin" >/dev/null || fail "init other"
$H backup-kek --token other --so-pin-file "$T/sopin" --holders 2 --quorum 2 --cards "$T/rc2" >/dev/null || fail "backup-kek other"
expect 1 "rebuild another KEK" $H restore "$T/ksk.backup" $NEW --share "$T/rc2/other-recovery-1.card" \
	--share "$T/rc2/other-recovery-2.card"
expect 1 "different card sets" $H restore "$T/ksk.backup" $NEW --share "$T/rc/old-recovery-1.card" \
	--share "$T/rc2/other-recovery-2.card"
# a damaged container (one byte of the wrapped key) and a truncated one
$PY - "$T/ksk.backup" "$T/bad.backup" <<'PYEOF'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.find(b"gwrapped") + 8 + 3 + 100
d[i] ^= 0x01
open(sys.argv[2], "wb").write(d)
PYEOF
expect 1 "does not unwrap to the key it names" $H restore "$T/bad.backup" $NEW \
	--share "$T/rc/old-recovery-1.card" --share "$T/rc/old-recovery-3.card"
head -c 300 "$T/ksk.backup" >"$T/short.backup"
expect 1 "not a keyroll key backup" $H restore "$T/short.backup" $NEW \
	--share "$T/rc/old-recovery-1.card" --share "$T/rc/old-recovery-3.card"
$H list $NEW | grep -q ksk && fail "a refused restore left a key"

$H restore "$T/ksk.backup" $NEW --share "$T/rc/old-recovery-3.card" --share "$T/rc/old-recovery-1.card" \
	>"$T/restore.out" 2>"$T/err" || fail "restore: $(cat "$T/err")"
grep -q "the KEK is destroyed" "$T/restore.out" || fail "restore output"
pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label new --login --pin pin-1234 \
	--list-objects --type secrkey >"$T/p11new.out" 2>&1
grep -qi "secret key" "$T/p11new.out" && fail "a secret key stayed in the new token: $(cat "$T/p11new.out")"
expect 1 "exists already" $H restore "$T/ksk.backup" $NEW --share "$T/rc/old-recovery-3.card" \
	--share "$T/rc/old-recovery-1.card"
# same DNSKEY, same DS, key tag on both tokens
$H export $NEW --label ksk --format dnskey --output "$T/new.dnskey" || fail "export new"
cmp -s "$T/old.dnskey" "$T/new.dnskey" || fail "restored DNSKEY differs"
$H export $OLD --label ksk --format ds --output "$T/old.ds" && $H export $NEW --label ksk --format ds --output "$T/new.ds" &&
	cmp -s "$T/old.ds" "$T/new.ds" || fail "restored DS differs"
$H list $NEW --json | $PY -c '
import json, sys
k = [k for k in json.load(sys.stdin) if k["label"] == "ksk"][0]
assert k["sensitive"] and k["sign"] and not k["decrypt"] and not k["unwrap"] and not k["derive"], k
assert k["wrap_with_trusted"] is True and k["imported"] is True, k' || fail "restored key attributes"
# the restored key signs: selftest on it
$H selftest $NEW --label ksk >/dev/null 2>"$T/err" || fail "selftest of the restored key: $(cat "$T/err")"

# --- the new token takes over: same KEK from the cards, the key can move again ----
$H backup-kek --token new --so-pin-file "$T/sopin" --share "$T/rc/old-recovery-2.card" \
	--share "$T/rc/old-recovery-3.card" >"$T/kek2.out" || fail "backup-kek --share"
grep -q "KEK fingerprint: $fp" "$T/kek2.out" || fail "the rebuilt KEK differs"
$H backup $NEW --label ksk --out "$T/ksk2.backup" >/dev/null || fail "backup from the new token"

[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
echo "key backup/restore: all checks passed"
