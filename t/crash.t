#!/bin/bash
# Crash consistency: kss killed (SIGKILL) mid-write, over a thousand times.
# As CGI, at every system call of a push (of a new document, over a
# record, over a corrupt record), a registration, a password change and a
# delete, in turn (strace kills it as the call starts); as FastCGI, at
# random moments while pushes and registrations are in flight on several
# threads. After every kill: every record and every auth.json in KSS_DIR
# parses and is whole (the fields of one push, never of two), a document
# holds the record it held or the one sent, an account is whole or absent;
# and what killed writers leave behind stays bounded, then is swept.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
trap '' PIPE

command -v cgi-fcgi >/dev/null || skip_all "cgi-fcgi (Debian: libfcgi-bin) not installed"
[ -x "${T_BUILDDIR:-$(dirname "$KSS_BIN")/../t}/crash_check" ] ||
    skip_all "t/crash_check not built (make check builds it)"

# Rounds of the FastCGI part (KSS_CRASH_ROUNDS; fewer skip the count of
# 1,000 kills); the CGI part kills once per system call.
ROUNDS=${KSS_CRASH_ROUNDS:-600}
KEY=crash-key-5d0c3a
KEY2=crash-key2-81fe4b
secret "$KEY"
secret "$KEY2"
KILLS=0
N=0	# the number of the next push: its fields all say it
EXTRA=()	# more environment for the runs killed by strace
# A pause without a process of its own (the random moment of a FastCGI
# kill): a read that times out on a FIFO nobody writes.
mkfifo "$TMP/never"
exec 9<>"$TMP/never"

# body DOC: B becomes a push of DOC whose fields all carry one number,
# N, so that a record mixing two pushes shows.
body() {
	N=$((N + 1))
	printf -v B '{"document":"%s","progress":"%s:%d","percentage":0.%06d,"device":"dev-%d","device_id":"id-%d"}' \
	    "$1" "$1" "$N" "$N" "$N" "$N"
}

