#!/bin/bash
# Scale-out end to end (README, "Scaling out"): two web front ends, each
# with kss.fcgi processes of its own, share one Redis, as two nodes behind
# a load balancer would:
#   lighttpd + mod_fastcgi spawning kss.fcgi (2 processes),
#   nginx + fastcgi_pass to kss.fcgi --listen on a unix socket,
# both with KSS_STORE in kss.fcgi's environment. A write through one is
# read through the other; 50 registrations of one name raced through both
# make exactly one account; an account deleted through one while the
# other pushes into it leaves no key behind.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
. "${T_SRCDIR:-$(dirname "$0")}/e2e.sh"
. "${T_SRCDIR:-$(dirname "$0")}/redis.sh"

command -v lighttpd >/dev/null || skip_all "lighttpd not installed"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || skip_all "nginx not installed"
PARAMS=/etc/nginx/fastcgi_params
[ -f "$PARAMS" ] || skip_all "nginx's fastcgi_params not found"

start_redis
# Every node's whole configuration: where the store is. (No limit on
# failed logins: the test's races come from one address.)
NODE_ENV=("KSS_STORE=$REDIS_URL" KSS_HASH_COST=1 KSS_LOGIN_LIMIT=off)
mkdir -p "$TMP/run" "$TMP/nginx-tmp"
stop_all() {
	[ -n "${LPID:-}" ] && kill "$LPID" 2>/dev/null
	[ -n "${NPID:-}" ] && kill -QUIT "$NPID" 2>/dev/null
	[ -n "${PID:-}" ] && kill "$PID" 2>/dev/null
	wait_gone $(procs_under "$TMP/")
}
T_CLEANUP=stop_all

# --- node A: lighttpd spawning kss.fcgi ---
for try in 1 2 3 4 5; do
	free_port LPORT
	{
		echo "server.bind = \"127.0.0.1\""
		echo "server.port = $LPORT"
		echo "server.document-root = \"$TMP/run\""
		echo "server.modules += ( \"mod_fastcgi\" )"
		echo "fastcgi.server = ( \"/\" => (( \"bin-path\" => \"$KSS_BIN\","
		echo "  \"socket\" => \"$TMP/run/kss-a.sock\", \"max-procs\" => 2,"
		echo "  \"check-local\" => \"disable\", \"fix-root-scriptname\" => \"enable\","
		echo "  \"bin-environment\" => ("
		for v in "${NODE_ENV[@]}"; do
			echo "    \"${v%%=*}\" => \"${v#*=}\","
		done
		echo "  ) )) )"
	} >"$TMP/lighttpd.conf"
	rm -f "$TMP/llog"
	mkfifo "$TMP/llog"
	lighttpd -D -f "$TMP/lighttpd.conf" 2>"$TMP/llog" &
	LPID=$!
	exec 3<"$TMP/llog"
	read -r line <&3
	case $line in *'server started'*) break ;; esac
	wait $LPID
	LPID=
	case $line in *'in use'*) ;; *) break ;; esac
done
{ printf '%s\n' "$line"; cat; } <&3 >"$TMP/lighttpd-error.log" &
exec 3<&-
keep_log "$TMP/lighttpd-error.log"
like "$line" 'server started' "node A: lighttpd with kss.fcgi on Redis ($line)"
A="http://127.0.0.1:$LPORT"

# --- node B: nginx in front of kss.fcgi --listen ---
start_kss "${NODE_ENV[@]}" -- --listen "$TMP/kss-b.sock"
is "$LINE" "kss: listening on $TMP/kss-b.sock" "node B: kss.fcgi on Redis"
for try in 1 2 3 4 5; do
	free_port NPORT
	{
		[ "$(id -u)" -eq 0 ] && echo "user root root;"
		echo "pid $TMP/nginx.pid; error_log $TMP/nginx-error.log warn;"
		echo "events { worker_connections 256; }"
		echo "http { access_log off;"
		for t in client_body fastcgi proxy uwsgi scgi; do
			echo "${t}_temp_path $TMP/nginx-tmp/$t;"
		done
		echo "server { listen 127.0.0.1:$NPORT; location / {"
		echo "  include $PARAMS; fastcgi_pass unix:$TMP/kss-b.sock; } } }"
	} >"$TMP/nginx.conf"
	"$NGINX" -c "$TMP/nginx.conf" 2>"$TMP/nginx-start.log" && break
	grep -q 'Address already in use' "$TMP/nginx-start.log" || break
done
NPID=$(cat "$TMP/nginx.pid" 2>/dev/null)
ok $([ -n "$NPID" ]; echo $?) "node B: nginx $(cat "$TMP/nginx-start.log")"
keep_log "$TMP/nginx-error.log"
B="http://127.0.0.1:$NPORT"

