# Shared helpers for the shell tests: TAP output and running kss as a CGI
# program with a crafted environment (the cgit way). Sourced, not run.
#
# Needs KSS_BIN (the built program; make check sets it) and jq.

set -u
: "${KSS_BIN:?KSS_BIN must name the built kss.fcgi (make check sets it)}"

T_N=0
T_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kss-test.XXXXXX")
DATA=$TMP/data
BAD_HEADERS=0
trap 't_cleanup' EXIT

t_cleanup() {
	[ -n "${T_CLEANUP:-}" ] && eval "$T_CLEANUP"
	rm -rf "$TMP"
}

ok() {	# ok CONDITION_STATUS DESCRIPTION
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAILED=$((T_FAILED + 1))
	fi
}

is() {	# is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

like() {	# like GOT EXTENDED_REGEX DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want match: %s\n' "$1" "$2"
	fi
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
	exit $?
}

# The environment every request gets; tests add or override with VAR=value
# arguments. KSS_HASH_COST=1 keeps the KDF cheap.
ACCEPT='application/vnd.koreader.v1+json'
base_env() {
	printf '%s\n' "KSS_DIR=$DATA" "KSS_HASH_COST=1" "HTTP_ACCEPT=$ACCEPT" \
	    "SERVER_PROTOCOL=HTTP/1.1" "GATEWAY_INTERFACE=CGI/1.1"
}

# req [VAR=value ...] METHOD PATH [BODY]
# Runs one CGI request. Sets STATUS, HEADERS (CRLF stripped), BODY, and
# ERRLOG (what kss wrote to stderr). A response without the exact
# Content-Type or Cache-Control counts in BAD_HEADERS.
req() {
	local vars=() method path body=
	while [ $# -gt 0 ] && case $1 in *=*) true ;; *) false ;; esac; do
		vars+=("$1")
		shift
	done
	method=$1 path=$2
	local has_body=0
	if [ $# -ge 3 ]; then
		body=$3
		has_body=1
	fi
	local out=$TMP/out err=$TMP/err
	local envs=()
	mapfile -t envs < <(base_env)
	envs+=("REQUEST_METHOD=$method" "PATH_INFO=$path")
	if [ $has_body -eq 1 ]; then
		envs+=("CONTENT_LENGTH=$(printf '%s' "$body" | wc -c)")
	fi
	printf '%s' "$body" |
	    env -i "${envs[@]}" "${vars[@]}" "$KSS_BIN" >"$out" 2>"$err"
	parse_response "$out"
	ERRLOG=$(cat "$err")
}

# as USER KEY [VAR=value ...] METHOD PATH [BODY]: req with credentials.
as() {
	local u=$1 k=$2
	shift 2
	req "HTTP_X_AUTH_USER=$u" "HTTP_X_AUTH_KEY=$k" "$@"
}

# parse_response FILE: splits a CGI response into STATUS, HEADERS, BODY.
parse_response() {
	local head
	head=$(sed -n '1,/^\r\{0,1\}$/p' "$1" | tr -d '\r')
	BODY=$(sed '1,/^\r\{0,1\}$/d' "$1")
	HEADERS=$head
	STATUS=$(printf '%s\n' "$head" | sed -n 's/^Status: \([0-9]*\).*/\1/p')
	if ! printf '%s\n' "$head" | grep -qx 'Content-Type: application/json' ||
	    ! printf '%s\n' "$head" | grep -qx 'Cache-Control: no-store'; then
		BAD_HEADERS=$((BAD_HEADERS + 1))
	fi
}

# jf FILTER: runs jq on BODY (compact output).
jf() {
	printf '%s' "$BODY" | jq -c "$1" 2>/dev/null
}

# err_is STATUS CODE MESSAGE DESCRIPTION: an exact JSON error answer.
err_is() {
	is "$STATUS $BODY" "$1 {\"code\":$2,\"message\":\"$3\"}" "$4"
}

# register USER KEY: a user for the test to use (must succeed).
register() {
	req POST /users/create "{\"username\":\"$1\",\"password\":\"$2\"}"
	[ "$STATUS" = 201 ] || echo "# register $1 failed: $STATUS $BODY"
}
