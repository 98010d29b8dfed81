#!/bin/sh
# The whole exchange on throw-away SoftHSM tokens, for the root and for a
# TLD, with RSA, ECDSA P-256/P-384 and Ed25519 keys: the ZSK operator's
# token generates a KSR (keyroll-ksr generate), the KSK operator's token
# signs it (keyroll-skr sign), the ZSK side accepts it against a DS trust
# anchor (keyroll-ksr accept) and hands the RRset in force to the online
# signer (keyroll-ksr bundle).  dnspython validates the SKRs and the bundle
# lines.  The next quarter chains to the previous SKR and pre-publishes a
# second KSK.  A tampered SKR, a wrong anchor, a foreign KSR and a broken
# chain are refused.
set -eu
T=$(mktemp -d "$TOP/$BUILD/t.XXXXXX")
trap 'rm -rf "$T"' EXIT
PY=/usr/bin/python3
V="$TOP/tests/integration/skr_verify.py"

mkdir "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF="$T/softhsm2.conf"
unset KEYROLL_PIN KEYROLL_TOKEN || true
printf 'zsk-pin\n' >"$T/zpin"
printf 'ksk-pin\n' >"$T/kpin"
printf 'so-pin\n' >"$T/so"
"$BIN/keyroll-hsm" init --token zsk --so-pin-file "$T/so" --pin-file "$T/zpin" >/dev/null
"$BIN/keyroll-hsm" init --token ksk --so-pin-file "$T/so" --pin-file "$T/kpin" >/dev/null

keygen() { # token pin label alg zone
	"$BIN/keyroll-hsm" keygen --token "$1" --pin-file "$2" --label "$3" --algorithm "$4" \
		--zone "$5" >/dev/null
}

# A policy: the base's zone, KSK timing and request thresholds, our KSKs.
policy() { # base out alg [label ...]
	base=$1 out=$2 alg=$3
	shift 3
	awk '/^keys:/ {skip=1; next} skip && /^[a-z]/ {skip=0} !skip {print}' "$base" >"$out"
	echo "keys:" >>"$out"
	for l in "$@"; do
		printf '  - label: %s\n    algorithm: %s\n    valid_from: 2026-01-01T00:00:00Z\n' \
			"$l" "$alg" >>"$out"
	done
}

expect_fail() { # status command...
	want=$1
	shift
	set +e
	"$@" >"$T/fail.log" 2>&1
	rc=$?
	set -e
	[ "$rc" = "$want" ] || { echo "expected exit $want, got $rc: $*"; cat "$T/fail.log"; exit 1; }
}

# --- the root: RSA, ICANN's cycle (prev/current/next ZSK), a quarter and the next
keygen zsk "$T/zpin" root-zsk-1 RSASHA256 .
keygen zsk "$T/zpin" root-zsk-2 RSASHA256 .
keygen zsk "$T/zpin" root-zsk-3 RSASHA256 .
keygen zsk "$T/zpin" root-zsk-4 RSASHA256 .
keygen ksk "$T/kpin" root-ksk-a RSASHA256 .
keygen ksk "$T/kpin" root-ksk-b RSASHA256 .
policy "$TOP/skr/policies/root.yaml" "$T/root.yaml" RSASHA256 root-ksk-a root-ksk-b
"$BIN/keyroll-hsm" export --token ksk --pin-file "$T/kpin" --label root-ksk-a --format ds \
	--output "$T/root-a.ds" >/dev/null
"$BIN/keyroll-hsm" export --token ksk --pin-file "$T/kpin" --label root-ksk-b --format ds \
	--output "$T/root-b.ds" >/dev/null

"$BIN/keyroll-ksr" generate --token zsk --pin-file "$T/zpin" --zone . --policy "$T/root.yaml" \
	--prev-zsk root-zsk-1 --zsk root-zsk-2 --next-zsk root-zsk-3 --start 2027-01-01 \
	--now 2026-12-15 --out "$T/q1.ksr"
"$BIN/keyroll-ksr" validate "$T/q1.ksr" --policy "$T/root.yaml" --now 2026-12-15 >"$T/v.log"
"$BIN/keyroll-skr" sign --ksr "$T/q1.ksr" --token ksk --pin-file "$T/kpin" --ksk root-ksk-a \
	--policy "$T/root.yaml" --no-previous-skr --now 2026-12-15 --yes --out "$T/q1.skr" >"$T/s.log"
