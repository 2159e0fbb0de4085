#!/bin/bash
# FastCGI through a real client (cgi-fcgi from libfcgi-bin) over a socket:
# kss listening itself (--listen), kss on a socket handed over as fd 0
# (spawn-fcgi), several requests per process, configuration from params
# and from the process environment, a bounded memory footprint, and a
# clean stop on SIGTERM.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
# A write to a FIFO whose reader died (a kss that crashed) fails the test
# it is in, not the whole script.
trap '' PIPE

command -v cgi-fcgi >/dev/null || skip_all "cgi-fcgi (Debian: libfcgi-bin) not installed"

FCK=fc-key-3b8e21	# fc's keys
FCK2=fc-key2-c7d410

# wait_listening SOCKET: polls (up to 10 s) until a unix socket of that
# path listens (/proc/net/unix: flags 00010000, __SO_ACCEPTCON).
wait_listening() {
	local i
	for i in $(seq 500); do
		awk -v p="$1" '$NF == p && $4 == "00010000" { f = 1 } END { exit !f }' \
		    /proc/net/unix && return 0
		kill -0 "$PID" 2>/dev/null || return 1
		sleep 0.02
	done
	return 1
}

# spawn_n SOCKET VAR=value... -- COMMAND...: COMMAND with a listening
# socket on fd 0, from spawn-fcgi -n (no fork: PID is COMMAND itself),
# stderr kept for done_testing. Returns once the socket listens.
spawn_n() {
	local sock=$1 envs=()
	shift
	mapfile -t envs < <(san_env; fcgi_env)
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	NSTART=$((NSTART + 1))
	env -i "${envs[@]}" spawn-fcgi -n -s "$sock" -- "$@" \
	    >/dev/null 2>"$LOGS/server$NSTART" &
	PID=$!
	DRAIN=
	wait_listening "$sock"
}

SOCK=$TMP/kss.sock
# The server's environment: settings only a FastCGI process would hold,
# and a request header that must never be taken from it.
start_kss KSS_DIR="$DATA" KSS_HASH_COST=1 HTTP_X_AUTH_USER=ghost \
    HTTP_X_AUTH_KEY=ghost-key-99e1d7 -- --listen "$SOCK"
secret ghost-key-99e1d7
T_CLEANUP='kill $PID 2>/dev/null'
line=$LINE
is "$line" "kss: listening on $SOCK" "kss --listen says when it is ready"
RUN=(cgi-fcgi -bind -connect "$SOCK")

req GET /healthcheck
is "$STATUS $BODY" '200 {"state":"OK"}' "healthcheck over FastCGI"
req POST /users/create "{\"username\":\"fc\",\"password\":\"$FCK\"}"
is "$STATUS $BODY" '201 {"username":"fc"}' "register over FastCGI"
as fc $FCK PUT /syncs/progress '{"document":"d","progress":"p","percentage":0.3188,"device":"K"}'
is "$STATUS" 200 "push"
as fc $FCK GET /syncs/progress/d
is "$(jf '[.progress,.percentage]')" '["p",0.3188]' "pull"
# The process remembers verified keys; a key changed behind its back (by
# another process) must still be refused at once.
as fc $FCK GET /users/auth
as fc $FCK GET /users/auth
is "$STATUS" 200 "login twice in one process"
RUN=("$KSS_BIN")
as fc $FCK PUT /users/password "{\"password\":\"$FCK2\"}"
is "$STATUS" 200 "the key changed by another process (CGI)"
RUN=(cgi-fcgi -bind -connect "$SOCK")
as fc $FCK GET /users/auth
err_is 401 2001 'Unauthorized' "the FastCGI process refuses the old key at once"
as fc $FCK2 GET /users/auth
is "$STATUS" 200 "and takes the new one"
as fc $FCK2 PUT /users/password "{\"password\":\"$FCK\"}"
as fc $FCK2 GET /users/auth
is "$STATUS" 401 "changed back through FastCGI: the second key refused"
as fc $FCK GET /users/auth
is "$STATUS" 200 "the first works again"
# Params are indexed per request: one is found after hundreds of others
# (a request with many headers) and among names that share a slot.
pads=()
for i in $(seq 300); do
	pads+=("HTTP_X_PAD_$i=$i")
