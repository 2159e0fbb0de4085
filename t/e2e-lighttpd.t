#!/bin/bash
# End to end through lighttpd with examples/lighttpd.conf itself (only
# paths and ports replaced): kss.fcgi under mod_fastcgi and kss.cgi under
# mod_cgi, each at the root and under /kosync.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
. "${T_SRCDIR:-$(dirname "$0")}/e2e.sh"

command -v lighttpd >/dev/null || skip_all "lighttpd not installed"

# The example's server.username: lighttpd started as root serves as
# www-data, and so does kss, which then owns the data, the sockets and
# the RAM folder, and must reach the programs: a copy in the test's
# folder, since the build may sit under /root. (Started as another user,
# lighttpd ignores server.username.)
USER_WANT=$(sed -n 's/^server.username *= *"\([^"]*\)".*/\1/p' "$EXAMPLES/lighttpd.conf")
is "$USER_WANT" www-data "examples/lighttpd.conf runs lighttpd and kss as www-data"
mkdir -p "$TMP/run" "$TMP/libexec"
cp "$LIBEXEC/kss.fcgi" "$TMP/libexec/kss.fcgi"
ln -s kss.fcgi "$TMP/libexec/kss.cgi"
LIBEXEC=$TMP/libexec
SERVES_AS=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
	SERVES_AS=$USER_WANT
	install -d -m 0700 -o "$SERVES_AS" -g "$SERVES_AS" "$DATA"
	chown "$SERVES_AS" "$TMP/run"
	[ -n "$SHM" ] && chown "$SERVES_AS" "$SHM"
fi
# In the foreground as our child; its first log line says it listens, or
# why not: a port that proves taken means another try on other ports.
for try in 1 2 3 4 5; do
	free_port fport
	free_port cport
	sed -e "s|^var.kss_libexec .*|var.kss_libexec = \"$LIBEXEC\"|" \
	    -e "s|^var.kss_dir .*|var.kss_dir = \"$DATA\"|" \
	    -e "s|^var.run_dir .*|var.run_dir = \"$TMP/run\"|" \
	    -e "s|^var.kss_cache .*|var.kss_cache = \"$CACHE\"|" \
	    -e "s|^var.host .*|var.host = \"127.0.0.1\"|" \
	    -e "s|^var.fcgi_port .*|var.fcgi_port = $fport|" \
	    -e "s|^var.cgi_port .*|var.cgi_port = $cport|" \
	    "$EXAMPLES/lighttpd.conf" >"$TMP/lighttpd.conf"
	lighttpd -tt -f "$TMP/lighttpd.conf" >"$TMP/check" 2>&1
	checked=$?
	rm -f "$TMP/log"
	mkfifo "$TMP/log"
	lighttpd -D -f "$TMP/lighttpd.conf" 2>"$TMP/log" &
	LPID=$!
	exec 3<"$TMP/log"
	read -r line <&3
	case $line in *'server started'*) break ;; esac
	wait $LPID
	case $line in *'in use'*) ;; *) break ;; esac
done
# The rest of lighttpd's error log (kss's stderr, from mod_cgi and
# mod_fastcgi alike) is kept for done_testing's search for secrets.
{ printf '%s\n' "$line"; cat; } <&3 >"$TMP/lighttpd-error.log" &
DRAIN=$!
exec 3<&-
keep_log "$TMP/lighttpd-error.log"
T_CLEANUP='kill $LPID 2>/dev/null; wait_gone $(procs_under "$TMP/")'
ok $checked "examples/lighttpd.conf passes lighttpd -tt $(cat "$TMP/check")"
like "$line" 'server started' "lighttpd started ($line)"

scenario lighttpd-fcgi-root "http://127.0.0.1:$fport"
scenario lighttpd-fcgi-prefix "http://127.0.0.1:$fport/kosync"
scenario lighttpd-cgi-root "http://127.0.0.1:$cport"
scenario lighttpd-cgi-prefix "http://127.0.0.1:$cport/kosync"

kids=$(procs_under "$LIBEXEC/kss.fcgi")
ok $([ -n "$kids" ]; echo $?) "lighttpd runs kss.fcgi processes ($(echo $kids))"
owners=$(ps -o user= -p "$(echo $kids | tr ' ' ,)" | sort -u | tr -d ' ')
is "$owners" "$SERVES_AS" "as $SERVES_AS"
is "$(find "$DATA" -mindepth 1 -maxdepth 1 ! -user "$SERVES_AS" | wc -l)" 0 \
    "every user folder is $SERVES_AS's"
kill -TERM $LPID
wait $LPID
is "$?" 0 "lighttpd stops cleanly"
wait_gone $kids
is "$(procs_under "$TMP/")" "" "nothing it started is left running"
T_CLEANUP=
wait $DRAIN
ok $([ -z "$CACHE" ] || [ -s "$CACHE/secret" ]; echo $?) "kss.cgi's logins went through the key cache in KSS_CACHE_DIR"
ok $([ -z "$CACHE" ] || [ -s "$CACHE/logins" ]; echo $?) "the table of failed logins is there too (KSS_LOGIN_LIMIT)"
ok $(grep -rq 'x-auth-key"' "$DATA"; [ $? -eq 1 ]; echo $?) "no raw key on disk"
if [ "$(id -u)" -eq 0 ]; then
	is "$(grep -cF "$ROOT_WARNING" "$TMP/lighttpd-error.log")" 0 \
	    "started as root, kss does not serve as root: nothing said of it"
else
	skip "started as root, kss does not serve as root" "not root"
fi
done_testing