# send [VAR=value...] METHOD PATH BODY: one request through RUN, whose
# answer and exit status do not matter (it may be killed); its exit
# status in RC.
send() {
	local vars=() envs=()
	while [[ $1 == *=* ]]; do
		vars+=("$1")
		shift
	done
	mapfile -t envs < <(base_env)
	envs+=("${EXTRA[@]}")
	RC=0
	# 2>/dev/null: no "Killed" from bash; kss's stderr is kept.
	printf '%s' "$3" | kss_run "${envs[@]}" "${vars[@]}" REQUEST_METHOD="$1" \
	    PATH_INFO="$2" CONTENT_LENGTH=${#3} >/dev/null 2>/dev/null || RC=$?
}

# whole: what in KSS_DIR is not whole, one a line (t/crash_check.c
# says what that means); SKIP names a record a test made corrupt.
CHECK=${T_BUILDDIR:-$(dirname "$KSS_BIN")/../t}/crash_check
SKIP=
whole() {
	"$CHECK" "$DATA" ${SKIP:+"$SKIP"}
}

# left [DIR]: the names of kss's leftovers (.tmp-, .new-, .del-) in DIR
# (KSS_DIR by default) and its user folders.
left() {
	find "${1:-$DATA}" -maxdepth 2 \( -name '.tmp-*' -o -name '.new-*' \
	    -o -name '.del-*' \) | wc -l
}

# direct COMMAND...: COMMAND with requests run as plain CGI, whatever RUN
# is (a scenario's set-up and checks are never killed).
direct() {
	local saved=("${RUN[@]}")
	RUN=("$KSS_BIN")
	"$@"
	RUN=("${saved[@]}")
}

# progress_of USER DOC: the stored record's progress, "none" without a
# record, "other" for a record without one (whole tells whether it
# parses).
progress_of() {
	local f=$DATA/$1/$2.json text
	[ -e "$f" ] || { echo none; return; }
	text=$(<"$f")
	if [[ $text =~ \"progress\":\"([^\"]*)\" ]]; then
		echo "${BASH_REMATCH[1]}"
	else
		echo other
	fi
}

# ---- CGI: a kill at every system call -------------------------------
#
# A scenario is a function that makes one request through RUN and then
# leaves in BAD what is wrong with the store (nothing when all is well). kill_all SCENARIO runs it once under strace to count its system
# calls, then once killed at the start of each (strace's inject counts
# calls of each name apart: the j-th read, the j-th write, ...).
CGI_BAD=0
kill_all() {
	local sc=$1 name count j calls=0 killed=0
	# LeakSanitizer cannot run under ptrace (its exit spins a varying
	# number of sched_yield calls); each run is bounded.
	[ -z "${ASAN_OPTIONS:-}" ] ||
	    EXTRA=("ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0")
	RUN=(timeout 20 strace -f -qq -o "$TMP/trace" "$KSS_BIN")
	BAD=
	"$sc"
	# Every call but the loader's and the allocator's: a kill there
	while read -r count name; do
		for j in $(seq "$count"); do
			RUN=(timeout 20 strace -f -qq -o /dev/null \
			    -e inject="$name":signal=KILL:when="$j" "$KSS_BIN")
			calls=$((calls + 1))
			BAD=
			"$sc"
			[ "$RC" = 137 ] && killed=$((killed + 1))
			if [ -n "$BAD" ]; then
				CGI_BAD=$((CGI_BAD + 1))
				echo "# $sc, killed at $name #$j: $BAD"
			fi
		done
	done < <(sed -E 's/^[0-9]+ +//; s/\(.*//; /^(\+\+\+|---)/d' "$TMP/trace" |
	    grep -vxE 'execve|brk|mmap|munmap|mprotect|arch_prctl|access|pread64|set_tid_address|set_robust_list|rseq|prlimit64|exit_group|sched_yield|futex' |
	    sort | uniq -c)
	KILLS=$((KILLS + killed))
	EXTRA=()
	ok "$([ $killed -gt 20 ] && [ $killed -ge $((calls * 8 / 10)) ]; echo $?)" \
	    "CGI $sc: killed at $killed of its $calls system calls"
	RUN=("$KSS_BIN")
}

# The user all pushes are for, with a record to push over.
send POST /users/create "{\"username\":\"cu\",\"password\":\"$KEY\"}"
body old
send HTTP_X_AUTH_USER=cu HTTP_X_AUTH_KEY="$KEY" PUT /syncs/progress "$B"
is "$(progress_of cu old)" "old:$N" "CGI: a user with a record"
as_cu() { send HTTP_X_AUTH_USER=cu HTTP_X_AUTH_KEY="$KEY" "$@"; }

# A push of a document never pushed: afterwards none, or the one sent.
NEW=0
push_new() {
	NEW=$((NEW + 1))
	body "new$NEW"
	as_cu PUT /syncs/progress "$B"
	case $(progress_of cu "new$NEW") in
	none | "new$NEW:$N") ;;
	*) BAD+="new$NEW holds $(progress_of cu "new$NEW"); " ;;
	esac
	BAD+=$(whole)
}

# A push over a record: afterwards the record before, or the one sent.
OLD=$(progress_of cu old)
push_over() {
	local now
	body old
	as_cu PUT /syncs/progress "$B"
	now=$(progress_of cu old)
	case $now in
	"$OLD" | "old:$N") ;;
	*) BAD+="old holds $now, neither $OLD nor old:$N; " ;;
	esac
	BAD+=$(whole)
	# Whatever the kill left, the next push lands.
	body old
	direct req HTTP_X_AUTH_USER=cu HTTP_X_AUTH_KEY="$KEY" PUT /syncs/progress "$B"
	now=$(progress_of cu old)
	[ "$STATUS $now" = "200 old:$N" ] ||
	    BAD+="the push after it does not land ($STATUS, $now); "
	OLD=$now
}

