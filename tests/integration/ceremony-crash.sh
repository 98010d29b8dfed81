#!/bin/sh
# A ceremony run interactively on a pseudo-terminal and killed (SIGKILL)
# between two records, then resumed: the chain is checked first, the records
# written before the crash are kept byte for byte, every step appears once,
# and the sealed log verifies.  Also: a crash between the close and the seal
# record is finished by --resume.
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
$H init --token audit --so-pin-file "$T/sopin" --pin-file "$T/pin" >/dev/null || exit 1
$H keygen --token audit --pin-file "$T/pin" --label audit-key --algorithm ED25519 >/dev/null || exit 1
$H export --token audit --pin-file "$T/pin" --label audit-key --format dnskey --output "$T/audit.dnskey" || exit 1

cat >"$T/crash.yaml" <<YAML
ceremony: Crash test
roles:
  CA: Ceremony administrator
  IW: Internal witness
params:
  pin: $T/pin
audit:
  token: audit
  key: audit-key
  pin-file: "\${pin}"
acts:
  - title: One
    steps:
      - roles: [CA]
        do: First step.
      - roles: [IW]
        do: Second step.
  - title: Two
    steps:
      - roles: [CA]
        title: Inventory
        run: [keyroll-hsm, list, --token, audit, --pin-file, "\${pin}"]
      - roles: [IW]
        do: Last step.
YAML

$PY - "$C" "$T/crash.yaml" "$T/logs" <<'PYEOF'
import os, pty, re, signal, sys, time, glob
tool, script, logdir = sys.argv[1:4]

def session(args, answers, kill_at=None):
    """Drive the runner on a pty: answers is a list of (prompt regex, reply).
    With kill_at, SIGKILL the runner when that prompt appears."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(tool, [tool] + args)
    buf = b""
    full = []
    def wait_for(rx):
        nonlocal buf
        deadline = time.time() + 30
        while not re.search(rx, buf):
            if time.time() > deadline:
                raise SystemExit("timeout waiting for %r; got:\n%s" % (rx, buf.decode(errors="replace")))
            try:
                data = os.read(fd, 4096)
            except OSError:
                raise SystemExit("runner ended early:\n" + buf.decode(errors="replace"))
            if not data:
                raise SystemExit("runner ended early:\n" + buf.decode(errors="replace"))
            buf += data
            full.append(data)
        m = re.search(rx, buf)
        buf = buf[m.end():]
    for rx, reply in answers:
        wait_for(rx)
        if kill_at is not None and rx == kill_at:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        os.write(fd, reply.encode() + b"\n")
    # drain to the end
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        full.append(data)
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st), b"".join(full).decode(errors="replace")

people = [
    (rb"CA \(Ceremony administrator\) name: ", "Alice Adams"), (rb"initials: ", "AA"),
    (rb"CA \(Ceremony administrator\) name: ", ""),
    (rb"IW \(Internal witness\) name: ", "Bob Brown"), (rb"initials: ", "BB"),
    (rb"IW \(Internal witness\) name: ", ""),
]
ini = rb"initials of the performer: "
res = rb"result \[done/exception\]: "
steps = [
    (ini, "AA"), (res, "done"),                                   # 1.1
    (ini, "AA"), (rb"not a participant holding", ""), (ini, "BB"),  # 1.2: wrong role refused, retried
    (res, "maybe"), (res, "exception"), (rb"exception \(what happened", "Dropped the pen"),
    (rb"-- Step 2.1", ""),                                        # kill here
]
# the first session is killed while step 2.1 waits for its performer
assert session(["run", script, "--log", logdir], people + steps[:-1] + [(rb"-- Step 2.1 \[CA\] Inventory", "")],
               kill_at=rb"-- Step 2.1 \[CA\] Inventory") is None
logs = glob.glob(logdir + "/crash-*.cbor")
assert len(logs) == 1, logs
open(logdir + "/before-crash", "wb").write(open(logs[0], "rb").read())
rc, out = session(["run", script, "--resume", logs[0]],
                  [(ini, "AA"), (res, "done"), (ini, "BB"), (res, "done")])
assert rc == 0, out
assert "Resuming" in out and "2 of 4 steps completed" in out, out
assert "Ceremony complete: 4 steps, 1 exceptions." in out, out
print(logs[0])
PYEOF
[ $? = 0 ] || { echo "FAIL: pty session"; exit 1; }
LOG=$(ls "$T"/logs/crash-*.cbor)
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# nothing lost: the log before the crash is a prefix of the final log
n=$(wc -c <"$T/logs/before-crash")
[ "$n" -gt 0 ] || fail "empty log before the crash"
head -c "$n" "$LOG" | cmp -s - "$T/logs/before-crash" || fail "records written before the crash changed"
$C verify-log "$LOG" --pubkey "$T/audit.dnskey" >"$T/v.out" 2>&1 || fail "verify-log: $(cat "$T/v.out")"
# open, participants, 1.1, 1.2, resume, 2.1, 2.2, close, seal
grep -q "valid: 9 records, 4 step records, 1 exceptions" "$T/v.out" || fail "$(cat "$T/v.out")"
$C transcript "$LOG" --out "$T/t.html" --pubkey "$T/audit.dnskey" || fail transcript
grep -q "Resumed at" "$T/t.html" || fail "transcript does not show the resume"
grep -q "Dropped the pen" "$T/t.html" || fail "transcript lacks the exception"

# a crash between close and seal: cut the seal off a sealed log, resume seals it
$PY - "$LOG" "$T/logs/cut.cbor" <<'PYEOF'
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
ends, pos = [], 0
while pos < len(data):
    pos = item(pos); ends.append(pos)
open(sys.argv[2], "wb").write(data[:ends[-2]])
PYEOF
$C verify-log "$T/logs/cut.cbor" --pubkey "$T/audit.dnskey" >/dev/null 2>&1 && fail "unsealed log verified"
$C run "$T/crash.yaml" --resume "$T/logs/cut.cbor" </dev/null >"$T/r.out" 2>&1 && fail "interactive log resumed without a terminal"
$PY -c '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))' "$C" run "$T/crash.yaml" --resume "$T/logs/cut.cbor" >"$T/r.out" 2>&1 ||
	fail "resume to seal: $(cat "$T/r.out")"
$C verify-log "$T/logs/cut.cbor" --pubkey "$T/audit.dnskey" >"$T/v2.out" 2>&1 || fail "resealed: $(cat "$T/v2.out")"
# the resealed log keeps every record of the cut one: open .. close
cut_len=$(wc -c <"$T/logs/before-crash")
head -c "$cut_len" "$T/logs/cut.cbor" | cmp -s - "$T/logs/before-crash" || fail "resealing changed earlier records"
grep -q "valid: 9 records" "$T/v2.out" || fail "resealed log: $(cat "$T/v2.out")"

[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
echo "ceremony crash/resume: all checks passed"
