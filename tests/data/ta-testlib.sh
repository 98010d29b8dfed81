# ta-testlib.sh - shared by the trustanchor integration tests (sourced).
# Sets TA (the tool) and T (a temporary directory removed on exit, together
# with any background process whose pid is added to $pids), and defines:
#   ok WHAT                  count and print a passed check
#   die WHY                  print the failure (and $T/err) and exit 1
#   expect_fail WHAT TEXT CMD...   CMD must exit 1 with "error: ...TEXT" on
#                            stderr and print nothing on stdout
set -u
TA="$BIN/keyroll-trustanchor"
T=$(mktemp -d "$TOP/$BUILD/t.XXXXXX")
pids=""
ta_cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap ta_cleanup EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
die() { echo "FAIL: $1"; [ -f "$T/err" ] && sed 's/^/    /' "$T/err"; exit 1; }
expect_fail() {
	what=$1 text=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; rc=$?
	[ $rc = 1 ] || die "$what: exit $rc, want 1"
	grep -q "^error: .*$text" "$T/err" || die "$what: no '$text' in stderr"
	[ -s "$T/out" ] && die "$what: printed data on stdout"
	ok "$what refused: $text"
}