$PY "$V" validate "$T/q1.skr"
"$BIN/keyroll-ksr" accept "$T/q1.skr" --ksr "$T/q1.ksr" --anchor "$T/root-a.ds" >"$T/a.log"
grep -q '^PASS SKR-TRUST' "$T/a.log"
grep -q '^SKIP SKR-CHAIN' "$T/a.log"
"$BIN/keyroll-ksr" bundle "$T/q1.skr" --at 2027-01-15T12:00:00Z >"$T/b.zone"
[ "$(grep -c ' IN DNSKEY ' "$T/b.zone")" = 2 ]
[ "$(grep -c ' IN RRSIG DNSKEY ' "$T/b.zone")" = 1 ]
$PY "$V" validate-lines "$T/b.zone" "$(date -u -d 2027-01-15T12:00:00Z +%s)"
grep -q '^; SKR .* bundle 2 ' "$T/b.zone"
expect_fail 1 "$BIN/keyroll-ksr" bundle "$T/q1.skr" --at 2026-06-01

# Next quarter: ZSKs roll on, KSK b pre-published, chained to Q1 on both sides.
"$BIN/keyroll-ksr" generate --token zsk --pin-file "$T/zpin" --policy "$T/root.yaml" \
	--prev-zsk root-zsk-2 --zsk root-zsk-3 --next-zsk root-zsk-4 --start 2027-04-01 \
	--now 2027-03-15 --out "$T/q2.ksr"
"$BIN/keyroll-skr" sign --ksr "$T/q2.ksr" --token ksk --pin-file "$T/kpin" \
	--ksk root-ksk-a --ksk root-ksk-b --schema pre-publish --policy "$T/root.yaml" \
	--previous-skr "$T/q1.skr" --now 2027-03-15 --yes --out "$T/q2.skr" >"$T/s2.log"
grep -q '^PASS KSR-CHAIN-KEYS' "$T/s2.log"
$PY "$V" validate "$T/q2.skr"
"$BIN/keyroll-ksr" accept "$T/q2.skr" --ksr "$T/q2.ksr" --anchor "$T/root-a.ds" \
	--previous-skr "$T/q1.skr" --json >"$T/a2.json"
$PY - "$T/a2.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["accepted"] is True, d
assert [c["result"] for c in d["checks"]] == ["PASS"] * 4, d
EOF
# pre-publish: slot 1 KSK a only, later slots a signing and b published
"$BIN/keyroll-ksr" bundle "$T/q2.skr" --at 2027-05-01T00:00:00Z >"$T/b2.zone"
[ "$(grep -c ' IN DNSKEY 257 ' "$T/b2.zone")" = 2 ]

# Refusals: an anchor for KSK b only (it signs nothing yet), the SKR of
# another KSR, a broken chain (Q2 given as Q1's predecessor), a tampered SKR.
expect_fail 1 "$BIN/keyroll-ksr" accept "$T/q2.skr" --ksr "$T/q2.ksr" --anchor "$T/root-b.ds"
grep -q 'SKR-TRUST' "$T/fail.log"
expect_fail 1 "$BIN/keyroll-ksr" accept "$T/q2.skr" --ksr "$T/q1.ksr" --anchor "$T/root-a.ds"
grep -q 'SKR-MATCHES-KSR' "$T/fail.log"
expect_fail 1 "$BIN/keyroll-ksr" accept "$T/q1.skr" --ksr "$T/q1.ksr" --anchor "$T/root-a.ds" \
	--previous-skr "$T/q2.skr"
grep -q 'SKR-CHAIN' "$T/fail.log"
$PY - "$T/q1.skr" "$T/tampered.skr" <<'EOF'
import sys, re
s = open(sys.argv[1]).read()
m = list(re.finditer(r"<SignatureData>([A-Za-z0-9+/]{20})", s))[3]
c = "A" if s[m.start(1) + 10] != "A" else "B"
s = s[:m.start(1) + 10] + c + s[m.start(1) + 11:]
open(sys.argv[2], "w").write(s)
EOF
expect_fail 1 "$BIN/keyroll-ksr" accept "$T/tampered.skr" --ksr "$T/q1.ksr" --anchor "$T/root-a.ds"
grep -q 'SKR-SIGNATURES' "$T/fail.log"
expect_fail 1 "$BIN/keyroll-ksr" bundle "$T/tampered.skr" --at 2027-01-15
printf 'not an anchor\n' >"$T/junk.ds"
expect_fail 1 "$BIN/keyroll-ksr" accept "$T/q1.skr" --ksr "$T/q1.ksr" --anchor "$T/junk.ds"
expect_fail 3 "$BIN/keyroll-ksr" accept "$T/q1.skr" --ksr "$T/q1.ksr" --anchor "$T/none.ds"
expect_fail 2 "$BIN/keyroll-ksr" accept "$T/q1.skr" --anchor "$T/root-a.ds"
# generate refuses a KSR its policy would fail (the root wants 3 ZSKs), a
# missing ZSK label and a wrong PIN, and writes nothing
expect_fail 1 "$BIN/keyroll-ksr" generate --token zsk --pin-file "$T/zpin" --policy "$T/root.yaml" \
	--zsk root-zsk-2 --start 2027-01-01 --now 2026-12-15 --out "$T/x.ksr"
