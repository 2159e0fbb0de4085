# shellcheck shell=bash
# What bench/run and bench/load share, sourced by both: building kss,
# starting kss.fcgi (spawn-fcgi) and nginx on 127.0.0.1, registering,
# stopping everything started, and reading wrk's output and a process's
# memory. Not run on its own.
#
# The script that sources it sets ME (its name, for messages), TOP (the
# source tree), WORK (its mktemp -d folder), SHM (a folder of its own in
# /dev/shm, or empty) and PROCS (FastCGI processes per pool), and calls
# stop_all from its exit trap.

say() { printf '%s\n' "$*" >&2; }
die() { say "$ME: $*"; exit 1; }

# check_tools TOOL...: each on PATH, and what building and serving
# FastCGI need besides.
check_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || die "$t not found (see bench/README.md)"
	done
	[ -f /usr/include/fcgiapp.h ] || die "fcgiapp.h not found: install libfcgi-dev"
	[ -f /etc/nginx/fastcgi_params ] || die "/etc/nginx/fastcgi_params not found"
}

# --- processes --------------------------------------------------------
# Every pid started is remembered, so the exit trap stops exactly those
# (and their CGI children), never anything found by name.

STARTED=()

remember() {
	local p
	for p in "$@"; do
		STARTED+=("$p")
	done
}

# alive PID: running, not a zombie waiting for its reaper.
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

children_of() {
	ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true
}

# The processes left that are ours: the ones started (with their
# children, as a CGI program run by lighttpd) and any other whose command
# line names the work folder.
leftovers() {
	local p c cmd
	for p in "${STARTED[@]}"; do
		alive "$p" || continue
		echo "$p"
		for c in $(children_of "$p"); do
			echo "$c"
		done
	done
	for p in /proc/[0-9]*; do
		# (a process may end between the glob and the read)
		{ cmd=$(tr '\0' ' ' <"$p/cmdline"); } 2>/dev/null || continue
		case $cmd in *"$WORK"*) echo "${p#/proc/}" ;; esac
	done | grep -vx "$$" || true
}

# stop_all: SIGTERM to the processes started (nginx's master stops its
# workers, lighttpd its CGI children), SIGKILL to whatever of ours is
# left 5 s later, then a check that nothing is; the work folders removed.
stop_all() {
	local left p
	[ -n "${WORK:-}" ] || return 0
	for p in "${STARTED[@]}"; do
		! alive "$p" || kill -TERM "$p" 2>/dev/null || true
	done
	for _ in $(seq 50); do
		left=$(leftovers | sort -u)
		[ -n "$left" ] || break
		sleep 0.1
	done
	if [ -n "$left" ]; then
		say "$ME: SIGKILL to ${left//$'\n'/ }"
		# shellcheck disable=SC2086	# pids, one word each
		kill -KILL $left 2>/dev/null || true
		sleep 0.2
		left=$(leftovers | sort -u)
	fi
	if [ -n "$left" ]; then
		say "$ME: still running after SIGKILL: ${left//$'\n'/ }"
	else
		say "$ME: every process it started is stopped"
	fi
	rm -rf "$WORK" ${SHM:+"$SHM"}
}

# --- building ---------------------------------------------------------

# build_kss [CONFIGURE ARG...]: kss -O2, with the libraries linked in
# (only libc loaded at start), in $WORK/build; sets KSS_FCGI and KSS_CGI.
build_kss() {
	say "building kss (-O2, --enable-static-libs $*) in $WORK/build"
	[ -x "$TOP/configure" ] || (cd "$TOP" && ./bootstrap >/dev/null 2>&1) ||
	    die "./bootstrap failed"
	mkdir -p "$WORK/build"
	(cd "$WORK/build" &&
	    CFLAGS=-O2 "$TOP/configure" -q --disable-werror --enable-static-libs \
	    "$@" >configure.log 2>&1 &&
	    make -s -j"$(nproc)" >make.log 2>&1) ||
	    die "building kss failed: $(tail -n 20 "$WORK/build/configure.log" "$WORK/build/make.log" 2>/dev/null)"
	KSS_FCGI=$WORK/build/cgi/kss.fcgi
	KSS_CGI=$WORK/build/cgi/kss.cgi
	if ! [ -x "$KSS_FCGI" ] || ! [ -e "$KSS_CGI" ]; then
		die "no kss.fcgi or kss.cgi after make"
	fi
}

# --- ports ------------------------------------------------------------

GIVEN=" "

# free_port VAR: a port nothing listens on now, not given before. The
# servers may still lose it to a race; start_* then try other ports.
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

# answers PORT: something speaks HTTP there (any status: a 502 from a
# backend still starting is a listening server).
answers() {
	curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/healthcheck"
}

