#!/bin/bash
# Black-box: bad input of every kind gets a clear JSON error, never a
# crash, a hang or a write outside KSS_DIR; keys never reach the disk raw;
# the original kss's files are read and upgraded; configuration errors.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"

# KSS_DIR sits alone in a jail folder: anything that escapes it shows.
DATA=$TMP/jail/data
SECRET=c0ffee5ecre7c0ffee5ecre7c0ffee5e
register eve $SECRET

# --- bodies (DESIGN §2: one rule for every route) ---
for route in 'POST /users/create' 'PUT /syncs/progress' 'PUT /users/password'; do
	set -- $route
	for b in '{"a":' 'nope' '{"a":1}}' "{'a':1}" ' ' '{"a":"\ud800"}x'; do
		as eve $SECRET "$1" "$2" "$b"
		err_is 400 103 'Could not parse JSON in body.' "$route: unparsable body '$b'"
	done
	for b in '[]' '[1]' '5' '"str"' 'null' 'true'; do
		as eve $SECRET "$1" "$2" "$b"
		err_is 400 104 'Body should be a JSON hash.' "$route: non-object body $b"
	done
	as eve $SECRET "$1" "$2"
	err_is 400 103 'Could not parse JSON in body.' "$route: no body"
	as eve $SECRET CONTENT_LENGTH=0 "$1" "$2" ''
	err_is 400 103 'Could not parse JSON in body.' "$route: CONTENT_LENGTH 0"
done
req GET /healthcheck '[1]'
err_is 400 104 'Body should be a JSON hash.' "a GET body is parsed too (as the official server)"

# --- CONTENT_LENGTH ---
for cl in abc -5 '+5' ' 5' 5x 0x10; do
	req "CONTENT_LENGTH=$cl" POST /users/create '{"username":"x","password":"pass-y-04c1"}'
	err_is 400 103 'Could not parse JSON in body.' "garbage CONTENT_LENGTH '$cl'"
done
req CONTENT_LENGTH=100 POST /users/create '{"username":"x","password":"pass-y-04c1"}'
err_is 400 103 'Could not parse JSON in body.' "CONTENT_LENGTH past the body's end: 400, no hang"
for cl in 65537 1000000000 99999999999999999999999999; do
	req "CONTENT_LENGTH=$cl" POST /users/create '{}'
	err_is 413 413 'Request body too large.' "CONTENT_LENGTH $cl is 413 before reading"
done
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
req POST /users/create "{\"username\":\"$big\",\"password\":\"key-h-73be\"}"
err_is 413 413 'Request body too large.' "a 70 KB body is 413"
field=$(head -c 4097 /dev/zero | tr '\0' 'a')
as eve $SECRET PUT /syncs/progress "{\"document\":\"d\",\"progress\":\"$field\",\"percentage\":0.5,\"device\":\"K\"}"
err_is 403 2003 'Invalid request' "a 4 KiB + 1 field is 403/2003"
field=$(head -c 4096 /dev/zero | tr '\0' 'a')
as eve $SECRET PUT /syncs/progress "{\"document\":\"d\",\"progress\":\"$field\",\"percentage\":0.5,\"device\":\"K\"}"
is "$STATUS" 200 "a 4 KiB field is accepted"
as eve $SECRET PUT /syncs/progress "{\"document\":\"d\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"K\",\"metadata\":{\"title\":\"$field-\"}}"
err_is 403 2003 'Invalid request' "a 4 KiB + 1 metadata field is 403/2003"
pad=$(head -c 60000 /dev/zero | tr '\0' ' ')
as eve $SECRET PUT /syncs/progress "{\"document\":\"d\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"K\"}$pad"
is "$STATUS" 200 "a 60 KB body of whitespace under the limit is fine"

# --- hostile usernames ---
ten=$(head -c 10240 /dev/zero | tr '\0' 'u')
for u in '/' '..' '.' '../escape' '../../etc' 'a/../../b' '%2e%2e' '.hidden' \
    'auth' '-' '~root' '$HOME' '*'; do
	req POST /users/create "{\"username\":\"$u\",\"password\":\"$SECRET\"}"
	s1=$STATUS
	as "$u" $SECRET GET /users/auth
	is "$s1 $STATUS" "201 200" "username '$u' registers and logs in, stored encoded"