done
req "${pads[@]}" HTTP_X_AUTH_USER=fc "HTTP_X_AUTH_KEY=$FCK" GET /users/auth
is "$STATUS" 200 "the auth headers after 300 other params are read"
req "${pads[@]}" HTTP_X_AUTH_USER=fc HTTP_X_AUTH_KEY=wrong-key GET /users/auth
is "$STATUS" 401 "and a wrong key there is refused"
req GET /nope
err_is 404 404 'Not found.' "404"
req POST /users/create '{"username":'
err_is 400 103 'Could not parse JSON in body.' "bad JSON"
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
req POST /users/create "{\"u\":\"$big\"}"
err_is 413 413 'Request body too large.' "413 and the connection is still usable"
req GET /healthcheck
is "$STATUS" 200 "next request after a 413"
req CONTENT_LENGTH=50 POST /users/create '{"username":"x"}'
is "$STATUS" 400 "a body shorter than CONTENT_LENGTH is 400, no hang"
# Over-long params (a web server with large header buffers passes them
# on): refused as credentials, the process serving on.
as "$big" "$FCK" GET /users/auth
err_is 401 2001 'Unauthorized' "a 70 KB user header is 401"
as fc "$big" GET /users/auth
err_is 401 2001 'Unauthorized' "a 70 KB key header is 401"
req "HTTP_X_PADDING=$big" "HTTP_X_MORE=$big" GET /healthcheck
is "$STATUS" 200 "140 KB of headers of no interest change nothing"

# Per-request params win over the process environment, and HTTP_* comes
# only from the request.
req KSS_DISABLE_REGISTRATION=true POST /users/create '{"username":"z","password":"fc-z-key-0d5a"}'
err_is 402 2005 'User registration is disabled.' "a per-request param (fastcgi_param) is read"
BASE_CONFIG=0
req POST /users/create '{"username":"fromenv","password":"fc-env-key-6b2f"}'
ok $([ "$STATUS" = 201 ] && [ -f "$DATA/fromenv/auth.json" ]; echo $?) \
    "KSS_DIR from the process environment when the request has none"
req GET /users/auth
err_is 401 2001 'Unauthorized' "x-auth headers are never taken from the process environment"
BASE_CONFIG=1
req "KSS_DIR=$TMP/other" POST /users/create '{"username":"elsewhere","password":"fc-else-key-e3a9"}'
if landlock; then
	# The sandbox admits the data folder of the process's environment
	# only (t/sandbox.t: without KSS_DIR there, a request's is served).
	is "$STATUS $([ -e "$TMP/other" ]; echo $?)" "500 1" \
	    "a per-request KSS_DIR is read, and refused by the sandbox (Landlock): 500, nothing made"
else
	ok $([ -f "$TMP/other/elsewhere/auth.json" ]; echo $?) "a per-request KSS_DIR overrides the process's"
fi

# One process serves many requests without growing.
rss() { awk '/^VmRSS/ {print $2}' /proc/$PID/status; }
for i in $(seq 50); do
	as fc $FCK PUT /syncs/progress "{\"document\":\"d$((i % 10))\",\"progress\":\"$i\",\"percentage\":0.5,\"device\":\"K\"}"
	as fc $FCK GET /syncs/progress/d$((i % 10)) >/dev/null
done
r1=$(rss)
fails=0
for i in $(seq 150); do
	as fc $FCK PUT /syncs/progress "{\"document\":\"d$((i % 10))\",\"progress\":\"$i\",\"percentage\":0.5,\"device\":\"K\"}"
	[ "$STATUS" = 200 ] || fails=$((fails + 1))
	as fc $FCK GET /syncs/progress/d$((i % 10))
	[ "$STATUS" = 200 ] || fails=$((fails + 1))
	req POST /users/create '[1]'
	[ "$STATUS" = 400 ] || fails=$((fails + 1))
done
r2=$(rss)
is "$fails" 0 "450 more requests in the same process all answered"
ok $(kill -0 $PID; echo $?) "still the one process ($PID)"
if [ -n "${ASAN_OPTIONS:-}" ]; then
	skip "resident memory steady (${r1} KiB then ${r2} KiB)" \
	    "sanitizer allocator; LeakSanitizer checks the exit below instead"