# wait_up PID PORT...: 0 once every port answers, 1 if PID died first
# (a port taken meanwhile) or after 10 s.
wait_up() {
	local pid=$1 p ok
	shift
	for _ in $(seq 100); do
		alive "$pid" || return 1
		ok=1
		for p in "$@"; do
			answers "$p" || ok=0
		done
		[ $ok = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# --- FastCGI: spawn-fcgi + nginx ------------------------------------------

# spawn NAME PROGRAM [VAR=VALUE...]: PROCS processes of PROGRAM on
# $WORK/NAME.sock, their pids in $WORK/NAME.pids.
spawn() {
	local name=$1 prog=$2
	shift 2
	env "$@" spawn-fcgi -s "$WORK/$name.sock" -M 0600 -F "$PROCS" \
	    -P "$WORK/$name.pids" -- "$prog" >>"$WORK/spawn.log" 2>>"$WORK/$name.err" ||
	    die "spawn-fcgi $name failed: $(cat "$WORK/$name.err")"
	# shellcheck disable=SC2046	# one pid a word
	remember $(cat "$WORK/$name.pids")
}

# pids_of NAME: the pids spawn started, one a line.
pids_of() {
	# (spawn-fcgi ends the file without a newline)
	cat "$WORK/$1.pids"
	echo
}

# One server block per target, each shaped as examples/nginx.conf (the
# fastcgi_params, KSS_DIR as a fastcgi_param, one upstream per socket) but
# plain HTTP on 127.0.0.1, no rate limit, no access log (a benchmark of
# the disk's log writes is of no interest).
nginx_server() {
	local name=$1 port=$2 extra=$3 sock=${4:-$1}
	cat <<EOF
	upstream $name { server unix:$WORK/$sock.sock; }
	server {
		listen 127.0.0.1:$port;
		client_max_body_size 128k;
		include /etc/nginx/fastcgi_params;
		$extra
		location / { fastcgi_pass $name; }
	}
EOF
}

# nginx_head: the top of an nginx.conf, everything in $WORK, up to and
# within an open "http {" that the caller's server blocks and "}" close.
nginx_head() {
	local t
	[ "$(id -u)" -ne 0 ] || echo "user root root;"	# workers reach $WORK
	echo "daemon off; worker_processes auto;"
	echo "pid $WORK/nginx.pid; error_log $WORK/nginx-error.log warn;"
	echo "events { worker_connections 1024; }"
	echo "http { access_log off;"
	for t in client_body fastcgi proxy uwsgi scgi; do
		echo "${t}_temp_path $WORK/nginx-tmp/$t;"
	done
}

# start_nginx CONF PORT_VAR...: nginx in the foreground (a child of the
# script) with the configuration the function CONF prints, once every
# port answers; each PORT_VAR set to a free port first, other ones on
# each of up to 5 tries.
start_nginx() {
	local conf=$1 try pid v ports
	shift
	mkdir -p "$WORK/nginx-tmp"
	for try in 1 2 3 4 5; do
		ports=()
		for v in "$@"; do
			free_port "$v"
			ports+=("${!v}")
		done
		"$conf" >"$WORK/nginx.conf"
		nginx -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log" \
		    2>>"$WORK/nginx-start.log" &
		pid=$!
		remember "$pid"
		wait_up "$pid" "${ports[@]}" && return 0
		say "nginx did not start (try $try): $(tail -n1 "$WORK/nginx-start.log")"
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	die "nginx would not start; see $WORK/nginx-start.log"
}

# --- users ----------------------------------------------------------------

ACCEPT='Accept: application/vnd.koreader.v1+json'

# request USER KEY METHOD URL [BODY]: the HTTP status of one request as
# USER.
request() {
	local args=(-s -o /dev/null -w '%{http_code}' --max-time 30 -X "$3"
	    -H "$ACCEPT" -H "x-auth-user: $1" -H "x-auth-key: $2")
	[ $# -lt 5 ] || args+=(-H 'Content-Type: application/json' --data-binary "$5")
	curl "${args[@]}" "$4" || true
}

# register LABEL URL USER KEY: USER registered at URL, or the script ends
# saying LABEL.
register() {
	local got
	got=$(request "$3" "$4" POST "$2/users/create" \
	    "{\"username\":\"$3\",\"password\":\"$4\"}")
	[ "$got" = 201 ] || die "$1: registering answered $got"
}

# --- measuring ------------------------------------------------------------

# to_ms VALUE: wrk's 1.23us / 4.56ms / 7.89s as milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) m = v / 1000; else if (v ~ /ms$/) m = v + 0
		else if (v ~ /m$/) m = v * 60000; else if (v ~ /s$/) m = v * 1000
		else { print "-"; exit }
		printf "%.2f", m }'
}

# parse_wrk FILE: "req/s p50 p99 non2xx socket-errors" from wrk's output.
parse_wrk() {
	local rps p50 p99 non2xx sock
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$1")
	p50=$(awk '$1 == "50%" {print $2}' "$1")
	p99=$(awk '$1 == "99%" {print $2}' "$1")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$1")
	sock=$(awk -F'[ ,]+' '/Socket errors:/ {print $4 + $6 + $8 + $10}' "$1")
	echo "${rps:--} $(to_ms "${p50:--}") $(to_ms "${p99:--}") ${non2xx:-0} ${sock:-0}"
}

# mem PID: "steady-KiB peak-KiB" (VmRSS now, VmHWM) of a process.
mem() {
	awk '/^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2} END {print r + 0, h + 0}' \
	    "/proc/$1/status" 2>/dev/null || echo "- -"
}

# fds PID: how many file descriptors the process holds.
fds() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}
