#!/bin/sh
# keyroll-hsm end to end on a throw-away SoftHSM2 token: init, keygen for all
# five algorithms, list --json, export; DNSKEY, key tag and DS cross-checked
# with dnspython and ldns-key2ds, the PEM export with python3-cryptography;
# pkcs11-tool (OpenSC) confirms the private key attributes; import of the
# legacy ICANN test key (tags 5017/5145); every bad input gives its error:
# line and exit status; no PIN on the command line.
set -u
: "${BIN:?}" "${TOP:?}" "${BUILD:?}" "${TESTDATA:?}"
PY=/usr/bin/python3
MODULE=/usr/lib/softhsm/libsofthsm2.so
for tool in ldns-key2ds pkcs11-tool; do
	command -v $tool >/dev/null || { echo "skip: $tool not installed"; exit 77; }
done
$PY -c 'import dns.dnssec, cryptography' 2>/dev/null || { echo "skip: python3-dnspython/cryptography missing"; exit 77; }

T=$(mktemp -d "$TOP/$BUILD/t.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF="$T/softhsm2.conf"
unset KEYROLL_PIN KEYROLL_TOKEN KEYROLL_PKCS11_MODULE
PIN=pin-31415926
umask 077
printf '%s\n' "$PIN" >"$T/pin"
printf 'so-27182818\n' >"$T/sopin"
printf 'not-the-pin\n' >"$T/badpin"
H="$BIN/keyroll-hsm"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect STATUS 'error text' command...: exit status and the error: line.
expect() {
	want=$1 text=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	[ "$got" = "$want" ] || fail "$* -> exit $got, want $want ($(cat "$T/err"))"
	grep -q "^error: .*$text" "$T/err" || fail "$* -> stderr lacks 'error: ...$text': $(cat "$T/err")"
}
ok() {
	"$@" >"$T/out" 2>"$T/err" || { fail "$* -> exit $? ($(cat "$T/err"))"; return 1; }
}

# --- init -----------------------------------------------------------------------
ok "$H" init --token itest --so-pin-file "$T/sopin" --pin-file "$T/pin" &&
	grep -q "initialised token 'itest'" "$T/out" || fail "init output: $(cat "$T/out")"
expect 1 "exists already" "$H" init --token itest --so-pin-file "$T/sopin" --pin-file "$T/pin"
expect 2 "so-pin-file is required" "$H" init --token other --pin-file "$T/pin"
printf 'abc\n' >"$T/shortpin"
expect 1 "refuses PINs of that length" "$H" init --token short --so-pin-file "$T/sopin" --pin-file "$T/shortpin"
expect 3 "PKCS#11 module /nonexistent/libp11.so not found" "$H" init --token other --so-pin-file "$T/sopin" \
	--pin-file "$T/pin" --module /nonexistent/libp11.so
C="--token itest --pin-file $T/pin"

# --- keygen for the five algorithms ----------------------------------------------
for spec in rsa256:RSASHA256:2048 rsa512:RSASHA512:3072 p256:ECDSAP256SHA256: \
	p384:ECDSAP384SHA384: ed:ED25519:; do
	label=${spec%%:*} rest=${spec#*:}
	alg=${rest%%:*} bits=${rest#*:}
	ok "$H" keygen $C --label "$label" --algorithm "$alg" ${bits:+--bits $bits} --zone example.org || continue
	cp "$T/out" "$T/keygen-$label"
	grep -q '^example\.org\. 172800 IN DNSKEY 257 3 ' "$T/out" || fail "keygen $label: no DNSKEY line"
	grep -q '^example\.org\. 172800 IN DS [0-9]* [0-9]* 2 [0-9A-F]\{64\}$' "$T/out" || fail "keygen $label: no DS line"
	grep -q '^; DS SHA-256 in PGP words: [A-Za-z]' "$T/out" || fail "keygen $label: no PGP words"
	grep -q "^; key tag [0-9]*, revoked key tag [0-9]*$" "$T/out" || fail "keygen $label: no key tags"
done
expect 1 "exists already" "$H" keygen $C --label p256 --algorithm ED25519

# --- independent checks of every key: dnspython and ldns ---------------------------
ok "$H" list $C --json --zone example.org && cp "$T/out" "$T/list.json"
for label in rsa256 rsa512 p256 p384 ed; do
	ok "$H" export $C --label "$label" --format dnskey --zone example.org && cp "$T/out" "$T/$label.dnskey"
	ok "$H" export $C --label "$label" --format ds --zone example.org && cp "$T/out" "$T/$label.ds"
	ok "$H" export $C --label "$label" --format ds --zone example.org --flags 385 && cp "$T/out" "$T/$label.rds"
	ok "$H" export $C --label "$label" --format pem --output "$T/$label.pem"
	# keygen printed the same DNSKEY and DS as export.
	grep -qxF "$(cat "$T/$label.dnskey")" "$T/keygen-$label" || fail "$label: keygen and export DNSKEY differ"
	grep -qxF "$(cat "$T/$label.ds")" "$T/keygen-$label" || fail "$label: keygen and export DS differ"
	(cd "$T" && ldns-key2ds -n -2 "$label.dnskey") >"$T/ldns.ds" 2>"$T/err" || fail "ldns-key2ds $label: $(cat "$T/err")"
	$PY - "$T" "$label" <<'EOF' || fail "dnspython check of $label"
import json, sys
import dns.dnssec, dns.name, dns.rdata
from cryptography.hazmat.primitives import serialization
t, label = sys.argv[1], sys.argv[2]
line = open(f"{t}/{label}.dnskey").read().split()
owner, ttl, cls, typ, rest = line[0], line[1], line[2], line[3], " ".join(line[4:])
key = dns.rdata.from_text("IN", "DNSKEY", rest)
ds = dns.dnssec.make_ds(dns.name.from_text(owner), key, "SHA256")
ours = open(f"{t}/{label}.ds").read().split()
assert ours[:4] == [owner, ttl, "IN", "DS"], ours
assert dns.rdata.from_text("IN", "DS", " ".join(ours[4:])) == ds, (ours, ds)
ldns = open(f"{t}/ldns.ds").read().split()
assert dns.rdata.from_text("IN", "DS", " ".join(ldns[4:])) == ds, ("ldns", ldns, ds)
tag = dns.dnssec.key_id(key)
entry = [k for k in json.load(open(f"{t}/list.json")) if k["label"] == label][0]
assert entry["key_tag"] == tag and entry["algorithm"] == key.algorithm, (entry, tag)
assert entry["ds_digest"] == ds.digest.hex().upper(), entry
assert entry["ds"] == " ".join(ours), (entry["ds"], ours)
revoked = dns.rdata.from_text("IN", "DNSKEY", rest.replace("257", "385", 1))
rds = open(f"{t}/{label}.rds").read().split()
assert int(rds[4]) == dns.dnssec.key_id(revoked) == entry["revoked_key_tag"], (rds, entry)
assert dns.rdata.from_text("IN", "DS", " ".join(rds[4:])) == dns.dnssec.make_ds(dns.name.from_text(owner), revoked, "SHA256")
# The PEM export is the same public key.
pub = serialization.load_pem_public_key(open(f"{t}/{label}.pem", "rb").read())
assert dns.dnssec.make_dnskey(pub, key.algorithm, flags=257) == key, "PEM differs from DNSKEY"
# The template, as the token reports it through keyroll.
for a, v in (("sensitive", True), ("always_sensitive", True), ("extractable", False),
             ("never_extractable", True), ("sign", True), ("decrypt", False),
             ("unwrap", False), ("derive", False), ("local", True), ("imported", False)):
    assert entry[a] is v, (label, a, entry[a])
EOF
done
bits=$($PY -c 'import json,sys; print(" ".join(str(k["bits"]) for k in json.load(open(sys.argv[1]))))' "$T/list.json")
[ "$bits" = "256 256 384 2048 3072" ] || fail "list --json sizes (ed p256 p384 rsa256 rsa512): $bits"

# --- OpenSC's view of the private keys ---------------------------------------------
pkcs11-tool --module "$MODULE" --token-label itest --login --pin "$PIN" -O >"$T/p11" 2>&1 || fail "pkcs11-tool -O: $(cat "$T/p11")"
$PY - "$T/p11" <<'EOF' || fail "pkcs11-tool attribute check"
import re, sys
text = open(sys.argv[1]).read()
objs = re.split(r"\n(?=\S)", text)
priv = [o for o in objs if o.startswith("Private Key Object")]
assert len(priv) == 5, (len(priv), text)
for o in priv:
    usage = re.search(r"Usage:\s*(.*)", o).group(1)
    access = re.search(r"Access:\s*(.*)", o).group(1)
    assert [u.strip() for u in usage.split(",")] == ["sign"], o
    for need in ("sensitive", "always sensitive", "never extractable", "local"):
        assert need in [a.strip() for a in access.split(",")], (need, o)
    assert "decrypt" not in usage and "unwrap" not in usage, o
pub = [o for o in objs if o.startswith("Public Key Object")]
assert len(pub) == 5, text
for o in pub:
    usage = re.search(r"Usage:\s*(.*)", o).group(1)
    assert [u.strip() for u in usage.split(",")] == ["verify"], o
EOF

# --- import of the legacy ICANN test KSK1 -------------------------------------------
LEGACY="$TESTDATA/icann/dnssec-keytools-legacy/test-keys/rsa2048-1.key"
ok "$H" import $C --label ksk1 --key-file "$LEGACY" &&
	grep -q '^; key tag 5017, revoked key tag 5145$' "$T/out" || fail "import ksk1: $(cat "$T/out")"
grep -q '^\. 172800 IN DS 5017 8 2 F40F' "$T/out" || fail "import ksk1: DS is not the published one"
ok "$H" list $C --json && $PY - "$T/out" <<'EOF' || fail "list shows ksk1 as imported"
import json, sys
k = [k for k in json.load(open(sys.argv[1])) if k["label"] == "ksk1"][0]
assert k["key_tag"] == 5017 and k["revoked_key_tag"] == 5145, k
assert k["imported"] is True and k["always_sensitive"] is False and k["never_extractable"] is False, k
assert k["sensitive"] is True and k["extractable"] is False and k["decrypt"] is False, k
EOF
ok "$H" list $C && grep -A8 '^ksk1$' "$T/out" | grep -q 'origin *imported' || fail "list text: ksk1 not shown as imported"
expect 1 "exists already" "$H" import $C --label ksk1 --key-file "$LEGACY"
printf 'not a key\n' >"$T/junk.pem"
expect 1 "not a PEM private key" "$H" import $C --label junk --key-file "$T/junk.pem"
expect 1 "does not fit" "$H" import $C --label k2 --key-file "$LEGACY" --algorithm ED25519
expect 3 "reading $T/none.pem" "$H" import $C --label k2 --key-file "$T/none.pem"

# --- selftest and delete ----------------------------------------------------------------
ok "$H" selftest $C && grep -q '^selftest passed$' "$T/out" || fail "selftest: $(cat "$T/out")"
[ "$(grep -c '^ok ' "$T/out")" = 5 ] || fail "selftest: not five algorithms: $(cat "$T/out")"
ok "$H" selftest $C --label ksk1 --label ed && grep -q '^ok   ksk1 .*key tag 5017' "$T/out" || fail "selftest --label: $(cat "$T/out")"
expect 1 "no key labelled 'nope'" "$H" selftest $C --label nope
ok "$H" selftest $C --json && $PY - "$T/out" <<'EOF' || fail "selftest --json: $(cat "$T/out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["passed"] is True and r["token"]["label"] == "itest", r
assert [c["algorithm"] for c in r["checks"]] == ["RSASHA256", "RSASHA512", "ECDSAP256SHA256",
                                                 "ECDSAP384SHA384", "ED25519"], r
assert all(c["ok"] is True and c["error"] is None for c in r["checks"]), r
EOF
"$H" selftest $C --json --label ed --label nope >"$T/out" 2>"$T/err"
[ $? = 1 ] && $PY -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["passed"] is False and [c["ok"] for c in r["checks"]] == [True, False], r' "$T/out" ||
	fail "selftest --json with a missing key: $(cat "$T/out" "$T/err")"
ok "$H" delete $C --label ksk1 --yes
expect 1 "no key labelled 'ksk1'" "$H" export $C --label ksk1 --format dnskey
expect 1 "no key labelled 'ksk1'" "$H" delete $C --label ksk1 --yes
# Without a terminal and without --yes nothing is deleted.
setsid -w "$H" delete $C --label ed </dev/null >"$T/out" 2>"$T/err"
[ $? = 2 ] && grep -q '^error: .*use --yes' "$T/err" || fail "delete without terminal: $(cat "$T/err")"
ok "$H" export $C --label ed --format dnskey

# --- bad input: each an error: line and the DESIGN.md status ----------------------------
expect 2 "unknown algorithm 'RSASHA1'" "$H" keygen $C --label x --algorithm RSASHA1
expect 2 "unknown algorithm 'FOO'" "$H" keygen $C --label x --algorithm FOO
expect 2 "RSA keys have 2048 to 4096 bits" "$H" keygen $C --label x --algorithm RSASHA256 --bits 1024
expect 2 "RSA keys have 2048 to 4096 bits" "$H" keygen $C --label x --algorithm RSASHA512 --bits 8192
expect 2 "does not fit ECDSAP256SHA256" "$H" keygen $C --label x --algorithm ECDSAP256SHA256 --bits 384
expect 2 "is not a key size" "$H" keygen $C --label x --algorithm RSASHA256 --bits 2k
expect 2 "label is required" "$H" keygen $C --algorithm ED25519
expect 2 "format '" "$H" export $C --label ed --format xml
expect 2 "flags '256'" "$H" export $C --label ed --format ds --flags 256
expect 3 "PKCS#11 module /nonexistent/libp11.so not found" "$H" list $C --module /nonexistent/libp11.so
KEYROLL_PKCS11_MODULE=/nonexistent/env.so expect 3 "module /nonexistent/env.so not found" "$H" list $C
expect 3 "no token labelled 'missing'" "$H" list --token missing --pin-file "$T/pin"
expect 2 "no token given" "$H" list --pin-file "$T/pin"
expect 3 "wrong PIN" "$H" list --token itest --pin-file "$T/badpin"
KEYROLL_PIN=wrong expect 3 "wrong PIN" "$H" list --token itest
expect 3 "reading the PIN from $T/nopin" "$H" list --token itest --pin-file "$T/nopin"
chmod 000 "$T/badpin"
if [ "$(id -u)" != 0 ]; then
	expect 3 "reading the PIN from $T/badpin" "$H" list --token itest --pin-file "$T/badpin"
fi
expect 3 "reading the PIN from $T" "$H" list --token itest --pin-file "$T"
: >"$T/emptypin"
expect 1 "reading the PIN from $T/emptypin" "$H" list --token itest --pin-file "$T/emptypin"
# officer cards are tested in hsm-cards.sh; a missing card file is an I/O error
expect 3 "reading card .*card1" "$H" list --token itest --card "$T/card1"
cp "$T/pin" "$T/openpin" && chmod 644 "$T/openpin"
ok "$H" list --token itest --pin-file "$T/openpin" &&
	grep -q "^warning: PIN file $T/openpin can be read by other users" "$T/err" || fail "no warning for a readable PIN file"
ok "$H" list $C && [ ! -s "$T/err" ] || fail "warning for a private PIN file: $(cat "$T/err")"
# The environment PIN and token work, and no PIN travels in argv.
KEYROLL_PIN=$PIN KEYROLL_TOKEN=itest ok "$H" list --json
expect 2 "PINs are never taken from the command line" "$H" list --token itest --pin "$PIN"
expect 2 "PINs are never taken from the command line" "$H" list --token itest --pin="$PIN"
expect 2 "PINs are never taken from the command line" "$H" init --token x --so-pin "$PIN"
grep -q -- "$PIN" "$T/err" && fail "the PIN was echoed in an error message"
"$H" keygen --help | grep -q -- '--pin-file' || fail "keygen --help"
"$H" --help | grep -q -- 'keygen' || fail "keyroll-hsm --help"
for c in init keygen list export import delete selftest; do
	"$H" $c --help >"$T/out" || fail "$c --help exit status"
	grep -q '\-\-pin ' "$T/out" && fail "$c --help offers a --pin option"
done

# The refused init left no token behind.
expect 3 "no token labelled 'short'" "$H" list --token short --pin-file "$T/pin"

# --- the embedded default token store (./var) -------------------------------------------
mkdir "$T/embedded"
(cd "$T/embedded" && unset SOFTHSM2_CONF &&
	"$H" list --token e --pin-file "$T/pin" >"$T/out" 2>"$T/err"; echo $? >"$T/rc")
[ "$(cat "$T/rc")" = 3 ] && grep -q "^error: no token store" "$T/err" || fail "no embedded store: $(cat "$T/err")"
(cd "$T/embedded" && unset SOFTHSM2_CONF &&
	"$H" init --token e --so-pin-file "$T/sopin" --pin-file "$T/pin" >/dev/null &&
	"$H" keygen --token e --pin-file "$T/pin" --label k --algorithm ED25519 >/dev/null) || fail "embedded init/keygen"
[ -f "$T/embedded/var/softhsm2.conf" ] && [ -n "$(ls "$T/embedded/var/tokens")" ] || fail "embedded store not in ./var"
grep -qx "directories.tokendir = $T/embedded/var/tokens" "$T/embedded/var/softhsm2.conf" || fail "embedded tokendir"
# ... and the test token store does not see it.
expect 3 "no token labelled 'e'" "$H" list --token e --pin-file "$T/pin"

[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
echo "hsm: all checks passed"