else
	ok $([ $((r2 - r1)) -le 128 ]; echo $?) "resident memory steady: ${r1} KiB then ${r2} KiB"
fi

stop_kss TERM
is "$RC" 0 "SIGTERM ends the loop with status 0"

# SIGINT (Ctrl-C in a terminal) and SIGHUP (a closed terminal, a reload)
# end the loop cleanly too; SIGINT overrides the SIG_IGN a shell gives
# background commands.
for sig in INT HUP; do
	start_kss KSS_DIR="$DATA" KSS_HASH_COST=1 -- --listen "$TMP/sig.sock"
	T_CLEANUP='kill $PID 2>/dev/null'
	RUN=(cgi-fcgi -bind -connect "$TMP/sig.sock")
	req GET /healthcheck
	is "$STATUS" 200 "a request before SIG$sig"
	stop_kss $sig
	is "$RC" 0 "SIG$sig ends the loop with status 0"
	rm -f "$TMP/sig.sock"
done

# --backlog: the listen queue of the socket --listen opens; anything but
# a number 1..65535 is a usage error (exit 2) that says what it wants.
start_kss KSS_DIR="$DATA" KSS_HASH_COST=1 -- --listen "$TMP/bl.sock" --backlog 7
T_CLEANUP='kill $PID 2>/dev/null'
is "$LINE" "kss: listening on $TMP/bl.sock" "--listen with --backlog 7"
if command -v ss >/dev/null; then
	# ss shows a listening socket's backlog as its Send-Q.
	is "$(ss -xlH src "$TMP/bl.sock" | awk '{print $4}')" 7 "the socket's listen queue is 7"
else
	skip "the socket's listen queue is 7" "ss (iproute2) not installed"
fi
RUN=(cgi-fcgi -bind -connect "$TMP/bl.sock")
req GET /healthcheck
is "$STATUS" 200 "and serves"
stop_kss TERM
is "$RC" 0 "and stops cleanly"
RUN=("$KSS_BIN")
for v in 0 65536 -1 abc 5x ' 5' '+5' '' 99999999999999999999; do
	kss_run -- --listen "$TMP/never.sock" --backlog "$v" </dev/null >/dev/null
	is "$? $ERRLOG" "2 kss: --backlog $v: want a number 1..65535" "--backlog '$v' is refused, exit 2"
done
kss_run -- --listen "$TMP/never.sock" --backlog </dev/null >/dev/null
is "$? $ERRLOG" "2 kss: --backlog needs a value (see --help)" "--backlog without a value is refused, exit 2"
kss_run -- --fcgi --backlog 5 </dev/null >/dev/null
like "$? $ERRLOG" '^2 kss: --backlog goes with --listen' "--backlog without --listen is refused, exit 2"
ok $([ ! -e "$TMP/never.sock" ]; echo $?) "no socket was opened for a refused command line"

# --fcgi: FastCGI on the socket on stdin, said, not guessed; anything else
# on stdin is an error, not a silent exit 0.
if command -v spawn-fcgi >/dev/null; then
	spawn_n "$TMP/fcgi-opt.sock" KSS_DIR="$DATA" KSS_HASH_COST=1 -- "$KSS_BIN" --fcgi
	ok $? "spawn-fcgi -n runs kss --fcgi on a listening socket"
	T_CLEANUP='kill $PID 2>/dev/null'
	RUN=(cgi-fcgi -bind -connect "$TMP/fcgi-opt.sock")
	as fc $FCK GET /syncs/progress/d1
	is "$STATUS $(jf .document)" '200 "d1"' "--fcgi serves a request"
	req GET /healthcheck
	is "$STATUS" 200 "and the next one"
	stop_kss INT
	is "$RC" 0 "and stops on SIGINT with status 0"
else
	skip "kss --fcgi on a socket from spawn-fcgi" "spawn-fcgi not installed"
fi
RUN=("$KSS_BIN")
kss_run KSS_DIR="$DATA" REQUEST_METHOD=GET PATH_INFO=/healthcheck -- --fcgi </dev/null >"$TMP/r"
is "$? $ERRLOG" "1 kss: --fcgi: standard input is not a listening socket" \
    "--fcgi with stdin not a socket: exit 1 and a clear message"