# --- a write through one node is read through the other ---
DOC=0b229176d4e8db7f6d2b5a4952368d7a
K=5f4dcc3b5aa765d61d8327deb882cf99
auth=(-- -H "x-auth-user: reader" -H "x-auth-key: $K")
http POST "$A/users/create" "{\"username\":\"reader\",\"password\":\"$K\"}"
is "$STATUS" 201 "register through A"
http GET "$B/users/auth" "${auth[@]}"
is "$STATUS $BODY" '200 {"authorized":"OK"}' "log in through B"
http PUT "$B/syncs/progress" "{\"document\":\"$DOC\",\"progress\":\"12\",\"percentage\":0.12,\"device\":\"Kobo\",\"device_id\":\"K1\"}" "${auth[@]}"
is "$STATUS" 200 "push through B"
http GET "$A/syncs/progress/$DOC" "${auth[@]}"
is "$STATUS $(jf '[.progress,.percentage,.device,.device_id]')" \
    '200 ["12",0.12,"Kobo","K1"]' "pull through A: B's push"
http PUT "$A/syncs/progress" "{\"document\":\"$DOC\",\"progress\":\"34\",\"percentage\":0.34,\"device\":\"PocketBook\"}" "${auth[@]}"
http GET "$B/syncs/progress/$DOC" "${auth[@]}"
is "$STATUS $(jf '[.progress,.device,.device_id]')" '200 ["34","PocketBook","K1"]' \
    "pull through B: A's later push, device_id kept"
http PUT "$A/users/password" '{"password":"new-key-9d3b5e"}' "${auth[@]}"
is "$STATUS" 200 "change the key through A"
http GET "$B/users/auth" "${auth[@]}"
is "$STATUS" 401 "the old key fails through B at once (no node trusts a cached login)"
http GET "$B/users/auth" -- -H "x-auth-user: reader" -H "x-auth-key: new-key-9d3b5e"
is "$STATUS" 200 "the new key works through B"

# --- 50 registrations of one name, raced through both nodes ---
racers=()
for i in $(seq 50); do
	node=$A
	[ $((i % 2)) = 0 ] && node=$B
	secret "race-key-$i-4e7a"
	curl -s -o "$TMP/race.$i" -w '%{http_code}' -X POST -H "Accept: $ACCEPT" \
	    --data-binary "{\"username\":\"racer\",\"password\":\"race-key-$i-4e7a\"}" \
	    "$node/users/create" >"$TMP/race.$i.status" &
	racers+=($!)
done
wait "${racers[@]}"
won=$(grep -l '^201$' "$TMP"/race.*.status | sed 's/.*race\.\([0-9]*\)\.status/\1/')
lines() {	# lines FILE...: each file's text as one line
	local f
	for f in "$@"; do
		cat "$f"
		echo
	done
}
is "$(lines "$TMP"/race.*.status | sort | uniq -c | awk '{print $2 "x" $1}' | paste -sd' ')" \
    "201x1 402x49" "50 racing registrations through both nodes: one 201, 49 402"
is "$(lines "$TMP"/race.*[0-9] | sort | uniq -c | awk '{$1=$1; print}' | paste -sd'|')" \
    '49 {"code":2002,"message":"Username is already registered."}|1 {"username":"racer"}' \
    "the losers are told the name is taken"
http GET "$A/users/auth" -- -H "x-auth-user: racer" -H "x-auth-key: race-key-$won-4e7a"
is "$STATUS" 200 "the winner's key (racer $won's) is the one stored"
other=$(( won % 50 + 1 ))
http GET "$B/users/auth" -- -H "x-auth-user: racer" -H "x-auth-key: race-key-$other-4e7a"
is "$STATUS" 401 "a loser's is not"
is "$(rcli --scan --pattern 'user:racer:*' | wc -l)" 1 "one key for the name in Redis"

# --- an account deleted through A while B pushes into it ---
http POST "$B/users/create" '{"username":"gone","password":"gone-key-6c1d2e"}'
racers=()
for i in $(seq 20); do
	curl -s -o /dev/null -X PUT -H "Accept: $ACCEPT" -H "x-auth-user: gone" \
	    -H "x-auth-key: gone-key-6c1d2e" \
	    --data-binary "{\"document\":\"doc$i\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"K\"}" \
	    "$B/syncs/progress" &
	racers+=($!)
	if [ "$i" = 10 ]; then
		curl -s -o "$TMP/deleted" -X DELETE -H "Accept: $ACCEPT" \
		    -H "x-auth-user: gone" -H "x-auth-key: gone-key-6c1d2e" \
		    "$A/users/me" &
		racers+=($!)
	fi
done
wait "${racers[@]}"
is "$(cat "$TMP/deleted")" '{"deleted":true}' "a delete through A amid 20 pushes through B"
is "$(rcli --scan --pattern 'user:gone:*' | wc -l)" 0 \
    "leaves no key of the account: no push landed after it, none was missed"
http POST "$A/users/create" '{"username":"gone","password":"gone-key2-8f0a3b"}'
is "$STATUS" 201 "the name is free again at once"
http GET "$B/syncs/progress/doc20" -- -H "x-auth-user: gone" -H "x-auth-key: gone-key2-8f0a3b"
is "$STATUS $BODY" '200 {}' "and the new account has none of the old records"

kill -TERM $LPID
wait $LPID
is "$?" 0 "lighttpd stops cleanly"
LPID=
kill -QUIT "$NPID"
NPID=
stop_kss TERM
is "$RC" 0 "node B's kss.fcgi stops cleanly"
T_CLEANUP=stop_all
done_testing