# A push over a record that does not parse: afterwards still that, or
# the one sent.
push_corrupt() {
	local now f=$DATA/cu/bad.json
	printf '{"document":"bad","progr' >"$f"
	body bad
	as_cu PUT /syncs/progress "$B"
	now=$(progress_of cu bad)
	case $now in
	other) cmp -s "$f" <(printf '{"document":"bad","progr') ||
	    BAD+="bad.json is neither what it was nor the push; " ;;
	"bad:$N") ;;
	*) BAD+="bad holds $now; " ;;
	esac
	BAD+=$(SKIP=$f whole)
	rm -f "$f"	# for the next scenarios' checks
}

# A registration: afterwards no folder, or a whole account.
REG=0
register_one() {
	REG=$((REG + 1))
	send POST /users/create "{\"username\":\"reg$REG\",\"password\":\"$KEY\"}"
	BAD+=$(whole)
	# Then the name is a working account, or free to register.
	if [ -e "$DATA/reg$REG" ]; then
		direct req HTTP_X_AUTH_USER="reg$REG" HTTP_X_AUTH_KEY="$KEY" GET /users/auth
		[ "$STATUS" = 200 ] || BAD+="reg$REG exists, but logs in with $STATUS; "
	else
		direct req POST /users/create "{\"username\":\"reg$REG\",\"password\":\"$KEY\"}"
		[ "$STATUS" = 201 ] || BAD+="reg$REG is absent, but registers with $STATUS; "
	fi
}

# A password change: afterwards the old key logs in, or the new one.
PW=$KEY
password() {
	local new=$KEY2 st
	[ "$PW" = "$KEY2" ] && new=$KEY
	send HTTP_X_AUTH_USER=cu HTTP_X_AUTH_KEY="$PW" PUT /users/password \
	    "{\"password\":\"$new\"}"
	direct req HTTP_X_AUTH_USER=cu HTTP_X_AUTH_KEY="$new" GET /users/auth
	st=$STATUS
	[ "$st" = 200 ] && PW=$new
	direct req HTTP_X_AUTH_USER=cu HTTP_X_AUTH_KEY="$PW" GET /users/auth
	[ "$STATUS" = 200 ] || BAD+="neither key logs in ($st, $STATUS); "
	BAD+=$(whole)
}

# A delete: afterwards the whole account with its record, or nothing.
DEL=0
delete_one() {
	local u
	DEL=$((DEL + 1))
	u=del$DEL
	direct send POST /users/create "{\"username\":\"$u\",\"password\":\"$KEY\"}"
	body kept
	direct send HTTP_X_AUTH_USER=$u HTTP_X_AUTH_KEY="$KEY" PUT /syncs/progress "$B"
	local sent=kept:$N
	send HTTP_X_AUTH_USER=$u HTTP_X_AUTH_KEY="$KEY" DELETE /users/me ''
	if [ -e "$DATA/$u" ]; then
		[ "$(progress_of "$u" kept)" = "$sent" ] ||
		    BAD+="$u is left without its record; "
	fi
	BAD+=$(whole)
}

if ! strace -f -qq -o /dev/null true 2>/dev/null; then
	skip "CGI killed at every system call" "strace cannot trace here"
else
	for sc in push_new push_over push_corrupt register_one password delete_one; do
		kill_all "$sc"
	done
	is "$CGI_BAD" 0 "CGI: after each kill, every file whole, every document and account old or new"
	# A user folder keeps at most one leftover per lock byte: the push
	# of a new document each time used new bytes, the others one each.
	is "$(whole)" "" "CGI: the store is whole after $KILLS kills"
	n=$(left "$DATA/cu")
	ok "$([ "$n" -le $((NEW + 2)) ]; echo $?)" \
	    "CGI: the pushes' leftovers are bounded by their lock bytes ($n for $((NEW + 2)) documents)"
	echo "# leftovers in KSS_DIR after the CGI kills: $(left)"
fi

# ---- FastCGI: kills at random moments under load ----------------------
#
# Each round starts kss.fcgi (4 threads), sends pushes from several
# clients at once (to documents they share and to their own) and
# registrations, kills it at a random moment, and checks the store.
FCGI_BAD=0
for u in fu1 fu2; do
	direct send POST /users/create "{\"username\":\"$u\",\"password\":\"$KEY\"}"
