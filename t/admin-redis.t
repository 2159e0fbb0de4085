#!/bin/bash
# kss-admin on the Redis store (KSS_STORE), and export / import moving
# everything between a file store and Redis in both directions,
# credentials as they are: a hash stays that hash, a raw key (the
# original kss's, the official server's) stays raw until its next login.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
. "${T_SRCDIR:-$(dirname "$0")}/redis.sh"
. "${T_SRCDIR:-$(dirname "$0")}/admin.sh"

# The export's users, without the time it was made.
users_of() {
	printf '%s' "$1" | jq -cS '.users'
}

start_redis
S=KSS_STORE=$REDIS_URL
DOC=0b229176d4e8db7f6d2b5a4952368d7a

# --- every user and document command on Redis ---
secret pw-ann-4d2f81 pw-ann2-90b3c7
adm $S user add ann <<<'pw-ann-4d2f81'
is "$RC $OUT" "0 user 'ann' added" "user add"
as ann "$(key_of pw-ann-4d2f81)" $S PUT /syncs/progress "{\"document\":\"$DOC\",\"progress\":\"12\",\"percentage\":0.12,\"device\":\"Kobo\"}"
is "$STATUS" 200 "kss serves the user kss-admin added"
like "$(rcli GET user:ann:key)" '^\$y\$' "whose key is stored hashed"
adm $S user list --json
is "$(printf '%s' "$OUT" | jq -c '[.[] | [.name, .documents, .raw_key]]')" \
    '[["ann",1,false]]' "user list"
adm $S doc list ann --json
is "$(printf '%s' "$OUT" | jq -c '[.[] | [.document, .progress]]')" "[[\"$DOC\",\"12\"]]" "doc list"
adm $S doc show ann $DOC --json
is "$(printf '%s' "$OUT" | jq -c '[.percentage, .device]')" '[0.12,"Kobo"]' "doc show"
adm $S user passwd ann <<<'pw-ann2-90b3c7'
is "$RC" 0 "user passwd"
as ann "$(key_of pw-ann2-90b3c7)" $S GET /users/auth
is "$STATUS" 200 "the new password logs in"
adm $S doc rm ann $DOC
is "$RC $(rcli EXISTS user:ann:document:$DOC)" "0 0" "doc rm"
adm $S check
ok $([ "$RC" = 1 ] && [[ $ERR == *'KSS_STORE names a Redis store'* ]]; echo $?) \
    "check is for a data folder, and says so: $ERR"
adm $S KSS_REDIS_RAW_KEYS=true user add shared <<<'pw-raw-5e8a13'
secret pw-raw-5e8a13
is "$(rcli GET user:shared:key)" "$(key_of pw-raw-5e8a13)" \
    "with KSS_REDIS_RAW_KEYS=true, user add stores the key raw"
adm $S user list
like "$OUT" 'shared +0 .*raw \(official server\)' "user list says whose a raw key is: $(printf '%s' "$OUT" | grep shared)"
adm $S user del shared --yes
is "$RC $(rcli EXISTS user:shared:key)" "0 0" "user del"
# An import's dry run on Redis says what it would do, and writes nothing.
printf '%s' '{"kss_export":1,"users":[{"name":"dry","raw_key":"key-dry-51c0a2","documents":{"ddoc":{"progress":"1","percentage":0.1,"device":"K","timestamp":7}}},{"name":"ann","raw_key":"key-ann-0d1e2f","documents":{}}]}' >"$TMP/dry.json"
adm $S import --dry-run "$TMP/dry.json"
is "$RC $(rcli EXISTS user:dry:key user:dry:document:ddoc)" "0 0" \
    "import --dry-run on Redis writes nothing: $(printf '%s' "$OUT" | tail -n 1)"
like "$OUT" 'would be: 1 user created, 1 already here' \
    "and says what it would do to the Redis store (ann is there)"
