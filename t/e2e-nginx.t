#!/bin/bash
# End to end through nginx over HTTPS with examples/nginx.conf itself
# (only paths, ports and the certificate replaced), at the root and under
# /kosync, with three backends on its unix socket:
#   kss.fcgi started by spawn-fcgi (the spawn-fcgi line of the example),
#   kss.cgi run by fcgiwrap,
#   kss.fcgi socket-activated as examples/kss.socket + kss.service say,
#   through systemd-socket-activate.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
. "${T_SRCDIR:-$(dirname "$0")}/e2e.sh"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || skip_all "nginx not installed"
command -v openssl >/dev/null || skip_all "openssl not installed"
PARAMS=/etc/nginx/fastcgi_params
[ -f "$PARAMS" ] || skip_all "nginx's fastcgi_params not found"

# A throwaway certificate for 127.0.0.1; curl trusts exactly it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/key.pem" \
    -out "$TMP/cert.pem" 2>/dev/null
ok $? "a self-signed certificate"
CURL_OPTS=(--cacert "$TMP/cert.pem")
mkdir -p "$TMP/nginx-tmp"
keep_log "$TMP/nginx-error.log"	# kss's stderr through FastCGI and fcgiwrap

# start_nginx SOCKET: nginx with the example, its upstream on SOCKET; on
# other ports when one proves taken.
start_nginx() {
	local try rc
	for try in 1 2 3 4 5; do
		try_nginx "$1"
		rc=$?
		[ $rc -eq 0 ] && break
		grep -q 'Address already in use' "$TMP/nginx-start.log" || break
	done
	ok $rc "nginx starts with examples/nginx.conf $(cat "$TMP/nginx-start.log")"
	NPID=$(cat "$TMP/nginx.pid" 2>/dev/null)
}

try_nginx() {
	free_port HPORT
	free_port SPORT
	sed -e "s|listen 80;|listen 127.0.0.1:$HPORT;|" \
	    -e "s|listen 443 ssl;|listen 127.0.0.1:$SPORT ssl;|" \
	    -e "s|/etc/ssl/certs/sync.example.org.pem|$TMP/cert.pem|" \
	    -e "s|/etc/ssl/private/sync.example.org.key|$TMP/key.pem|" \
	    -e "s|unix:/run/kss/kss.sock|unix:$1|" \
	    -e "s|/var/lib/kss|$DATA|" \
	    -e "s|/dev/shm/kss;|$CACHE;|" \
	    -e "s|/usr/local/libexec/kss/kss.cgi|$LIBEXEC/kss.cgi|" \
	    -e "s|include fastcgi_params;|include $PARAMS;|" \
	    -e "s|zone=kss_users:1m rate=[0-9]*r/[sm];|zone=kss_users:1m rate=1r/m;|" \
	    -e "s|\$binary_remote_addr zone=kss_all:1m rate=[0-9]*r/[sm];|\$http_x_kss_test zone=kss_all:1m rate=1r/m;|" \
	    "$EXAMPLES/nginx.conf" >"$TMP/kss-nginx.conf"
	{
		[ "$(id -u)" -eq 0 ] && echo "user root root;"
		# warn: nginx says when it buffers a body to a temporary file.
		echo "pid $TMP/nginx.pid; error_log $TMP/nginx-error.log warn;"
		echo "events { worker_connections 64; }"
		echo "http { access_log off;"
		for t in client_body fastcgi proxy uwsgi scgi; do
			echo "${t}_temp_path $TMP/nginx-tmp/$t;"
		done
		echo "include $TMP/kss-nginx.conf; }"
	} >"$TMP/nginx.conf"
	# Daemonized, nginx returns once it listens.
	"$NGINX" -c "$TMP/nginx.conf" 2>"$TMP/nginx-start.log"
}

stop_nginx() {
	local all
	all=$(procs_under "$TMP/nginx.conf")
	kill -QUIT "$NPID"
	wait_gone $all
	is "$(procs_under "$TMP/nginx.conf")" "" "nginx stopped"
}

redirect_check() {
	curl -s -o /dev/null -w '%{http_code} %{redirect_url}' \
	    "http://127.0.0.1:$HPORT/healthcheck" >"$TMP/redir"
	like "$(cat "$TMP/redir")" '^301 https://127\.0\.0\.1[:/].*healthcheck$' \
	    "$1: plain HTTP is redirected to HTTPS"
}