is "$(cat "$TMP/r")" "" "and no CGI answer"

# systemd socket activation (sd_listen_fds(3)): LISTEN_PID names the
# process, LISTEN_FDS counts the sockets from fd 3. A shell that then
# execs kss (so keeps its pid) sets them.
ACT=(/bin/sh -c 'export LISTEN_PID=$$ LISTEN_FDS=$1; exec "$0"' "$KSS_BIN")
for n in 2 0 x; do
	RUN=("${ACT[@]}" "$n")
	kss_run KSS_DIR="$DATA" REQUEST_METHOD=GET PATH_INFO=/healthcheck </dev/null >"$TMP/r"
	is "$? $(cat "$TMP/r")" "1 " "LISTEN_FDS=$n for this process: exit 1, no answer"
	like "$ERRLOG" "^kss: LISTEN_FDS=$n: kss serves exactly one socket" "with a message saying why"
done
RUN=("${ACT[@]}" 1)
kss_run KSS_DIR="$DATA" REQUEST_METHOD=GET PATH_INFO=/healthcheck </dev/null >"$TMP/r" 3</dev/null
is "$? $ERRLOG" "1 kss: LISTEN_FDS=1 but fd 3 is not a listening socket" \
    "LISTEN_FDS=1 with fd 3 not a socket: exit 1 and a message"
# Variables meant for another process (LISTEN_PID not ours) are ignored:
# here kss then serves CGI, as stdin says.
RUN=("$KSS_BIN")
for pid in 1 '' x; do
	raw_req KSS_DIR="$DATA" LISTEN_PID=$pid LISTEN_FDS=1 REQUEST_METHOD=GET \
	    PATH_INFO=/healthcheck </dev/null
	is "$STATUS $BODY|$ERRLOG" '200 {"state":"OK"}|' "LISTEN_FDS=1 with LISTEN_PID='$pid' is ignored, silently"
done
if command -v spawn-fcgi >/dev/null; then
	# The listening socket moved to fd 3, stdin /dev/null: only socket
	# activation can make kss serve it.
	spawn_n "$TMP/act.sock" KSS_DIR="$DATA" KSS_HASH_COST=1 -- \
	    /bin/sh -c 'exec 3<&0 </dev/null; export LISTEN_PID=$$ LISTEN_FDS=1; exec "$0"' "$KSS_BIN"
	ok $? "a socket-activated kss (LISTEN_FDS=1, fd 3) starts"
	T_CLEANUP='kill $PID 2>/dev/null'
	RUN=(cgi-fcgi -bind -connect "$TMP/act.sock")
	for i in 1 2; do
		as fc $FCK GET /syncs/progress/d1
		is "$STATUS $(jf .document)" '200 "d1"' "request $i over the socket on fd 3"
	done
	stop_kss HUP
	is "$RC" 0 "and stops on SIGHUP with status 0"
else
	skip "socket activation on fd 3" "spawn-fcgi not installed"
fi
# Request variables never come from the process environment, only
# settings do (issue 8 #7): a process started with a request's variables
# in its environment (a careless wrapper, a copied CGI environment) must
# not answer a request that lacks them as if it had them.
start_kss KSS_DIR="$DATA" KSS_HASH_COST=1 KSS_DISABLE_REGISTRATION=true \
    REQUEST_METHOD=GET PATH_INFO=/healthcheck SCRIPT_NAME=/healthcheck \
    REQUEST_URI=/healthcheck CONTENT_LENGTH=5 -- --listen "$TMP/env.sock"
T_CLEANUP='kill $PID 2>/dev/null'
RUN=(cgi-fcgi -bind -connect "$TMP/env.sock")
raw_req HTTP_ACCEPT="$ACCEPT" </dev/null
err_is 404 404 'Not found.' \
    "a request without method or path: 404, not the process environment's /healthcheck"
raw_req HTTP_ACCEPT="$ACCEPT" REQUEST_METHOD=GET PATH_INFO=/users/auth </dev/null
err_is 401 2001 'Unauthorized' \
    "a request without CONTENT_LENGTH has no body (not the environment's 5 bytes)"