# As root, beside a KSS_DIR another user owns, a Redis store is reached as
# root: a unix socket only root may use (redis.sh makes it 0700).
if [ "$(id -u)" -eq 0 ]; then
	install -d -m 711 "$TMP"
	install -d -m 700 -o 65534 -g 65534 "$TMP/www"
	adm "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    KSS_DIR="$TMP/www" KSS_STORE="$REDIS_UNIX_URL" user add rooted <<<'pw-root-2b7d45'
	secret pw-root-2b7d45
	is "$RC $(rcli EXISTS user:rooted:key)" "0 1" \
	    "as root, a Redis store is not reached as KSS_DIR's owner: $ERR"
else
	skip "as root, a Redis store is not reached as KSS_DIR's owner" "not root"
fi
adm KSS_STORE=redis://127.0.0.1:1/1 user list
ok $([ "$RC" = 1 ] && [[ $ERR == *'cannot connect'* ]]; echo $?) \
    "no Redis: exit 1, and why: $ERR"

# --- file store -> Redis ---
# A file store with a hashed account and records (through kss), and an
# account of the original kss (raw key in auth.json).
req KSS_DIR="$DATA" POST /users/create '{"username":"fil","password":"key-fil-7b1c2d"}'
as fil key-fil-7b1c2d KSS_DIR="$DATA" PUT /syncs/progress "{\"document\":\"$DOC\",\"progress\":\"/p[3]\",\"percentage\":0.3188,\"device\":\"PocketBook\",\"device_id\":\"D1\",\"metadata\":{\"title\":\"T\"}}"
as fil key-fil-7b1c2d KSS_DIR="$DATA" PUT /syncs/progress '{"document":"zero","progress":"1","percentage":0,"device":"K"}'
mkdir -p "$DATA/orig"
printf '{"x-auth-user": "orig", "x-auth-key": "key-orig-3a9f0e"}' >"$DATA/orig/auth.json"
printf '{"document": "odoc", "progress": "5", "percentage": 0.5, "device": "Kindle", "timestamp": 1700000000}' >"$DATA/orig/odoc.json"
secret key-orig-3a9f0e
adm $S -d "$DATA" export
fexp=$OUT
is "$RC $(printf '%s' "$fexp" | jq -c '[.users[].name]')" '0 ["fil","orig"]' \
    "export the file store (-d names it, whatever KSS_STORE says)"
rcli FLUSHDB >/dev/null
adm $S import - <<<"$fexp"
is "$RC" 0 "import it into Redis: $(printf "%s" "$OUT" | tail -n 1)"
adm $S export
is "$(users_of "$OUT")" "$(users_of "$fexp")" "Redis exports the same users, credentials and records"
is "$(rcli GET user:orig:key)" key-orig-3a9f0e "the original kss's raw key stays raw"
is "$(rcli GET user:fil:key)" "$(printf '%s' "$fexp" | jq -r '.users[0].key_hash')" \
    "the hash is the file store's, as it was"
is "$(rcli HGET user:fil:document:$DOC percentage) $(rcli HGET user:fil:document:zero percentage)" \
    "0.3188 0" "records in the official layout"
as fil key-fil-7b1c2d $S GET /syncs/progress/$DOC
is "$STATUS $(jf '[.progress,.metadata.title]')" '200 ["/p[3]","T"]' "kss serves them from Redis"
as orig key-orig-3a9f0e $S GET /syncs/progress/odoc
is "$STATUS $(jf '[.progress,.timestamp]')" '200 ["5",1700000000]' \
    "the original kss's account logs in on Redis"
like "$(rcli GET user:orig:key)" '^\$y\$' "and its raw key is now hashed"
adm $S import - --json <<<"$fexp"
is "$(printf '%s' "$OUT" | jq -c '[.users_created, .documents_added, .documents_updated]')" \
    "[0,0,0]" "importing again changes nothing"

# --- Redis (an official server's database) -> file store ---
rcli SET user:off:key "$(key_of pw-off-1c7e99)" >/dev/null
rcli HSET user:off:document:$DOC percentage 0.5 progress 77 device Kobo \
    device_id D9 timestamp 1751935136 >/dev/null
