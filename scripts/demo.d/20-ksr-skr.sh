# Demo step 20: the KSR/SKR exchange between the two operators.
#
# The ZSK operator's own token (demo-zsk) holds three ZSKs and generates the
# KSR for the next quarter (ICANN's cycle: the outgoing ZSK in the first
# bundle, the incoming one in the last).  The KSK token of step 10 checks
# and signs it into an SKR; the ZSK side accepts the SKR against the KSK's
# DS and takes the DNSKEY RRset in force for its online signer.
#
# Needs from step 10: SOFTHSM2_CONF, DEMO_PIN_FILE, DEMO_SO_PIN_FILE,
# DEMO_TOKEN, DEMO_KSK and $DEMO/ksk-demo.ds.
# Exports for later steps:
#   DEMO_POLICY   the root policy with the demo KSK as its key ($DEMO/policy.yaml)
#   DEMO_KSR      the KSR ($DEMO/ksr.xml)
#   DEMO_SKR      the accepted SKR ($DEMO/skr.xml)
#   DEMO_ZSK_TOKEN  the ZSK operator's token label: demo-zsk
DEMO_POLICY="$DEMO/policy.yaml" DEMO_KSR="$DEMO/ksr.xml" DEMO_SKR="$DEMO/skr.xml"
DEMO_ZSK_TOKEN=demo-zsk
export DEMO_POLICY DEMO_KSR DEMO_SKR DEMO_ZSK_TOKEN

# ICANN's root policy, with the demo KSK as the key the KSK operator signs with.
awk '/^keys:/ {skip=1; next} skip && /^[a-z]/ {skip=0} !skip {print}' \
	"$TOP/skr/policies/root.yaml" >"$DEMO_POLICY"
printf 'keys:\n  - label: %s\n    description: demo KSK (step 10)\n    algorithm: RSASHA256\n    size: 2048\n    valid_from: 2020-01-01T00:00:00Z\n' \
	"$DEMO_KSK" >>"$DEMO_POLICY"
START=$(date -u -d '+14 days' +%Y-%m-%dT00:00:00Z)
AT=$(date -u -d '+20 days' +%Y-%m-%dT12:00:00Z)

echo "\$ keyroll-hsm init --token $DEMO_ZSK_TOKEN ...; keyroll-hsm keygen --label zsk-1|zsk-2|zsk-3"
"$BIN/keyroll-hsm" init --token "$DEMO_ZSK_TOKEN" --so-pin-file "$DEMO_SO_PIN_FILE" \
	--pin-file "$DEMO_PIN_FILE" >/dev/null
for z in zsk-1 zsk-2 zsk-3; do
	"$BIN/keyroll-hsm" keygen --token "$DEMO_ZSK_TOKEN" --pin-file "$DEMO_PIN_FILE" --label "$z" \
		--algorithm RSASHA256 --bits 2048 --zone . >/dev/null
done

echo "\$ keyroll-ksr generate --token $DEMO_ZSK_TOKEN --prev-zsk zsk-1 --zsk zsk-2 --next-zsk zsk-3 --start $START --out ksr.xml"
"$BIN/keyroll-ksr" generate --token "$DEMO_ZSK_TOKEN" --pin-file "$DEMO_PIN_FILE" \
	--policy "$DEMO_POLICY" --prev-zsk zsk-1 --zsk zsk-2 --next-zsk zsk-3 --start "$START" \
	--out "$DEMO_KSR"
echo "\$ keyroll-ksr hash ksr.xml   (the ZSK operator sends this hash by another channel)"
"$BIN/keyroll-ksr" hash "$DEMO_KSR"

echo "\$ keyroll-skr sign --ksr ksr.xml --token $DEMO_TOKEN --ksk $DEMO_KSK --no-previous-skr --yes --out skr.xml"
"$BIN/keyroll-skr" sign --ksr "$DEMO_KSR" --token "$DEMO_TOKEN" --pin-file "$DEMO_PIN_FILE" \
	--ksk "$DEMO_KSK" --policy "$DEMO_POLICY" --no-previous-skr --yes --out "$DEMO_SKR"

echo "\$ keyroll-ksr accept skr.xml --ksr ksr.xml --anchor ksk-demo.ds"
"$BIN/keyroll-ksr" accept "$DEMO_SKR" --ksr "$DEMO_KSR" --anchor "$DEMO/ksk-demo.ds"
echo "\$ keyroll-ksr bundle skr.xml --at $AT   (for the online signer)"
"$BIN/keyroll-ksr" bundle "$DEMO_SKR" --at "$AT" | cut -c1-110
