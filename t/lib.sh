# Shared helpers for the shell tests: TAP output and running kss as a CGI
# program with a crafted environment (the cgit way). Sourced, not run.
#
# Needs KSS_BIN (the built program; make check sets it) and jq.

set -u
: "${KSS_BIN:?KSS_BIN must name the built kss.fcgi (make check sets it)}"

# A test that sets T_WANT_MOUNT_NS=1 before sourcing this runs again, from
# the start, in a mount and PID namespace of its own when it can (root,
# unshare), so that whatever it mounts goes away with it, and whatever it
# starts too: it is the namespace's PID 1, and when it ends, or is killed
# (--kill-child: unshare killed kills it), the kernel kills every process
# left in it (a daemon that went to the background included). With
# T_WANT_NET_NS=1 too, in a network namespace of its own as well (only a
# loopback, down: ports nothing else sees). T_MOUNT_NS=1 says it got them,
# checked here, not taken from the environment: PID 1 of a namespace whose
# mount (and network) namespace is not the machine's PID 1's; then /proc
# is this namespace's. Done before anything below makes files or traps.
T_MOUNT_NS=
if [ "${T_WANT_MOUNT_NS:-}" = 1 ]; then
	t_ns="-m ${T_WANT_NET_NS:+-n} -p -f --kill-child --propagation private"
	if [ -z "${T_NS_CHILD:-}" ] && [ "$(id -u)" = 0 ] &&
	    command -v unshare >/dev/null && unshare $t_ns true 2>/dev/null; then
		T_NS_CHILD=1 exec unshare $t_ns bash "$0"
	fi
	# (/proc is still the machine's: /proc/1 is its PID 1)
	if [ "$$" = 1 ] && ! [ /proc/self/ns/mnt -ef /proc/1/ns/mnt ] &&
	    { [ -z "${T_WANT_NET_NS:-}" ] || ! [ /proc/self/ns/net -ef /proc/1/ns/net ]; } &&
	    mount -t proc -o nosuid,nodev,noexec proc /proc; then
		T_MOUNT_NS=1
	fi
	unset t_ns