done
SOCK=$TMP/crash.sock
FREG=0
landed=0
for r in $(seq "$ROUNDS"); do
	rm -f "$SOCK"
	start_kss KSS_DIR="$DATA" KSS_THREADS=4 -- --listen "$SOCK"
	if [ "$LINE" != "kss: listening on $SOCK" ]; then
		FCGI_BAD=$((FCGI_BAD + 1))
		echo "# round $r: kss did not start: $LINE"
		stop_kss KILL
		break
	fi
	RUN=(timeout 10 cgi-fcgi -bind -connect "$SOCK")
	pids=()
	# Two clients at once on each user's "shared", one on each "own".
	for c in 1 2 3 4 5 6; do
		u=fu$((c % 2 + 1))
		doc=shared
		[ "$c" -gt 4 ] && doc=own
		body "$doc"
		(send HTTP_X_AUTH_USER=$u HTTP_X_AUTH_KEY="$KEY" PUT \
		    /syncs/progress "$B"; exit $RC) &
		pids+=($!)
	done
	FREG=$((FREG + 1))
	(send POST /users/create \
	    "{\"username\":\"freg$FREG\",\"password\":\"$KEY\"}"; exit $RC) &
	pids+=($!)
	# The moment of the kill is what is tried: anywhere from before the
	# first request arrives to after the last is answered.
	printf -v delay '0.%03d' $((RANDOM % 80))
	read -rt "$delay" -u 9 || :
	kill -KILL "$PID"
	wait "$PID" 2>/dev/null	# no "Killed" from bash
	[ $? = 137 ] && KILLS=$((KILLS + 1))
	[ -z "$DRAIN" ] || wait "$DRAIN"
	T_CLEANUP=
	for p in "${pids[@]}"; do
		wait "$p" && landed=$((landed + 1))
	done
	bad=$(whole)
	if [ -n "$bad" ]; then
		FCGI_BAD=$((FCGI_BAD + 1))
		echo "# round $r: $bad"
	fi
done
RUN=("$KSS_BIN")
is "$FCGI_BAD" 0 "FastCGI: after each of $ROUNDS kills under load, every file whole"
echo "# FastCGI: $landed of $((ROUNDS * 7)) requests answered before their kill"
ok "$([ "$landed" -gt 0 ] && [ "$landed" -lt $((ROUNDS * 7)) ]; echo $?)" \
    "FastCGI: kills landed both before and after answers"
n=0
for u in fu1 fu2; do
	n=$((n + $(left "$DATA/$u")))
done
ok "$([ "$n" -le 4 ]; echo $?)" \
    "FastCGI: the pushes' leftovers are bounded by their lock bytes ($n for 4 documents)"
ok "$([ "$KILLS" -ge 1000 ] || [ "$ROUNDS" -lt 600 ]; echo $?)" \
    "$KILLS kills in all"

# The root's leftovers (registrations and deletes killed midway) go at
# the next registration once a minute old; younger ones stay.
before=$(find "$DATA" -maxdepth 1 \( -name '.new-*' -o -name '.del-*' \
    -o -name '.tmp-*' \) | wc -l)
echo "# leftovers in KSS_DIR's root before the sweep: $before"
find "$DATA" -maxdepth 1 \( -name '.new-*' -o -name '.del-*' -o -name '.tmp-*' \) \
    -exec touch -h -d '2 minutes ago' {} +
req POST /users/create "{\"username\":\"last\",\"password\":\"$KEY\"}"
is "$STATUS" 201 "a registration after the kills"
is "$(find "$DATA" -maxdepth 1 \( -name '.new-*' -o -name '.del-*' \
    -o -name '.tmp-*' \) | wc -l)" 0 "sweeps the root's leftovers"
is "$(whole)" "" "and the store is whole"
body fine
as last "$KEY" PUT /syncs/progress "$B"
is "$STATUS" 200 "and serves on"

done_testing
