#!/bin/bash
# End to end through Apache httpd with examples/apache.conf itself (only
# paths, ports and the user replaced): kss.fcgi under mod_fcgid and
# kss.cgi under mod_cgid, each at the root and under /kosync.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
. "${T_SRCDIR:-$(dirname "$0")}/e2e.sh"

APACHE=$(command -v apache2 || echo /usr/sbin/apache2)
[ -x "$APACHE" ] || skip_all "apache2 not installed"
MODS=/usr/lib/apache2/modules
for m in mpm_event authz_core alias env cgid fcgid; do
	[ -f "$MODS/mod_$m.so" ] || skip_all "Apache module mod_$m not installed"
done

# Apache will not run its children as root: they become www-data, which
# then owns the data and mod_fcgid's folder, and must reach the programs:
# a copy in the test's folder, since the build may sit under /root.
mkdir -p "$TMP/fcgid" "$TMP/libexec"
install -d -m 0700 "$DATA"	# as README makes /var/lib/kss
cp "$LIBEXEC/kss.fcgi" "$TMP/libexec/kss.fcgi"
ln -s kss.fcgi "$TMP/libexec/kss.cgi"
LIBEXEC=$TMP/libexec
user=
if [ "$(id -u)" -eq 0 ]; then
	user=www-data
	chown "$user" "$DATA" "$TMP/fcgid"
	[ -n "$SHM" ] && chown "$user" "$SHM"
fi

# A port that proves taken means another try on other ports.
for try in 1 2 3 4 5; do
	free_port fport
	free_port cport
	sed -e "s|^Define KSS_LIBEXEC .*|Define KSS_LIBEXEC $LIBEXEC|" \
	    -e "s|^Define KSS_DIR .*|Define KSS_DIR $DATA|" \
	    -e "s|^Define KSS_CACHE_DIR .*|Define KSS_CACHE_DIR $CACHE|" \
	    -e "s|^Define KSS_ADDRESS .*|Define KSS_ADDRESS 127.0.0.1|" \
	    -e "s|^Define KSS_FCGI_PORT .*|Define KSS_FCGI_PORT $fport|" \
	    -e "s|^Define KSS_CGI_PORT .*|Define KSS_CGI_PORT $cport|" \
	    "$EXAMPLES/apache.conf" >"$TMP/kss-apache.conf"
	{
		echo "ServerRoot $TMP"
		echo "ServerName 127.0.0.1"
		echo "PidFile $TMP/httpd.pid"
		echo "ErrorLog $TMP/httpd-error.log"
		[ -n "$user" ] && echo "User $user" && echo "Group $user"
		for m in mpm_event authz_core alias env cgid fcgid; do
			echo "LoadModule ${m}_module $MODS/mod_$m.so"
		done
		echo "ScriptSock $TMP/cgid.sock"
		echo "FcgidIPCDir $TMP/fcgid"
		echo "FcgidProcessTableFile $TMP/fcgid/shm"
		echo "Include $TMP/kss-apache.conf"
	} >"$TMP/httpd.conf"

	"$APACHE" -f "$TMP/httpd.conf" -t >"$TMP/check" 2>&1
	checked=$?
	# -k start returns once Apache listens.
	"$APACHE" -f "$TMP/httpd.conf" -k start >"$TMP/start" 2>&1
	started=$?
	[ $started -eq 0 ] && break
	grep -q 'in use' "$TMP/start" || break
done
ok $checked "examples/apache.conf passes apache2 -t $(grep -v 'Syntax OK' "$TMP/check")"
ok $started "Apache starts $(cat "$TMP/start")"
T_CLEANUP='"$APACHE" -f "$TMP/httpd.conf" -k stop 2>/dev/null; wait_gone $(procs_under "$TMP/")'
keep_log "$TMP/httpd-error.log"	# kss's stderr, from mod_cgid and mod_fcgid

scenario apache-fcgid-root "http://127.0.0.1:$fport"
scenario apache-fcgid-prefix "http://127.0.0.1:$fport/kosync"
scenario apache-cgi-root "http://127.0.0.1:$cport"
scenario apache-cgi-prefix "http://127.0.0.1:$cport/kosync"

kids=$(procs_under "$LIBEXEC/kss.fcgi")
ok $([ -n "$kids" ]; echo $?) "mod_fcgid runs kss.fcgi processes ($(echo $kids))"
all=$(procs_under "$TMP/")
"$APACHE" -f "$TMP/httpd.conf" -k stop
wait_gone $all $kids
is "$(procs_under "$TMP/") $(procs_under "$LIBEXEC/kss.fcgi")" " " \
    "Apache and the kss processes it started are gone"
T_CLEANUP=
ok $(grep -q 'error' "$TMP/httpd-error.log"; [ $? -eq 1 ]; echo $?) \
    "no errors in Apache's log $(grep error "$TMP/httpd-error.log" | head -3)"
ok $([ -z "$CACHE" ] || [ -s "$CACHE/secret" ]; echo $?) "kss.cgi's logins went through the key cache in KSS_CACHE_DIR"
ok $([ -z "$CACHE" ] || [ -s "$CACHE/logins" ]; echo $?) "the table of failed logins is there too (KSS_LOGIN_LIMIT)"
done_testing
