#!/bin/bash
# The Redis store from outside (README, "Scaling out"), on a redis-server
# of this test's own: what kss writes is the official layout as redis-cli
# shows it; an official database (raw keys) is served, its keys rewritten
# hashed, or kept raw with KSS_REDIS_RAW_KEYS; names cannot reach into
# another account's keys; KSS_STORE's errors; Redis errors and a Redis
# stopped mid-run (502 JSON, then service again without a restart of
# kss.fcgi, in its sandbox); a unix socket and a password.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
. "${T_SRCDIR:-$(dirname "$0")}/redis.sh"
trap '' PIPE

DOC=0b229176d4e8db7f6d2b5a4952368d7a
MD5=5f4dcc3b5aa765d61d8327deb882cf99	# md5("password"), KOReader's key
start_redis
S=KSS_STORE=$REDIS_URL

# --- kss writes the official layout (protocol.md §7) ---
req $S POST /users/create "{\"username\":\"alice\",\"password\":\"$MD5\"}"
is "$STATUS" 201 "register through kss"
as alice $MD5 $S PUT /syncs/progress "{\"document\":\"$DOC\",\"progress\":\"/body/DocFragment[20]/body/p[22]/img.0\",\"percentage\":0.3188,\"device\":\"PocketBook\",\"device_id\":\"6B344CE498AE402096F5AEB4154C1DBB\"}"
is "$STATUS" 200 "push through kss"
ts=$(jf .timestamp)
is "$(rcli --scan --pattern '*' | sort | tr '\n' ' ')" \
    "user:alice:document:$DOC user:alice:key " \
    "redis-cli: the two keys of the official schema, in database 1"
is "$(rcli TYPE user:alice:key) $(rcli TYPE user:alice:document:$DOC)" \
    "string hash" "redis-cli: a string and a hash"
like "$(rcli GET user:alice:key)" '^\$y\$' "redis-cli: the credential is a yescrypt hash, not the key"
is "$(rcli HGETALL user:alice:document:$DOC | paste -sd' ')" \
    "percentage 0.3188 progress /body/DocFragment[20]/body/p[22]/img.0 device PocketBook device_id 6B344CE498AE402096F5AEB4154C1DBB timestamp $ts" \
    "redis-cli: the hash's fields as the official server writes them"
as alice $MD5 $S PUT /syncs/progress "{\"document\":\"$DOC\",\"progress\":\"57\",\"percentage\":0.5,\"device\":\"Kobo\"}"
is "$(rcli HMGET user:alice:document:$DOC progress device device_id | paste -sd' ')" \
    "57 Kobo 6B344CE498AE402096F5AEB4154C1DBB" \
    "redis-cli: a push without device_id keeps the stored one (HMSET)"

# --- an official database as it is: raw keys, its hashes ---
rcli SET user:reader:key $MD5 >/dev/null
rcli HSET user:reader:document:$DOC percentage 0.32 progress 56 \
    device PocketBook device_id DEV1 timestamp 1751935136 >/dev/null
rcli SET user:sharer:key key-raw-8c21d5 >/dev/null
as reader $MD5 $S GET /syncs/progress/$DOC
is "$STATUS $BODY" "200 {\"document\":\"$DOC\",\"percentage\":0.32,\"progress\":\"56\",\"device\":\"PocketBook\",\"device_id\":\"DEV1\",\"timestamp\":1751935136}" \
    "an official server's record is served, typed as it would answer"
like "$(rcli GET user:reader:key)" '^\$y\$' "its raw key is rewritten hashed at the first good login"
as reader $MD5 $S GET /users/auth
is "$STATUS" 200 "and still logs in"
as reader wrong-key-51b0e7 $S GET /users/auth
is "$STATUS" 401 "a wrong key does not"

