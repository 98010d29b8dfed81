#!/bin/sh
# keyroll rollover test bed: a complete KSK roll, compressed into minutes,
# through real software end to end, watched by real validators and compared
# with the simulator.  See docs/testbed.md.
#
#   SoftHSM2 token: two KSKs made by keyroll-hsm
#   ZSK side:       knotd 3.x in offline-KSK mode, one zone per plan
#                   (safe.example. and unsafe.example.); keymgr generate-ksr
#   KSK side:       keyroll-skr sign with the test policy and schemas of
#                   scripts/testbed/policy.yaml.in, written as a Knot SKR
#                   (--format knot) and loaded with keymgr import-skr
#   validators:     VALIDATORS unbound instances on 127.0.0.2, .3, ... with
#                   auto-trust-anchor-file and shrunk RFC 5011 timers
#   recorder:       scripts/testbed/record.py (anchor states, AD/SERVFAIL)
#   simulator:      keyroll-trustanchor simulate on the same SKR with the
#                   Unbound profile and the same timers
#   verdict:        scripts/testbed/compare.py
#
# Exit 0 when every real state change falls within one refresh interval of
# the prediction, 1 when they disagree, 3 when the environment is broken,
# 77 when knotd/unbound are missing.  Every process started here is killed
# on every exit path; servers bind to 127.0.0.0/8 only; everything times out.
#
# Environment: BIN (tool dir, default ./bin), TOP (source dir, default .),
# TB_DIR (work dir, default a new directory under build/), TB_KEEP=1 keeps it,
# VALIDATORS (default 2).
set -eu

TOP=${TOP:-$(pwd)}
BIN=${BIN:-$TOP/bin}
PY=/usr/bin/python3
HERE=$TOP/scripts/testbed
VALIDATORS=${VALIDATORS:-2}
# The simulator refuses refresh intervals and sample steps below a minute, so
# the roll runs at minute scale: DNSKEY TTL 120 s makes Unbound probe every
# 60 s (TTL/2); hold-downs of 120 s; one bundle (Knot section) per minute,
# valid four minutes so that the signature term never shortens the refresh.
SLOT=60
TTL=120
HOLD=120                    # add-holddown = del-holddown = keep-missing
VALIDITY=$((4 * SLOT))
NSLOTS=15                   # the KSR covers slots 1..NSLOTS: 15 minutes

case $VALIDATORS in
[1-9] | [1-4][0-9] | 50) ;;
*) echo "testbed: error: VALIDATORS must be 1 to 50 (127.0.0.2 ...)" >&2; exit 2 ;;
esac
for tool in knotd keymgr kdig unbound unbound-checkconf softhsm2-util; do
	command -v $tool >/dev/null 2>&1 || { echo "skip: $tool not installed"; exit 77; }
done
[ -x "$PY" ] || { echo "skip: /usr/bin/python3 not installed"; exit 77; }

if [ -n "${TB_DIR:-}" ]; then
	W=$TB_DIR
	mkdir -p "$W"
else
	mkdir -p "$TOP/build"
	W=$(mktemp -d "$TOP/build/testbed.XXXXXX")
