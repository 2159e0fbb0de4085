# Redis for the tests, sourced after lib.sh: a redis-server of the test's
# own on 127.0.0.1, a free port and a unix socket in TMP, with nothing
# saved to disk, stopped by the test's exit. The whole test is skipped
# when this kss has no Redis store or the machine no redis-server.

"$KSS_BIN" --help | grep -q '^Stores: .*redis (KSS_STORE=' ||
    skip_all "kss is built without the Redis store (configure --with-redis)"
command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    skip_all "redis-server and redis-cli are not installed (Debian: redis-server)"

REDIS_PID=
REDIS_PORT=
REDIS_SOCK=$TMP/redis.sock
REDIS_N=0
trap 'stop_redis; t_cleanup' EXIT

# start_redis [ARG...]: starts redis-server (on REDIS_PORT again when it is
# set: a restart, which kss must find by itself) and returns once it
# accepts connections, as its log says (read through a FIFO: no polling).
# Sets REDIS_PID, REDIS_PORT, REDIS_URL (database 1, as the official
# server's production) and REDIS_UNIX_URL. A port taken meanwhile makes
# it start again on another; it gives up (Bail out) after a few.
start_redis() {
	local try fifo line ready keep=$REDIS_PORT
	for try in 1 2 3 4 5; do
		[ -n "$keep" ] && [ "$try" = 1 ] || free_port REDIS_PORT
		REDIS_N=$((REDIS_N + 1))
		fifo=$TMP/redis-log.$REDIS_N
		mkfifo "$fifo"
		redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
		    --unixsocket "$REDIS_SOCK" --unixsocketperm 700 \
		    --save '' --appendonly no --dir "$TMP" --logfile '' \
		    --daemonize no "$@" >"$fifo" 2>&1 &
		REDIS_PID=$!
		exec 4<"$fifo"
		ready=0
		while read -r line <&4; do
			case $line in
			*"Ready to accept connections"*) ready=1; break ;;
			esac
		done
		if [ $ready = 1 ]; then
			cat <&4 >>"$TMP/redis.log" &
			exec 4<&-
			REDIS_URL="redis://127.0.0.1:$REDIS_PORT/1"
			REDIS_UNIX_URL="redis+unix://$REDIS_SOCK?db=1"
			return 0
		fi
		exec 4<&-
		wait "$REDIS_PID" 2>/dev/null
		REDIS_PID=
	done
	echo "Bail out! redis-server would not start"
	exit 1
}

# stop_redis: stops the server started last, and waits for it to be gone.
stop_redis() {
	[ -n "$REDIS_PID" ] || return 0
	kill -TERM "$REDIS_PID" 2>/dev/null
	timeout 10 tail --pid="$REDIS_PID" -f /dev/null || kill -KILL "$REDIS_PID"
	wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=
}

# rcli ARG...: redis-cli on the test's server, database 1.
rcli() {
	redis-cli -p "$REDIS_PORT" -n 1 "$@"
}
