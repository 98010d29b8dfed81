#!/bin/sh
# The simulator against real validators, in seconds: re-run
# keyroll-trustanchor simulate on the SKRs of a recorded test-bed run
# (tests/data/testbed, SOURCES.md) and compare it with what the two real
# Unbound validators did (scripts/testbed/compare.py).
#
# Asserted: every RFC 5011 state change of the real validators in the safe
# roll (new key AddPend and Valid, old key Revoked and Removed) and the
# unsafe plan's outcome (zone insecure at the first probe after the
# revocation, with no window of failures before it: Unbound processes the
# revocation when it fetches the DNSKEY RRset) fall within one refresh
# interval of the prediction, with no disagreement at all; and the comparator
# rejects the same record shifted by two refresh intervals.
set -u
: "${BIN:?}" "${TOP:?}" "${BUILD:?}"
PY=/usr/bin/python3
D="$TOP/tests/data/testbed"
T=$(mktemp -d "$TOP/$BUILD/t.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
T0=1795367105
END=$((T0 + 900))

for z in safe.example. unsafe.example.; do
	"$BIN/keyroll-trustanchor" simulate --skr "$D/${z}skr.xml" --population "$D/population.yaml" \
		--validators 20 --exact --step PT1M --from "@$T0" --to "@$((END + 60))" \
		--csv "$T/${z}sim.csv" >"$T/${z}sim.txt" 2>&1
	rc=$?
	# 1: the plan's lint (30-day hold-downs) - expected; the series is written
	[ $rc = 0 ] || [ $rc = 1 ] || { cat "$T/${z}sim.txt"; fail "simulate $z exit $rc"; }
	[ -s "$T/${z}sim.csv" ] || fail "no series for $z"
done

verdict() { # record file -> prints the comparison
	cp "$1" "$T/record.txt"
	$PY "$TOP/scripts/testbed/compare.py" "$T" $T0 60 60 120 34725 35576 \
		safe.example.:safe unsafe.example.:unsafe
}
verdict "$D/record.txt" >"$T/verdict.txt" || { cat "$T/verdict.txt"; fail "the comparator found disagreements"; }
cat "$T/verdict.txt"
grep -q '^FAIL' "$T/verdict.txt" && fail "a disagreeing line"
grep -q ' 0 disagree ' "$T/verdict.txt" || fail "no '0 disagree' summary"
for what in "new key AddPend" "new key Valid" "old key Revoked" "old key Removed" \
	"safe plan" "zone insecure" "unsafe plan"; do
	for v in v1 v2; do
		grep -E "^ok   $v .* $what" "$T/verdict.txt" >/dev/null ||
			fail "$v: '$what' does not agree with the simulator"
	done
done
[ "$(grep -c '^ok ' "$T/verdict.txt")" -ge 14 ] || fail "fewer agreeing lines than recorded"

# The same run with every real state change two refresh intervals later.
awk '$4 == "key" && $6 != "gone" { $8 += 120 } { print }' "$D/record.txt" >"$T/late.txt"
verdict "$T/late.txt" >"$T/late-verdict.txt" && fail "a record 120 s late still agrees"
grep -q '^FAIL v1 .* new key Valid' "$T/late-verdict.txt" || fail "late Valid not flagged"
echo "shifted record rejected: $(tail -n 1 "$T/late-verdict.txt")"
exit 0
