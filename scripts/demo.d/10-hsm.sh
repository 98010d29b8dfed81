# Demo step 10: a token and a KSK in it.
#
# Exports for later steps (sourced by scripts/demo.sh in the same shell):
#   SOFTHSM2_CONF   SoftHSM2 configuration with its token directory in $DEMO/tokens
#   DEMO_PIN_FILE   the user PIN of the demo token (a file; never on a command line)
#   DEMO_SO_PIN_FILE  its security officer PIN
#   DEMO_TOKEN      token label: demo-ksk
#   DEMO_KSK        label of the KSK: ksk-demo (RSASHA256, 2048 bits, zone .)
#   KEYROLL_TOKEN   = $DEMO_TOKEN, so keyroll tools find the token without --token
mkdir -p "$DEMO/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$DEMO" >"$DEMO/softhsm2.conf"
export SOFTHSM2_CONF="$DEMO/softhsm2.conf"
export DEMO_PIN_FILE="$DEMO/user.pin" DEMO_SO_PIN_FILE="$DEMO/so.pin"
export DEMO_TOKEN=demo-ksk DEMO_KSK=ksk-demo
export KEYROLL_TOKEN="$DEMO_TOKEN"
(umask 077 && printf 'demo-user-pin-2718\n' >"$DEMO_PIN_FILE" && printf 'demo-so-pin-3141\n' >"$DEMO_SO_PIN_FILE")

echo "\$ keyroll-hsm init --token $DEMO_TOKEN --so-pin-file so.pin --pin-file user.pin"
"$BIN/keyroll-hsm" init --token "$DEMO_TOKEN" --so-pin-file "$DEMO_SO_PIN_FILE" --pin-file "$DEMO_PIN_FILE"
echo "\$ keyroll-hsm keygen --label $DEMO_KSK --algorithm RSASHA256 --bits 2048 --zone ."
"$BIN/keyroll-hsm" keygen --pin-file "$DEMO_PIN_FILE" --label "$DEMO_KSK" --algorithm RSASHA256 \
	--bits 2048 --zone . | tee "$DEMO/ksk-demo.keygen"
echo "\$ keyroll-hsm list"
"$BIN/keyroll-hsm" list --pin-file "$DEMO_PIN_FILE"
echo "\$ keyroll-hsm export --label $DEMO_KSK --format ds"
"$BIN/keyroll-hsm" export --pin-file "$DEMO_PIN_FILE" --label "$DEMO_KSK" --format ds \
	--output "$DEMO/ksk-demo.ds"
cat "$DEMO/ksk-demo.ds"