done
for u in "$ten" 'a\u0000b' 'tab\there' 'nl\nx' 'del\u007f' 'c1\u0085' \
    'x:y'; do
	req POST /users/create "{\"username\":\"$u\",\"password\":\"key-h-73be\"}"
	err_is 403 2003 'Invalid request' "username '${u:0:20}' refused"
done
req POST /users/create '{"username":"\udc00","password":"key-h-73be"}'
err_is 400 103 'Could not parse JSON in body.' "a lone surrogate is not JSON"
as "$ten" key-h-73be GET /users/auth
err_is 401 2001 'Unauthorized' "a 10 KB user header is 401"
as $'bad\001' key-h-73be GET /users/auth
err_is 401 2001 'Unauthorized' "a control byte in the user header is 401"
as $'\xff\xfe' key-h-73be GET /users/auth
err_is 401 2001 'Unauthorized' "invalid UTF-8 in the user header is 401"
as eve "$ten" GET /users/auth
err_is 401 2001 'Unauthorized' "a 10 KB key header is 401"

# --- hostile document ids ---
for d in '../../../../tmp/kss-pwned' '..' '.' '/' '%2e%2e%2fauth' 'auth' \
    '.tmp-x' 'auth.json'; do
	as eve $SECRET PUT /syncs/progress "{\"document\":\"$d\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"K\"}"
	s1=$STATUS
	as eve $SECRET GET "/syncs/progress/$d"
	is "$s1 $STATUS $(jf .document)" "200 200 \"$d\"" "document '$d' stays a name"
done
as eve $SECRET GET /users/auth
is "$STATUS" 200 "a document named auth did not touch the credential"
as eve $SECRET PUT /syncs/progress '{"document":"ends/","progress":"slash","percentage":0.5,"device":"K"}'
as eve $SECRET GET /syncs/progress/ends//
is "$(jf '[.document,.progress]')" '["ends/","slash"]' "an id ending in / reads back with one more /"
for d in 'a\u0000b' "$ten" 'x\u001fy' 'a:b'; do
	as eve $SECRET PUT /syncs/progress "{\"document\":\"$d\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"K\"}"
	err_is 403 2004 "Field 'document' not provided." "document '${d:0:20}' refused"
done
as eve $SECRET GET "/syncs/progress/$ten"
err_is 403 2004 "Field 'document' not provided." "GET a 10 KB id"
as eve $SECRET GET $'/syncs/progress/a\001b'
err_is 403 2004 "Field 'document' not provided." "GET an id with a control byte"
raw_req KSS_DIR="$DATA" REQUEST_METHOD=GET HTTP_X_AUTH_USER=eve \
    HTTP_X_AUTH_KEY=$SECRET REQUEST_URI=/syncs/progress/a%00b </dev/null
err_is 403 2004 "Field 'document' not provided." "GET an id with %00 (REQUEST_URI)"
long=$(printf '€%.0s' $(seq 42))
as eve $SECRET PUT /syncs/progress "{\"document\":\"$long\",\"progress\":\"long\",\"percentage\":0.5,\"device\":\"K\"}"
s1=$STATUS
as eve $SECRET GET "/syncs/progress/$long"
is "$s1 $STATUS $(jf .progress)" '200 200 "long"' "a 126-byte UTF-8 id (378 encoded) is stored and read back"

# --- what is on disk ---
is "$(ls -A "$TMP/jail")" "data" "nothing written beside KSS_DIR"
escaped=$(find /tmp "${TMPDIR:-/tmp}" "$TMP" -maxdepth 4 \( -name 'kss-pwned*' -o -name '*%2e%2e*' \) -not -path "$DATA/*" 2>/dev/null | head -3)
is "$escaped" "" "no hostile name landed anywhere else"
ok $([ ! -e /tmp/kss-pwned ] && [ ! -e /tmp/kss-pwned.json ]; echo $?) "no traversal to /tmp"
bad_names=$(find "$DATA" -mindepth 1 | sed "s|^$DATA/||" |
    grep -Ev '^([A-Za-z0-9_%=-]+(/[A-Za-z0-9_%=-]+\.json|/\.lock)?|\.kss-layout)$')