fi
PIDS=""
cleanup() {
	rc=$?
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	if [ "${TB_KEEP:-0}" = 1 ] || [ $rc != 0 ]; then
		echo "testbed: files kept in $W"
	else
		rm -rf "$W"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 3' INT TERM HUP

say() { echo "testbed: $*"; }
die() { echo "testbed: error: $*" >&2; exit 3; }

# A free port on 127.0.0.1 (UDP and TCP).
free_port() {
	$PY - <<'EOF'
import socket, random
for _ in range(200):
    p = random.randint(20000, 60000)
    try:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            s.bind(("127.0.0.1", p))
            s.close()
        print(p)
        break
    except OSError:
        pass
EOF
}

# Start a daemon in the background under a hard time limit; remember its pid.
spawn() { # logfile command...
	log=$1
	shift
	timeout 900 "$@" >"$log" 2>&1 &
	PIDS="$PIDS $!"
}

# Wait until a DNS server answers a query.
wait_dns() { # ip port name
	tries=0
	until kdig +time=1 +retry=0 @"$1" -p "$2" "$3" SOA >/dev/null 2>&1; do
		tries=$((tries + 1))
		[ $tries -lt 30 ] || die "no DNS server on $1@$2"
		sleep 0.5
	done
}

ZONES="safe.example. unsafe.example."
KNOT_PORT=$(free_port)
VPORT=$(free_port)
[ -n "$KNOT_PORT" ] && [ -n "$VPORT" ] || die "no free port"

# --- the HSM: two KSKs -------------------------------------------------------
say "work directory $W"
mkdir -p "$W/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\n' "$W" >"$W/softhsm2.conf"
export SOFTHSM2_CONF=$W/softhsm2.conf
echo 1234 >"$W/pin"
echo 5678 >"$W/so-pin"
chmod 600 "$W/pin" "$W/so-pin"
export KEYROLL_TOKEN=testbed
"$BIN/keyroll-hsm" init --token testbed --so-pin-file "$W/so-pin" --pin-file "$W/pin" \
	>"$W/hsm-init.log" 2>&1 || { cat "$W/hsm-init.log"; die "keyroll-hsm init failed"; }
for k in ksk-old ksk-new; do
	"$BIN/keyroll-hsm" keygen --pin-file "$W/pin" --label $k --algorithm ECDSAP256SHA256 \
		--zone example. --ttl "$TTL" >"$W/$k.keygen" 2>&1 ||
		{ cat "$W/$k.keygen"; die "keyroll-hsm keygen $k failed"; }
done

# --- the ZSK side: knotd in offline-KSK mode ------------------------------------
mkdir -p "$W/knot/keys" "$W/knot/db"
cat >"$W/knot/knot.conf" <<EOF
server:
    rundir: $W/knot
    listen: 127.0.0.1@$KNOT_PORT
log:
  - target: $W/knot/knot.log
    any: info
database:
    storage: $W/knot/db
keystore:
  - id: default
    backend: pem
    config: $W/knot/keys
policy:
  - id: offline
    algorithm: ecdsap256sha256
    offline-ksk: on
    manual: on
    dnskey-ttl: $TTL
    zone-max-ttl: $TTL
    rrsig-lifetime: 3600
    rrsig-refresh: 1200
    rrsig-pre-refresh: 60
    propagation-delay: 0
template:
  - id: default
    storage: $W/knot
    dnssec-signing: on
    dnssec-policy: offline
    zonefile-sync: -1
    journal-content: none
zone:
EOF
for z in $ZONES; do
	printf '  - domain: %s\n    file: %szone\n' "$z" "$z" >>"$W/knot/knot.conf"
	cat >"$W/knot/${z}zone" <<EOF
$z $TTL IN SOA ns.$z hostmaster.$z 1 $TTL $TTL 600 5
$z $TTL IN NS ns.$z
ns.$z $TTL IN A 127.0.0.1
www.$z 5 IN A 192.0.2.80
EOF
done
KM="keymgr -c $W/knot/knot.conf"
for z in $ZONES; do
	$KM "$z" generate algorithm=ecdsap256sha256 ksk=no zsk=yes >/dev/null ||
		die "keymgr generate failed for $z"
done
# One KSR per zone over NSLOTS slots, both starting at the same second.
T0=$(($(date +%s) + 1))
while [ "$(date +%s)" -lt $T0 ]; do sleep 0.2; done
for z in $ZONES; do
	$KM "$z" generate-ksr +0 +$(((NSLOTS - 1) * SLOT)) >"$W/${z}ksr.txt" ||
		die "keymgr generate-ksr failed for $z"
done
T0=$(sed -n '1s/^;; KeySigningRequest 1.0 \([0-9]*\) .*/\1/p' "$W/safe.example.ksr.txt")
[ -n "$T0" ] || die "cannot read the KSR start time"
say "T0 $T0, slot ${SLOT}s, TTL ${TTL}s, hold-downs ${HOLD}s"

# --- the KSK side: keyroll-skr signs each plan ------------------------------------
sign_plan() { # zone schema
	sed -e "s/@ZONE@/$1/g" -e "s/@TTL@/$TTL/g" -e "s/@VALIDITY@/$VALIDITY/g" \
		-e "s/@SLOT@/$SLOT/g" -e "s/@NSLOTS@/$NSLOTS/g" -e "s/@HOLD@/$HOLD/g" -e "s/@OVERLAP@/$((VALIDITY - SLOT))/g" \
		"$HERE/policy.yaml.in" >"$W/${1}policy.yaml"
	# twice: ICANN XML for the simulator, Knot text for knotd (same bundles)
	for fmt in xml knot; do
		ext=$([ $fmt = xml ] && echo xml || echo txt)
		"$BIN/keyroll-skr" sign --ksr "$W/${1}ksr.txt" --token testbed --pin-file "$W/pin" \
			--ksk ksk-old --ksk ksk-new --policy "$W/${1}policy.yaml" --schema "$2" \
			--no-previous-skr --now "@$T0" --yes --format $fmt --out "$W/${1}skr.$ext" \
			>>"$W/${1}sign.log" 2>&1 ||
			{ cat "$W/${1}sign.log"; die "keyroll-skr sign --format $fmt failed for $1"; }
	done
	$KM "$1" import-skr "$W/${1}skr.txt" >"$W/${1}import.log" 2>&1 &&
		grep -qx OK "$W/${1}import.log" ||
		{ cat "$W/${1}import.log"; die "keymgr import-skr refused the SKR of $1"; }
}
sign_plan safe.example. testbed-safe
sign_plan unsafe.example. testbed-unsafe

spawn "$W/knot/knotd.out" knotd -c "$W/knot/knot.conf"
for z in $ZONES; do wait_dns 127.0.0.1 "$KNOT_PORT" "$z"; done
say "knotd serving $ZONES on 127.0.0.1@$KNOT_PORT"

# --- the validators ------------------------------------------------------------
i=1
RECSPEC=""
while [ $i -le "$VALIDATORS" ]; do
	ip=127.0.0.$((i + 1))
	d=$W/v$i
	mkdir -p "$d"
	{
		cat <<EOF
server:
    interface: $ip@$VPORT
    port: $VPORT
    do-ip6: no
    username: ""
    chroot: ""
    directory: "$d"
    pidfile: "$d/unbound.pid"
    logfile: "$d/unbound.log"
    use-syslog: no
    verbosity: 1
    val-log-level: 2
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    add-holddown: $HOLD
    del-holddown: $HOLD
    keep-missing: $HOLD
    permit-small-holddown: yes
    trust-anchor-signaling: no
    root-key-sentinel: no
EOF
		for z in $ZONES; do
			echo "    auto-trust-anchor-file: \"$d/${z}key\""
		done
		echo "remote-control:"
		echo "    control-enable: no"
		for z in $ZONES; do
			printf 'stub-zone:\n    name: "%s"\n    stub-addr: 127.0.0.1@%s\n' "$z" "$KNOT_PORT"
		done
	} >"$d/unbound.conf"
	for z in $ZONES; do
		# the initial trust anchor: the old KSK as DNSKEY with this zone's owner
		sed -n "s/^example\. /$z /p" "$W/ksk-old.keygen" | grep " DNSKEY 257 " >"$d/${z}key" || true
		[ -s "$d/${z}key" ] || die "no DNSKEY line in keyroll-hsm keygen output"
	done
	unbound-checkconf "$d/unbound.conf" >/dev/null || die "bad unbound.conf for v$i"
	spawn "$d/unbound.out" unbound -d -c "$d/unbound.conf"
	RECSPEC="$RECSPEC v$i=$ip:$VPORT:$d"
	i=$((i + 1))
done
i=1
while [ $i -le "$VALIDATORS" ]; do
	wait_dns 127.0.0.$((i + 1)) "$VPORT" safe.example.
	date +%s >"$W/v$i/started"
	i=$((i + 1))
done
START=$(date +%s)
PREPUB=$((T0 + 2 * SLOT))
[ "$START" -lt $((PREPUB - SLOT)) ] ||
	die "setup took too long: validators up at T0+$((START - T0))s, the roll starts at T0+$((2 * SLOT))s"
say "$VALIDATORS validators up at T0+$((START - T0))s"

# --- record until the last bundle has been served for a slot -------------------------
END=$((T0 + NSLOTS * SLOT))
say "recording until T0+$((END - T0))s"
# shellcheck disable=SC2086
$PY "$HERE/record.py" "$W/record.txt" "$END" 0.5 $RECSPEC -- $ZONES

# --- the simulator on the same SKRs, then the verdict ---------------------------------
# SIMN simulated validators (their probe jitter spreads the predicted times
# into a window), sampled every minute (the simulator's finest step).
SIMN=20
OLDTAG=$(sed -n 's/^; key tag \([0-9]*\),.*/\1/p' "$W/ksk-old.keygen")
NEWTAG=$(sed -n 's/^; key tag \([0-9]*\),.*/\1/p' "$W/ksk-new.keygen")
[ -n "$OLDTAG" ] && [ -n "$NEWTAG" ] || die "no key tags in keyroll-hsm keygen output"
for z in $ZONES; do
	sed -e "s/@HOLD@/$HOLD/g" -e "s/@START@/$START/g" -e "s/@ANCHOR@/ksk-old-$OLDTAG/g" \
		-e "s/@N@/$SIMN/g" "$HERE/population.yaml.in" >"$W/${z}population.yaml"
	# exit 1 is the plan's lint (30-day hold-downs): expected here, outputs are written
	"$BIN/keyroll-trustanchor" simulate --skr "$W/${z}skr.xml" \
		--population "$W/${z}population.yaml" --validators $SIMN --exact --step PT1M \
		--from "@$T0" --to "@$((END + 60))" --csv "$W/${z}sim.csv" >"$W/${z}sim.txt" 2>&1 ||
		[ $? = 1 ] || { cat "$W/${z}sim.txt"; die "keyroll-trustanchor simulate failed for $z"; }
	[ -s "$W/${z}sim.csv" ] || { cat "$W/${z}sim.txt"; die "no simulator output for $z"; }
done
say "simulated; comparing"
verdict=0
$PY "$HERE/compare.py" "$W" "$T0" 60 $((TTL / 2)) "$HOLD" "$OLDTAG" "$NEWTAG" \
	safe.example.:safe unsafe.example.:unsafe >"$W/verdict.txt" || verdict=1
cat "$W/verdict.txt"
say "finished in $(($(date +%s) - T0 + 2))s"
exit $verdict
