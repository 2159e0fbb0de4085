#!/bin/bash
# valgrind memcheck over the CGI black-box tests (issue 10 #4, the CGI
# half; t/memcheck.t is the FastCGI one): protocol.t (every route, every
# error answer), diskfull.t and readonly.t (write errors from the
# kernel), each run whole with KSS_VALGRIND=1, so that every kss.cgi
# process it starts runs under valgrind (t/lib.sh). For each: the test
# passes (every answer as expected, every run of kss exited 0: valgrind
# exits 99 on a memory error or a definite or indirect leak), and its
# reports, one per run, each end with "ERROR SUMMARY: 0 errors" and lose
# no memory. Two tests run at once (each is one process at a time):
# valgrind's start (~0.4 s) times the ~160 runs. Skipped in the sanitizer build (ASan and valgrind do not
# mix), where valgrind is missing, and with KSS_MEMCHECK_CGI=off (.ci/run's
# make distcheck: its werror build has run this already).
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"

command -v valgrind >/dev/null || skip_all "valgrind not installed"
[ -z "${ASAN_OPTIONS:-}" ] || skip_all "the sanitizer build (valgrind runs on the plain one)"
[ "${KSS_MEMCHECK_CGI:-}" != off ] || skip_all "KSS_MEMCHECK_CGI=off"

# hostile.t is left to the sanitizer build (ASan, UBSan and LeakSanitizer
# run it whole): under valgrind it doubled this test's time, and CI's.
TESTS="protocol diskfull readonly"
T_DIR=${T_SRCDIR:-$(dirname "$0")}
JOBS=2
[ "$(nproc 2>/dev/null || echo 1)" -ge 2 ] || JOBS=1

# run_one NAME: NAME.t with kss under valgrind; its TAP in NAME.tap, its
# status in NAME.rc, valgrind's reports in vg-NAME/.
run_one() {
	local rc=0
	mkdir "$TMP/vg-$1"
	KSS_VALGRIND=1 KSS_VALGRIND_LOGS="$TMP/vg-$1" \
	    timeout 900 bash "$T_DIR/$1.t" >"$TMP/$1.tap" 2>"$TMP/$1.err" || rc=$?
	echo "$rc" >"$TMP/$1.rc"
}

running=()
for t in $TESTS; do
	if [ ${#running[@]} -ge $JOBS ]; then
		wait "${running[0]}"
		running=("${running[@]:1}")
	fi
	run_one "$t" &
	running+=($!)
done
wait

for t in $TESTS; do
	tap=$TMP/$t.tap
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$tap")
	if grep -q '^1\.\.0 # SKIP' "$tap"; then
		skip "$t.t under valgrind" "$(sed -n 's/^1\.\.0 # SKIP //p' "$tap")"
		continue
	fi
	points=$(grep -cE '^(not )?ok ' "$tap")
	failed=$(grep -c '^not ok ' "$tap")
	ok $([ "$(cat "$TMP/$t.rc")" = 0 ] && [ -n "$plan" ] &&
	    [ "$plan" = "$points" ] && [ "$failed" = 0 ]; echo $?) \
	    "$t.t under valgrind: $points of ${plan:-?} test points, $failed failed, exit $(cat "$TMP/$t.rc")"
	grep -A3 '^not ok ' "$tap" | head -n 40 | sed 's/^/#   /'
	[ -s "$TMP/$t.err" ] && head -n 5 "$TMP/$t.err" | sed 's/^/#   stderr: /'
	# Its reports, counted here again (the test checks its own too).
	VG_LOGS=$TMP/vg-$t
	valgrind_reports "$t.t: "
done

done_testing