is "$bad_names" "" "every path under KSS_DIR is .kss-layout or <encoded user>[/<encoded doc>.json|/.lock]"
deep=$(find "$DATA" -mindepth 3 | head -1)
is "$deep" "" "nothing deeper than user/document"
ok $(grep -rqF "$SECRET" "$DATA"; [ $? -eq 1 ]; echo $?) "no raw key anywhere on disk"
ok $(grep -rqF 'x-auth-key"' "$DATA"; [ $? -eq 1 ]; echo $?) "no auth.json holds a raw x-auth-key"
like "$(jq -r '."x-auth-key-hash"' "$DATA/eve/auth.json")" '^\$y\$' "credentials are yescrypt hashes"
mode=$(stat -c %a "$DATA")
is "$mode" 700 "KSS_DIR created 0700"

# --- the original kss's files ---
mkdir -p "$DATA/olduser"
printf '{"x-auth-user": "olduser", "x-auth-key": "%s"}' "$SECRET" >"$DATA/olduser/auth.json"
printf '{"document": "abc123", "progress": "/body/p[3]", "percentage": 0.42, "device": "kobo", "device_id": "X1", "timestamp": 1600000000}' \
    >"$DATA/olduser/abc123.json"
printf '{"document": "nulls", "progress": null, "percentage": null, "device": "kobo", "device_id": null, "extra": 1, "timestamp": 1600000001}' \
    >"$DATA/olduser/nulls.json"
as olduser wrong GET /users/auth
is "$STATUS" 401 "legacy account: a wrong key is refused"
ok $(grep -qF "$SECRET" "$DATA/olduser/auth.json"; echo $?) "and the raw key is left as it was"
as olduser $SECRET GET /users/auth
is "$STATUS" 200 "legacy account logs in with its raw key"
ok $(grep -qF "$SECRET" "$DATA/olduser/auth.json"; [ $? -eq 1 ]; echo $?) "whose auth.json is now rewritten hashed"
as olduser $SECRET GET /users/auth
is "$STATUS" 200 "and the same key still logs in"
as olduser $SECRET GET /syncs/progress/abc123
is "$BODY" '{"document":"abc123","percentage":0.42,"progress":"/body/p[3]","device":"kobo","device_id":"X1","timestamp":1600000000}' \
    "the original kss's document file reads"
as olduser $SECRET GET /syncs/progress/nulls
is "$BODY" '{"document":"nulls","device":"kobo","timestamp":1600000001}' "nulls and extra keys are left out"
as olduser $SECRET PUT /syncs/progress '{"document":"nulls","progress":"p","percentage":0.1,"device":"kobo"}'
as olduser $SECRET GET /syncs/progress/nulls
is "$(jf '[.progress,.percentage]')" '["p",0.1]' "and can be pushed over"
printf '{broken' >"$DATA/olduser/broken.json"
as olduser $SECRET GET /syncs/progress/broken
is "$STATUS $(jf .code)" "500 2000" "a corrupt record is a JSON 500"
like "$ERRLOG" 'broken.json' "with one log line naming the file"
as olduser $SECRET PUT /syncs/progress '{"document":"broken","progress":"fixed","percentage":0.5,"device":"kobo"}'
is "$STATUS" 200 "a push replaces a corrupt record"
like "$ERRLOG" 'replacing corrupt broken.json' "and says so in the log"
as olduser $SECRET GET /syncs/progress/broken
is "$(jf .progress)" '"fixed"' "which then reads back"
# A corrupt auth.json: that user's requests are a JSON 500 with a log
# line, nobody else's; the file is left for the owner to look at (a
# registration cannot take the name over), and the records stay.
register corrupt1 pass-c-71d0
as corrupt1 pass-c-71d0 PUT /syncs/progress '{"document":"kept","progress":"p","percentage":0.5,"device":"kobo"}'
printf '{"x-auth-user": "corr' >"$DATA/corrupt1/auth.json"
as corrupt1 pass-c-71d0 GET /users/auth
is "$STATUS $(jf .code)" "500 2000" "a corrupt auth.json: its user's login is a JSON 500"
like "$ERRLOG" 'corrupt1' "with a log line naming the user's folder"
as corrupt1 pass-c-71d0 GET /syncs/progress/kept
is "$STATUS $(jf .code)" "500 2000" "and so is a pull"
req POST /users/create '{"username":"corrupt1","password":"pass-c-71d0"}'
is "$STATUS $(jf .code) $(cat "$DATA/corrupt1/auth.json")" '500 2000 {"x-auth-user": "corr' \
    "nobody can register the name meanwhile: a JSON 500, the file as it was"
as olduser $SECRET GET /users/auth
is "$STATUS" 200 "another user logs in as before"
ok $(jq -e '.progress == "p"' "$DATA/corrupt1/kept.json" >/dev/null; echo $?) \
    "and the user's records stay as they were"

