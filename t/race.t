#!/bin/bash
# Concurrency: racing registrations of one name, and pushes racing pulls
# of one document (DESIGN.md §3: atomic registration, whole files).
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
done_testing