R="KSS_REDIS_RAW_KEYS=true"
as sharer key-raw-8c21d5 $S $R GET /users/auth
is "$STATUS" 200 "KSS_REDIS_RAW_KEYS=true: a raw key logs in"
is "$(rcli GET user:sharer:key)" key-raw-8c21d5 "and stays raw, for an official server sharing the database"
req $S $R POST /users/create '{"username":"newraw","password":"key-raw-3f9e0a"}'
is "$STATUS $(rcli GET user:newraw:key)" "201 key-raw-3f9e0a" "a registration stores the key raw"
as newraw key-raw-3f9e0a $S $R PUT /users/password '{"password":"key-raw-7d2c4b"}'
is "$STATUS $(rcli GET user:newraw:key)" "200 key-raw-7d2c4b" "so does a change of key"
req $S $R POST /users/create '{"username":"tomb","password":"kss:deleting:x"}'
err_is 403 2003 'Invalid request' "a raw key that would read as a delete in progress is refused"
req $S $R POST /users/create '{"username":"dollar","password":"$y$j9T$abc$def"}'
err_is 403 2003 'Invalid request' "a raw key that would read as a hash (it could never log in) is refused"
is "$(rcli EXISTS user:dollar:key)" 0 "and no account is made"
as newraw key-raw-7d2c4b $S $R PUT /users/password '{"password":"$2b$05$abcdefghijklmnopqrstuv"}'
err_is 403 2003 'Invalid request' "so is a change of key to one"
is "$(rcli GET user:newraw:key)" key-raw-7d2c4b "which leaves the key as it was"
req KSS_REDIS_RAW_KEYS=true POST /users/create '{"username":"r","password":"key-raw-3f9e0a"}'
is "$STATUS $(jf .code)" "500 2000" "KSS_REDIS_RAW_KEYS=true without a Redis store is a server error"
like "$ERRLOG" 'KSS_REDIS_RAW_KEYS=true needs a Redis store' "said on the log"

# --- names cannot reach into another account's keys ---
for u in 'a*' ab; do
	req $S POST /users/create "{\"username\":\"$u\",\"password\":\"key-glob-61e2\"}"
	as "$u" key-glob-61e2 $S PUT /syncs/progress "{\"document\":\"d\",\"progress\":\"$u\",\"percentage\":0.5,\"device\":\"K\"}"
done
as 'a*' key-glob-61e2 $S DELETE /users/me
is "$STATUS" 200 "delete a user named a*"
as ab key-glob-61e2 $S GET /syncs/progress/d
is "$STATUS $(jf .progress)" '200 "ab"' "user ab's records are untouched (SCAN's glob escaped)"
is "$(rcli EXISTS 'user:a*:key' 'user:a*:document:d')" 0 "a*'s keys are all gone"
req $S POST /users/create '{"username":"alice:document:x","password":"key-colon-0d1f"}'
err_is 403 2003 'Invalid request' "no name with ':' (it would be another's key)"
as alice $MD5 $S PUT /syncs/progress '{"document":"x:key","progress":"p","percentage":0.5,"device":"K"}'
err_is 403 2004 "Field 'document' not provided." "no document id with ':'"
rcli SET 'user:alice:document:x:key' '$y$j9T$x$y' >/dev/null
as 'alice:document:x' anything-5e1a $S GET /users/auth
err_is 401 2001 'Unauthorized' "a key that would parse as another name's credential logs nobody in"

# --- a delete held up midway, which a registration of the name finished ---
# (database 2, with enough other keys for the delete's SCAN to take many
# pages: the deleting kss is stopped once its tombstone is in place, and
# goes on after the name was registered anew and pushed into.)
S2=KSS_STORE=redis://127.0.0.1:$REDIS_PORT/2

