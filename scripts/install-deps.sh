#!/bin/sh
# Install the Debian 12 packages keyroll needs to build, test and demo.
#   install-deps.sh          install (as root) whatever is missing
#   install-deps.sh --auto   the same, but only as root and only when something
#                            is missing; otherwise just report what is missing
# Idempotent: packages already installed are not touched.
set -eu

PACKAGES="build-essential pkg-config clang
libssl-dev openssl libp11-dev libp11-kit-dev p11-kit softhsm2 opensc
libxml2-dev libxml2-utils libcbor-dev libfyaml-dev libgfshare-dev libcmocka-dev
ldnsutils python3 python3-dnspython unbound unbound-anchor knot knot-dnsutils
gnuplot-nox valgrind bind9-utils"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "warning: missing Debian packages:$missing" >&2
	echo "warning: run 'sudo sh scripts/install-deps.sh' to install them" >&2
	[ "${1:-}" = --auto ] && exit 0
	exit 3
fi

echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
