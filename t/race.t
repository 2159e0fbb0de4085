#!/bin/bash
# Concurrency: racing registrations of one name, pushes racing pulls of
# one document, racing password changes, a delete racing pushes
# (DESIGN.md §3: atomic registration and account changes, whole files).
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"

command -v flock >/dev/null || skip_all "flock (util-linux) not installed"

# A barrier: every racer waits on a shared lock that the test holds, so
# all 50 start together when it lets go.
exec 4>"$TMP/barrier"
flock -x 4
mkdir "$TMP/res"
for i in $(seq 50); do
	(
		flock -s "$TMP/barrier" true
		req KSS_HASH_COST=3 POST /users/create '{"username":"race","password":"race-pw-'$i'-7d3e"}'
		echo "$STATUS" >"$TMP/res/$i"
	) 4>&- &
done
flock -u 4
wait
wins=$(cat "$TMP"/res/* | grep -c '^201$')
losses=$(cat "$TMP"/res/* | grep -c '^402$')
is "$wins" 1 "50 racing registrations of one name: exactly one 201"
is "$losses" 49 "and 49 answers 402"
winner=$(grep -l '^201$' "$TMP"/res/* | xargs -n1 basename)
as race "race-pw-$winner-7d3e" GET /users/auth
is "$STATUS" 200 "the winner's key is the one stored"
left=$(find "$DATA" -mindepth 1 -maxdepth 1 -name '.*' ! -name .kss-layout | wc -l)
is "$left" 0 "no temporary directories left behind"

# Pushes racing pulls of one document.
RK=reader-key-0c4d8a
register reader $RK
DOC=0b229176d4e8db7f6d2b5a4952368d7a
as reader $RK PUT /syncs/progress "{\"document\":\"$DOC\",\"progress\":\"w0-0\",\"percentage\":0,\"device\":\"K\"}"
FILE=$DATA/reader/$DOC.json
N=150
writer() {
	local i fails=0
	for i in $(seq $N); do
		as reader $RK PUT /syncs/progress "{\"document\":\"$DOC\",\"progress\":\"w$1-$i\",\"percentage\":0.$i,\"device\":\"K$1\",\"device_id\":\"D$1\"}"
		[ "$STATUS" = 200 ] || fails=$((fails + 1))
	done
	echo $fails >"$TMP/res/writer$1"
}
reader() {
	local i fails=0
	for i in $(seq $N); do
		as reader $RK GET /syncs/progress/$DOC
		if [ "$STATUS" != 200 ] ||
		    ! printf '%s' "$BODY" | jq -e '(.percentage|type) == "number" and (.progress|test("^w[0-9]-[0-9]+$"))' >/dev/null; then
			fails=$((fails + 1))
			echo "# bad pull: $STATUS $BODY"
		fi
	done
	echo $fails >"$TMP/res/reader$1"
}
filecheck() {
	local i fails=0
	for i in $(seq $((2 * N))); do
		jq -e '.document' "$FILE" >/dev/null 2>&1 || fails=$((fails + 1))
	done
	echo $fails >"$TMP/res/file"
}
writer 1 & writer 2 & reader 1 & reader 2 & filecheck &
wait
is "$(cat "$TMP/res/writer1") $(cat "$TMP/res/writer2")" "0 0" "$((2 * N)) pushes all 200"
is "$(cat "$TMP/res/reader1") $(cat "$TMP/res/reader2")" "0 0" "$((2 * N)) racing pulls all 200 with whole, valid JSON"
is "$(cat "$TMP/res/file")" 0 "the record file was whole at every one of $((2 * N)) reads"
as reader $RK GET /syncs/progress/$DOC
like "$(jf '.progress')" "^\"w[12]-$N\"$" "the last write won"
is "$(jf '[(.device|ltrimstr("K")), (.device_id|ltrimstr("D"))] | .[0] == .[1]')" true \
    "device and device_id come from the same push"
left=$(find "$DATA/reader" -name '.*' ! -name .lock | wc -l)
is "$left" 0 "no temporary files left behind"

# start_barrier / release: racers started in between wait on a shared lock
# the test holds, so all start together when it lets go (see above).
start_barrier() {
	rm -rf "$TMP/res"
	mkdir "$TMP/res"
	exec 4>"$TMP/barrier"
	flock -x 4
}
release() {
	flock -u 4
	exec 4>&-
	wait
}
# race N FUNC: N racers run FUNC I (I = 1..N) all at once, each writing
# the STATUS it got to $TMP/res/I.
race() {
	local n=$1 f=$2 i
	start_barrier
	for i in $(seq "$n"); do
		(
			flock -s "$TMP/barrier" true
			"$f" "$i"
			echo "$STATUS" >"$TMP/res/$i"
		) 4>&- &
	done
	release
}

# Password changes racing with the same current key: the change is a
# compare-and-swap under the user's lock, so exactly one wins and every
# other racer, whose current key is then stale, gets 401.
PK=pw-race-old-5e2a17
req KSS_HASH_COST=3 POST /users/create "{\"username\":\"pwrace\",\"password\":\"$PK\"}"
is "$STATUS" 201 "a user for the password race"
NP=12
change_password() {
	as pwrace $PK PUT /users/password "{\"password\":\"pw-race-new-$1-b81f\"}"
}
race $NP change_password
is "$(cat "$TMP"/res/* | grep -c '^200$')" 1 "$NP racing password changes: exactly one 200"
is "$(cat "$TMP"/res/* | grep -c '^401$')" $((NP - 1)) "and $((NP - 1)) answers 401"
winner=$(grep -l '^200$' "$TMP"/res/* | xargs -n1 basename)
as pwrace "pw-race-new-$winner-b81f" GET /users/auth
is "$STATUS" 200 "the winner's new password logs in"
as pwrace $PK GET /users/auth
is "$STATUS" 401 "the old one does not"
others=0
for i in $(seq $NP); do
	[ "$i" = "$winner" ] && continue
	as pwrace "pw-race-new-$i-b81f" GET /users/auth
	[ "$STATUS" = 401 ] || others=$((others + 1))
done
is "$others" 0 "nor any loser's"

# A delete racing pushes of the same user: the account goes entirely, in
# one step, and no push fails with a server error or writes it back.
DK=del-race-key-6f31a9
register delrace $DK
as delrace $DK PUT /syncs/progress '{"document":"d0","progress":"p","percentage":0.1,"device":"K"}'
is "$STATUS" 200 "a user with a record"
NPUSH=4 NEACH=15
start_barrier
for w in $(seq $NPUSH); do
	(
		flock -s "$TMP/barrier" true
		for i in $(seq $NEACH); do
			as delrace $DK PUT /syncs/progress "{\"document\":\"d$((i % 3))\",\"progress\":\"w$w-$i\",\"percentage\":0.5,\"device\":\"K$w\"}"
			echo "$STATUS" >>"$TMP/res/push$w"
		done
	) 4>&- &
done
(
	flock -s "$TMP/barrier" true
	# Let the pushers get going first: the delete lands among them.
	for i in $(seq 200); do
		[ "$(cat "$TMP"/res/push* 2>/dev/null | wc -l)" -ge $NPUSH ] && break
		sleep 0.01
	done
	as delrace $DK DELETE /users/me
	echo "$STATUS" >"$TMP/res/delete"
) 4>&- &
release
is "$(cat "$TMP/res/delete")" 200 "the delete answered 200"
is "$(cat "$TMP"/res/push* | wc -l)" $((NPUSH * NEACH)) "$((NPUSH * NEACH)) racing pushes answered"
is "$(cat "$TMP"/res/push* | grep -cv '^\(200\|401\)$')" 0 \
    "every one 200 or 401, none 500 ($(cat "$TMP"/res/push* | sort | uniq -c | tr -s ' \n' ' '))"
ok $([ ! -e "$DATA/delrace" ]; echo $?) "the user's folder is gone"
is "$(find "$DATA" -mindepth 1 \( -name '.tmp-*' -o -name '.del-*' -o -name '.new-*' \) | wc -l)" 0 \
    "and nothing hidden (.tmp-*, .del-*, .new-*) is left in KSS_DIR"
as delrace $DK GET /users/auth
is "$STATUS" 401 "the account cannot log in"
as delrace $DK GET /syncs/progress/d1
is "$STATUS" 401 "nor pull"
# Pushes of different documents of one user run at once (each holds the
# account shared and only its document's lock): every one lands, whole,
# in its own record.
MK=many-docs-key-2c9e41
register manydocs $MK
NM=16
many_push() {
	as manydocs $MK PUT /syncs/progress "{\"document\":\"m$1\",\"progress\":\"p$1\",\"percentage\":0.5,\"device\":\"K\",\"device_id\":\"D$1\"}"
}
race $NM many_push
is "$(cat "$TMP"/res/* | grep -c '^200$')" $NM "$NM racing pushes of $NM documents of one user: every one 200"
bad=0
for i in $(seq $NM); do
	got=$(jq -r '.document + " " + .progress + " " + .device_id' "$DATA/manydocs/m$i.json" 2>/dev/null)
	[ "$got" = "m$i p$i D$i" ] || { bad=$((bad + 1)); echo "# m$i.json: $got"; }
done
is "$bad" 0 "each record whole and its own"

# First pushes of an account of the original kss, racing: each verifies
# the raw key and rewrites it hashed; one rewrite wins, the others adopt
# the winner's hash (their key matches it), so every push lands.
LK=legacy-raw-key-61b7c3
mkdir -p "$DATA/legacy"
printf '{"x-auth-user": "legacy", "x-auth-key": "%s"}' "$LK" >"$DATA/legacy/auth.json"
NL=12
first_push() {
	as legacy $LK PUT /syncs/progress "{\"document\":\"l$1\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"K\"}"
}
race $NL first_push
is "$(cat "$TMP"/res/* | grep -c '^200$')" $NL \
    "$NL racing first pushes of a raw-key account: every one 200 ($(cat "$TMP"/res/* | sort | uniq -c | tr -s ' \n' ' '))"
is "$(ls "$DATA/legacy" | grep -c '^l[0-9]*\.json$')" $NL "and every record stored"
is "$(jq -r 'has("x-auth-key-hash") and (has("x-auth-key") | not)' "$DATA/legacy/auth.json")" true \
    "the key is stored hashed"
as legacy $LK GET /users/auth
is "$STATUS" 200 "and still logs in"

done_testing
