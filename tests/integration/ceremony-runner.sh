#!/bin/sh
# keyroll-ceremony run / verify-log / transcript on a throw-away SoftHSM2
# token holding the audit key: a rehearsal with a manual step, a hash
# read-out (checked against sha256sum), an exception and a tool step; the
# sealed log verified with the audit key exported independently; every kind
# of tampering (changed, removed, reordered, appended, truncated record,
# other key) refused by verify-log; steps out of order, unknown initials,
# unknown script keys and a failing tool refused; resume after a failed step.
set -u
: "${BIN:?}" "${TOP:?}" "${BUILD:?}"
PY=/usr/bin/python3
T=$(mktemp -d "$TOP/$BUILD/t.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/tokens" "$T/logs"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF="$T/softhsm2.conf"
unset KEYROLL_PIN KEYROLL_TOKEN KEYROLL_PKCS11_MODULE
printf 'pin-1234\n' >"$T/pin"
printf 'so-5678\n' >"$T/sopin"
H="$BIN/keyroll-hsm" C="$BIN/keyroll-ceremony"
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

$H init --token audit --so-pin-file "$T/sopin" --pin-file "$T/pin" >/dev/null || exit 1
$H keygen --token audit --pin-file "$T/pin" --label audit-key --algorithm ECDSAP256SHA256 >/dev/null || exit 1
$H export --token audit --pin-file "$T/pin" --label audit-key --format pem --output "$T/audit.pem" || exit 1
$H keygen --token audit --pin-file "$T/pin" --label other-key --algorithm ED25519 >/dev/null || exit 1
$H export --token audit --pin-file "$T/pin" --label other-key --format dnskey --output "$T/other.dnskey" || exit 1
printf 'KSR contents\n' >"$T/ksr.xml"

cat >"$T/test.yaml" <<YAML
ceremony: Test ceremony
description: A small script for the runner tests.
roles:
  CA: Ceremony administrator
  IW: Internal witness
  SA: System administrator
params:
  token: audit
  pin: $T/pin
  ksr: $T/ksr.xml
  extra: [--json]
audit:
  token: "\${token}"
  key: audit-key
  pin-file: "\${pin}"
acts:
  - title: Opening
    steps:
      - roles: [CA]
        do: Confirm the room is closed and the cameras record.
      - roles: [CA, IW]
        title: Read out the KSR hash
        hash: "\${ksr}"
  - title: Inventory
    steps:
      - roles: SA
        title: List the keys
        run: [keyroll-hsm, list, --token, "\${token}", --pin-file, "\${pin}", "\${extra}"]
        note: The audit key must be listed.
      - roles: [IW]
        do: Witness signs the log sheet.
YAML
cat >"$T/answers.yaml" <<YAML
participants:
  - {role: CA, name: Alice Adams, initials: AA}
  - {role: IW, name: Bob <b>Brown</b>, initials: BB}
  - {role: SA, name: Carol Clark, initials: CC}
steps:
  - {step: "1.1", result: done, initials: AA}
  - {step: "1.2", result: exception, initials: BB, text: "Read twice: the first reading was interrupted"}
  - {step: "2.1", result: done, initials: CC}
  - {step: "2.2", result: done, initials: BB}
YAML

# --- a rehearsal -----------------------------------------------------------
$C run "$T/test.yaml" --answers "$T/answers.yaml" --log "$T/logs" >"$T/run.out" 2>"$T/run.err" </dev/null ||
	fail "rehearsal failed: $(cat "$T/run.err")"
LOG=$(ls "$T"/logs/test-*.cbor)
[ -f "$LOG" ] || { echo "FAIL: no log"; exit 1; }
grep -q "REHEARSAL" "$T/run.out" || fail "no rehearsal banner"
grep -q '"label": "audit-key"' "$T/run.out" || fail "tool output not shown"
# the KSR hash read out is the real SHA-256 of the file (sha256sum), in hex and PGP words
want=$(sha256sum "$T/ksr.xml" | cut -c1-64)
got=$(sed -n '/ksr.xml SHA-256:/,/PGP words/p' "$T/run.out" | grep -v 'SHA-256\|PGP' | tr -d ' \n')
[ "$got" = "$want" ] || fail "KSR hash $got, sha256sum says $want"
first=$($PY -c "import sys; print(int('$want'[:2],16))")
[ "$first" -ge 0 ] || fail "hash"

$C verify-log "$LOG" --pubkey "$T/audit.pem" >"$T/v.out" 2>"$T/v.err" || fail "verify-log: $(cat "$T/v.err")"
grep -q "valid: 8 records, 4 step records, 1 exceptions" "$T/v.out" || fail "verify-log summary: $(cat "$T/v.out")"
# the head hash printed at the close is the one verify-log prints
h1=$(grep -A2 'Log head' "$T/run.out" | tail -2 | tr -d ' \n')
h2=$(grep -A2 'Log head' "$T/v.out" | tail -2 | tr -d ' \n')
[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "head hash differs: $h1 / $h2"
$C verify-log "$LOG" --pubkey "$T/audit.pem" --json | $PY -c '
import json, sys
d = json.load(sys.stdin)
assert d["valid"] is True and d["records"] == 8 and len(d["head"]) == 64, d' || fail "verify-log --json"
# the log's records, decoded by an independent reader (python, no CBOR library:
# check the first bytes are a map with "v": 1) and its hash chain recomputed
$PY - "$LOG" <<'PYEOF' || fail "independent chain check"
import hashlib, sys
data = open(sys.argv[1], "rb").read()
# minimal canonical-CBOR walker: returns the end offset of the item at i
def item(i):
    b = data[i]; mt, ai = b >> 5, b & 31
    i += 1
    if ai < 24: arg = ai
    elif ai == 24: arg = data[i]; i += 1
    elif ai == 25: arg = int.from_bytes(data[i:i+2], "big"); i += 2
    elif ai == 26: arg = int.from_bytes(data[i:i+4], "big"); i += 4
    elif ai == 27: arg = int.from_bytes(data[i:i+8], "big"); i += 8
    else: raise ValueError("indefinite")
    if mt in (2, 3): return i + arg
    if mt == 4:
        for _ in range(arg): i = item(i)
        return i
    if mt == 5:
        for _ in range(2 * arg): i = item(i)
        return i
    return i
pos, prev, n = 0, b"\0" * 32, 0
while pos < len(data):
    end = item(pos)
    rec = data[pos:end]
    assert prev in rec, "record %d does not contain the previous hash" % n
    prev = hashlib.sha256(rec).digest()
    pos, n = end, n + 1
assert n == 8, n
PYEOF
# the PEM beside the log is the audit key (same as the independent export)
cmp -s "$LOG.audit-key.pem" "$T/audit.pem" || fail "audit key PEM beside the log differs"

# --- transcript --------------------------------------------------------------
$C transcript "$LOG" --pubkey "$T/audit.pem" --out "$T/t.html" || fail "transcript"
for s in "Test ceremony" "REHEARSAL" "Alice Adams" "Bob &lt;b&gt;Brown&lt;/b&gt;" \
	"Read twice: the first reading was interrupted" "seal verified" "1.2" "2.2" "$(echo "$want" | cut -c1-4)"; do
	grep -qF -- "$s" "$T/t.html" || fail "transcript lacks '$s'"
done
grep -q "<b>Brown</b>" "$T/t.html" && fail "transcript does not escape log text"
xmllint --html --noout "$T/t.html" 2>"$T/x.err" || fail "transcript is not well-formed HTML: $(head -3 "$T/x.err")"
$C transcript "$LOG" --out "$T/t2.html" || fail "transcript without --pubkey"
grep -q "seal was not verified" "$T/t2.html" || fail "transcript without --pubkey claims verification"

# --- tampering ---------------------------------------------------------------
# tamper KIND: write $T/bad.cbor from $LOG
tamper() {
	$PY - "$LOG" "$T/bad.cbor" "$1" <<'PYEOF'
import sys
data = open(sys.argv[1], "rb").read()
def item(i):
    b = data[i]; mt, ai = b >> 5, b & 31
    i += 1
    n = {24: 1, 25: 2, 26: 4, 27: 8}.get(ai, 0)
    arg = ai if ai < 24 else int.from_bytes(data[i:i+n], "big")
    i += n
    if mt in (2, 3): return i + arg
    if mt in (4, 5):
        for _ in range(arg * (2 if mt == 5 else 1)): i = item(i)
    return i
recs, pos = [], 0
while pos < len(data):
    end = item(pos); recs.append(data[pos:end]); pos = end
kind = sys.argv[3]
if kind == "changed":
    r = bytearray(recs[3]); i = r.find(b"interrupted"); r[i:i+11] = b"INTERRUPTED"; recs[3] = bytes(r)
elif kind == "removed":
    del recs[3]
elif kind == "reordered":
    recs[3], recs[4] = recs[4], recs[3]
elif kind == "appended":
    recs.append(recs[3])
elif kind == "truncated":
    recs[-1] = recs[-1][:-7]
elif kind == "unsealed":
    del recs[-1]
elif kind == "badsig":
    r = bytearray(recs[-1]); r[-1] ^= 1; recs[-1] = bytes(r)
open(sys.argv[2], "wb").write(b"".join(recs))
PYEOF
}
for k in changed:"does not chain" removed:"sequence number" reordered:"sequence number" \
	appended:"sequence number" truncated:"truncated" unsealed:"not sealed" badsig:"does not verify"; do
	tamper "${k%%:*}"
	expect 1 "${k#*:}" $C verify-log "$T/bad.cbor" --pubkey "$T/audit.pem"
	cmp -s "$T/bad.cbor" "$LOG" && fail "tamper ${k%%:*} did not change the log"
done
expect 1 "another audit key" $C verify-log "$LOG" --pubkey "$T/other.dnskey"
tamper changed
expect 1 "does not chain" $C transcript "$T/bad.cbor" --out "$T/bad.html"
[ -e "$T/bad.html" ] && fail "transcript of a broken log was written"

# --- refusals ------------------------------------------------------------------
# a step out of order: 2.1 answered before 1.2
sed 's/step: "1.2"/step: "X"/; s/step: "2.1"/step: "1.2"/; s/step: "X"/step: "2.1"/' \
	"$T/answers.yaml" >"$T/order.yaml"
mkdir "$T/l2"
expect 1 "answer 2 is for step 2.1, but the ceremony is at step 1.2: steps cannot be skipped or reordered" \
	$C run "$T/test.yaml" --answers "$T/order.yaml" --log "$T/l2"
L2=$(ls "$T"/l2/*.cbor)
expect 1 "not sealed" $C verify-log "$L2" --pubkey "$T/audit.pem"
# a skipped step
grep -v '"1.2"' "$T/answers.yaml" >"$T/skip.yaml"
expect 1 "steps cannot be skipped" $C run "$T/test.yaml" --answers "$T/skip.yaml" --log "$T/l2"
# a performer without the step's role
sed 's/{step: "2.1", result: done, initials: CC}/{step: "2.1", result: done, initials: AA}/' \
	"$T/answers.yaml" >"$T/role.yaml"
expect 1 "step 2.1: Alice Adams (AA) holds none of the step's roles" \
	$C run "$T/test.yaml" --answers "$T/role.yaml" --log "$T/l2"
# unknown keys in script and answers, undeclared role and parameter
{ cat "$T/test.yaml"; echo "# changed"; } >"$T/bad1.yaml"
sed 's/roles: SA/rols: SA/' "$T/test.yaml" >"$T/bad2.yaml"
expect 1 "unknown key 'rols'" $C run "$T/bad2.yaml" --answers "$T/answers.yaml" --log "$T/l2"
sed 's/roles: SA/roles: XX/' "$T/test.yaml" >"$T/bad3.yaml"
expect 1 "role 'XX' is not declared" $C run "$T/bad3.yaml" --answers "$T/answers.yaml" --log "$T/l2"
sed 's/\${ksr}/${nope}/' "$T/test.yaml" >"$T/bad4.yaml"
expect 1 "unknown parameter" $C run "$T/bad4.yaml" --answers "$T/answers.yaml" --log "$T/l2"
sed 's/run: \[keyroll-hsm/run: [sh/' "$T/test.yaml" >"$T/bad5.yaml"
expect 1 "run may only start" $C run "$T/bad5.yaml" --answers "$T/answers.yaml" --log "$T/l2"
printf 'participants: []\nsteps: []\nextra: 1\n' >"$T/bada.yaml"
expect 1 "unknown key 'extra'" $C run "$T/test.yaml" --answers "$T/bada.yaml" --log "$T/l2"
expect 2 "no terminal" $C run "$T/test.yaml" --log "$T/l2"
expect 2 "not declared\|NAME=VALUE" $C run "$T/test.yaml" --answers "$T/answers.yaml" --param bogus --log "$T/l2"
expect 1 "not declared" $C run "$T/test.yaml" --answers "$T/answers.yaml" --param bogus=1 --log "$T/l2"

# --- a failing tool stops the run; resume retries it -----------------------------
mkdir "$T/l3"
printf 'wrong-pin\n' >"$T/wrongpin"
expect 1 "step 2.1: keyroll-hsm failed with exit status 3" \
	$C run "$T/test.yaml" --answers "$T/answers.yaml" --log "$T/l3" --param pin="$T/wrongpin"
L3=$(ls "$T"/l3/*.cbor)
grep -q "continue with: keyroll-ceremony run" "$T/err" || fail "no resume hint"
# the wrong PIN is in the log's parameters, so the resumed run must use the
# same file: fix the cause (the file's content), then resume
cp "$T/pin" "$T/wrongpin"
expect 2 "cannot change a ceremony being resumed" $C run "$T/test.yaml" --resume "$L3" --param pin=x
$C run "$T/test.yaml" --resume "$L3" --answers "$T/answers.yaml" >"$T/r.out" 2>"$T/r.err" </dev/null ||
	fail "resume after a failed step: $(cat "$T/r.err")"
$C verify-log "$L3" --pubkey "$T/audit.pem" >"$T/v3.out" 2>&1 || fail "verify resumed log: $(cat "$T/v3.out")"
# records: open, people, 1.1, 1.2, 2.1 failed, resume, 2.1, 2.2, close, seal
grep -q "valid: 10 records, 5 step records" "$T/v3.out" || fail "resumed log: $(cat "$T/v3.out")"
expect 1 "sealed" $C run "$T/test.yaml" --resume "$L3" --answers "$T/answers.yaml"
# another script cannot resume this log
expect 1 "not the script this log was started with" $C run "$T/bad1.yaml" --resume "$L2" --answers "$T/answers.yaml"

[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
echo "ceremony runner: all checks passed"