fi
# In the namespace, /tmp is a fresh one of its own (TMPDIR unset or /tmp),
# where the build's and the source tree's folders, when in /tmp, are
# bound as they are (and KSS_VALGRIND_LOGS's, where memcheck-cgi.t reads
# what valgrind wrote): the test's folder, made there, goes with the
# namespace even when the test is killed. T_PRIVATE_TMP=1 says so.
T_PRIVATE_TMP=
if [ -n "$T_MOUNT_NS" ] && [ "${TMPDIR:-/tmp}" = /tmp ] && exec 9</tmp &&
    mount -t tmpfs -o mode=1777 kss-tmp /tmp; then
	T_PRIVATE_TMP=1
	for t_d in "$PWD" "$KSS_BIN" "${T_SRCDIR:-}" "${T_BUILDDIR:-}" \
	    "${KSS_VALGRIND_LOGS:-}"; do
		case $t_d in /tmp/*) ;; *) continue ;; esac
		t_d=${t_d#/tmp/}
		t_d=${t_d%%/*}
		[ -e "/tmp/$t_d" ] && continue
		# (-c: mount would make /proc/self/fd/9/X the new /tmp/X)
		mkdir "/tmp/$t_d" && mount -c --bind "/proc/self/fd/9/$t_d" "/tmp/$t_d" ||
		    { umount -R /tmp; T_PRIVATE_TMP=; break; }
	done
	unset t_d
	cd "$PWD" || exit 1
fi
exec 9<&-

T_N=0
T_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kss-test.XXXXXX")
DATA=$TMP/data
# The folder in RAM where kss.cgi processes share verified keys
# (KSS_CACHE_DIR): the test's own, never the machine's default.
if SHM=$(mktemp -d /dev/shm/kss-test.XXXXXX 2>/dev/null); then
	CACHE=$SHM/cache
else
	SHM= CACHE=
fi
BAD_HEADERS=0	# answers without the exact JSON headers
BAD_EXITS=0	# kss runs that did not exit 0 (a sanitizer report, a crash)
# What done_testing searches for secrets: every stderr kss wrote (one file
# per writing shell or server, in LOGS, plus the server logs keep_log
# names), and every key and password the test sent (SECRETS, one a line).
# Files, not variables: racers run requests in subshells.
LOGS=$TMP/logs
SECRETS=$TMP/secrets
mkdir "$LOGS"
: >"$SECRETS"
: >"$TMP/kept-logs"
trap 't_cleanup' EXIT
# KSS_VALGRIND=1 (in the environment) runs each CGI run of kss (RUN is
# the program itself) under valgrind memcheck, a report per run in
# KSS_VALGRIND_LOGS (default a folder in TMP), and done_testing then
# checks every report; t/memcheck-cgi.t runs the CGI tests so. Leaks of
# kinds definite and indirect count as errors, as in t/memcheck.t; memory
# still reachable at exit does not.
VG=()
VG_LOGS=${KSS_VALGRIND_LOGS:-$TMP/valgrind}
if [ -n "${KSS_VALGRIND:-}" ]; then
	VG=("$(command -v valgrind)" --leak-check=full \
	    --show-leak-kinds=definite,indirect \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	    --num-callers=30)
	[ -x "${VG[0]}" ] || { echo "Bail out! KSS_VALGRIND set, no valgrind"; exit 1; }
	mkdir -p "$VG_LOGS"
fi

t_cleanup() {
	[ -n "${T_CLEANUP:-}" ] && eval "$T_CLEANUP"
	rm -rf "$TMP" ${SHM:+"$SHM"}
}

ok() {	# ok CONDITION_STATUS DESCRIPTION
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAILED=$((T_FAILED + 1))
	fi
}

is() {	# is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

# like GOT EXTENDED_REGEX DESCRIPTION: a line of GOT matches; a regex
# that holds a newline is matched against GOT whole (grep would take each
# of its lines for a pattern of its own, an empty one matching anything).
like() {
	local m=1
	case $2 in
	*$'\n'*) [[ $1 =~ $2 ]] && m=0 ;;
	*) printf '%s' "$1" | grep -Eq -- "$2" && m=0 ;;
	esac
	if [ $m = 0 ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want match: %s\n' "$1" "$2"
	fi
}

skip() {	# skip DESCRIPTION REASON
	T_N=$((T_N + 1))
	echo "ok $T_N - $1 # SKIP $2"
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

# secret VALUE...: a key or password sent to kss, which must never show
# in its stderr.
secret() {
	local v
	for v in "$@"; do
		[ -n "$v" ] && printf '%s\n' "$v" >>"$SECRETS"
	done
	return 0
}

# keep_log FILE...: a server's error log (nginx, lighttpd, Apache: where
# kss's stderr goes behind them), searched for secrets by done_testing.
keep_log() {
	printf '%s\n' "$@" >>"$TMP/kept-logs"
}

# Every key or password of 6 bytes or more that the test sent, against
# every line kss (or a server in front of it) wrote to stderr. Shorter
# ones would match by chance; the tests use long, distinctive ones.
no_secret_in_logs() {
	local logs=() f strong=$TMP/strong found n lines
	for f in "$LOGS"/*; do
		[ -f "$f" ] && logs+=("$f")
	done
	while read -r f; do
		[ -f "$f" ] && logs+=("$f")
	done <"$TMP/kept-logs"
	LC_ALL=C awk 'length >= 6' "$SECRETS" | sort -u >"$strong"
	n=$(wc -l <"$strong")
	lines=0 found=
	if [ ${#logs[@]} -gt 0 ]; then
		lines=$(cat "${logs[@]}" | wc -l)
		[ "$n" -gt 0 ] &&
		    found=$(cat "${logs[@]}" | grep -F -f "$strong" | head -3)
	fi
	is "$found" "" "none of the $n keys and passwords sent appears in the $lines lines of stderr"
}

# valgrind_reports [LABEL]: the reports in VG_LOGS, one per run of kss
# under KSS_VALGRIND: there are some, each ends with "ERROR SUMMARY: 0
# errors" (a run that did not end under valgrind has none), and none
# lost memory.
valgrind_reports() {
	local n bad lost f
	n=$(find "$VG_LOGS" -type f -name 'run.*' | wc -l)
	bad=$(grep -L 'ERROR SUMMARY: 0 errors from 0 contexts' "$VG_LOGS"/run.* 2>/dev/null)
	ok $([ "$n" -gt 0 ] && [ -z "$bad" ]; echo $?) \
	    "${1:-}valgrind: each of the $n runs of kss ended with ERROR SUMMARY: 0 errors"
	lost=$(grep -lE '(definitely|indirectly) lost: [1-9]' "$VG_LOGS"/run.* 2>/dev/null)
	is "$(printf '%s' "$lost" | grep -c .)" 0 \
	    "${1:-}valgrind: no run lost memory (definitely or indirectly)"
	for f in $(printf '%s\n' $bad $lost | sort -u | head -n 3); do
		echo "# $f:"
		grep '^==' "$f" | grep -vE '^==[0-9]+== *$|Memcheck, a|Copyright|Using Valgrind|rerun with' |
		    sed 's/^/#   /' | head -n 40
	done
}

done_testing() {
	[ ${#VG[@]} -eq 0 ] || valgrind_reports
	no_secret_in_logs
	is "$BAD_HEADERS" 0 "every answer had exactly Content-Type: application/json and Cache-Control: no-store"
	is "$BAD_EXITS" 0 "every run of kss exited 0"
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
	exit $?
}

# The environment every request gets; tests add or override with VAR=value
# arguments. KSS_HASH_COST=1 keeps the KDF cheap. With BASE_CONFIG=0 the
# KSS_* settings are left out (a FastCGI server then uses its own).
ACCEPT='application/vnd.koreader.v1+json'
BASE_CONFIG=1
base_env() {
	[ "$BASE_CONFIG" = 1 ] && printf '%s\n' "KSS_DIR=$DATA" "KSS_HASH_COST=1"
	printf '%s\n' "HTTP_ACCEPT=$ACCEPT" "SERVER_PROTOCOL=HTTP/1.1" \
	    "GATEWAY_INTERFACE=CGI/1.1"
	return 0
}

# san_env: the sanitizer options of this run (a sanitizer build reports
# through them), as VAR=value lines; env -i would drop them.
san_env() {
	local v
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -n "${!v:-}" ] && printf '%s\n' "$v=${!v}"
	done
	return 0
}

# fcgi_env: the shared folder for a kss.fcgi process the test starts, as
# VAR=value lines: the test's, or none (no count of failed logins), never
# the machine's default. kss.fcgi makes the folder its environment names
# at start, before its sandbox closes the way to others.
fcgi_env() {
	if [ -n "$CACHE" ]; then
		printf '%s\n' "KSS_CACHE_DIR=$CACHE"
	else
		printf '%s\n' "KSS_LOGIN_LIMIT=off"
	fi
}

# sandboxed: whether this build has the sandbox (--help says what).
sandboxed() {
	! "$KSS_BIN" --help | grep -q '^Sandbox.*: none'
}

# seccomp_mode PID: the process's seccomp mode (2: a filter).
seccomp_mode() {
	awk '$1 == "Seccomp:" { print $2 }' "/proc/$1/status" 2>/dev/null
}

# landlock: whether kss confines its files with Landlock here (this
# build has the sandbox, this kernel Landlock): what --help says.
landlock() {
	"$KSS_BIN" --help | grep -q '^Sandbox.*Landlock ('
}

# kss serving as root says so, one line at each start (a CGI request, a
# FastCGI process): CI runs the tests as root, where that line is not
# what they look at. without_root_warning drops it from its standard
# input; kss_run leaves it out of ERRLOG. (t/hostile.t checks the line.)
ROOT_WARNING='kss: warning: serving as root;'
without_root_warning() {
	grep -vF -- "$ROOT_WARNING" || true
}

# How a request reaches kss: the program itself (CGI), or a FastCGI client
# such as (cgi-fcgi -bind -connect SOCKET).
RUN=("$KSS_BIN")

# kss_run [VAR=value ...] [--] [ARG ...]: the one way the tests run kss
# (or RUN): with exactly those variables plus the sanitizer options (env
# -i) and the test's shared folder (unless the caller names one), stdin and
# stdout the caller's. What it writes to stderr is left in
# ERRLOG and kept for done_testing's search for secrets; a key among the
# variables is noted as one. Returns the exit status, for the caller to
# check (req and raw_req count a non-zero one in BAD_EXITS).
kss_run() {
	local vars=() v err=$TMP/err.$BASHPID rc=0	# racers run at once
	local dir=1 auth=1 limit=1 store=1
	mapfile -t vars < <(san_env)
	while [ $# -gt 0 ] && [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
		case $1 in
		HTTP_X_AUTH_KEY=*) secret "${1#*=}" ;;
		KSS_CACHE_DIR=*) dir=0 ;;
		KSS_AUTH_CACHE=*) auth=0 ;;
		KSS_LOGIN_LIMIT=*) limit=0 ;;
		KSS_STORE=*) store=0 ;;
		esac
		vars+=("$1")
		shift
	done
	# One suite, two stores: KSS_TEST_STORE (t/protocol-redis.t sets
	# it) is the store of every run that names none.
	[ $store = 1 ] && [ -n "${KSS_TEST_STORE:-}" ] &&
	    vars+=("KSS_STORE=$KSS_TEST_STORE")
	# The shared folder (key cache, count of failed logins) is the
	# test's; without one, both are off rather than the machine's.
	if [ $dir = 1 ] && [ -n "$CACHE" ]; then
		vars+=("KSS_CACHE_DIR=$CACHE")
	elif [ $dir = 1 ]; then
		[ $auth = 1 ] && vars+=("KSS_AUTH_CACHE=false")
		[ $limit = 1 ] && vars+=("KSS_LOGIN_LIMIT=off")
	fi
	[ "${1:-}" = -- ] && shift
	local cmd=("${RUN[@]}")
	local vg=0
	if [ ${#VG[@]} -gt 0 ] && [ "${RUN[*]}" = "$KSS_BIN" ]; then
		# valgrind's own system calls are no kss's: no sandbox, and
		# the line saying so is not the test's to see.
		vg=1
		vars+=("KSS_SANDBOX=false")
		cmd=("${VG[@]}" --log-file="$(mktemp "$VG_LOGS/run.XXXXXX")" "${RUN[@]}")
	fi
	env -i "${vars[@]}" "${cmd[@]}" "$@" 2>"$err" || rc=$?
	ERRLOG=$(<"$err")
	[[ $ERRLOG != *"$ROOT_WARNING"* ]] ||
	    ERRLOG=$(without_root_warning <<<"$ERRLOG")
	[ $vg = 0 ] || ERRLOG=$(printf '%s\n' "$ERRLOG" |
	    grep -vxF 'kss: sandbox off (KSS_SANDBOX=false): for debugging only')
	[ -n "$ERRLOG" ] && printf '%s\n' "$ERRLOG" >>"$LOGS/run.$BASHPID"
	return $rc
}

# raw_req [VAR=value ...]: one request with exactly those variables (no
# base_env: for a request that lacks what req always sends), the body on
# stdin. Sets STATUS, HEADERS, BODY and ERRLOG like req.
raw_req() {
	local out=$TMP/out.$BASHPID rc=0
	kss_run "$@" >"$out" || rc=$?
	if [ $rc -ne 0 ]; then
		BAD_EXITS=$((BAD_EXITS + 1))
		echo "# exit $rc from a run of kss with $*"
	fi
	parse_response "$out"
}

# req [VAR=value ...] METHOD PATH [BODY]
# Runs one request (CGI, or through RUN). Sets STATUS, HEADERS (CRLF
# stripped), BODY, and ERRLOG (what kss wrote to stderr). A response
# without the exact Content-Type or Cache-Control counts in BAD_HEADERS, a
# non-zero exit in BAD_EXITS; done_testing checks both. A password in the
# body is noted as a secret.
req() {
	local vars=() method path body=
	while [ $# -gt 0 ] && case $1 in *=*) true ;; *) false ;; esac; do
		vars+=("$1")
		shift
	done
	method=$1 path=$2
	local has_body=0
	if [ $# -ge 3 ]; then
		body=$3
		has_body=1
	fi
	local in=$TMP/in.$BASHPID envs=()
	mapfile -t envs < <(base_env)
	envs+=("REQUEST_METHOD=$method" "PATH_INFO=$path")
	if [ $has_body -eq 1 ]; then
		local LC_ALL=C	# ${#body} in bytes
		envs+=("CONTENT_LENGTH=${#body}")
		[[ $body =~ \"password\"[[:space:]]*:[[:space:]]*\"([^\"]*)\" ]] &&
		    secret "${BASH_REMATCH[1]}"
	fi
	printf '%s' "$body" >"$in"
	raw_req "${envs[@]}" "${vars[@]}" <"$in"
}

# as USER KEY [VAR=value ...] METHOD PATH [BODY]: req with credentials.
as() {
	local u=$1 k=$2
	shift 2
	req "HTTP_X_AUTH_USER=$u" "HTTP_X_AUTH_KEY=$k" "$@"
}

# parse_response FILE: splits a CGI response into STATUS, HEADERS, BODY.
parse_response() {
	local all
	all=$(cat "$1"; printf x)
	all=${all%x}
	HEADERS=${all%%$'\r\n\r\n'*}
	HEADERS=${HEADERS//$'\r'/}
	BODY=${all#*$'\r\n\r\n'}
	STATUS=
	[[ $HEADERS =~ ^Status:\ ([0-9]+) ]] && STATUS=${BASH_REMATCH[1]}
	local h=$'\n'$HEADERS$'\n'
	if [[ $h != *$'\nContent-Type: application/json\n'* ||
	    $h != *$'\nCache-Control: no-store\n'* ]]; then
		BAD_HEADERS=$((BAD_HEADERS + 1))
	fi
}

# jf FILTER: runs jq on BODY (compact output).
jf() {
	printf '%s' "$BODY" | jq -c "$1" 2>/dev/null
}

# err_is STATUS CODE MESSAGE DESCRIPTION: an exact JSON error answer.
err_is() {
	is "$STATUS $BODY" "$1 {\"code\":$2,\"message\":\"$3\"}" "$4"
}

# register USER KEY: a user for the test to use (must succeed).
register() {
	req POST /users/create "{\"username\":\"$1\",\"password\":\"$2\"}"
	[ "$STATUS" = 201 ] || echo "# register $1 failed: $STATUS $BODY"
}

# free_port VAR: sets VAR to a loopback port nobody listens on now, below
# the kernel's range for outgoing connections (so no client socket holds
# it either), and not handed out before in this test. A server that still
# finds it taken is started again on other ports (the tests' start loops).
GIVEN=" "
free_port() {
	local p lo
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	[ "$lo" -gt 11000 ] || lo=32768
	while :; do
		p=$((10000 + RANDOM % (lo - 10000)))
		case $GIVEN in *" $p "*) continue ;; esac
		(exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
		GIVEN="$GIVEN$p "
		printf -v "$1" '%s' "$p"
		return
	done
}

# FastCGI servers the tests start themselves (fcgi.t, crash.t).

# start_kss VAR=value... -- ARGS: starts kss in the background with that
# environment (sanitizer options added) and reads its first stderr line
# into LINE, through a fresh FIFO: no sleeping, no polling. The rest of
# its stderr is kept for done_testing (DRAIN copies it). PRE, when set, is
# run by the subshell that becomes kss (ulimit, trap).
NSTART=0
PRE=
start_kss() {
	local envs=() fifo
	mapfile -t envs < <(fcgi_env)
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	# Under ASan, freed memory waits in a quarantine: turn it off so
	# fcgi.t's memory check measures kss; the leak check at exit stays.
	[ -n "${ASAN_OPTIONS:-}" ] &&
	    envs+=("ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=0")
	[ -n "${UBSAN_OPTIONS:-}" ] && envs+=("UBSAN_OPTIONS=$UBSAN_OPTIONS")
	[ -n "${LSAN_OPTIONS:-}" ] && envs+=("LSAN_OPTIONS=$LSAN_OPTIONS")
	NSTART=$((NSTART + 1))
	fifo=$TMP/log$NSTART
	mkfifo "$fifo"
	(
		eval "$PRE"
		exec env -i "${envs[@]}" "$KSS_BIN" "$@"
	) 2>"$fifo" &
	PID=$!
	exec 3<"$fifo"
	LINE=
	read -r LINE <&3
	{ printf '%s\n' "$LINE"; cat; } <&3 >"$LOGS/server$NSTART" &
	DRAIN=$!
	exec 3<&-
}

# stop_kss SIGNAL: stops the last kss started; its exit status in RC
# (137 when it would not stop within 10 s and was killed).
stop_kss() {
	kill -"$1" "$PID"
	timeout 10 tail --pid="$PID" -f /dev/null || kill -KILL "$PID"
	wait "$PID"
	RC=$?
	[ -z "$DRAIN" ] || wait "$DRAIN"
	T_CLEANUP=
}