printf '%s' '{"username":"envreg","password":"fc-envreg-key-51c0"}' >"$TMP/body"
raw_req HTTP_ACCEPT="$ACCEPT" REQUEST_METHOD=POST PATH_INFO=/users/create \
    CONTENT_LENGTH="$(wc -c <"$TMP/body")" <"$TMP/body"
secret fc-envreg-key-51c0
err_is 402 2005 'User registration is disabled.' \
    "while settings (KSS_DISABLE_REGISTRATION) still come from the process environment"
stop_kss TERM
is "$RC" 0 "stopped"

# A write that fails (here every one: RLIMIT_FSIZE 0, SIGXFSZ ignored, so
# write(2) fails with EFBIG as on a full disk) answers a JSON 500 and
# leaves nothing behind: no file descriptor held (issue 8 #1), no
# temporary file, the account intact.
RUN=("$KSS_BIN")
FDK=fc-fd-key-92be07
register fduser $FDK
PRE='ulimit -f 0; trap "" XFSZ'
# One thread, so that the count of open files is the store's of that
# thread alone (each thread keeps its own store open).
start_kss KSS_DIR="$DATA" KSS_HASH_COST=1 KSS_THREADS=1 -- --listen "$TMP/full.sock"
PRE=
T_CLEANUP='kill $PID 2>/dev/null'
RUN=(cgi-fcgi -bind -connect "$TMP/full.sock")
as fduser $FDK GET /users/auth
is "$STATUS" 200 "a process that cannot write files still logs in"
as fduser $FDK GET /syncs/progress/fdoc
is "$STATUS $BODY" '200 {}' "and pulls"
fds() { ls "/proc/$PID/fd" | wc -l; }
before=$(fds)
codes=
for i in 1 2 3 4 5; do
	as fduser $FDK PUT /syncs/progress "{\"document\":\"fdoc\",\"progress\":\"p$i\",\"percentage\":0.5,\"device\":\"K\"}"
	codes="$codes $STATUS/$(jf .code)"
done
is "$codes" " 500/2000 500/2000 500/2000 500/2000 500/2000" "5 pushes that cannot be written: each a JSON 500"
like "$ERRLOG" 'fdoc\.json' "logged, naming the file"
is "$(fds)" "$before" "and the process holds no more open files than before ($before)"
is "$(find "$DATA/fduser" -name '.tmp-*' | wc -l)" 0 "no temporary file left in the user's folder"
ok $([ ! -e "$DATA/fduser/fdoc.json" ]; echo $?) "no record written"
as fduser $FDK GET /users/auth
is "$STATUS" 200 "the user still logs in (FastCGI)"
stop_kss TERM
is "$RC" 0 "stopped"
RUN=("$KSS_BIN")
as fduser $FDK GET /users/auth
is "$STATUS" 200 "and through CGI"

# --listen on TCP, loopback only: the first free port of a few.
for try in 1 2 3 4 5; do
	PORT=$((20000 + (RANDOM % 20000)))
	start_kss KSS_DIR="$DATA" KSS_HASH_COST=1 -- --listen "127.0.0.1:$PORT"
	line=$LINE
	case $line in *"listening on"*) break ;; esac
	wait $PID
done
T_CLEANUP='kill $PID 2>/dev/null'
is "$line" "kss: listening on 127.0.0.1:$PORT" "kss --listen 127.0.0.1:PORT"
RUN=(cgi-fcgi -bind -connect "127.0.0.1:$PORT")
as fc $FCK GET /syncs/progress/d1
is "$STATUS $(jf .document)" '200 "d1"' "a request over TCP"
stop_kss TERM
is "$RC" 0 "and a clean stop"