# hold NAME PATTERN -- ARG...: fills database 2 with enough keys for a
# SCAN to take many pages, runs `req ARG...` in the background, and stops
# the kss it starts once user:NAME:key matches PATTERN (its tombstone is
# in place); holder and kpid set; 0 when it could be held. resume goes
# on with it and waits for its end.
hold() {
	local name=$1 pattern=$2 t= i
	shift 3
	redis-cli -p "$REDIS_PORT" -n 2 EVAL "for i = 1, 200000 do redis.call('SET', 'filler:' .. i, 'x') end" 0 >/dev/null
	req "$@" >/dev/null &
	holder=$! kpid=
	for i in $(seq 5000); do
		kpid=$(pgrep -P "$holder" -x "$(basename "$KSS_BIN")") && break
	done
	for i in $(seq 5000); do
		t=$(redis-cli -p "$REDIS_PORT" -n 2 GET "user:$name:key")
		# shellcheck disable=SC2254
		case $t in $pattern) break ;; esac
	done
	# shellcheck disable=SC2053
	[ -n "$kpid" ] && [[ $t == $pattern ]] && kill -STOP "$kpid" 2>/dev/null
}
resume() {
	kill -CONT "$kpid" 2>/dev/null
	wait "$holder"
}
# hold_reg NAME KEY: a registration of NAME, held once its own tombstone
# is in place.
hold_reg() {
	hold "$1" 'kss:deleting:new:*' -- $S2 POST /users/create \
	    "{\"username\":\"$1\",\"password\":\"$2\"}"
}

# (The deleting kss is stopped once its tombstone is in place, and goes
# on after the name was registered anew and pushed into.)
req $S2 POST /users/create '{"username":"held","password":"key-held-1c4e"}'
if hold held 'kss:deleting:*' -- $S2 "HTTP_X_AUTH_USER=held" \
    "HTTP_X_AUTH_KEY=key-held-1c4e" DELETE /users/me; then
	req $S2 POST /users/create '{"username":"held","password":"key-held-2d5f"}'
	is "$STATUS" 201 "a registration finishes a delete held up midway"
	as held key-held-2d5f $S2 PUT /syncs/progress '{"document":"mine","progress":"p","percentage":0.5,"device":"K"}'
	resume
	as held key-held-2d5f $S2 GET /syncs/progress/mine
	is "$STATUS $(jf .progress)" '200 "p"' \
	    "the held-up delete, going on, leaves the new account's record alone"
else
	resume
	skip "a delete held up midway" "the delete ended before it could be held up"
	skip "the held-up delete leaves the new account's record alone" "as above"
fi
redis-cli -p "$REDIS_PORT" -n 2 FLUSHDB >/dev/null
# A registration takes the name with a tombstone of its own (which
# expires, should the registration die), clears the records found under
# the name, and only then sets the credential. Held up midway here.
if hold_reg slow key-slow-4b1e; then
	ttl=$(redis-cli -p "$REDIS_PORT" -n 2 TTL user:slow:key)
	ok $([ "$ttl" -gt 0 ] && [ "$ttl" -le 600 ]; echo $?) \
	    "a registration under way holds the name with a tombstone that expires (TTL $ttl s)"
	req $S2 POST /users/create '{"username":"slow","password":"key-slow-9e0d"}'
	err_is 402 2002 'Username is already registered.' "another registration of the name meanwhile loses"
	as slow key-slow-4b1e $S2 GET /users/auth
	is "$STATUS" 401 "and nobody logs in before the registration is done"
	resume
	is "$(redis-cli -p "$REDIS_PORT" -n 2 TTL user:slow:key)" -1 "once done, the credential does not expire"
	as slow key-slow-4b1e $S2 GET /users/auth
	is "$STATUS" 200 "and the registration's key logs in"
else
	resume
	for t in "a registration under way holds the name with a tombstone that expires" \
	    "another registration of the name meanwhile loses" \
	    "and nobody logs in before the registration is done" \
	    "once done, the credential does not expire" "and the registration's key logs in"; do
		skip "$t" "the registration ended before it could be held up"
	done