# --- symbolic links in the data folder are never followed (DESIGN §3) ---
# Someone with access to the folder (or a restored backup) put links where
# mallory's records and a user folder would be: to victim's record, and to
# a file outside KSS_DIR.
VKEY=victim-key-8d0c41
register victim "$VKEY"
register mallory "$SECRET"
as victim "$VKEY" PUT /syncs/progress '{"document":"vdoc","progress":"victim-page","percentage":0.25,"device":"V"}'
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$TMP/passwd"
cp "$TMP/passwd" "$TMP/passwd.orig"
cp "$DATA/victim/vdoc.json" "$TMP/vdoc.orig"
ln -s ../victim/vdoc.json "$DATA/mallory/stolen.json"
ln -s "$TMP/passwd" "$DATA/mallory/passwd.json"
for d in stolen passwd; do
	as mallory $SECRET GET /syncs/progress/$d
	like "$STATUS $BODY" '^(500 \{"code":2000,"message":"Unknown server error\."\}|200 \{\})$' \
	    "pull of a record that is a symlink ($d): a JSON 500 or {}, not the target"
	if [ "$STATUS" = 500 ]; then
		like "$ERRLOG" "$d\\.json" "and the log line names the file"
	else
		skip "a log line names the file" "answered $STATUS, no error"
	fi
	as mallory $SECRET PUT /syncs/progress "{\"document\":\"$d\",\"progress\":\"mallory-was-here\",\"percentage\":0.9,\"device\":\"M\"}"
	like "$STATUS $(jf .code)" '^(200 null|500 2000)$' "push onto a record that is a symlink ($d): 200 or a JSON 500 ($STATUS)"
