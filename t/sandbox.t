#!/bin/bash
# The sandbox in the program itself (issue 10 #8; README "Sandbox"): a
# FastCGI process and a CGI process are in it (seccomp filter mode, every
# thread, no new privileges) while they read requests, every route still
# answers, and Landlock, where the kernel has it, keeps a FastCGI process
# to the folders it started with. That a forbidden call kills is
# t/unit_sandbox.c's; here, that nothing kss does is one.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
trap '' PIPE

command -v cgi-fcgi >/dev/null || skip_all "cgi-fcgi (Debian: libfcgi-bin) not installed"
kss_run -- --help >"$TMP/help"
SANDBOX=$(sed -n 's/^Sandbox[^:]*: //p' "$TMP/help")
case $SANDBOX in
none*) skip_all "built without the sandbox: $SANDBOX" ;;
'') skip_all "--help does not say what the sandbox is" ;;
esac
LANDLOCK=0
case $SANDBOX in *"Landlock ("*) LANDLOCK=1 ;; esac
echo "# sandbox: $SANDBOX"

K=sb-key-5e0a71
K2=sb-key2-9c13f4

# status_of PID FIELD: a line of /proc/PID/status, its value.
status_of() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}

# threads_in PID: "N threads, seccomp modes M..." over /proc/PID/task.
threads_in() {
	local t modes=
	for t in /proc/"$1"/task/*; do
		modes="$modes $(awk '$1 == "Seccomp:" { print $2 }' "$t/status")"
	done
	echo "$(ls /proc/"$1"/task | wc -l) threads, seccomp modes$modes"
}

# start_fcgi VAR=value... -- SOCKET: kss.fcgi --listen SOCKET with
# exactly that environment, its first stderr line in LINE and the rest
# kept for done_testing (no sleeping: a FIFO). WRAP, when set, runs it
# (WRAP... kss.fcgi ...); PRE is run by the shell that becomes kss.
NSTART=0
WRAP=()
PRE=
start_fcgi() {
	local envs=() fifo
	mapfile -t envs < <(san_env)
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	NSTART=$((NSTART + 1))
	fifo=$TMP/log$NSTART
	mkfifo "$fifo"
	(
		eval "$PRE"
		exec env -i "${envs[@]}" ${WRAP[@]+"${WRAP[@]}"} "$KSS_BIN" --listen "$2"
	) 2>"$fifo" &
	PID=$!
	T_CLEANUP='kill $PID 2>/dev/null'
	exec 3<"$fifo"
	LINE=
	read -r LINE <&3
	SERVERLOG=$LOGS/server$NSTART
	{ printf '%s\n' "$LINE"; cat; } <&3 >"$SERVERLOG" &
	DRAIN=$!
	exec 3<&-
	RUN=(timeout 20 cgi-fcgi -bind -connect "$2")
}

# stop_fcgi: SIGTERM; the exit status in RC (137: killed after 10 s).
stop_fcgi() {
	kill -TERM "$PID"
	timeout 10 tail --pid="$PID" -f /dev/null || kill -KILL "$PID"
	wait "$PID"
	RC=$?
	wait "$DRAIN"
	T_CLEANUP=
}

# --- FastCGI, KSS_DIR in its environment: seccomp and Landlock ---
ENV=(KSS_DIR="$DATA" KSS_HASH_COST=1 KSS_THREADS=3)
[ -n "$CACHE" ] && ENV+=(KSS_CACHE_DIR="$CACHE")
start_fcgi "${ENV[@]}" -- "$TMP/a.sock"
is "$LINE" "kss: listening on $TMP/a.sock" "kss.fcgi starts"
req GET /healthcheck
is "$STATUS $BODY" '200 {"state":"OK"}' "a healthcheck (so the workers run: they start in the sandbox)"
is "$(threads_in "$PID")" "4 threads, seccomp modes 2 2 2 2" \
    "every thread of kss.fcgi is in seccomp filter mode (2)"
is "$(status_of "$PID" NoNewPrivs)" 1 "and the process cannot gain privileges"

# Every route, through the process in the sandbox.
req POST /users/create "{\"username\":\"sb\",\"password\":\"$K\"}"
is "$STATUS $BODY" '201 {"username":"sb"}' "register"
as sb $K GET /users/auth
as sb $K GET /users/auth
is "$STATUS" 200 "log in (twice: the hash, then the thread's cache)"
as sb $K PUT /syncs/progress '{"document":"d","progress":"p","percentage":0.25,"device":"K"}'
is "$STATUS" 200 "push"
as sb $K GET /syncs/progress/d
is "$STATUS $(jf '[.progress,.percentage]')" '200 ["p",0.25]' "pull"
as sb $K PUT /users/password "{\"password\":\"$K2\"}"
is "$STATUS $BODY" '200 {"updated":true}' "change the password"
as sb $K2 GET /syncs/progress/d
is "$STATUS" 200 "pull with the new one"
req POST /users/create '{"username":'
err_is 400 103 'Could not parse JSON in body.' "bad JSON"
req GET /no/such/route
is "$STATUS" 404 "an unknown route"
as sb $K2 DELETE /users/me
is "$STATUS $BODY" '200 {"deleted":true}' "delete the account"
ok $([ ! -e "$DATA/sb" ]; echo $?) "its folder is gone"
if [ -n "$CACHE" ]; then
	codes=
	for i in 1 2 3; do
		as nobody wrong-key-sb-4410 KSS_LOGIN_LIMIT=2/600 REMOTE_ADDR=192.0.2.80 GET /users/auth
		codes="$codes $STATUS"
	done
	is "$codes" " 401 401 429" "the count of failed logins in the RAM folder still works"
else
	skip "the count of failed logins in the RAM folder" "no tmpfs at /dev/shm"
fi
# The sandbox is the process's, set before any request: a param cannot
# turn it off (nor does it say anything of one).
req KSS_SANDBOX=false GET /healthcheck
is "$STATUS $(threads_in "$PID")" "200 4 threads, seccomp modes 2 2 2 2" \
    "KSS_SANDBOX=false as a param changes nothing"

if [ $LANDLOCK = 1 ]; then
	# Another data folder, named by a param: out of reach, said.
	req "KSS_DIR=$TMP/other" POST /users/create '{"username":"o","password":"sb-other-key-1d"}'
	is "$STATUS $(jf .code)" "500 2000" "Landlock: a param naming another KSS_DIR gets a 500"
	like "$ERRLOG" "^kss: data directory $TMP/other \(KSS_DIR\) unusable: Permission denied \(kss's sandbox admits only the folders it was started with: see Sandbox in README\)$" \
	    "and one line saying why"
	ok $([ ! -e "$TMP/other" ]; echo $?) "nothing made there"
	# A data folder replaced while kss runs is another folder: refused
	# until the one kss started with is back (or kss restarts).
	mv "$DATA" "$TMP/data.aside"
	mkdir "$DATA"
	req GET /healthcheck
	is "$STATUS" 500 "KSS_DIR replaced by another folder: 500"
	like "$ERRLOG" 'Permission denied \(kss.s sandbox admits only' "said"
	rmdir "$DATA"
	mv "$TMP/data.aside" "$DATA"
	req GET /healthcheck
	is "$STATUS" 200 "the folder back: served again"
else
	for t in "Landlock: another KSS_DIR refused" "said" "nothing made" \
	    "KSS_DIR replaced refused" "said" "served again"; do
		skip "$t" "no Landlock in this kernel"
	done
fi
stop_fcgi
is "$RC" 0 "SIGTERM: a clean stop in the sandbox (exit 0)"
is "$(grep -c sandbox "$SERVERLOG")" 0 "its own log says nothing of the sandbox (it is all there)"

# --- FastCGI without KSS_DIR in its environment: seccomp only ---
start_fcgi KSS_HASH_COST=1 ${CACHE:+KSS_CACHE_DIR="$CACHE"} -- "$TMP/b.sock"
req GET /healthcheck
is "$STATUS" 200 "kss.fcgi without KSS_DIR in its environment serves"
req "KSS_DIR=$TMP/other" POST /users/create '{"username":"o","password":"sb-other-key-1d"}'
is "$STATUS $BODY" '201 {"username":"o"}' "a KSS_DIR of the request's own"
is "$(threads_in "$PID")" "5 threads, seccomp modes 2 2 2 2 2" "in seccomp filter mode"
# A folder open to other users, opened in the sandbox: made 0700 there
# (the one fchmod the filter allows), not a kill.
mkdir -m 755 "$TMP/open"
req "KSS_DIR=$TMP/open" GET /healthcheck
is "$STATUS $(stat -c %a "$TMP/open")" "200 700" "in the sandbox, a data folder open to others is made 0700"
like "$ERRLOG" "data folder $TMP/open was 0755, open to other users: made it 0700" "and said on the request's log"
stop_fcgi
is "$RC" 0 "stopped"
is "$(head -n 2 "$SERVERLOG" | tail -n 1)" "kss: sandbox: KSS_DIR is not in kss.fcgi's environment, so its file access is not confined to the data folder (seccomp still applies; see Sandbox in README)" \
    "saying once that files are not confined"

# --- FastCGI with KSS_SANDBOX=false in its environment (valgrind) ---
start_fcgi "${ENV[@]}" KSS_SANDBOX=false -- "$TMP/c.sock"
req GET /healthcheck
is "$STATUS $(threads_in "$PID")" "200 4 threads, seccomp modes 0 0 0 0" \
    "KSS_SANDBOX=false in the environment: no sandbox"
stop_fcgi
is "$(sed -n 2p "$SERVERLOG")" "kss: sandbox off (KSS_SANDBOX=false): for debugging only" "said"

# --- FastCGI whose data folder will not do: it does not start ---
start_fcgi KSS_DIR=/proc/kss-cannot -- "$TMP/d.sock"
timeout 10 tail --pid="$PID" -f /dev/null || kill -KILL "$PID"
wait "$PID"
rc=$?
wait "$DRAIN"
T_CLEANUP=
is "$rc" 1 "kss.fcgi with an unusable KSS_DIR stops at start (exit 1)"
like "$(sed -n 2p "$SERVERLOG")" '^kss: data directory /proc/kss-cannot \(KSS_DIR\) unusable: ' \
    "saying why"

# --- a sandbox kss cannot enter: it does not start ---
if [ $LANDLOCK = 1 ]; then
	# Five file descriptors: stdio, the socket and the data folder; none
	# left for Landlock's ruleset.
	PRE='ulimit -n 5'
	start_fcgi "${ENV[@]}" -- "$TMP/e.sock"
	PRE=
	timeout 10 tail --pid="$PID" -f /dev/null || kill -KILL "$PID"
	wait "$PID"
	rc=$?
	wait "$DRAIN"
	T_CLEANUP=
	is "$rc" 1 "kss.fcgi that cannot enter its sandbox stops at start (exit 1): fail closed"
	like "$(cat "$SERVERLOG")" 'kss: sandbox: Landlock \(ABI [0-9]+\): cannot make a ruleset: Too many open files' \
	    "saying why"
else
	skip "a sandbox kss cannot enter stops it" "no Landlock in this kernel"
	skip "saying why" "no Landlock in this kernel"
fi

# --- under examples/kss.service's SystemCallFilter= ---
# The unit's filter, expanded by systemd-analyze, put on kss by
# t/sysfilter as systemd would: kss must enter its own sandbox (seccomp,
# Landlock) and serve within it.
UNIT=${T_SRCDIR:-$(dirname "$0")}/../examples/kss.service
SYSFILTER=${T_BUILDDIR:-$(dirname "$KSS_BIN")/../t}/sysfilter
if command -v systemd-analyze >/dev/null && [ -x "$SYSFILTER" ]; then
	want=$(sed -n 's/^SystemCallFilter=//p' "$UNIT" | tr '\n' ' ')
	systemd-analyze syscall-filter 2>/dev/null | WANT="$want" awk '
		function add(x,   k, a, j) {
			if (x in seen) return
			seen[x] = 1
			if (x !~ /^@/) { print x; return }
			k = split(m[x], a, " ")
			for (j = 1; j <= k; j++) add(a[j])
		}
		/^@/ { g = $1; next }
		g != "" && NF && $1 !~ /^#/ { m[g] = m[g] " " $1 }
		END { n = split(ENVIRON["WANT"], w, " "); for (i = 1; i <= n; i++) add(w[i]) }
	' >"$TMP/unit-calls"
	like "$want" '@system-service' "kss.service filters system calls (@system-service)"
	ok $(grep -qx landlock_restrict_self "$TMP/unit-calls" && grep -qx seccomp "$TMP/unit-calls"; echo $?) \
	    "and admits the calls that put kss in its own sandbox"
	WRAP=("$SYSFILTER" "$TMP/unit-calls" --)
	start_fcgi "${ENV[@]}" -- "$TMP/u.sock"
	WRAP=()
	is "$LINE" "kss: listening on $TMP/u.sock" "kss.fcgi starts under the unit's filter"
	req POST /users/create "{\"username\":\"unit\",\"password\":\"$K\"}"
	as unit $K PUT /syncs/progress '{"document":"u","progress":"p","percentage":0.5,"device":"K"}'
	as unit $K GET /syncs/progress/u
	is "$STATUS $(jf .progress)" '200 "p"' "registers, pushes and pulls there"
	as unit $K DELETE /users/me
	is "$STATUS" 200 "and deletes"
	is "$(threads_in "$PID")" "4 threads, seccomp modes 2 2 2 2" "in its own sandbox too"
	stop_fcgi
	is "$RC" 0 "and stops cleanly"
else
	for t in "kss.service filters" "admits the sandbox's calls" "starts under it" \
	    "serves" "deletes" "in its own sandbox" "stops"; do
		skip "$t" "systemd-analyze not installed"
	done
fi

# --- CGI: in the sandbox while it reads the request ---
# A registration whose body comes in two parts: kss waits for the rest,
# having entered the sandbox before it reads any of the request.
RUN=("$KSS_BIN")
body='{"username":"cgi","password":"sb-cgi-key-7e2b"}'
secret sb-cgi-key-7e2b
mkfifo "$TMP/cgi-in"
mapfile -t sans < <(san_env)
env -i ${sans[@]+"${sans[@]}"} KSS_DIR="$DATA" KSS_HASH_COST=1 \
    ${CACHE:+KSS_CACHE_DIR="$CACHE"} HTTP_ACCEPT="$ACCEPT" REQUEST_METHOD=POST \
    PATH_INFO=/users/create CONTENT_LENGTH=${#body} "$KSS_BIN" \
    <"$TMP/cgi-in" >"$TMP/cgi-out" 2>"$LOGS/cgi-held" &
CPID=$!
T_CLEANUP='kill $CPID 2>/dev/null; exec {IN}>&-'
exec {IN}>"$TMP/cgi-in"
printf '%s' "${body:0:10}" >&"$IN"
mode=
for i in $(seq 500); do
	mode=$(status_of "$CPID" Seccomp)
	[ "$mode" = 2 ] && break
	kill -0 "$CPID" 2>/dev/null || break
	sleep 0.02
done
is "$mode $(status_of "$CPID" NoNewPrivs)" "2 1" \
    "kss.cgi is in seccomp filter mode, without new privileges, while the body is still coming"
printf '%s' "${body:10}" >&"$IN"
exec {IN}>&-
timeout 10 tail --pid="$CPID" -f /dev/null || kill -KILL "$CPID"
wait "$CPID"
is "$?" 0 "it exits 0"
T_CLEANUP=
parse_response "$TMP/cgi-out"
is "$STATUS $BODY" '201 {"username":"cgi"}' "having registered"
is "$(without_root_warning <"$LOGS/cgi-held")" "" "saying nothing"
# Every route as CGI too (one process each).
as cgi sb-cgi-key-7e2b PUT /syncs/progress '{"document":"c","progress":"q","percentage":1,"device":"K"}'
as cgi sb-cgi-key-7e2b GET /syncs/progress/c
is "$STATUS $(jf .progress)" '200 "q"' "CGI: push and pull"
as cgi sb-cgi-key-7e2b GET /users/auth
is "$STATUS $ERRLOG" "200 " "CGI: a login through the key cache"
as cgi sb-cgi-key-7e2b PUT /users/password '{"password":"sb-cgi-key2-0f3a"}'
as cgi sb-cgi-key2-0f3a DELETE /users/me
is "$STATUS $BODY|$ERRLOG" '200 {"deleted":true}|' "CGI: password change, then delete"
req KSS_SANDBOX=false GET /healthcheck
is "$STATUS|$ERRLOG" "200|kss: sandbox off (KSS_SANDBOX=false): for debugging only" \
    "CGI with KSS_SANDBOX=false: served, and said"
req KSS_SANDBOX=maybe GET /healthcheck
is "$STATUS|$ERRLOG" "200|kss: KSS_SANDBOX must be true or false; the sandbox stays on" \
    "KSS_SANDBOX=maybe: the sandbox stays on, said"

done_testing
