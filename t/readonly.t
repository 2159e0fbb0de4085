#!/bin/bash
# Black-box: KSS_DIR on a read-only file system (a disk remounted
# read-only after errors, a backup served as it is): healthcheck, logins
# and pulls answer from what is stored; every write answers 500 JSON with
# a log line saying why; a legacy raw key that cannot be rewritten still
# logs in. A read-only bind mount in a mount namespace of its own, so the
# mount goes away with the test whatever happens.
T_WANT_MOUNT_NS=1
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"

[ -n "${T_MOUNT_NS:-}" ] ||
	skip_all "needs root and unshare -m for a read-only bind mount"

KEY=r3adonlyk3yr3adonlyk3yr3adonly00
LEGACY=l3gacyrawk3yl3gacyrawk3yl3gacy00
register rita $KEY
as rita $KEY PUT /syncs/progress \
    '{"document":"book","progress":"p1","percentage":0.25,"device":"kobo","device_id":"D1"}'
is "$STATUS" 200 "a push while the folder is writable"
# An account of the original kss: its raw key, which a login rewrites.
mkdir "$DATA/olga"
printf '{"x-auth-user": "olga", "x-auth-key": "%s"}' "$LEGACY" >"$DATA/olga/auth.json"
# And a backup of the original kss's folder, which kss never wrote.
mkdir -p "$TMP/backup/olga"
cp "$DATA/olga/auth.json" "$TMP/backup/olga/"
printf '{"document": "old", "progress": "p0", "percentage": 0.5, "device": "k", "timestamp": 1}' \
    >"$TMP/backup/olga/old.json"

before=$(cd "$DATA" && find . -type f -exec cksum {} + | sort)
mount --bind "$DATA" "$DATA" && mount -o remount,bind,ro "$DATA" ||
	skip_all "cannot make a read-only bind mount here"
T_CLEANUP='umount "$DATA" "$TMP/backup" 2>/dev/null'
mount --bind "$TMP/backup" "$TMP/backup" &&
	mount -o remount,bind,ro "$TMP/backup" ||
	skip_all "cannot make a second read-only bind mount here"
touch "$DATA/probe" 2>/dev/null
ok $([ ! -e "$DATA/probe" ]; echo $?) "the data folder is read-only"

req GET /healthcheck
is "$STATUS $BODY" '200 {"state":"OK"}' "healthcheck"
as rita $KEY GET /users/auth
is "$STATUS" 200 "a login"
is "$ERRLOG" "" "without a log line"
as rita $KEY GET /syncs/progress/book
is "$STATUS $(jf '[.progress, .device_id]')" '200 ["p1","D1"]' "a pull"
as rita wrongkey000000 GET /users/auth
is "$STATUS" 401 "a wrong key is still refused"

as rita $KEY PUT /syncs/progress '{"document":"book","progress":"p2","percentage":0.5,"device":"pb"}'
err_is 500 2000 'Unknown server error.' "a push: 500 JSON"
like "$ERRLOG" 'Read-only file system' "with a log line saying why"
req POST /users/create '{"username":"rolf","password":"rolfpassword1"}'
err_is 500 2000 'Unknown server error.' "a registration: 500 JSON"
like "$ERRLOG" 'Read-only file system' "with a log line saying why"
as rita $KEY PUT /users/password '{"password":"n3wr3adonlyk3y00"}'
err_is 500 2000 'Unknown server error.' "a password change: 500 JSON"
like "$ERRLOG" 'Read-only file system' "with a log line saying why"
as rita $KEY DELETE /users/me
err_is 500 2000 'Unknown server error.' "a delete: 500 JSON"
like "$ERRLOG" 'Read-only file system' "with a log line saying why"
as olga $LEGACY GET /users/auth
is "$STATUS" 200 "a legacy raw key that cannot be rewritten still logs in"
like "$ERRLOG" 'lock of olga: Read-only file system' "and the store says why it was not rewritten"
is "$(cd "$DATA" && find . -type f -exec cksum {} + | sort)" "$before" \
    "every stored file is as it was"

# The original kss's folder, never written by kss: no .kss-layout, and
# none can be made. Reads go on; writes say why they cannot.
as olga $LEGACY KSS_DIR="$TMP/backup" GET /syncs/progress/old
is "$STATUS $(jf .progress)" '200 "p0"' "a backup never written by kss: a pull"
as olga $LEGACY KSS_DIR="$TMP/backup" PUT /syncs/progress \
    '{"document":"old","progress":"p1","percentage":0.5,"device":"k"}'
err_is 500 2000 'Unknown server error.' "a push: 500 JSON"
like "$ERRLOG" '\.kss-layout: Read-only file system' "saying why"

done_testing
