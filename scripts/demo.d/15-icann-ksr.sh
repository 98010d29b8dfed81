# Demo step 15: the checks on real root-zone files (no keys needed).
#
# The genuine 2017-Q2 root KSR is checked against its real predecessor SKR as
# of 2017-03-15, a KSR with spoiled proof-of-possession signatures is
# refused, the 2018 KSK-rollover SKR is verified and its bundle table shows
# the 1414-byte DNSKEY responses of the roll.  Uses shared/testdata beside
# the source tree; skipped when it is not there.
ICANN=""
for d in "$TOP/../shared/testdata/icann" "$TOP/../../shared/testdata/icann"; do
	[ -d "$d/dnssec-keytools" ] && { ICANN="$d/dnssec-keytools"; break; }
done
if [ -z "$ICANN" ]; then
	echo "(shared/testdata not found beside the source tree: step skipped)"
else
	echo "\$ keyroll-ksr hash ksr-root-2017-q2-0.xml"
	"$BIN/keyroll-ksr" hash "$ICANN/ksr-root-2017-q2-0.xml"
	echo "\$ keyroll-ksr validate ksr-root-2017-q2-0.xml --previous-skr skr-root-2017-q1-0.xml --now 2017-03-15"
	"$BIN/keyroll-ksr" validate "$ICANN/ksr-root-2017-q2-0.xml" \
		--previous-skr "$ICANN/skr-root-2017-q1-0.xml" --now 2017-03-15
	echo "\$ keyroll-ksr validate ksr.bad.xml --now 2017-10-20   (refused: exit 1)"
	if "$BIN/keyroll-ksr" validate "$ICANN/ksr.bad.xml" --now 2017-10-20 >"$DEMO/ksr.bad.report"; then
		echo "ksr.bad.xml was accepted: wrong" >&2
		exit 1
	fi
	grep -v '^PASS' "$DEMO/ksr.bad.report"
	echo "\$ keyroll-skr verify skr-root-2018-q1-0-d_to_e.xml"
	"$BIN/keyroll-skr" verify "$ICANN/skr-root-2018-q1-0-d_to_e.xml"
	echo "\$ keyroll-ksr show skr-root-2018-q1-0-d_to_e.xml"
	"$BIN/keyroll-ksr" show "$ICANN/skr-root-2018-q1-0-d_to_e.xml"
fi
