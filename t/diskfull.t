#!/bin/bash
# Black-box: KSS_DIR on a small tmpfs that fills up - a real ENOSPC from the
# kernel, not an injected one. Every write answers 500 JSON with a log
# line, nothing stored is lost or cut, no temporary file stays behind, and
# the server works again once there is room. Runs in a mount namespace of
# its own, so the tmpfs goes away with the test whatever happens.
T_WANT_MOUNT_NS=1
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"

[ -n "${T_MOUNT_NS:-}" ] ||
	skip_all "needs root and unshare -m to mount a small tmpfs"
mkdir -p "$DATA"
mount -t tmpfs -o size=256k,mode=0700 kss-diskfull "$DATA" ||
	skip_all "cannot mount a tmpfs here"
T_CLEANUP='umount "$DATA" 2>/dev/null'

KEY=d1skfu11d1skfu11d1skfu11d1skfu11
NEWKEY=n3wk3yn3wk3yn3wk3yn3wk3yn3wk3y00
register dora $KEY
as dora $KEY PUT /syncs/progress \
    '{"document":"book","progress":"p1","percentage":0.25,"device":"kobo","device_id":"D1","metadata":{"title":"T"}}'
is "$STATUS" 200 "a push while there is room"

# Fill the file system to the last block.
dd if=/dev/zero of="$DATA/filler" bs=4k 2>/dev/null
avail=$(df --output=avail -k "$DATA" | tail -1 | tr -d ' ')
is "$avail" 0 "the data folder's file system is full"

for i in 1 2 3; do
	as dora $KEY PUT /syncs/progress \
	    '{"document":"book","progress":"p2","percentage":0.5,"device":"pb"}'
	err_is 500 2000 'Unknown server error.' "push $i on a full disk: 500 JSON"
done
like "$ERRLOG" 'No space left on device' "and one log line says why ($ERRLOG)"
as dora $KEY GET /syncs/progress/book
is "$STATUS $(jf '[.progress, .device_id, .metadata.title]')" '200 ["p1","D1","T"]' \
    "the stored record is whole"
req POST /users/create '{"username":"erin","password":"erinpassword1"}'
err_is 500 2000 'Unknown server error.' "registration on a full disk: 500 JSON"
req POST /users/create '{"username":"erin","password":"erinpassword1"}'
err_is 500 2000 'Unknown server error.' "and again (nothing half-made blocks it)"
as dora $KEY PUT /users/password "{\"password\":\"$NEWKEY\"}"
err_is 500 2000 'Unknown server error.' "password change on a full disk: 500 JSON"
as dora $KEY GET /users/auth
is "$STATUS" 200 "the old key still logs in"
left=$(find "$DATA" -name '.tmp-*' -o -name '.new-*' | wc -l)
is "$left" 0 "no temporary file or folder left behind"

rm -f "$DATA/filler"
as dora $KEY PUT /syncs/progress \
    '{"document":"book","progress":"p3","percentage":0.75,"device":"pb"}'
is "$STATUS" 200 "with room again, a push works"
as dora $KEY GET /syncs/progress/book
is "$(jf '[.progress, .device_id, .metadata.title]')" '["p3","D1","T"]' \
    "and merges with the record kept through the full disk"
req POST /users/create '{"username":"erin","password":"erinpassword1"}'
is "$STATUS" 201 "registration works again"

done_testing