# TLS as the example sets it (Mozilla's intermediate profile): TLS 1.2
# with an ECDHE AEAD cipher (what KOReader's own OpenSSL offers) and TLS
# 1.3 are served; TLS 1.2 without forward secrecy is not (this curl's
# OpenSSL 3 will not even offer TLS 1.1, so the example's ssl_protocols
# line is checked as text). Every answer says HSTS, and no version.
tls_check() {
	local base=https://127.0.0.1:$SPORT/healthcheck got
	is "$(sed -n 's/^[[:space:]]*ssl_protocols \(.*\);.*/\1/p' "$EXAMPLES/nginx.conf")" \
	    "TLSv1.2 TLSv1.3" "$1: ssl_protocols TLSv1.2 TLSv1.3"
	got=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/cert.pem" \
	    --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256 "$base")
	is "$got" 200 "$1: TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256: served"
	got=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/cert.pem" \
	    --tlsv1.3 "$base")
	is "$got" 200 "$1: TLS 1.3: served"
	got=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/cert.pem" \
	    --tlsv1.2 --tls-max 1.2 --ciphers AES128-GCM-SHA256 "$base")
	is "$got" 000 "$1: TLS 1.2 with RSA key exchange (no forward secrecy): refused"
	http GET "$base"
	like "$HEADERS" '^Strict-Transport-Security: max-age=63072000$' "$1: HSTS"
	like "$HEADERS" '^Server: nginx$' "$1: Server: nginx, no version"
	got=$(curl -s -D - -o /dev/null "http://127.0.0.1:$HPORT/healthcheck" | tr -d '\r' | grep -i '^server:')
	is "$got" "Server: nginx" "$1: no version on plain HTTP either"
}

# The example's rate limit on /users/, made independent of the machine's
# speed: the test's copy allows 1 request a minute (not 5 a second), so a
# burst sent within the minute gets exactly the burst's allowance (nginx:
# the first request, then BURST more) and 429 from then on. Sent from
# 127.0.0.2, an address of its own, so the scenarios' requests from
# 127.0.0.1 (8 per nginx, within the allowance) do not count.
BURST=$(sed -n 's/.*limit_req zone=kss_users burst=\([0-9]*\).*/\1/p' "$EXAMPLES/nginx.conf")
rate_check() {
	local want= got= i n=$((BURST + 3))
	for i in $(seq $((BURST + 1))); do want="$want 401"; done
	want="$want 429 429"
	if ! curl -s -o /dev/null --interface 127.0.0.2 --cacert "$TMP/cert.pem" \
	    "https://127.0.0.1:$SPORT/healthcheck"; then
		skip "the limit on /users/: $((BURST + 1)) answers then 429" \
		    "cannot connect from 127.0.0.2"
		return
	fi
	got=$(for i in $(seq $n); do
		curl -s -o /dev/null -w ' %{http_code}' --interface 127.0.0.2 \
		    --cacert "$TMP/cert.pem" -H "Accept: $ACCEPT" \
		    "https://127.0.0.1:$SPORT/users/auth"
	done)
	is "$got" "$want" "$1: the limit on /users/ (burst=$BURST, 1r/m in the test): $((BURST + 1)) answers, then 429"
	http GET "https://127.0.0.1:$SPORT/healthcheck" -- --interface 127.0.0.2
	is "$STATUS" 200 "$1: and the limit on /users/ holds up no other route"
}

# The example's limit on every route (zone kss_all, per address): in the
# test's copy keyed by a header of the test's (X-Kss-Test) rather than
# the address, at 1 request a minute, so that only these requests count:
# a burst to /healthcheck gets the first request and BURST more, then
# 429, and so does any other route for the same key.
ALL_BURST=$(sed -n 's/.*limit_req zone=kss_all burst=\([0-9]*\).*/\1/p' "$EXAMPLES/nginx.conf" | head -n 1)
all_check() {
	local want= got= i
	for i in $(seq $((ALL_BURST + 1))); do want="$want 200"; done
	want="$want 429"
	got=$(for i in $(seq $((ALL_BURST + 2))); do
		curl -s -o /dev/null -w ' %{http_code}' --cacert "$TMP/cert.pem" \
		    -H "Accept: $ACCEPT" -H "X-Kss-Test: $1" \
		    "https://127.0.0.1:$SPORT/healthcheck"
	done)
	is "$got" "$want" "$1: every route is limited (burst=$ALL_BURST, 1r/m in the test): $((ALL_BURST + 1)) answers, then 429"
	http GET "https://127.0.0.1:$SPORT/syncs/progress/d" -- -H "X-Kss-Test: $1"
	is "$STATUS $BODY" '429 {"code":429,"message":"Too many requests; try again later."}' \
	    "$1: a pull from the same client too, answered in JSON"
	like "$HEADERS" '^Strict-Transport-Security: max-age=63072000$' "$1: with HSTS"
}

