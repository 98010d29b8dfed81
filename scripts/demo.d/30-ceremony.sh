# Demo step 30: key ceremonies rehearsed from scripts/ceremonies/ - the KSK
# generation ceremony (officer cards, KSK, audit key, M-of-N backup), then
# the KSR signing ceremony (ICANN's legacy 2010 Q1 test KSR, signed by the
# legacy TEST KSK1) when this build has keyroll-skr sign with officer cards.  Each log is verified with the audit key and printed as HTML.
#
# Exports for later steps:
#   DEMO_CEREMONY   the ceremony working directory ($DEMO/ceremony)
#   DEMO_AUDIT_KEY  the audit public key (PEM) that seals the logs
DEMO_CEREMONY="$DEMO/ceremony"
DEMO_AUDIT_KEY="$DEMO_CEREMONY/out/audit2026.pem"
export DEMO_CEREMONY DEMO_AUDIT_KEY
mkdir -p "$DEMO_CEREMONY/out" "$DEMO_CEREMONY/logs"
(
	cd "$DEMO_CEREMONY"
	umask 077
	printf 'demo-so-pin-2026\n' >so.pin
	echo "\$ keyroll-hsm init --token ksk2026 --so-pin-file so.pin --officers 5 --quorum 3 --cards cards"
	"$BIN/keyroll-hsm" init --token ksk2026 --so-pin-file so.pin --officers 5 --quorum 3 --cards cards
	echo "\$ keyroll-ceremony run ksk-generation.yaml --answers ksk-generation.answers.yaml --log logs"
	"$BIN/keyroll-ceremony" run "$TOP/scripts/ceremonies/ksk-generation.yaml" \
		--answers "$TOP/scripts/ceremonies/ksk-generation.answers.yaml" --log logs </dev/null
	log=$(ls logs/ksk-generation-*.cbor)
	echo "\$ keyroll-ceremony verify-log $log --pubkey out/audit2026.pem"
	"$BIN/keyroll-ceremony" verify-log "$log" --pubkey out/audit2026.pem
	"$BIN/keyroll-ceremony" transcript "$log" --pubkey out/audit2026.pem --out ksk-generation.html
	echo "transcript: $DEMO_CEREMONY/ksk-generation.html"

	L=
	for d in "$TOP/../shared" "$TOP/../../shared"; do
		[ -d "$d/testdata/icann/dnssec-keytools-legacy" ] && L="$d/testdata/icann/dnssec-keytools-legacy"
	done
	if [ -n "$L" ] && "$BIN/keyroll-skr" sign --help 2>/dev/null | grep -q -- '--card'; then
		# the legacy test policy knows the TEST KSK1 only: bring it into the token
		echo "\$ keyroll-hsm import --label KSK1 --key-file rsa2048-1.key (legacy TEST key)"
		"$BIN/keyroll-hsm" import --token ksk2026 --card cards/ksk2026-officer-1.card \
			--card cards/ksk2026-officer-2.card --card cards/ksk2026-officer-3.card \
			--label KSK1 --key-file "$L/test-keys/rsa2048-1.key"
		echo "\$ keyroll-ceremony run ksr-signing.yaml --answers ksr-signing.answers.yaml --log logs"
		"$BIN/keyroll-ceremony" run "$TOP/scripts/ceremonies/ksr-signing.yaml" \
			--answers "$TOP/scripts/ceremonies/ksr-signing.answers.yaml" --log logs \
			--param ksr="$L/baseline/ksr-root-2010-q1-0.xml" --param previous-skr="$L/baseline/skr-root-2009-q4-2.xml" \
			--param now=2009-12-20 --param policy="$TOP/tests/data/legacy-policy.yaml" \
			--param ksk-label=KSK1 </dev/null
		log=$(ls logs/ksr-signing-*.cbor)
		"$BIN/keyroll-ceremony" verify-log "$log" --pubkey out/audit2026.pem
		"$BIN/keyroll-ceremony" transcript "$log" --pubkey out/audit2026.pem --out ksr-signing.html
		echo "transcript: $DEMO_CEREMONY/ksr-signing.html"
	else
		echo "note: no 'keyroll-skr sign --card' in this build (or no ICANN test KSR): the KSR signing ceremony is not rehearsed"
	fi
)