done
ok $(cmp -s "$TMP/passwd" "$TMP/passwd.orig"; echo $?) "the file outside KSS_DIR is unchanged"
ok $(cmp -s "$DATA/victim/vdoc.json" "$TMP/vdoc.orig"; echo $?) "victim's record is unchanged"
as victim "$VKEY" GET /syncs/progress/vdoc
is "$(jf '[.progress,.device]')" '["victim-page","V"]' "and victim still pulls its own progress"
is "$(find "$DATA" -newer "$TMP/vdoc.orig" -type f -name '*.json' ! -path "$DATA/mallory/*" | wc -l)" 0 \
    "no other user's file was written"
ln -s victim "$DATA/linked"
as linked "$VKEY" GET /users/auth
like "$STATUS" '^(401|500)$' "a user folder that is a symlink to another's is not followed ($STATUS)"
as linked "$VKEY" GET /syncs/progress/vdoc
ok $([ "$STATUS $(jf .progress)" != '200 "victim-page"' ]; echo $?) "nor read through ($STATUS $BODY)"
rm "$DATA/mallory/stolen.json" "$DATA/mallory/passwd.json" "$DATA/linked"

# --- a username whose encoded name is too long for a file name (3-byte
# characters, 128 bytes: 42 × "€" + "ab", 380 bytes encoded) is stored as
# "=" + SHA-256, with the real name inside, from registration to delete ---
LU=$(printf '€%.0s' $(seq 42))ab
LKEY=long-user-key-3e9a51
is "$(printf '%s' "$LU" | wc -c)" 128 "the long name is 128 bytes"
HASH=$(printf '%s' "$LU" | sha256sum | cut -c1-64 | tr a-f A-F)
ls -A "$DATA" >"$TMP/before"
req POST /users/create "{\"username\":\"$LU\",\"password\":\"$LKEY\"}"
is "$STATUS $(jf .username)" "201 \"$LU\"" "register a 128-byte name of 3-byte characters"
is "$(ls -A "$DATA" | comm -13 "$TMP/before" -)" "=$HASH" "its folder is '=' and the SHA-256 of the name, nothing else"
is "$(jq -r '."x-auth-user"' "$DATA/=$HASH/auth.json" 2>/dev/null)" "$LU" "whose auth.json holds the real name in x-auth-user"
as "$LU" $LKEY GET /users/auth
is "$STATUS" 200 "log in"
as "$LU" $LKEY PUT /syncs/progress '{"document":"longdoc","progress":"lp","percentage":0.5,"device":"K"}'
is "$STATUS" 200 "push"
ok $([ -f "$DATA/=$HASH/longdoc.json" ]; echo $?) "the record is in the digest-named folder"
as "$LU" $LKEY GET /syncs/progress/longdoc
is "$STATUS $(jf .progress)" '200 "lp"' "pull"
as "${LU%b}" $LKEY GET /users/auth
is "$STATUS" 401 "a name one byte shorter is another (unknown) user"
req POST /users/create "{\"username\":\"$LU\",\"password\":\"other-$LKEY\"}"
err_is 402 2002 'Username is already registered.' "the long name is taken"
as "$LU" $LKEY PUT /users/password '{"password":"long-user-new-7f20c4"}'
is "$STATUS $BODY" '200 {"updated":true}' "change the password"
as "$LU" $LKEY GET /users/auth
is "$STATUS" 401 "the old one is refused"
as "$LU" long-user-new-7f20c4 GET /users/auth
is "$STATUS" 200 "the new one logs in"
is "$(jq -r '."x-auth-user"' "$DATA/=$HASH/auth.json" 2>/dev/null)" "$LU" "auth.json still holds the real name"
as "$LU" long-user-new-7f20c4 DELETE /users/me
is "$STATUS $BODY" '200 {"deleted":true}' "delete the account"
is "$(ls -A "$DATA" | comm -13 "$TMP/before" -)" "" "its folder is gone, and nothing hidden is left"
as "$LU" long-user-new-7f20c4 GET /users/auth
is "$STATUS" 401 "and it no longer logs in"
req POST /users/create "{\"username\":\"$(printf '€%.0s' $(seq 43))\",\"password\":\"$LKEY\"}"
err_is 403 2003 'Invalid request' "a 129-byte name is refused"

# --- configuration and data directory errors ---
req KSS_DIR=/proc/kss-cannot GET /healthcheck
is "$STATUS $(jf .code)" "500 2000" "an uncreatable KSS_DIR is a JSON 500"
like "$ERRLOG" '^kss: data directory /proc/kss-cannot \(KSS_DIR\) unusable' "and one clear log line"
is "$(printf '%s\n' "$ERRLOG" | wc -l)" 1 "exactly one"
: >"$TMP/afile"
req "KSS_DIR=$TMP/afile" GET /users/auth
is "$STATUS $(jf .code)" "500 2000" "a KSS_DIR that is a file is a JSON 500"
if [ "$(id -u)" -ne 0 ]; then
	mkdir -m 500 "$TMP/ro"
	req "KSS_DIR=$TMP/ro" GET /healthcheck
	is "$STATUS" 200 "a read-only KSS_DIR: healthcheck answers"
	req "KSS_DIR=$TMP/ro" POST /users/create '{"username":"a","password":"pass-b-6a2e"}'
	is "$STATUS $(jf .code)" "500 2000" "a read-only KSS_DIR: a registration is a JSON 500"
else
	mkdir "$TMP/ro" && chattr +i "$TMP/ro" 2>/dev/null && immutable=1 || immutable=0
	if [ $immutable -eq 1 ]; then
		req "KSS_DIR=$TMP/ro" POST /users/create '{"username":"a","password":"pass-b-6a2e"}'
		is "$STATUS $(jf .code)" "500 2000" "an unwritable (immutable) KSS_DIR is a JSON 500"
		chattr -i "$TMP/ro"
	else
		req "KSS_DIR=/proc/self" POST /users/create '{"username":"a","password":"pass-b-6a2e"}'
		is "$STATUS $(jf .code)" "500 2000" "an unwritable KSS_DIR (/proc/self) is a JSON 500"
	fi
fi
# KSS_DIR itself may be a link (the owner's own path: /var/lib/kss to
# another disk, say), followed as any path the owner configures; a
# dangling one is a JSON 500, and nothing is made where it points. A
# missing one is made, its parents too.
mkdir -m 700 "$TMP/real"
ln -s "$TMP/real" "$TMP/linked"
req "KSS_DIR=$TMP/linked" POST /users/create '{"username":"lnk","password":"pass-l-3c9d"}'
is "$STATUS" 201 "a KSS_DIR that links to a folder serves that folder"
ok $([ -f "$TMP/real/lnk/auth.json" ]; echo $?) "the account is in the folder linked to"
ln -s "$TMP/nowhere/data" "$TMP/dangling"
req "KSS_DIR=$TMP/dangling" POST /users/create '{"username":"lnk","password":"pass-l-3c9d"}'
is "$STATUS $(jf .code)" "500 2000" "a KSS_DIR that is a dangling link is a JSON 500"
like "$ERRLOG" "^kss: data directory $TMP/dangling \(KSS_DIR\) unusable" "with a log line"
ok $([ ! -e "$TMP/nowhere" ]; echo $?) "and nothing is made where it points"
req "KSS_DIR=$TMP/made/data" POST /users/create '{"username":"lnk","password":"pass-l-3c9d"}'
is "$STATUS $(stat -c %a "$TMP/made/data" 2>&1)" "201 700" "a missing KSS_DIR is made, 0700"
# A data folder open to other users (made under umask 022, or by the
# original kss): made 0700 when kss's user owns it, said once. (A new
# folder's first request also says it wrote .kss-layout.)
but_layout() { grep -v '(\.kss-layout written)$' <<<"$ERRLOG" || true; }
mkdir -m 755 "$TMP/open"
req "KSS_DIR=$TMP/open" GET /healthcheck
is "$STATUS $(stat -c %a "$TMP/open")" "200 700" "a data folder open to other users is made 0700"
is "$(but_layout)" "kss: data folder $TMP/open was 0755, open to other users: made it 0700 (README, Deploying)" \
    "in one line"
req "KSS_DIR=$TMP/open" GET /healthcheck
is "$STATUS $ERRLOG" "200 " "once: then it is 0700"
mkdir -m 2750 "$TMP/group"
req "KSS_DIR=$TMP/group" GET /healthcheck
is "$STATUS $(stat -c %a "$TMP/group")" "200 2700" "open to its group: made 0700 too (the setgid bit kept)"
if [ "$(id -u)" -eq 0 ]; then
	# Another user's folder: served (root may), said each time, left.
	mkdir -m 755 "$TMP/theirs"
	chown 65534:65534 "$TMP/theirs"
	for i in 1 2; do
		req "KSS_DIR=$TMP/theirs" GET /healthcheck
		is "$STATUS $(stat -c %a "$TMP/theirs")|$(but_layout)" "200 755|kss: data folder $TMP/theirs is 0755: other users can see who has an account there; make it 0700, owned by kss's user (kss's user does not own it)" \
		    "a folder kss does not own, open to others: left, and said ($i)"
	done
	# Reached through its group (root:www-data 0770): nothing to say.
	mkdir -m 770 "$TMP/shared"
	chown 65534:65534 "$TMP/shared"
	req "KSS_DIR=$TMP/shared" GET /healthcheck
	is "$STATUS $(stat -c %a "$TMP/shared")|$(but_layout)" "200 770|" \
	    "a folder kss does not own, open to its group only: left, nothing said"
else
	skip "a folder kss does not own, open to others: left, and said (1)" "not root"
	skip "a folder kss does not own, open to others: left, and said (2)" "not root"
	skip "a folder kss does not own, open to its group only" "not root"
fi

# kss serving as root says so, one line at each start, not to be missed
# in the web server's log (lighttpd started as root without
# server.username); as any other user it says nothing.
root_lines() {	# root_lines [WRAPPER...]: the root lines of a healthcheck
	local sans=()
	mapfile -t sans < <(san_env)
	env -i ${sans[@]+"${sans[@]}"} KSS_DIR="$TMP/rootcheck" KSS_LOGIN_LIMIT=off \
	    KSS_AUTH_CACHE=false REQUEST_METHOD=GET PATH_INFO=/healthcheck \
	    "$@" "$KSS_BIN" 2>&1 >/dev/null | grep -cF "$ROOT_WARNING"
}
install -d -m 711 "$TMP"
install -d -m 700 "$TMP/rootcheck"
if [ "$(id -u)" -eq 0 ]; then
	is "$(root_lines)" 1 "as root: one line saying so"
	chown 65534:65534 "$TMP/rootcheck"
	if command -v setpriv >/dev/null; then
		is "$(root_lines setpriv --reuid=65534 --regid=65534 --clear-groups)" 0 \
		    "as another user: nothing said"
	else
		skip "as another user: nothing said" "no setpriv"
	fi
else
	is "$(root_lines)" 0 "as another user: nothing said"
	if unshare -r true 2>/dev/null; then
		is "$(root_lines unshare -r)" 1 "as root (of a user namespace): one line saying so"
	else
		skip "as root: one line saying so" "not root, and no user namespace"
	fi
fi
# The data folder when KSS_DIR is unset: the configure --with-default-dir,
# else the original kss's. --help says which this build uses.
kss_run -- --help >"$TMP/help"
is "$?" 0 "--help exits 0"
default=$(sed -n 's/^Data directory when KSS_DIR is unset: //p' "$TMP/help")
like "$default" '^(/.+|\$XDG_DATA_HOME/kss, else \$HOME/\.local/share/kss)$' \
    "--help names the data folder used when KSS_DIR is unset ($default)"
# post_bare BODY [VAR=value ...]: POST /users/create with only those
# variables, no KSS_DIR.
post_bare() {
	local body=$1
	shift
	secret "$(printf '%s' "$body" | jq -r .password)"
	printf '%s' "$body" >"$TMP/body"
	raw_req REQUEST_METHOD=POST PATH_INFO=/users/create \
	    CONTENT_LENGTH="$(wc -c <"$TMP/body")" KSS_HASH_COST=1 "$@" <"$TMP/body"
}
case $default in
/*)
	# The folder outlives the test (.ci/run: _ci/default-dir): a name
	# of this run only, deleted at the end.
	u=default-dir-$$-$RANDOM
	post_bare "{\"username\":\"$u\",\"password\":\"key-dd-5b0e\"}" HOME="$TMP/home" \
	    XDG_DATA_HOME="$TMP/xdg"
	ok $([ "$STATUS" = 201 ] && [ -f "$default/$u/auth.json" ]; echo $?) \
	    "built --with-default-dir: a registration without KSS_DIR lands in $default"
	ok $([ ! -e "$TMP/home" ] && [ ! -e "$TMP/xdg" ]; echo $?) \
	    "and neither HOME nor XDG_DATA_HOME is used"
	raw_req REQUEST_METHOD=DELETE PATH_INFO=/users/me HTTP_X_AUTH_USER="$u" \
	    HTTP_X_AUTH_KEY=key-dd-5b0e </dev/null
	ok $([ "$STATUS" = 200 ] && [ ! -e "$default/$u" ]; echo $?) \
	    "the account is deleted from $default again"
	for t in "no KSS_DIR and no HOME: JSON 500" "and the log says to set KSS_DIR" \
	    "default KSS_DIR is ~/.local/share/kss" "or \$XDG_DATA_HOME/kss"; do
		skip "$t" "built --with-default-dir=$default"
	done
	;;
*)
	skip "a registration without KSS_DIR lands in the configure --with-default-dir" \
	    "not configured with --with-default-dir (.ci/run's sanitize build is)"
	raw_req REQUEST_METHOD=GET PATH_INFO=/healthcheck </dev/null
	is "$STATUS $(jf .code)" "500 2000" "no KSS_DIR and no HOME: JSON 500"
	like "$ERRLOG" 'KSS_DIR is not set' "and the log says to set KSS_DIR"
	post_bare '{"username":"h","password":"key-h-73be"}' HOME="$TMP/home"
	ok $([ "$STATUS" = 201 ] && [ -f "$TMP/home/.local/share/kss/h/auth.json" ]; echo $?) "default KSS_DIR is ~/.local/share/kss"
	post_bare '{"username":"x","password":"key-h-73be"}' HOME="$TMP/home" \
	    XDG_DATA_HOME="$TMP/xdg"
	ok $([ "$STATUS" = 201 ] && [ -f "$TMP/xdg/kss/x/auth.json" ]; echo $?) "or \$XDG_DATA_HOME/kss"
	;;
esac
for c in 0 12 abc 5x; do
	req "KSS_HASH_COST=$c" GET /healthcheck
	is "$STATUS $(jf .code)" "500 2000" "KSS_HASH_COST=$c is a clear server error"
done
like "$ERRLOG" 'KSS_HASH_COST must be' "naming the variable"
req KSS_HASH_COST= POST /users/create '{"username":"defaultcost","password":"key-h-73be"}'
like "$(jq -r '."x-auth-key-hash"' "$DATA/defaultcost/auth.json")" '^\$y\$j9T\$' "default cost is yescrypt's 5 (j9T)"

# --- the executable ---
kss_run -- --bogus >/dev/null
is "$?" 2 "an unknown option exits 2"
like "$ERRLOG" '^kss: unknown option --bogus' "naming it"
raw_req KSS_DIR="$DATA" REQUEST_METHOD=GET PATH_INFO=/healthcheck -- --cgi </dev/null
is "$STATUS" 200 "--cgi forces CGI"

done_testing
