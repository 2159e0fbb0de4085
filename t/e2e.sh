# Helpers for the end-to-end tests: free loopback ports, starting and
# stopping real servers, and one KOReader scenario run with curl. Sourced
# after lib.sh.

command -v curl >/dev/null || skip_all "curl not installed"

# The build folder holds cgi/kss.fcgi and cgi/kss.cgi, as make install
# lays out $(libexecdir)/kss.
LIBEXEC=$(cd "$(dirname "$KSS_BIN")" && pwd)
EXAMPLES=${T_SRCDIR:-$(dirname "$0")}/../examples
# Servers that drop privileges (nginx workers, Apache) must reach our files.
chmod 755 "$TMP"

# wait_gone PID...: returns once each process has exited (not a child, so
# no wait(1); tail --pid watches it).
wait_gone() {
	local p
	for p in "$@"; do
		timeout 20 tail --pid="$p" -f /dev/null 2>/dev/null || true
	done
}

# procs_under DIR: pids of processes whose command line names DIR.
procs_under() {
	pgrep -f -- "$1" | grep -vx "$$" || true
}

CURL_OPTS=()

# http METHOD URL [BODY] [-- CURL ARGS...]: one request with curl; sets
# STATUS, HEADERS, BODY like req does, and counts answers without the exact
# JSON headers in BAD_HEADERS. Keys and passwords sent are noted as secrets
# (done_testing looks for them in the server logs given to keep_log).
http() {
	local method=$1 url=$2 args=()
	shift 2
	args=(-s -i -X "$method" -H "Accept: $ACCEPT" ${CURL_OPTS[@]+"${CURL_OPTS[@]}"})
	if [ $# -gt 0 ] && [ "$1" != -- ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$1")
		shift
	fi
	[ "${1:-}" = -- ] && shift
	local a
	for a in "${args[@]}" "$@"; do
		case $a in [Xx]-[Aa]uth-[Kk]ey:*) secret "${a#*: }" ;; esac
	done
	[[ ${args[*]} =~ \"password\"[[:space:]]*:[[:space:]]*\"([^\"]*)\" ]] &&
	    secret "${BASH_REMATCH[1]}"
	local out=$TMP/http.$BASHPID
	curl "${args[@]}" "$@" "$url" >"$out" 2>"$out.err" ||
	    echo "# curl failed: $(cat "$out.err")"
	parse_response "$out"
	[[ $HEADERS =~ ^HTTP/[0-9.]+\ ([0-9]+) ]] && STATUS=${BASH_REMATCH[1]}
}

# scenario NAME BASE_URL: what KOReader does, through a real server:
# register, log in, push from two devices, pull, an unknown document, and
# the errors a client can meet. NAME keeps users of several runs apart.
scenario() {
	local n=$1 base=$2 u="user-$1" k=5f4dcc3b5aa765d61d8327deb882cf99
	local doc=0b229176d4e8db7f6d2b5a4952368d7a auth
	auth=(-- -H "x-auth-user: $u" -H "x-auth-key: $k")

	http GET "$base/healthcheck"
	is "$STATUS $BODY" '200 {"state":"OK"}' "$n: healthcheck"
	http POST "$base/users/create" "{\"username\":\"$u\",\"password\":\"$k\"}"
	is "$STATUS $BODY" "201 {\"username\":\"$u\"}" "$n: register"
	http POST "$base/users/create" "{\"username\":\"$u\",\"password\":\"$k\"}"
	err_is 402 2002 'Username is already registered.' "$n: register again"
	http GET "$base/users/auth" "${auth[@]}"
	is "$STATUS $BODY" '200 {"authorized":"OK"}' "$n: login (x-auth headers passed through)"
	http GET "$base/users/auth" -- -H "x-auth-user: $u" -H "x-auth-key: wrong-e2e-key-4c7b"
	err_is 401 2001 'Unauthorized' "$n: login with a wrong key"

	http PUT "$base/syncs/progress" "{\"document\":\"$doc\",\"progress\":\"/body/DocFragment[20]/body/p[22]/img.0\",\"percentage\":0.3188,\"device\":\"PocketBook\",\"device_id\":\"6B344CE498AE402096F5AEB4154C1DBB\"}" "${auth[@]}"
	is "$STATUS $(jf '[.document, (.timestamp|type)]')" "200 [\"$doc\",\"number\"]" "$n: push from a PocketBook"
	http PUT "$base/syncs/progress" "{\"document\":\"$doc\",\"progress\":\"56\",\"percentage\":0.5,\"device\":\"Kobo\",\"device_id\":\"AAAABBBBCCCCDDDDEEEEFFFF00001111\"}" "${auth[@]}"
	is "$STATUS" 200 "$n: push from a Kobo"
	http GET "$base/syncs/progress/$doc" "${auth[@]}"
	is "$STATUS $(jf '[.document,.progress,.percentage,.device,.device_id,(.timestamp|type)]')" \
	    "200 [\"$doc\",\"56\",0.5,\"Kobo\",\"AAAABBBBCCCCDDDDEEEEFFFF00001111\",\"number\"]" \
	    "$n: pull gets the last push"
	http GET "$base/syncs/progress/ffffffffffffffffffffffffffffffff" "${auth[@]}"
	is "$STATUS $BODY" '200 {}' "$n: pull an unknown document"

	http PUT "$base/syncs/progress" '{"document":' "${auth[@]}"
	err_is 400 103 'Could not parse JSON in body.' "$n: bad JSON"
	http PUT "$base/syncs/progress" '{"progress":"1","percentage":0.1,"device":"K"}' "${auth[@]}"
	err_is 403 2004 "Field 'document' not provided." "$n: push without document"
	http GET "$base/no/such/route"
	err_is 404 404 'Not found.' "$n: unknown route is a JSON 404"
	http DELETE "$base/users/auth"
	is "$STATUS $(jf .code)" "405 405" "$n: wrong method is a JSON 405"
	like "$HEADERS" '^Allow: GET' "$n: with Allow"
}
