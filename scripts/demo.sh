#!/bin/sh
# make demo: the main job end to end on a SoftHSM token in ./var/demo.
# Each step is a script in scripts/demo.d/, run in name order with the same
# environment (BIN, DEMO, SOFTHSM2_CONF, KEYROLL_* variables).
set -eu
: "${BIN:?}"
TOP=$(pwd)
DEMO="$TOP/var/demo"
rm -rf "$DEMO"
mkdir -p "$DEMO"
export BIN TOP DEMO
for step in scripts/demo.d/*.sh; do
	[ -f "$step" ] || continue
	echo
	echo "=== $(basename "$step" .sh)"
	. "./$step"
done
echo
echo "demo finished: everything it made is in $DEMO"
