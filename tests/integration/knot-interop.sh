#!/bin/sh
# Knot DNS interoperability end to end, against the real Knot 3.x tools:
#   keymgr generate-ksr (ZSK side, offline-KSK policy)
#   -> keyroll-ksr validate (the Knot KSR against a policy)
#   -> keyroll-skr sign --format knot (KSK inside SoftHSM2)
#   -> keymgr import-skr accepts it (it verifies every RRSIG at its section time)
#   -> knotd serves the zone; dnspython validates the DNSKEY RRset with our KSK
#      and the SOA with Knot's ZSK, from the live answer
# and the refusals: a flipped signature bit and a section moved past its
# signatures' expiration are refused by import-skr.
set -u
: "${BIN:?}" "${TOP:?}" "${BUILD:?}"
for tool in keymgr knotd kdig; do
	command -v $tool >/dev/null 2>&1 || { echo "skip: $tool (Knot DNS) not installed"; exit 77; }
done
PY=/usr/bin/python3
T=$(mktemp -d "$TOP/$BUILD/t.XXXXXX")
KNOTD=""
cleanup() {
	[ -n "$KNOTD" ] && kill "$KNOTD" 2>/dev/null && wait "$KNOTD" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 3' INT TERM HUP
fail() { echo "FAIL: $*"; exit 1; }

# --- KSK side: a SoftHSM2 token with one KSK ---------------------------------
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF="$T/softhsm2.conf"
echo 4321 >"$T/pin"
echo 8765 >"$T/so-pin"
chmod 600 "$T/pin" "$T/so-pin"
"$BIN/keyroll-hsm" init --token interop --so-pin-file "$T/so-pin" --pin-file "$T/pin" >/dev/null ||
	fail "keyroll-hsm init"
"$BIN/keyroll-hsm" keygen --token interop --pin-file "$T/pin" --label ksk-interop \
	--algorithm RSASHA256 --bits 2048 --zone example. --ttl 3600 >"$T/keygen.out" ||
	fail "keyroll-hsm keygen"
grep -q "DNSKEY 257 3 8" "$T/keygen.out" || fail "no DNSKEY in keygen output"

# --- ZSK side: Knot with an offline-KSK policy ----------------------------------
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/knot/keys" "$T/knot/db"
cat >"$T/knot/knot.conf" <<EOF
server:
    rundir: $T/knot
    listen: 127.0.0.1@$PORT
log:
  - target: $T/knot/knot.log
    any: info
database:
    storage: $T/knot/db
keystore:
  - id: default
    backend: pem
    config: $T/knot/keys
policy:
  - id: offline
    algorithm: rsasha256
    zsk-size: 2048
    offline-ksk: on
    manual: on
    dnskey-ttl: 3600
    rrsig-lifetime: 14d
    rrsig-refresh: 7d
zone:
  - domain: example.
    storage: $T/knot
    file: example.zone
    dnssec-signing: on
    dnssec-policy: offline
    zonefile-sync: -1
    journal-content: none
EOF
cat >"$T/knot/example.zone" <<EOF
example. 3600 IN SOA ns.example. hostmaster.example. 1 3600 900 604800 300
example. 3600 IN NS ns.example.
ns.example. 3600 IN A 127.0.0.1
EOF
KM="keymgr -c $T/knot/knot.conf example."
$KM generate algorithm=rsasha256 size=2048 ksk=no zsk=yes >/dev/null || fail "keymgr generate"
$KM generate-ksr +0 +30d >"$T/ksr.txt" || fail "keymgr generate-ksr"
head -n 1 "$T/ksr.txt" | grep -q '^;; KeySigningRequest 1.0 ' || fail "not a Knot KSR"

# The policy: 14-day bundles every 7 days (Knot's rrsig-lifetime/-refresh).
cat >"$T/policy.yaml" <<EOF
zone: example.
ksk_policy:
  ttl: 3600
  publish_safety: PT0S
  retire_safety: PT0S
  max_signature_validity: P14D
  min_signature_validity: P14D
  max_validity_overlap: P12D
  min_validity_overlap: P7D
keys:
  - label: ksk-interop
    algorithm: RSASHA256
    size: 2048
    valid_from: 2020-01-01T00:00:00Z
request_policy:
  min_bundles: 1
  max_bundles: 10
  min_bundle_interval: PT1S
  max_bundle_interval: P7D
  min_cycle_inception_length: PT0S
  max_cycle_inception_length: P31D
  min_keys_per_bundle: 1
  max_keys_per_bundle: 2
  approved_algorithms:
    - algorithm: RSASHA256
      sizes: [2048]
  signature_horizon_days: 60
  min_publish_safety: PT0S
  max_publish_safety: PT0S
  min_retire_safety: PT0S
  max_retire_safety: PT0S
skip_checks: [KSR-BUNDLE-POP]
EOF

# keyroll reads Knot's KSR: detected by its first line, checked against the policy.
"$BIN/keyroll-ksr" validate --policy "$T/policy.yaml" "$T/ksr.txt" >"$T/validate.out" ||
	{ cat "$T/validate.out"; fail "keyroll-ksr validate refused Knot's KSR"; }
grep -q '^SKIP KSR-BUNDLE-POP' "$T/validate.out" || fail "POP not reported as SKIP"
"$BIN/keyroll-ksr" show "$T/ksr.txt" >/dev/null || fail "keyroll-ksr show"
# +0 +30d: sections at T0 and T0+30d -> bundles T0, +7d, +14d, +21d, +28d, +30d
[ "$("$BIN/keyroll-ksr" show --bundle-validity P14D --bundle-step P7D "$T/ksr.txt" |
	grep -c ' 2[0-9][0-9][0-9]-')" = 6 ] || fail "expected 6 bundles"

# --- sign on the token, in Knot's format ------------------------------------------
"$BIN/keyroll-skr" sign --ksr "$T/ksr.txt" --token interop --pin-file "$T/pin" \
	--ksk ksk-interop --policy "$T/policy.yaml" --no-previous-skr --yes --format knot \
	--out "$T/skr.txt" >"$T/sign.out" 2>&1 || { cat "$T/sign.out"; fail "keyroll-skr sign"; }
[ "$(grep -c '^;; SignedKeyResponse 1.0 [0-9]* (' "$T/skr.txt")" = 6 ] || fail "6 SKR sections"
tail -n 1 "$T/skr.txt" | grep -q '^;; SignedKeyResponse 1.0 generated at ' || fail "closing line"
# every section's RRSIG verifies with dnspython (an independent implementation)
awk '/^;; SignedKeyResponse 1.0 [0-9]/{n++} !/^;;/{print > ("'"$T"'/sec" n ".txt")}' "$T/skr.txt"
for f in "$T"/sec*.txt; do
	$PY "$TOP/tests/data/verify-rrsig.py" "$f" >/dev/null || fail "dnspython rejects $(basename "$f")"
done

# The same KSR signed into ICANN XML: the SKR verifies, and the ZSK operator
# accepts it against Knot's KSR with keyroll-ksr accept (anchor: our KSK).
"$BIN/keyroll-skr" sign --ksr "$T/ksr.txt" --token interop --pin-file "$T/pin" \
	--ksk ksk-interop --policy "$T/policy.yaml" --no-previous-skr --yes --format xml \
	--out "$T/skr.xml" >"$T/sign-xml.out" 2>&1 || { cat "$T/sign-xml.out"; fail "sign --format xml"; }
head -c 5 "$T/skr.xml" | grep -q '<?xml' || fail "--format xml did not write XML"
"$BIN/keyroll-skr" verify "$T/skr.xml" >/dev/null || fail "keyroll-skr verify"
grep ' DNSKEY 257 ' "$T/keygen.out" >"$T/anchor.txt"
"$BIN/keyroll-ksr" accept "$T/skr.xml" --ksr "$T/ksr.txt" --anchor "$T/anchor.txt" \
	--bundle-validity P14D --bundle-step P7D >"$T/accept.out" 2>&1 ||
	{ cat "$T/accept.out"; fail "keyroll-ksr accept refused the SKR of Knot's KSR"; }
# ... and refuses it against the KSR cut differently (other bundles)
"$BIN/keyroll-ksr" accept "$T/skr.xml" --ksr "$T/ksr.txt" --anchor "$T/anchor.txt" \
	--bundle-validity P14D --bundle-step P6D >"$T/accept2.out" 2>&1 &&
	fail "keyroll-ksr accept took an SKR for other bundles"

# --- Knot accepts it ---------------------------------------------------------------
$KM import-skr "$T/skr.txt" >"$T/import.out" 2>&1; rc=$?
[ $rc = 0 ] && grep -qx OK "$T/import.out" || { cat "$T/import.out"; fail "keymgr import-skr refused our SKR"; }
echo "keymgr import-skr: $(cat "$T/import.out")"
[ "$($KM show-offline 0 | grep -c '^;; Offline records for ')" = 6 ] || fail "Knot holds 6 record sets"

# ... and refuses tampered copies (a fresh KASP db each time, so nothing stays behind).
tamper() { # name: $T/name.txt must not be accepted
	rm -rf "$T/knot2" && cp -R "$T/knot" "$T/knot2"
	sed "s#$T/knot#$T/knot2#g" "$T/knot/knot.conf" >"$T/knot2/knot.conf"
	cmp -s "$T/skr.txt" "$T/$1.txt" && fail "$1: the edit changed nothing"
	keymgr -c "$T/knot2/knot.conf" example. del-offline 0 +1000d >/dev/null 2>&1
	keymgr -c "$T/knot2/knot.conf" example. import-skr "$T/$1.txt" >"$T/$1.out" 2>&1 &&
		fail "$1: keymgr import-skr accepted it"
	grep -qx OK "$T/$1.out" && fail "$1: keymgr printed OK"
	echo "$1 refused by keymgr import-skr: $(grep error "$T/$1.out" | head -n 1)"
}
# one bit of the second section's signature flipped
$PY - "$T/skr.txt" >"$T/flipped.txt" <<'EOF'
import base64, sys
n = 0
for line in open(sys.argv[1]):
    if line.startswith(";; SignedKeyResponse 1.0 ") and "generated" not in line:
        n += 1
    f = line.split()
    if n == 2 and len(f) > 4 and f[3] == "RRSIG":
        sig = bytearray(base64.b64decode("".join(f[12:])))
        sig[len(sig) // 2] ^= 0x01
        line = " ".join(f[:12] + [base64.b64encode(bytes(sig)).decode()]) + "\n"
        n += 1  # only the first RRSIG of that section
    sys.stdout.write(line)
EOF
tamper flipped
# the first section moved 20 days later, past its signatures' expiration (14 days)
T0=$(sed -n '1s/^;; SignedKeyResponse 1.0 \([0-9]*\) .*/\1/p' "$T/skr.txt")
sed "1s/ $T0 ([^)]*)/ $((T0 + 20 * 86400))/" "$T/skr.txt" >"$T/late.txt"
tamper late

# --- knotd serves it: the live DNSKEY RRset validates with our KSK ---------------------
timeout 120 knotd -c "$T/knot/knot.conf" >"$T/knotd.out" 2>&1 &
KNOTD=$!
i=0
until kdig +time=1 +retry=0 @127.0.0.1 -p "$PORT" example. SOA >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 40 ] || { cat "$T/knot/knot.log"; fail "knotd does not answer"; }
	sleep 0.25
done
$PY - "$PORT" "$T/keygen.out" <<'EOF' || fail "the zone served by knotd does not validate"
import sys, time
import dns.dnssec, dns.message, dns.name, dns.query, dns.rdata, dns.rdatatype, dns.rrset
port, keygen = int(sys.argv[1]), sys.argv[2]
zone = dns.name.from_text("example.")
ksk = next(l for l in open(keygen) if " DNSKEY 257 " in l).split()
def ask(rdtype):
    q = dns.message.make_query(zone, rdtype, want_dnssec=True)
    r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=5)
    rrset = r.get_rrset(r.answer, zone, 1, rdtype)
    sigs = r.get_rrset(r.answer, zone, 1, dns.rdatatype.RRSIG, rdtype)
    assert rrset and sigs, f"no signed {dns.rdatatype.to_text(rdtype)} answer"
    return rrset, sigs
dnskey, dsigs = ask(dns.rdatatype.DNSKEY)
ours = [k for k in dnskey if k.flags == 257 and dns.rdata.from_text("IN", "DNSKEY", " ".join(ksk[4:])) == k]
assert ours, "our KSK is not in the served DNSKEY RRset"
tag = dns.dnssec.key_id(ours[0])
assert any(s.key_tag == tag for s in dsigs), "no RRSIG(DNSKEY) by our KSK"
# validate with our KSK alone as the trust anchor, then the SOA with the ZSK
anchor = {zone: dns.rrset.from_rdata_list(zone, dnskey.ttl, ours)}
dns.dnssec.validate(dnskey, dsigs, anchor, now=time.time())
soa, ssigs = ask(dns.rdatatype.SOA)
dns.dnssec.validate(soa, ssigs, {zone: dnskey}, now=time.time())
print(f"knotd serves a DNSKEY RRset signed by our KSK {tag}; it and the SOA validate")
EOF
exit 0
