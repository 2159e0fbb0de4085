#!/bin/bash
# Black-box (CGI: every request a process of its own, so the count is
# shared across processes): failed logins are limited per client address
# (REMOTE_ADDR, KSS_LOGIN_LIMIT); the limit answers 429 with Retry-After,
# for that address only, to any login whatever the route, the name or
# the key, and logins at once cannot pass it.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"

[ -n "$CACHE" ] || skip_all "no tmpfs at /dev/shm for the shared count"

BASE_CONFIG=1
K=th-key-5c1e07
BAD=th-wrong-0a9e44
secret $BAD
register th $K
LIM=KSS_LOGIN_LIMIT=3/600
A=REMOTE_ADDR=192.0.2.10
as th $K $LIM $A GET /users/auth
is "$STATUS" 200 "a good login (its key now in the cache)"
codes=
for i in 1 2 3; do
	as th $BAD $LIM $A GET /syncs/progress/d
	codes="$codes $STATUS"
done
is "$codes" " 401 401 401" "three wrong keys from one address: 401 each"
like "$ERRLOG" '3 failed logins from 192\.0\.2\.10 within 600 s' "the third is logged, naming the address"
as th $BAD $LIM $A GET /syncs/progress/d
err_is 429 429 'Too many failed logins from this address; try again later.' "the fourth: 429"
like "$HEADERS" $'^Status: 429 Too Many Requests\n' "Status: 429 Too Many Requests"
retry=$(printf '%s\n' "$HEADERS" | sed -n 's/^Retry-After: //p')
ok $([ -n "$retry" ] && [ "$retry" -ge 590 ] && [ "$retry" -le 600 ]; echo $?) "Retry-After: the window's rest ($retry s)"
is "$ERRLOG" "" "a refusal is not logged again"
as th $BAD $LIM $A PUT /syncs/progress '{"document":"d","progress":"p","percentage":0.1,"device":"K"}'
is "$STATUS" 429 "a push with a wrong key: 429"
as th $BAD $LIM $A PUT /users/password '{"password":"x"}'
is "$STATUS" 429 "a password change: 429"
as th $BAD $LIM $A DELETE /users/me
is "$STATUS" 429 "a delete: 429"
as ghost $BAD $LIM $A GET /users/auth
is "$STATUS" 429 "a name without an account: 429 too (nothing tells names apart)"
as th th-key-never-seen $LIM $A GET /users/auth
is "$STATUS" 429 "a key not verified before: 429, not even tried"
as th $K $LIM $A GET /users/auth
is "$STATUS" 429 "even a key the cache knows good (else right and wrong keys would tell themselves apart, at no cost)"
as th $BAD $LIM REMOTE_ADDR=192.0.2.11 GET /users/auth
is "$STATUS" 401 "another address: 401, not held up"
as th $BAD $LIM GET /users/auth
is "$STATUS" 401 "no REMOTE_ADDR: nothing to count"
req $LIM $A GET /healthcheck
is "$STATUS" 200 "a healthcheck is no login"
as th $K KSS_LOGIN_LIMIT=5/600 $A KSS_AUTH_CACHE=false GET /users/auth
is "$STATUS" 200 "with a higher limit (5) the address may try again"
as th $BAD KSS_LOGIN_LIMIT=off $A GET /users/auth
is "$STATUS" 401 "KSS_LOGIN_LIMIT=off: never 429"

# 40 wrong keys at once from a fresh address, limit 3: exactly 3 reach
# the KDF (401), the rest are refused before it.
A2=REMOTE_ADDR=192.0.2.60
for i in $(seq 40); do
	( as th $BAD $LIM $A2 GET /users/auth; echo "$STATUS" >"$TMP/par.$i" ) &
done
wait
got=$(cat "$TMP"/par.* | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')
is "$got" "401:3 429:37 " "40 wrong keys at once, limit 3: 3 answered 401, 37 refused"

# The count lives in the folder of the shared key cache, a fixed table.
ok $([ -f "$CACHE/logins" ] && [ "$(stat -c %s "$CACHE/logins")" = 131072 ]; echo $?) "the count: \$KSS_CACHE_DIR/logins, 128 KiB"
ok $(! grep -q 192.0.2.10 "$CACHE/logins"; echo $?) "holding no address in the clear"

for v in 3 3/ /600 0/600 3/0 3/86401 x/600 3/600x -3/600 ' 3/600'; do
	as th $K KSS_LOGIN_LIMIT="$v" $A GET /users/auth
	is "$STATUS" 500 "KSS_LOGIN_LIMIT='$v' refused: 500"
done
like "$ERRLOG" 'KSS_LOGIN_LIMIT must be N/S' "the log says what it wants"

done_testing