secret pw-off-1c7e99
adm $S export
rexp=$OUT
is "$(printf '%s' "$rexp" | jq -c '[.users[] | [.name, has("raw_key")]]')" \
    '[["fil",false],["off",true],["orig",false]]' "export Redis: the official raw key as a raw key"
NEW=$TMP/new-data
adm KSS_DIR="$NEW" import - <<<"$rexp"
is "$RC" 0 "import it into a new file store: $(printf "%s" "$OUT" | tail -n 1)"
adm KSS_DIR="$NEW" export
is "$(users_of "$OUT")" "$(users_of "$rexp")" "the file store exports the same"
as off "$(key_of pw-off-1c7e99)" KSS_DIR="$NEW" GET /syncs/progress/$DOC
is "$STATUS $(jf '[.progress,.percentage,.timestamp]')" '200 ["77",0.5,1751935136]' \
    "the official account is served from the file store"
as fil key-fil-7b1c2d KSS_DIR="$NEW" GET /users/auth
is "$STATUS" 200 "and the kss account, with the hash it came with"

# --- a credential that cannot be read (a value of another type) ---
rcli HSET user:typed:key a b >/dev/null
rcli HSET user:typed:document:$DOC percentage 0.5 progress 1 device K >/dev/null
adm $S user list
like "$RC $(grep '^typed ' <<<"$OUT")" '^1 typed +\? +its credential cannot be read' \
    "user list: a credential of another type is listed as one that cannot be read"
adm $S export
is "$RC" 1 "export: said to be left out, not left out silently"
adm $S doc list typed
like "$RC $(grep -c "^$DOC " <<<"$OUT")" "^0 1$" "doc list: its records"
adm $S -- user passwd typed <<<"pw-typed-4e1a"
secret pw-typed-4e1a
is "$RC $(rcli TYPE user:typed:key)" "0 string" "user passwd sets a new credential over it"
rcli HSET user:typed2:key a b >/dev/null
rcli HSET user:typed2:document:$DOC percentage 0.5 progress 1 device K >/dev/null
adm $S user del typed2 --yes
is "$RC $(rcli EXISTS user:typed2:key user:typed2:document:$DOC)" "0 0" \
    "user del deletes it, and its records"
adm $S user del typed --yes

# --- listings read the keyspace once, not once per user ---
# (database 3: 20 users of one record each among 5,000 other keys, which
# a SCAN of COUNT 500 walks in about 11 calls.)
S3=KSS_STORE=redis://127.0.0.1:$REDIS_PORT/3
r3() { redis-cli -p "$REDIS_PORT" -n 3 "$@"; }
r3 EVAL "for i = 1, 5000 do redis.call('SET', 'filler:' .. i, 'x') end" 0 >/dev/null
for i in $(seq 20); do
	r3 SET "user:u$i:key" "key-u$i" >/dev/null
	r3 HSET "user:u$i:document:d$i" progress "$i" percentage 0.5 device K timestamp 7 >/dev/null
done
scans() { r3 INFO commandstats | sed -n 's/^cmdstat_scan:calls=\([0-9]*\),.*/\1/p'; }
r3 CONFIG RESETSTAT >/dev/null
adm $S3 user list --json
is "$RC $(printf '%s' "$OUT" | jq -c '[length, (map(.documents) | add)]')" "0 [20,20]" \
    "user list of 20 users among 5,000 keys"
n=$(scans)
ok $([ "${n:-999}" -le 15 ]; echo $?) "in one pass over the keyspace: $n SCAN calls (one per user: 200 or more)"
r3 CONFIG RESETSTAT >/dev/null
adm $S3 export
is "$RC $(printf '%s' "$OUT" | jq -c '[.users | length, (map(.documents | length) | add)]')" "0 [20,20]" \
    "export of the same"
n=$(scans)
ok $([ "${n:-999}" -le 15 ]; echo $?) "in one pass too: $n SCAN calls"
adm $S3 doc list u7 --json
is "$(printf '%s' "$OUT" | jq -c '[.[] | .progress]')" '["7"]' "doc list of one user still finds its records"
r3 FLUSHDB >/dev/null

done_testing
