#!/bin/bash
# valgrind memcheck over a FastCGI session (issue 10 #4): one kss.fcgi
# process, 2 threads, 1,000 requests of every kind (register, logins
# right and wrong, pushes, pulls, bad bodies, unknown routes), then
# SIGTERM: no memory error and no leak (definite or indirect) in the
# whole run, and every answer as expected. Skipped in the sanitizer
# build (ASan and valgrind do not mix) and where valgrind is missing.
# Without the sandbox (KSS_SANDBOX=false): valgrind runs in the process
# it checks, and makes calls of its own that the filter would kill.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"

command -v valgrind >/dev/null || skip_all "valgrind not installed"
command -v cgi-fcgi >/dev/null || skip_all "cgi-fcgi (Debian: libfcgi-bin) not installed"
[ -z "${ASAN_OPTIONS:-}" ] || skip_all "the sanitizer build (valgrind runs on the plain one)"

SOCK=$TMP/vg.sock
fifo=$TMP/vg.fifo
mkfifo "$fifo"
env -i KSS_DIR="$DATA" KSS_HASH_COST=1 KSS_THREADS=2 ${CACHE:+KSS_CACHE_DIR="$CACHE"} KSS_SANDBOX=false \
    valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
    --log-file="$TMP/vg.log" "$KSS_BIN" --listen "$SOCK" 2>"$fifo" &
PID=$!
T_CLEANUP='kill $PID 2>/dev/null'
exec 3<"$fifo"
read -r line <&3
cat <&3 >"$LOGS/server.vg" &
DRAIN=$!
exec 3<&-
is "$line" "kss: listening on $SOCK" "kss.fcgi starts under valgrind"
RUN=(timeout 60 cgi-fcgi -bind -connect "$SOCK")

K=vg-key-4e11c0
register vg $K
fails=0
for i in $(seq 125); do
	d=d$((i % 7))
	as vg $K PUT /syncs/progress "{\"document\":\"$d\",\"progress\":\"p$i\",\"percentage\":0.$i,\"device\":\"K\",\"device_id\":\"D\"}"
	[ "$STATUS" = 200 ] || fails=$((fails + 1))
	as vg $K GET /syncs/progress/$d
	[ "$STATUS" = 200 ] || fails=$((fails + 1))
	as vg $K GET /users/auth
	[ "$STATUS" = 200 ] || fails=$((fails + 1))
	as vg vg-wrong-key-$((i % 3)) REMOTE_ADDR=192.0.2.$((i % 5)) GET /syncs/progress/$d
	case $STATUS in 401 | 429) ;; *) fails=$((fails + 1)) ;; esac
	req POST /users/create '[1]'
	[ "$STATUS" = 400 ] || fails=$((fails + 1))
	req GET /no/such/route
	[ "$STATUS" = 404 ] || fails=$((fails + 1))
	as vg $K PUT /syncs/progress '{"document":"x"'
	[ "$STATUS" = 400 ] || fails=$((fails + 1))
	req GET /healthcheck
	[ "$STATUS" = 200 ] || fails=$((fails + 1))
done
is "$fails" 0 "1,000 requests under valgrind, each answered as expected"
kill -TERM "$PID"
wait "$PID"
rc=$?
wait "$DRAIN"
T_CLEANUP=
is "$rc" 0 "SIGTERM: exit 0, so no memory error and no leak (valgrind exits 99 on either)"
# Its reports start "==PID=="; "--PID--" lines are notes about valgrind
# itself (this one has no openat2(): kss then takes the long way).
is "$(grep -c '^==' "$TMP/vg.log")" 0 "valgrind reported nothing"
grep '^==' "$TMP/vg.log" | sed 's/^/# /' | head -40

done_testing