# big_bodies NAME BASE_URL: bodies nginx buffers to a temporary file
# (over client_body_buffer_size, 16 KiB) reach kss whole; one over kss's
# 64 KiB limit gets kss's JSON 413. As scenario NAME's user.
big_bodies() {
	local n=$1 base=$2 u="user-$1" k=5f4dcc3b5aa765d61d8327deb882cf99 meta body
	local auth=(-- -H "x-auth-user: $u" -H "x-auth-key: $k")
	# 12 fields of 3,400 bytes: ~40 KiB, every string under 4 KiB.
	meta=$(jq -cn '[range(12) | {key: "field\(.)", value: ("abcdefghijkl"[.:.+1] * 3400)}] | from_entries')
	body="{\"document\":\"bigdoc\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"K\",\"metadata\":$meta}"
	is "$((${#body} / 1024))" 40 "$n: a 40 KiB body"
	http PUT "$base/syncs/progress" "$body" "${auth[@]}"
	is "$STATUS $(jf .document)" '200 "bigdoc"' "$n: a 40 KiB push is answered 200"
	http GET "$base/syncs/progress/bigdoc" "${auth[@]}"
	ok $([ "$STATUS" = 200 ] && [ "$(jf .metadata)" = "$meta" ]; echo $?) \
	    "$n: and pulled back whole"
	body="{\"document\":\"huge\",\"progress\":\"$(head -c 71680 /dev/zero | tr '\0' p)\",\"percentage\":0.5,\"device\":\"K\"}"
	# fcgiwrap writes the whole body to the CGI before it reads the
	# answer: a body over the pipe's 64 KiB that kss.cgi left unread (it
	# answers 413 from CONTENT_LENGTH alone) would fail that write, and
	# fcgiwrap answer 502 text/plain of its own. kss.cgi drains it.
	http PUT "$base/syncs/progress" "$body" "${auth[@]}"
	err_is 413 413 'Request body too large.' "$n: a 70 KiB push is kss's JSON 413"
	http GET "$base/healthcheck"
	is "$STATUS" 200 "$n: served on"
}

T_CLEANUP='[ -n "${NPID:-}" ] && kill -QUIT $NPID 2>/dev/null; kill $(procs_under "$TMP/") 2>/dev/null; wait_gone $(procs_under "$TMP/")'

# --- kss.fcgi under spawn-fcgi ---
command -v spawn-fcgi >/dev/null || skip_all "spawn-fcgi not installed"
SOCK=$TMP/kss.sock
# As the example says: the folders in kss.fcgi's environment too.
mapfile -t fenv < <(fcgi_env)
out=$(env KSS_DIR="$DATA" "${fenv[@]}" spawn-fcgi -s "$SOCK" -M 0660 -- "$LIBEXEC/kss.fcgi" 2>&1)
KPID=$(printf '%s' "$out" | sed -n 's/.*PID: *\([0-9]*\).*/\1/p')
ok $([ -n "$KPID" ]; echo $?) "spawn-fcgi starts kss.fcgi ($out)"
start_nginx "$SOCK"
redirect_check nginx-fcgi
tls_check nginx-fcgi
scenario nginx-fcgi-root "https://127.0.0.1:$SPORT"
scenario nginx-fcgi-prefix "https://127.0.0.1:$SPORT/kosync"
ok $(grep -q 'rate=1r/m;' "$TMP/kss-nginx.conf"; echo $?) "the test's copy of the example limits /users/ to 1r/m"
rate_check nginx-fcgi
all_check nginx-fcgi
if sandboxed; then
	is "$(seccomp_mode "$KPID")" 2 "kss.fcgi under spawn-fcgi serves in its sandbox (seccomp mode 2)"
else
	skip "kss.fcgi serves in its sandbox" "built without the sandbox"
fi
big_bodies nginx-fcgi-root "https://127.0.0.1:$SPORT"
like "$(grep -c 'client request body is buffered to a temporary file' "$TMP/nginx-error.log")" '^[1-9]' \
    "nginx buffered the big bodies to temporary files"
stop_nginx
kill -TERM "$KPID"
wait_gone "$KPID"
ok $(! kill -0 "$KPID" 2>/dev/null; echo $?) "kss.fcgi stopped"