fi
redis-cli -p "$REDIS_PORT" -n 2 FLUSHDB >/dev/null
# A Redis error midway (here: out of memory at the last step) lets the
# name go at once, not after the tombstone's 10 minutes.
if hold_reg oom key-oom-2a7c; then
	redis-cli -p "$REDIS_PORT" CONFIG SET maxmemory 1 >/dev/null
	resume
	redis-cli -p "$REDIS_PORT" CONFIG SET maxmemory 0 >/dev/null
	is "$(redis-cli -p "$REDIS_PORT" -n 2 EXISTS user:oom:key)" 0 \
	    "a registration that met a Redis error lets the name go"
	req $S2 POST /users/create '{"username":"oom","password":"key-oom-2a7c"}'
	is "$STATUS" 201 "and its retry registers"
else
	resume
	skip "a registration that met a Redis error lets the name go" "not held up"
	skip "and its retry registers" "not held up"
fi
redis-cli -p "$REDIS_PORT" -n 2 FLUSHDB >/dev/null
# Its tombstone expired while it was held up, and another registration
# took the name: the held one does not set its credential over the
# other's.
if hold_reg late key-late-1b3d; then
	redis-cli -p "$REDIS_PORT" -n 2 PEXPIRE user:late:key 1 >/dev/null
	while [ "$(redis-cli -p "$REDIS_PORT" -n 2 EXISTS user:late:key)" != 0 ]; do :; done
	req $S2 POST /users/create '{"username":"late","password":"key-late-4e8f"}'
	is "$STATUS" 201 "a tombstone expired: the name registers anew"
	resume
	as late key-late-4e8f $S2 GET /users/auth
	is "$STATUS" 200 "the expired registration, going on, leaves the new credential"
else
	resume
	skip "a tombstone expired: the name registers anew" "not held up"
	skip "the expired registration, going on, leaves the new credential" "not held up"
fi
redis-cli -p "$REDIS_PORT" -n 2 FLUSHDB >/dev/null

# Records left without their credential (an official server's push racing
# a delete, or its operator's DEL of user:<name>:key alone) are not passed
# to the next account of the name.
rcli HSET user:orph:document:d1 percentage 0.42 progress secret-place device Kobo timestamp 1700000000 >/dev/null
req $S POST /users/create '{"username":"orph","password":"key-orph-5c2a"}'
is "$STATUS" 201 "a name with records left over registers"
as orph key-orph-5c2a $S GET /syncs/progress/d1
is "$STATUS $BODY" '200 {}' "and its new account has none of them"
is "$(rcli EXISTS user:orph:document:d1)" 0 "they are gone from Redis"
rcli HSET user:orphraw:document:d1 percentage 0.42 progress secret-place device Kobo timestamp 1700000000 >/dev/null
req $S KSS_REDIS_RAW_KEYS=true POST /users/create '{"username":"orphraw","password":"key-orph-6d3b"}'
is "$STATUS $(rcli EXISTS user:orphraw:document:d1) $(rcli GET user:orphraw:key)" \
    "201 0 key-orph-6d3b" "so does a registration that keeps its key raw (KSS_REDIS_RAW_KEYS)"
# A registration's tombstone left by one that died: the name is taken
# until it expires.
rcli SET user:dead:key kss:deleting:new:0123456789abcdef EX 600 >/dev/null
req $S POST /users/create '{"username":"dead","password":"key-dead-7f3b"}'
err_is 402 2002 'Username is already registered.' "a name held by a dead registration's tombstone stays taken"
rcli DEL user:dead:key >/dev/null

# --- KSS_STORE's errors: a 500 and one log line, never the password ---
secret hunter2-kss-1a7f
for v in 'redis://:hunter2-kss-1a7f@127.0.0.1:99999/1' \
    'redis://:hunter2-kss-1a7f@127.0.0.1/x' 'rediss://:hunter2-kss-1a7f@h' \
    'mysql://hunter2-kss-1a7f@h'; do
	req "KSS_STORE=$v" GET /users/auth
	is "$STATUS $BODY" '500 {"code":2000,"message":"Unknown server error."}' \
	    "malformed KSS_STORE ${v%%:*}://...: 500 JSON"
	is "$(printf '%s\n' "$ERRLOG" | grep -c .)" 1 "and one log line: $ERRLOG"
