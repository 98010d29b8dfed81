#!/bin/sh
# M-of-N officer cards: keyroll-hsm init --officers/--quorum/--cards, login
# with --card.  The split is checked by an independent Shamir implementation
# (Python, GF(2^8) with libgfshare's field polynomial), which rebuilds the
# PIN from any 3 of 5 cards; the PIN it finds logs in.  Refused: too few cards, a duplicated card, a forged card, cards of
# another token or of the same label re-initialised, a wrong passphrase, a
# damaged card file; usage errors change nothing.
set -u
: "${BIN:?}" "${TOP:?}" "${BUILD:?}"
PY=/usr/bin/python3
T=$(mktemp -d "$TOP/$BUILD/t.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/tokens" "$T/pass"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF="$T/softhsm2.conf"
unset KEYROLL_PIN KEYROLL_TOKEN KEYROLL_PKCS11_MODULE KEYROLL_PASSPHRASE_DIR
printf 'so-5678\n' >"$T/sopin"
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
C="$T/cards"

# --- usage errors create nothing -------------------------------------------------
expect 2 "need --officers, --quorum and --cards" $H init --token t1 --so-pin-file "$T/sopin" --officers 3 --cards "$C"
expect 2 "exceeds" $H init --token t1 --so-pin-file "$T/sopin" --officers 2 --quorum 3 --cards "$C"
printf 'x\n' >"$T/pin"
expect 2 "PIN is random" $H init --token t1 --so-pin-file "$T/sopin" --officers 3 --quorum 2 --cards "$C" --pin-file "$T/pin"
expect 2 "2 --officer names for 3" $H init --token t1 --so-pin-file "$T/sopin" --officers 3 --quorum 2 --cards "$C" --officer A --officer B
[ -e "$C" ] && fail "a usage error created the card directory"

# --- five officers, quorum three -----------------------------------------------------
$H init --token t1 --so-pin-file "$T/sopin" --officers 5 --quorum 3 --cards "$C" \
	--officer "Alice Adams" --officer "Bob Brown" --officer "Carol Clark" --officer "Dan Dare" \
	--officer "Eve Evans" >"$T/init.out" 2>&1 || { cat "$T/init.out"; exit 1; }
grep -q "5 officer cards, any 3 of which activate token 't1'" "$T/init.out" || fail "init summary"
for i in 1 2 3 4 5; do
	[ "$(stat -c %a "$C/t1-officer-$i.card")" = 600 ] || fail "card $i is not mode 0600"
done
mkdir "$T/c3" && cp "$C/t1-officer-2.card" "$T/c3/t9-officer-2.card"
expect 1 "exists already: cards are never overwritten" $H init --token t9 --so-pin-file "$T/sopin" --officers 3 --quorum 2 --cards "$T/c3"
softhsm2-util --show-slots 2>/dev/null | grep -q "Label: *t9 *$" && fail "init created a token although its cards could not be written"

# Independent check of the split: Shamir over GF(2^8) (libgfshare's field:
# x^8+x^4+x^3+x^2+1) in Python rebuilds the same PIN from every 3-subset and
# from all five; it hashes to the cards' check value.
$PY - "$C" >"$T/pin.rebuilt" <<'PYEOF' || fail "independent Shamir check"
import hashlib, itertools, sys
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
def mul(a, b):
    r = 0
    while b:
        if b & 1: r ^= a
        a <<= 1
        if a & 0x100: a ^= 0x11d
        b >>= 1
    return r
def inv(a):
    return next(x for x in range(1, 256) if mul(a, x) == 1)
def combine(cards):
    out = bytearray()
    for pos in range(len(cards[0]["share"])):
        s = 0
        for j, cj in enumerate(cards):
            num = den = 1
            for m, cm in enumerate(cards):
                if m != j:
                    num = mul(num, cm["index"]); den = mul(den, cm["index"] ^ cj["index"])
            s ^= mul(cj["share"][pos], mul(num, inv(den)))
        out.append(s)
    return bytes(out)
cards = [cbor(open("%s/t1-officer-%d.card" % (sys.argv[1], i), "rb").read())[0] for i in range(1, 6)]
assert [c["name"] for c in cards] == ["Alice Adams", "Bob Brown", "Carol Clark", "Dan Dare", "Eve Evans"]
assert all(c["threshold"] == 3 and c["count"] == 5 and c["token"] == "t1" for c in cards)
pins = {combine(list(s)) for s in itertools.combinations(cards, 3)} | {combine(cards)}
assert len(pins) == 1, pins
pin = pins.pop()
c = cards[0]
check = hashlib.sha256(b"keyroll card check v1\0officer\0" + c["serial"].encode() + b"\0" + pin).digest()
assert check == c["check"], "check value"
# two cards are not enough: every pair rebuilds something else
assert all(combine(list(s)) != pin for s in itertools.combinations(cards, 2))
assert len(pin) == 26 and pin.isalnum(), pin
print(pin.decode())
PYEOF
# the rebuilt PIN is the token's PIN
KEYROLL_PIN=$(cat "$T/pin.rebuilt") $H list --token t1 >/dev/null 2>&1 || fail "the independently rebuilt PIN does not log in"

# --- activation ------------------------------------------------------------------
$H keygen --token t1 --label ksk --algorithm ECDSAP256SHA256 --card "$C/t1-officer-1.card" \
	--card "$C/t1-officer-3.card" --card "$C/t1-officer-5.card" >/dev/null 2>"$T/err" || fail "3 of 5 cards: $(cat "$T/err")"
$H list --token t1 --card "$C/t1-officer-2.card" --card "$C/t1-officer-3.card" --card "$C/t1-officer-4.card" \
	--card "$C/t1-officer-5.card" | grep -q ksk || fail "4 of 5 cards"
expect 1 "2 cards given, the quorum is 3 of 5" $H list --token t1 --card "$C/t1-officer-1.card" --card "$C/t1-officer-2.card"
expect 1 "card 2 (Bob Brown) is given twice" $H list --token t1 --card "$C/t1-officer-1.card" \
	--card "$C/t1-officer-2.card" --card "$C/t1-officer-2.card"
cp "$C/t1-officer-2.card" "$T/copy.card"
expect 1 "given twice" $H list --token t1 --card "$C/t1-officer-1.card" --card "$C/t1-officer-2.card" --card "$T/copy.card"

# forged cards: a changed share byte, a card claiming another index
$PY - "$C/t1-officer-2.card" "$T/forged.card" share <<'PYEOF'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.find(b"eshare") + 6      # "share" key, then the byte string head (0x58 0x1a)
assert d[i] == 0x58, hex(d[i])
d[i + 2 + 5] ^= 0x40
open(sys.argv[2], "wb").write(d)
PYEOF
expect 1 "forged or damaged" $H list --token t1 --card "$C/t1-officer-1.card" --card "$T/forged.card" --card "$C/t1-officer-3.card"
$PY - "$C/t1-officer-2.card" "$T/forged2.card" <<'PYEOF'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.find(b"eindex") + 6
assert d[i] == 2
d[i] = 4
open(sys.argv[2], "wb").write(d)
PYEOF
expect 1 "forged or damaged" $H list --token t1 --card "$C/t1-officer-1.card" --card "$T/forged2.card" --card "$C/t1-officer-3.card"
head -c 60 "$C/t1-officer-3.card" >"$T/short.card"
expect 1 "is not a keyroll officer card" $H list --token t1 --card "$C/t1-officer-1.card" --card "$C/t1-officer-2.card" --card "$T/short.card"
# a different check value on one card
$PY - "$C/t1-officer-2.card" "$T/forged3.card" <<'PYEOF'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.find(b"echeck") + 6
d[i + 2] ^= 1
open(sys.argv[2], "wb").write(d)
PYEOF
expect 1 "disagree" $H list --token t1 --card "$C/t1-officer-1.card" --card "$T/forged3.card" --card "$C/t1-officer-3.card"

# foreign cards: another token's, and this label's previous incarnation
$H init --token t2 --so-pin-file "$T/sopin" --officers 3 --quorum 2 --cards "$T/t2cards" >/dev/null || fail "init t2"
expect 1 "is a card for token 't2', not 't1'" $H list --token t1 --card "$C/t1-officer-1.card" \
	--card "$C/t1-officer-2.card" --card "$T/t2cards/t2-officer-1.card"
expect 1 "not 't1'" $H list --token t1 --card "$T/t2cards/t2-officer-1.card" --card "$T/t2cards/t2-officer-2.card"
$H list --token t2 --card "$T/t2cards/t2-officer-3.card" --card "$T/t2cards/t2-officer-1.card" >/dev/null || fail "t2 with its cards"
# re-create token t1 (same label, new serial): the old cards are foreign
softhsm2-util --delete-token --token t1 >/dev/null 2>&1 || fail "delete t1"
$H init --token t1 --so-pin-file "$T/sopin" --officers 3 --quorum 2 --cards "$T/newcards" >/dev/null || fail "re-init t1"
expect 1 "belongs to token 't1' (serial .*), not to this token (serial" $H list --token t1 \
	--card "$C/t1-officer-1.card" --card "$C/t1-officer-2.card" --card "$C/t1-officer-3.card"

# --- sealed cards ------------------------------------------------------------------
for i in 1 2 3; do printf 'passphrase number %s\n' $i >"$T/pass/t3-officer-$i.card.pass"; done
KEYROLL_PASSPHRASE_DIR="$T/pass" $H init --token t3 --so-pin-file "$T/sopin" --officers 3 --quorum 2 \
	--cards "$T/sealed" --seal >"$T/out" 2>&1 || fail "sealed init: $(cat "$T/out")"
grep -q "(sealed)" "$T/out" || fail "cards not reported sealed"
grep -q "ct" "$T/sealed/t3-officer-1.card" || fail "sealed card lacks its ciphertext"
KEYROLL_PASSPHRASE_DIR="$T/pass" $H list --token t3 --card "$T/sealed/t3-officer-1.card" \
	--card "$T/sealed/t3-officer-3.card" >/dev/null 2>"$T/err" || fail "sealed cards: $(cat "$T/err")"
printf 'not my passphrase\n' >"$T/pass/t3-officer-3.card.pass"
KEYROLL_PASSPHRASE_DIR="$T/pass" expect 3 "wrong passphrase for .*t3-officer-3.card (card 3, officer 3)" \
	$H list --token t3 --card "$T/sealed/t3-officer-1.card" --card "$T/sealed/t3-officer-3.card"
expect 3 "reading the passphrase for .* from the terminal" \
	setsid $H list --token t3 --card "$T/sealed/t3-officer-1.card" --card "$T/sealed/t3-officer-2.card"

[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
echo "officer cards: all checks passed"