# --- kss.cgi under fcgiwrap ---
if [ -x /usr/sbin/fcgiwrap ]; then
	SOCK=$TMP/fcgiwrap.sock
	out=$(spawn-fcgi -s "$SOCK" -M 0660 -- /usr/sbin/fcgiwrap 2>&1)
	WPID=$(printf '%s' "$out" | sed -n 's/.*PID: *\([0-9]*\).*/\1/p')
	ok $([ -n "$WPID" ]; echo $?) "spawn-fcgi starts fcgiwrap ($out)"
	start_nginx "$SOCK"
	scenario nginx-fcgiwrap-root "https://127.0.0.1:$SPORT"
	scenario nginx-fcgiwrap-prefix "https://127.0.0.1:$SPORT/kosync"
	big_bodies nginx-fcgiwrap-root "https://127.0.0.1:$SPORT"
	stop_nginx
	kill -TERM "$WPID"
	wait_gone "$WPID"
	ok $(! kill -0 "$WPID" 2>/dev/null; echo $?) "fcgiwrap stopped"
else
	skip "nginx + fcgiwrap" "fcgiwrap not installed"
fi

# --- kss.fcgi socket-activated, as the systemd units say ---
SSA=$(command -v systemd-socket-activate || true)
if [ -n "$SSA" ]; then
	listen=$(sed -n 's/^ListenStream=//p' "$EXAMPLES/kss.socket")
	exe=$(sed -n 's/^ExecStart=//p' "$EXAMPLES/kss.service")
	is "$listen $exe" "/run/kss/kss.sock /usr/local/libexec/kss/kss.fcgi" \
	    "the units name the socket and program the docs do"
	if command -v systemd-analyze >/dev/null; then
		mkdir "$TMP/units"
		cp "$EXAMPLES/kss.socket" "$TMP/units/"
		sed "s|^ExecStart=.*|ExecStart=$LIBEXEC/kss.fcgi|" \
		    "$EXAMPLES/kss.service" >"$TMP/units/kss.service"
		report=$(cd "$TMP/units" && timeout 60 systemd-analyze verify \
		    --man=no kss.socket kss.service 2>&1)
		is "$report" "" "systemd-analyze verify finds nothing to say of the units"
	fi
	SOCK=$TMP/activated.sock
	envs=()
	# The unit's folders, the test's (kss.fcgi makes the RAM folder its
	# environment names at start, for its sandbox).
	while read -r e; do
		e=${e//\/var\/lib\/kss/$DATA}
		envs+=(-E "${e//\/run\/kss-cache/${CACHE:-$TMP/no-cache}}")
	done < <(sed -n 's/^Environment=//p' "$EXAMPLES/kss.service")
	mkfifo "$TMP/ssa-log"
	"$SSA" -l "$SOCK" "${envs[@]}" "${exe//\/usr\/local\/libexec\/kss/$LIBEXEC}" \
	    2>"$TMP/ssa-log" &
	APID=$!
	exec 4<"$TMP/ssa-log"
	read -r line <&4
	like "$line" "^Listening on $SOCK" "systemd-socket-activate listens ($line)"
	start_nginx "$SOCK"
	scenario nginx-activated-root "https://127.0.0.1:$SPORT"
	scenario nginx-activated-prefix "https://127.0.0.1:$SPORT/kosync"
	big_bodies nginx-activated-root "https://127.0.0.1:$SPORT"
	like "$(cat /proc/$APID/cmdline | tr '\0' ' ')" 'kss.fcgi' \
	    "the activated process is kss.fcgi itself"
	if sandboxed; then
		is "$(seccomp_mode "$APID")" 2 "in its sandbox (seccomp mode 2)"
	else
		skip "in its sandbox" "built without the sandbox"
	fi
	stop_nginx
	kill -TERM "$APID"
	wait "$APID"
	is "$?" 0 "socket-activated kss.fcgi stops cleanly on SIGTERM"
else
	skip "socket activation" "systemd-socket-activate not installed"
fi

is "$(procs_under "$TMP/")" "" "nothing the test started is left running"
T_CLEANUP=
ok $([ -z "$CACHE" ] || [ -s "$CACHE/secret" ]; echo $?) "kss.cgi's logins went through the key cache in KSS_CACHE_DIR"
ok $([ -z "$CACHE" ] || [ -s "$CACHE/logins" ]; echo $?) "the table of failed logins is there too (KSS_LOGIN_LIMIT)"
done_testing