done

# --- Redis errors: 502/2000 ---
rcli SET user:alice:document:wrongtype x >/dev/null
as alice $MD5 $S GET /syncs/progress/wrongtype
err_is 502 2000 'Unknown server error.' "a Redis error (WRONGTYPE) is 502/2000"
like "$ERRLOG" 'WRONGTYPE' "said on the log"
req KSS_STORE=redis://127.0.0.1:1/1 GET /users/auth
err_is 401 2001 'Unauthorized' "without credentials no store is asked"
as alice $MD5 KSS_STORE=redis://127.0.0.1:1/1 GET /users/auth
err_is 502 1000 'Cannot connect to redis server.' "no server at the address: 502/1000"
like "$ERRLOG" 'Redis at 127.0.0.1:1: cannot connect: Connection refused' "said on the log"

# --- a unix socket, and a password ---
U=KSS_STORE=$REDIS_UNIX_URL
as alice $MD5 $U GET /syncs/progress/$DOC
is "$STATUS $(jf .progress)" '200 "57"' "redis+unix:// (KSS_STORE=redis+unix://PATH?db=1)"
rcli CONFIG SET requirepass hunter2-kss-1a7f >/dev/null
P="KSS_STORE=redis://:hunter2-kss-1a7f@127.0.0.1:$REDIS_PORT/1"
as alice $MD5 "$P" GET /users/auth
is "$STATUS" 200 "a password (redis://:PASSWORD@HOST:PORT/DB)"
as alice $MD5 $S GET /users/auth
err_is 502 1000 'Cannot connect to redis server.' "none, where one is asked: 502/1000"
like "$ERRLOG" 'refuses the connection' "said on the log"
as alice $MD5 "KSS_STORE=redis://127.0.0.1:$REDIS_PORT" GET /users/auth
err_is 502 1000 'Cannot connect to redis server.' \
    "none, on database 0 (no SELECT meets the refusal first): 502/1000 too"
like "$ERRLOG" 'refuses the connection.*NOAUTH' "said on the log"
redis-cli -p "$REDIS_PORT" -a hunter2-kss-1a7f --no-auth-warning CONFIG SET requirepass '' >/dev/null

