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
BAD_HEADERS=0	# answers without the exact JSON headers
BAD_EXITS=0	# kss runs that did not exit 0 (a sanitizer report, a crash)
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

skip() {	# skip DESCRIPTION REASON
	T_N=$((T_N + 1))
	echo "ok $T_N - $1 # SKIP $2"
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

done_testing() {
	is "$BAD_HEADERS" 0 "every answer had exactly Content-Type: application/json and Cache-Control: no-store"
	is "$BAD_EXITS" 0 "every run of kss exited 0"
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
	exit $?
}

# The environment every request gets; tests add or override with VAR=value
# arguments. KSS_HASH_COST=1 keeps the KDF cheap. With BASE_CONFIG=0 the
# KSS_* settings are left out (a FastCGI server then uses its own).
ACCEPT='application/vnd.koreader.v1+json'
BASE_CONFIG=1
base_env() {
	[ "$BASE_CONFIG" = 1 ] && printf '%s\n' "KSS_DIR=$DATA" "KSS_HASH_COST=1"
	printf '%s\n' "HTTP_ACCEPT=$ACCEPT" "SERVER_PROTOCOL=HTTP/1.1" \
	    "GATEWAY_INTERFACE=CGI/1.1"
	# A sanitizer build reports through these; env -i would drop them.
	local v
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -n "${!v:-}" ] && printf '%s\n' "$v=${!v}"
	done
	return 0
}

# How a request reaches kss: the program itself (CGI), or a FastCGI client
# such as (cgi-fcgi -bind -connect SOCKET).
RUN=("$KSS_BIN")

# req [VAR=value ...] METHOD PATH [BODY]
# Runs one CGI request. Sets STATUS, HEADERS (CRLF stripped), BODY, and
# ERRLOG (what kss wrote to stderr). A response without the exact
# Content-Type or Cache-Control counts in BAD_HEADERS, a non-zero exit in
# BAD_EXITS; done_testing checks both.
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
	local out=$TMP/out.$BASHPID err=$TMP/err.$BASHPID	# racers run req at once
	local envs=()
	mapfile -t envs < <(base_env)
	envs+=("REQUEST_METHOD=$method" "PATH_INFO=$path")
	if [ $has_body -eq 1 ]; then
		local LC_ALL=C	# ${#body} in bytes
		envs+=("CONTENT_LENGTH=${#body}")
	fi
	printf '%s' "$body" |
	    env -i "${envs[@]}" "${vars[@]}" "${RUN[@]}" >"$out" 2>"$err" ||
	    { local rc=$?; BAD_EXITS=$((BAD_EXITS + 1)); echo "# exit $rc from $method $path"; }
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
	local all
	all=$(cat "$1"; printf x)
	all=${all%x}
	HEADERS=${all%%$'\r\n\r\n'*}
	HEADERS=${HEADERS//$'\r'/}
	BODY=${all#*$'\r\n\r\n'}
	STATUS=
	[[ $HEADERS =~ ^Status:\ ([0-9]+) ]] && STATUS=${BASH_REMATCH[1]}
	local h=$'\n'$HEADERS$'\n'
	if [[ $h != *$'\nContent-Type: application/json\n'* ||
	    $h != *$'\nCache-Control: no-store\n'* ]]; then
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
