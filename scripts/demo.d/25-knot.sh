# Demo step 25: Knot DNS as the ZSK operator (docs/knot-interop.md).
#
# A Knot signer with an offline-KSK policy writes its KSR with keymgr; keyroll
# checks it, signs it with the demo KSK of step 10 in Knot's own format, and
# keymgr import-skr loads the result (it verifies every signature).
#
# Needs from step 10: SOFTHSM2_CONF, DEMO_PIN_FILE, DEMO_TOKEN, DEMO_KSK.
# Exports nothing.
if command -v keymgr >/dev/null 2>&1; then
	K="$DEMO/knot"
	mkdir -p "$K/keys" "$K/db"
	cat >"$K/knot.conf" <<KNOTCONF
database:
    storage: $K/db
keystore:
  - id: default
    backend: pem
    config: $K/keys
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
    dnssec-signing: on
    dnssec-policy: offline
KNOTCONF
	# A TLD-style policy: 14-day bundles every 7 days, the demo KSK.
	cat >"$K/policy.yaml" <<POLICY
zone: example.
ksk_policy: {ttl: 3600, publish_safety: PT0S, retire_safety: PT0S,
  max_signature_validity: P14D, min_signature_validity: P14D,
  max_validity_overlap: P12D, min_validity_overlap: P7D}
keys:
  - {label: $DEMO_KSK, algorithm: RSASHA256, size: 2048, valid_from: 2020-01-01T00:00:00Z}
request_policy: {min_bundles: 1, max_bundles: 10, min_bundle_interval: PT1S,
  max_bundle_interval: P7D, min_cycle_inception_length: PT0S,
  max_cycle_inception_length: P31D, min_keys_per_bundle: 1, max_keys_per_bundle: 2,
  approved_algorithms: [{algorithm: RSASHA256, sizes: [2048]}], signature_horizon_days: 60,
  min_publish_safety: PT0S, max_publish_safety: PT0S, min_retire_safety: PT0S,
  max_retire_safety: PT0S}
skip_checks: [KSR-BUNDLE-POP]   # Knot KSRs carry no self-signatures
POLICY
	echo "\$ keymgr example. generate ksk=no zsk=yes; keymgr example. generate-ksr +0 +30d > ksr.txt"
	keymgr -c "$K/knot.conf" example. generate algorithm=rsasha256 size=2048 ksk=no zsk=yes >/dev/null
	keymgr -c "$K/knot.conf" example. generate-ksr +0 +30d >"$K/ksr.txt"
	echo "\$ keyroll-ksr show ksr.txt --bundle-validity P14D --bundle-step P7D"
	"$BIN/keyroll-ksr" show --bundle-validity P14D --bundle-step P7D "$K/ksr.txt"
	echo "\$ keyroll-skr sign --ksr ksr.txt --ksk $DEMO_KSK --format knot --out skr.txt ..."
	"$BIN/keyroll-skr" sign --ksr "$K/ksr.txt" --token "$DEMO_TOKEN" --pin-file "$DEMO_PIN_FILE" \
		--ksk "$DEMO_KSK" --policy "$K/policy.yaml" --no-previous-skr --yes --format knot \
		--out "$K/skr.txt" | tail -n 8
	echo "\$ keymgr example. import-skr skr.txt"
	keymgr -c "$K/knot.conf" example. import-skr "$K/skr.txt"
else
	echo "(step 25 skipped: Knot DNS's keymgr is not installed)"
fi