# fd 0 is a listening socket (spawn-fcgi, lighttpd bin-path, systemd):
# FastCGI is detected with no option.
if command -v spawn-fcgi >/dev/null; then
	SOCK2=$TMP/spawned.sock
	mapfile -t sans < <(san_env; fcgi_env)
	out=$(env -i ${sans[@]+"${sans[@]}"} KSS_DIR="$DATA" KSS_HASH_COST=1 \
	    spawn-fcgi -s "$SOCK2" -- "$KSS_BIN" 2>&1)
	PID2=$(printf '%s' "$out" | sed -n 's/.*PID: *\([0-9]*\).*/\1/p')
	T_CLEANUP='kill $PID2 2>/dev/null'
	ok $([ -n "$PID2" ]; echo $?) "spawn-fcgi started kss ($out)"
	RUN=(cgi-fcgi -bind -connect "$SOCK2")
	for i in 1 2 3; do
		as fc $FCK GET /syncs/progress/d1
		is "$STATUS $(jf .document)" '200 "d1"' "request $i to the spawned process"
	done
	kill -TERM "$PID2"
	timeout 10 tail --pid="$PID2" -f /dev/null
	ok $(! kill -0 "$PID2" 2>/dev/null; echo $?) "the spawned process stops on SIGTERM"
	T_CLEANUP=
else
	skip "FastCGI detected on a socket from spawn-fcgi" "spawn-fcgi not installed (lighttpd's bin-path covers it in e2e-lighttpd.t)"
fi

# KSS_THREADS: requests served at once by one process, a thread each. A
# request whose body is still coming holds one thread; another request
# is answered meanwhile; a stop signal then lets the held request finish
# (it lands) and ends the process with status 0.
sockets() { find "/proc/$PID/fd" -lname 'socket:*' 2>/dev/null | wc -l; }