grep -q '^FAIL KSR-POLICY-KEYS' "$T/fail.log"
expect_fail 3 "$BIN/keyroll-ksr" generate --token zsk --pin-file "$T/zpin" --policy "$T/root.yaml" \
	--zsk nosuchkey --start 2027-01-01 --out "$T/x.ksr"
expect_fail 3 "$BIN/keyroll-ksr" generate --token zsk --pin-file "$T/kpin" --policy "$T/root.yaml" \
	--zsk root-zsk-2 --start 2027-01-01 --out "$T/x.ksr"
# no token named at all: a usage error
(unset KEYROLL_TOKEN; expect_fail 2 "$BIN/keyroll-ksr" generate --pin-file "$T/zpin" \
	--policy "$T/root.yaml" --zsk root-zsk-2 --start 2027-01-01 --out "$T/x.ksr")
[ ! -e "$T/x.ksr" ]

# --- a TLD, per algorithm: generate, validate, sign (rollover through two
# quarters: normal, then revoke), accept, bundle
for alg in ECDSAP256SHA256 ECDSAP384SHA384 ED25519 RSASHA256; do
	z=$alg
	keygen zsk "$T/zpin" "$z-zsk" "$alg" example.
	keygen ksk "$T/kpin" "$z-k1" "$alg" example.
	keygen ksk "$T/kpin" "$z-k2" "$alg" example.
	awk -v alg="$alg" '
		/^  approved_algorithms:/ {print; print "    - algorithm: " alg; skip=1; next}
		skip && /^    -|^      / {next}
		{skip=0; print}' "$TOP/skr/policies/tld-example.yaml" >"$T/tld-base.yaml"
	policy "$T/tld-base.yaml" "$T/tld.yaml" "$alg" "$z-k1" "$z-k2"
	"$BIN/keyroll-hsm" export --token ksk --pin-file "$T/kpin" --label "$z-k2" --format dnskey \
		--zone example. --output "$T/k2.dnskey" >/dev/null
	"$BIN/keyroll-ksr" generate --token zsk --pin-file "$T/zpin" --zone example. \
		--policy "$T/tld.yaml" --zsk "$z-zsk" --start 2027-02-01 --now 2027-01-25 --out "$T/tld.ksr" 2>/dev/null
	"$BIN/keyroll-ksr" validate "$T/tld.ksr" --policy "$T/tld.yaml" --now 2027-01-25 >/dev/null
	"$BIN/keyroll-skr" sign --ksr "$T/tld.ksr" --token ksk --pin-file "$T/kpin" \
		--ksk "$z-k1" --ksk "$z-k2" --schema rollover --policy "$T/tld.yaml" \
		--no-previous-skr --now 2027-01-25 --yes --out "$T/tld.skr" >"$T/tld.log"
	$PY "$V" validate "$T/tld.skr"
	# rollover: slot 1 is signed by k1 only, so k2 alone does not carry it
	expect_fail 1 "$BIN/keyroll-ksr" accept "$T/tld.skr" --ksr "$T/tld.ksr" --anchor "$T/k2.dnskey"
	"$BIN/keyroll-hsm" export --token ksk --pin-file "$T/kpin" --label "$z-k1" --format dnskey \
		--zone example. >>"$T/k2.dnskey"
	"$BIN/keyroll-ksr" accept "$T/tld.skr" --ksr "$T/tld.ksr" --anchor "$T/k2.dnskey" >/dev/null
	"$BIN/keyroll-ksr" bundle "$T/tld.skr" --at 2027-02-20 >"$T/tld.zone"
	$PY "$V" validate-lines "$T/tld.zone" "$(date -u -d 2027-02-20 +%s)"
	grep -q "^example\. 3600 IN DNSKEY 257 3 " "$T/tld.zone"
	# revoke: the revoked k1 signs the middle bundles itself
	"$BIN/keyroll-ksr" generate --token zsk --pin-file "$T/zpin" --policy "$T/tld.yaml" \
		--zsk "$z-zsk" --start 2027-03-01 --now 2027-02-25 --out "$T/tld2.ksr" 2>/dev/null
	"$BIN/keyroll-skr" sign --ksr "$T/tld2.ksr" --token ksk --pin-file "$T/kpin" \
		--ksk "$z-k1" --ksk "$z-k2" --schema revoke --policy "$T/tld.yaml" \
		--no-previous-skr --now 2027-02-25 --yes --out "$T/tld2.skr" >"$T/tld2.log"
	$PY "$V" validate "$T/tld2.skr"
	grep -q '^3 .*/385\*R' "$T/tld2.log"
	echo "TLD $alg: generate, sign, accept, bundle ok"
done
echo "ksr/skr cycle: root and TLD, RSA, P-256, P-384, Ed25519"
