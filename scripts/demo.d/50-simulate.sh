# Demo step 50: simulate the RFC 5011 rollover to the demo KSK across a
# validator population, lint the timeline and write the HTML report.
#
# Input:
#   DEMO_SKR     SKR files from an earlier step (space-separated, in time
#                order): linted (their signatures verified); if they hold a
#                KSK roll, the simulation follows their real bundles;
#   DEMO_KSK     otherwise a plan rolling to the demo KSK (step 10: its real
#                tag and algorithm; a placeholder key without it) is written
#                to $DEMO/rollover-plan.yaml and simulated.
# Output: $DEMO/report (index.html, charts, data).
SIM_REPORT="$DEMO/report"
set --
for f in ${DEMO_SKR:-}; do
	set -- "$@" --skr "$f"
done
sim_roll=
if [ $# -gt 0 ]; then
	echo "\$ keyroll-trustanchor lint $*"
	"$BIN/keyroll-trustanchor" lint "$@" || echo "note: lint found errors in the SKRs"
	"$BIN/keyroll-trustanchor" simulate "$@" --validators 1 --quiet --json 2>/dev/null |
		grep -q '"new":-1' || sim_roll=yes
fi
if [ -n "$sim_roll" ]; then
	set -- simulate "$@" --report "$SIM_REPORT" --validators 200000 --quiet
else
	tag=40000 alg=13
	if [ -n "${DEMO_KSK:-}" ] && [ -n "${DEMO_PIN_FILE:-}" ]; then
		ds=$("$BIN/keyroll-hsm" export --pin-file "$DEMO_PIN_FILE" --label "$DEMO_KSK" --format ds 2>/dev/null |
			awk '{ for (i = 1; i < NF; i++) if ($i == "DS") { print $(i + 1), $(i + 2); exit } }')
		[ -n "$ds" ] && { tag=${ds% *}; alg=${ds#* }; }
	fi
	cat >"$DEMO/rollover-plan.yaml" <<PLAN
# Rollover to the demo KSK (tag $tag, algorithm $alg), root-style timing.
zone: .
start: 2027-01-01
end: 2028-07-01
ttl: P2D
signatures: {validity: P21D, interval: P10D, cycle: quarter}
zsk: {algorithm: $alg, bits: 2048, roll: quarterly}
keys:
  - {name: KSK-current, tag: 20326, algorithm: 8, bits: 2048}
  - {name: KSK-demo, tag: $tag, algorithm: $alg, bits: 2048}
initial: {publish: KSK-current, sign: KSK-current}
events:
  - {date: 2027-01-11, label: publish KSK-demo, publish: KSK-demo}
  - {date: 2027-07-11, label: roll to KSK-demo, sign: KSK-demo, unsign: KSK-current}
  - {date: 2027-10-11, label: revoke KSK-current, revoke: KSK-current}
  - {date: 2027-12-10, label: remove KSK-current, remove: KSK-current}
PLAN
	set -- simulate --plan "$DEMO/rollover-plan.yaml" --report "$SIM_REPORT" --validators 200000 --quiet
fi
echo "\$ keyroll-trustanchor $*"
sim_rc=0
"$BIN/keyroll-trustanchor" "$@" || sim_rc=$?
[ $sim_rc -le 1 ] || exit $sim_rc
[ $sim_rc = 0 ] || echo "note: lint found errors in this timeline (exit 1); the report shows their effect"
echo "report: $SIM_REPORT/index.html"