# hold_push DOC DESCRIPTION: a push of DOC through RUN whose body stops
# after 20 bytes (HOLD_BODY; the rest goes to fd HOLD_FD when the test
# wants), its answer in $TMP/DOC.out, its client's pid in HOLD. Returns
# once kss holds the connection (one socket more), or after 10 s.
hold_push() {
	local listening i
	listening=$(sockets)
	HOLD_BODY="{\"document\":\"$1\",\"progress\":\"${1:0:1}\",\"percentage\":0.5,\"device\":\"K\"}"
	mkfifo "$TMP/$1"
	env -i REQUEST_METHOD=PUT PATH_INFO=/syncs/progress \
	    CONTENT_LENGTH=${#HOLD_BODY} HTTP_ACCEPT="$ACCEPT" \
	    HTTP_X_AUTH_USER=fc HTTP_X_AUTH_KEY=$FCK \
	    "${RUN[@]}" <"$TMP/$1" >"$TMP/$1.out" 2>"$TMP/$1.err" &
	HOLD=$!
	exec {HOLD_FD}>"$TMP/$1"
	printf '%s' "${HOLD_BODY:0:20}" >&"$HOLD_FD"
	for i in $(seq 500); do
		[ "$(sockets)" -gt "$listening" ] && break
		sleep 0.02
	done
	is "$(sockets)" $((listening + 1)) "$2"
}
start_kss KSS_DIR="$DATA" KSS_HASH_COST=1 KSS_THREADS=2 -- --listen "$TMP/thr.sock"
T_CLEANUP='kill $PID 2>/dev/null; exec {HOLD_FD}>&-'
RUN=(cgi-fcgi -bind -connect "$TMP/thr.sock")
hold_push held "KSS_THREADS=2: the process holds a request whose body is still coming"
RUN=(timeout 10 cgi-fcgi -bind -connect "$TMP/thr.sock")
req GET /healthcheck
is "$STATUS $BODY" '200 {"state":"OK"}' "and answers another meanwhile"
kill -TERM "$PID"
printf '%s' "${HOLD_BODY:20}" >&"$HOLD_FD"
exec {HOLD_FD}>&-
timeout 10 tail --pid="$HOLD" -f /dev/null || kill -KILL "$HOLD"
wait "$HOLD"
parse_response "$TMP/held.out"
is "$STATUS $(jf .document)" '200 "held"' "a stop signal lets the request in hand finish"
timeout 10 tail --pid="$PID" -f /dev/null
ok $(! kill -0 "$PID" 2>/dev/null; echo $?) "then the process ends, its idle thread too"
kill -KILL "$PID" 2>/dev/null
wait "$PID"
is "$?" 0 "with status 0"
[ -z "$DRAIN" ] || wait "$DRAIN"
T_CLEANUP=
RUN=("$KSS_BIN")
as fc $FCK GET /syncs/progress/held
is "$STATUS $(jf .progress)" '200 "h"' "the held push is on disk"

# A client that goes away mid-body (issue 10 #2): nothing is written, and
# the one thread serves on.
start_kss KSS_DIR="$DATA" KSS_HASH_COST=1 KSS_THREADS=1 -- --listen "$TMP/gone.sock"
T_CLEANUP='kill $PID 2>/dev/null; exec {HOLD_FD}>&-'
RUN=(cgi-fcgi -bind -connect "$TMP/gone.sock")
hold_push gone "a push whose client is still sending"
kill -KILL "$HOLD"
wait "$HOLD" 2>/dev/null
exec {HOLD_FD}>&-
RUN=(timeout 10 cgi-fcgi -bind -connect "$TMP/gone.sock")
req GET /healthcheck
is "$STATUS $BODY" '200 {"state":"OK"}' "its client killed mid-body, the process serves the next request"
stop_kss TERM
is "$RC" 0 "and stops cleanly"
T_CLEANUP=
RUN=("$KSS_BIN")
as fc $FCK GET /syncs/progress/gone
is "$STATUS $BODY" '200 {}' "the push that lost its client was not written"

# The limit on failed logins holds across the threads of a process (and
# its processes: t/throttle.t): 4 threads, a limit of 2.
if [ -n "$CACHE" ]; then
	start_kss KSS_DIR="$DATA" KSS_HASH_COST=1 KSS_THREADS=4 KSS_CACHE_DIR="$CACHE" \
	    KSS_LOGIN_LIMIT=2/600 -- --listen "$TMP/lim.sock"
	T_CLEANUP='kill $PID 2>/dev/null'
	RUN=(timeout 10 cgi-fcgi -bind -connect "$TMP/lim.sock")
	codes=
	for i in 1 2 3 4 5 6; do
		as fc fc-wrong-key-77a1 REMOTE_ADDR=192.0.2.70 GET /users/auth
		codes="$codes $STATUS"
	done
	is "$codes" " 401 401 429 429 429 429" "FastCGI, 4 threads, limit 2: two wrong keys, then 429"
	as fc $FCK REMOTE_ADDR=192.0.2.70 GET /users/auth
	is "$STATUS" 429 "the right key too, from that address"
	as fc $FCK REMOTE_ADDR=192.0.2.71 GET /users/auth
	is "$STATUS" 200 "another address logs in"
	stop_kss TERM
	is "$RC" 0 "stopped"
	RUN=("$KSS_BIN")
else
	skip "the limit on failed logins across threads" "no tmpfs at /dev/shm"
fi

# A worker whose accept() fails stops the process with status 1 and a
# line saying why. Here, with 5 file descriptors, the first thread's
# accept() holds the last free one (Linux reserves it while it waits),
# so the second thread's fails with EMFILE at once. Without the sandbox,
# whose data folder, kept open from the start, would take that one (and
# whose own failure to start for want of one is t/sandbox.t's).
PRE='ulimit -n 5'
start_kss KSS_DIR="$DATA" KSS_THREADS=2 KSS_SANDBOX=false -- --listen "$TMP/emfile.sock"
PRE=
T_CLEANUP='kill $PID 2>/dev/null'
timeout 10 tail --pid="$PID" -f /dev/null || kill -KILL "$PID"
wait "$PID"
rc=$?
[ -z "$DRAIN" ] || wait "$DRAIN"
T_CLEANUP=
is "$rc" 1 "an accept() that fails (EMFILE) stops the process with status 1"
like "$(cat "$LOGS/server$NSTART")" 'kss: cannot accept a connection: Too many open files; stopping' "saying why"

# A thread count kss cannot use stops it at start, saying what it wants.
for bad in 0 65 two -1 " 2"; do
	start_kss KSS_DIR="$DATA" KSS_THREADS="$bad" -- --listen "$TMP/bad.sock"
	timeout 10 tail --pid="$PID" -f /dev/null || kill -KILL "$PID"
	wait "$PID"
	rc=$?
	[ -z "$DRAIN" ] || wait "$DRAIN"
	is "$rc: $LINE" "1: kss: KSS_THREADS must be a whole number from 1 to 64" "KSS_THREADS='$bad' refused"
done

done_testing
