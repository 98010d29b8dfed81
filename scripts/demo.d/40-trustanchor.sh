# Demo step 40: publish and sign the demo KSK's trust anchor (RFC 9718 XML and
# a detached CMS signature whose signer key lives in the demo token), then
# verify it as a validator would and export it for Unbound and BIND.
#
# Uses from step 10: DEMO_TOKEN, DEMO_KSK, DEMO_PIN_FILE, SOFTHSM2_CONF.
# Exports for later steps:
#   DEMO_TA_XML   $DEMO/trustanchor/root-anchors.xml
#   DEMO_TA_P7S   $DEMO/trustanchor/root-anchors.p7s
#   DEMO_TA_CA    the demo CA certificate that vouches for the signer
#   DEMO_TA_EMAIL the signer's address
TA_DIR="$DEMO/trustanchor"
mkdir -p "$TA_DIR"
export DEMO_TA_XML="$TA_DIR/root-anchors.xml" DEMO_TA_P7S="$TA_DIR/root-anchors.p7s"
export DEMO_TA_CA="$TA_DIR/ca/ca.pem" DEMO_TA_EMAIL=dnssec@demo.keyroll.test

echo "\$ keyroll-hsm keygen --label ta-signer   # the CMS signer key, in the token"
"$BIN/keyroll-hsm" keygen --token "$DEMO_TOKEN" --pin-file "$DEMO_PIN_FILE" --label ta-signer \
	--algorithm RSASHA256 --bits 2048 --zone . >/dev/null
"$BIN/keyroll-hsm" export --token "$DEMO_TOKEN" --pin-file "$DEMO_PIN_FILE" --label ta-signer \
	--format pem --output "$TA_DIR/ta-signer.pub.pem"
echo "\$ tests/data/gen-test-ca.sh   # a demo CA certifies the token's signer key"
sh "$TOP/tests/data/gen-test-ca.sh" "$TA_DIR/ca" "$DEMO_TA_EMAIL" "$TA_DIR/ta-signer.pub.pem" >/dev/null
openssl x509 -in "$TA_DIR/ca/signer.pem" -noout -subject

echo "\$ keyroll-trustanchor publish --zone . --key $DEMO_KSK --out root-anchors.xml"
"$BIN/keyroll-trustanchor" publish --zone . --token "$DEMO_TOKEN" --pin-file "$DEMO_PIN_FILE" \
	--key "$DEMO_KSK" --source https://demo.keyroll.test/root-anchors/root-anchors.xml \
	--out "$DEMO_TA_XML"
cat "$DEMO_TA_XML"

echo "\$ keyroll-trustanchor sign root-anchors.xml --signer-label ta-signer --out root-anchors.p7s"
"$BIN/keyroll-trustanchor" sign "$DEMO_TA_XML" --signer-cert "$TA_DIR/ca/signer.pem" \
	--signer-chain "$TA_DIR/ca/int.pem" --token "$DEMO_TOKEN" --pin-file "$DEMO_PIN_FILE" \
	--signer-label ta-signer --out "$DEMO_TA_P7S"

echo "\$ keyroll-trustanchor verify root-anchors.xml --p7s root-anchors.p7s --ca ca.pem --signer-email $DEMO_TA_EMAIL"
"$BIN/keyroll-trustanchor" verify "$DEMO_TA_XML" --p7s "$DEMO_TA_P7S" --ca "$DEMO_TA_CA" \
	--signer-email "$DEMO_TA_EMAIL"
echo "\$ keyroll-trustanchor export root-anchors.xml --format unbound"
"$BIN/keyroll-trustanchor" export "$DEMO_TA_XML" --format unbound | tee "$TA_DIR/unbound-anchor.conf"
echo "\$ keyroll-trustanchor export root-anchors.xml --format bind"
"$BIN/keyroll-trustanchor" export "$DEMO_TA_XML" --format bind | tee "$TA_DIR/bind-anchor.conf"