# --- kss.fcgi keeps its connection, and makes it anew ---
if command -v cgi-fcgi >/dev/null; then
	SOCK=$TMP/kss.sock
	start_kss "$S" KSS_HASH_COST=1 KSS_THREADS=2 -- --listen "$SOCK"
	T_CLEANUP='kill $PID 2>/dev/null'
	is "$LINE" "kss: listening on $SOCK" "kss.fcgi on Redis starts"
	RUN=(cgi-fcgi -bind -connect "$SOCK")
	BASE_CONFIG=0
	for i in 1 2 3; do
		as alice $MD5 GET /syncs/progress/$DOC
	done
	is "$STATUS $(jf .progress)" '200 "57"' "kss.fcgi serves from Redis"
	# (Its threads serve once the sandbox is in place.)
	if sandboxed; then
		is "$(seccomp_mode "$PID")" 2 "kss.fcgi is in its seccomp filter"
	else
		skip "kss.fcgi is in its seccomp filter" "built without the sandbox"
	fi
	# A push goes out with the secret its thread remembers; a key
	# changed by another node meanwhile is seen all the same.
	for i in 1 2 3; do
		as alice $MD5 PUT /syncs/progress '{"document":"rc","progress":"1","percentage":0.1,"device":"K"}'
	done
	is "$STATUS" 200 "pushes with a remembered secret"
	# The same key stored anew elsewhere (another salt: kss-admin user
	# passwd with the same password): the remembered secret is stale,
	# the key still good, and the push is judged on the stored one.
	env -i KSS_STORE="$REDIS_URL" KSS_HASH_COST=1 \
	    "$(dirname "$KSS_BIN")/kss-admin" user passwd alice <<<password \
	    >/dev/null 2>&1
	as alice $MD5 PUT /syncs/progress '{"document":"rc","progress":"1b","percentage":0.15,"device":"K"}'
	is "$STATUS $(rcli HGET user:alice:document:rc progress)" "200 1b" \
	    "a remembered secret gone stale, the key still good: the push lands"
	rcli SET user:alice:key key-other-node-6a1f >/dev/null
	for i in 1 2; do
		as alice $MD5 PUT /syncs/progress '{"document":"rc","progress":"2","percentage":0.2,"device":"K"}'
		is "$STATUS" 401 "the key changed elsewhere: the old key pushes no more ($i)"
	done
	as alice key-other-node-6a1f PUT /syncs/progress '{"document":"rc","progress":"3","percentage":0.3,"device":"K"}'
	is "$STATUS $(rcli HGET user:alice:document:rc progress)" "200 3" "the new one does"
	as alice key-other-node-6a1f GET /syncs/progress/$DOC
	is "$STATUS $(jf .progress)" '200 "57"' "a pull reads secret and record together"
	as alice $MD5 GET /syncs/progress/$DOC
	err_is 401 2001 'Unauthorized' "and shows the record to the stored key only"
	n=$(rcli CLIENT LIST | grep -c 'cmd=')
	ok $([ "$n" -ge 2 ] && [ "$n" -le 3 ]; echo $?) \
	    "its connections are kept, one per thread at most ($((n - 1)) and redis-cli's)"
	stop_redis
	as alice key-other-node-6a1f GET /syncs/progress/$DOC
	err_is 502 1000 'Cannot connect to redis server.' "Redis stopped: 502/1000"
	req POST /users/create '{"username":"during","password":"key-down-2b7c"}'
	err_is 502 1000 'Cannot connect to redis server.' "a registration too"
	req GET /healthcheck
	is "$STATUS" 200 "the healthcheck needs no store"
	start_redis
	rcli SET user:back:key key-back-8e4f >/dev/null
	as back key-back-8e4f GET /users/auth
	is "$STATUS" 200 "Redis back on its port: kss.fcgi serves again by itself"
	as back key-back-8e4f GET /users/auth
	is "$STATUS" 200 "and again (each thread reconnects)"
	as back key-back-8e4f GET /users/auth
	is "$STATUS $BODY" '200 {"authorized":"OK"}' "and again"
	stop_kss TERM
	is "$RC" 0 "kss.fcgi stops cleanly"

	# A host name, looked up before the sandbox by every thread's store
	# (the sandbox admits no lookup): localhost is ::1 and 127.0.0.1,
	# tried in turn.
	start_kss "KSS_STORE=redis://localhost:$REDIS_PORT/1" KSS_HASH_COST=1 \
	    KSS_THREADS=4 -- --listen "$SOCK"
	is "$LINE" "kss: listening on $SOCK" "kss.fcgi on Redis at localhost starts"
	racers=()
	for i in $(seq 12); do
		(as back key-back-8e4f GET /users/auth
		 echo "$STATUS" >"$TMP/named.$i") &
		racers+=($!)
	done
	wait "${racers[@]}"
	is "$(cat "$TMP"/named.* | sort | uniq -c | awk '{print $2 "x" $1}')" \
	    200x12 "12 logins at once: every thread reaches Redis by its name"
	stop_kss TERM
	RUN=("$KSS_BIN")
	BASE_CONFIG=1
else
	skip "kss.fcgi keeps its Redis connection" "cgi-fcgi (Debian: libfcgi-bin) not installed"
fi

done_testing
