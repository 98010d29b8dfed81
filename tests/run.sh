#!/bin/sh
# Test runner for `make check`: runs each unit test binary (cmocka) and each
# integration script in tests/integration/ (TAP-ish; exit 0 = pass, 77 = skip),
# and ends with one line "N passed, N failed, N skipped".
# Environment: BIN (tool directory), BUILD (build directory), ONLY (substring filter).
set -u
: "${BIN:?}" "${BUILD:?}"
export BIN BUILD
export TOP="$(pwd)"
# shared/ sits beside the clone (CI, /work/main) or two levels up (worktrees).
if [ -z "${SHARED:-}" ]; then
	for d in "$TOP/../shared" "$TOP/../../shared"; do
		[ -d "$d/testdata" ] && { SHARED=$(cd "$d" && pwd); break; }
	done
fi
export SHARED="${SHARED:?shared/ with testdata not found beside the source tree}"
export TESTDATA="$SHARED/testdata"
pass=0 fail=0 skip=0 failed=""
log_dir="$BUILD/test-logs"
mkdir -p "$log_dir"

run_one() { # name, command...
	name=$1; shift
	case "$name" in *"${ONLY:-}"*) ;; *) return ;; esac
	log="$log_dir/$(echo "$name" | tr '/' '_').log"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	t=$(( $(date +%s) - start ))
	if [ $rc = 0 ]; then
		pass=$((pass + 1)); echo "ok   $name (${t}s)"
	elif [ $rc = 77 ]; then
		skip=$((skip + 1)); echo "skip $name: $(tail -n 1 "$log")"
	else
		fail=$((fail + 1)); failed="$failed $name"
		echo "FAIL $name (exit $rc), log $log:"; tail -n 30 "$log" | sed 's/^/    /'
	fi
}

for t in "$@"; do
	run_one "unit/$(basename "$t")" "$t"
done
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	run_one "integration/$(basename "$t" .sh)" sh "$t"
done

echo
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
