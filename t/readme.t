#!/bin/bash
# README's recipes, run as written: the Quick start, every block of
# Deploying and of Moving from the original kss, each command taken from
# README itself, so that a README that drifts from what works fails here.
# As root, in a mount, network and PID namespace of the test's own
# (lib.sh): /etc, /var, /usr/local and /home are overlays whose changes go
# away with the test, /run and /dev/shm fresh (as after a boot), the rest
# of the file system read-only but the test's own folder, the ports (80,
# 443, 8080, ...) on a loopback nothing else sees, and every process it
# starts gone with it (the machine's own servers out of sight: Debian's
# init scripts look for theirs with pidof). Then each server is used as
# KOReader would, through the address README gives. Each recipe starts
# without what another left of kss (/var/lib/kss, /run/kss,
# /dev/shm/kss): a recipe that leaves out a folder fails here.
#
# What it cannot run: apt-get install (the packages must be there; a
# recipe whose packages are missing is skipped, said), systemctl (systemd
# is not this machine's PID 1: the units are checked with systemd-analyze
# verify). The Quick start's sh examples/serve runs as written, in a copy
# of the source tree (an overlay: the tree may be read-only, make
# distcheck) in a 0700 folder, as a clone under /root: the build where it
# is (./build, or in the tree), its data in ./kss-data, lighttpd and kss
# as root since www-data cannot reach the build.
T_WANT_MOUNT_NS=1
T_WANT_NET_NS=1
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
. "${T_SRCDIR:-$(dirname "$0")}/e2e.sh"

[ -n "${T_MOUNT_NS:-}" ] ||
	skip_all "needs root and unshare -m -n -p (a mount, network and PID namespace)"
README=$(cd "$T_SRCDIR/.." && pwd)/README
SRC=$(dirname "$README")
BUILD=$(cd "$(dirname "$KSS_BIN")/.." && pwd)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# --- the namespace: our own loopback, file systems, /run ---
ip link set lo up 2>/dev/null || skip_all "cannot bring up the loopback (no ip?)"
NETNS=$(readlink /proc/self/ns/net)
# Read-only: every file system but the test's folder (README's commands
# run as root: whatever one writes outside the overlays below fails here,
# and never reaches the machine), /proc, /sys and /dev. /tmp a fresh one
# (init scripts' mktemp): lib.sh's, or else one made here, where the
# test's folder, and the source tree's and the build's when in /tmp, are
# as they were; the machine's /tmp (bound writable, under the fresh one)
# only reached through fd 8, to remove the test's folder at the end.
TP=${TMP%/*}
OLDTMP=
if [ -n "$T_PRIVATE_TMP" ]; then
	:	# (lib.sh's: /tmp is already the namespace's own)
elif ! { mount --bind "$TP" "$TP" && exec 8<"$TP"; }; then
	skip_all "cannot bind $TP"
elif [ "$TP" = /tmp ]; then
	OLDTMP=/proc/$$/fd/8
	mount -t tmpfs -o mode=1777 kss-tmp /tmp || skip_all "cannot mount /tmp"
	for d in "$TMP" "$SRC" "$BUILD" "$T_SRCDIR"; do
		case $d in /tmp/*) ;; *) continue ;; esac
		d=${d#/tmp/}
		d=${d%%/*}
		[ -e "/tmp/$d" ] && continue
		mkdir "/tmp/$d" && mount -c --bind "$OLDTMP/$d" "/tmp/$d" ||
		    skip_all "cannot bind /tmp/$d"
	done
fi
while read -r _ _ _ _ mp _; do
	mp=$(printf '%b' "$mp")
	case $mp in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|/tmp|"$TP"|"$TMP"|"$TMP"/*) continue ;; esac
	mount -o remount,bind,ro "$mp" 2>/dev/null ||
	    skip_all "cannot make $mp read-only"
done </proc/self/mountinfo
touch /kss-readme-ro 2>/dev/null && { rm -f /kss-readme-ro; skip_all "/ stayed writable"; }
mkdir "$TMP/ns"
mount -t tmpfs kss-readme "$TMP/ns" || skip_all "cannot mount a tmpfs"
for d in etc var usr/local home; do
	mkdir -p "$TMP/ns/up/$d" "$TMP/ns/work/$d"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$TMP/ns/up/$d,workdir=$TMP/ns/work/$d" "/$d" ||
	    skip_all "cannot lay an overlay on /$d"
done
# lib.sh's folder in /dev/shm would be hidden under the new one.
rm -rf "$SHM"
SHM= CACHE=
mount -t tmpfs -o mode=1777 kss-shm /dev/shm || skip_all "cannot mount /dev/shm"
# Without systemd-tmpfiles (a machine without systemd), its folders in
# /run made from tmpfiles.d's "d" lines all the same (/run/lighttpd).
tmpfiles_run() {
	if command -v systemd-tmpfiles >/dev/null; then
		systemd-tmpfiles --create --prefix=/run >/dev/null 2>&1
		return 0
	fi
	cat /usr/lib/tmpfiles.d/*.conf /etc/tmpfiles.d/*.conf 2>/dev/null |
	while read -r type path mode user group _; do
		case $type:$path in [dD]:/run/*) ;; *) continue ;; esac
		[ "$mode" != - ] || mode=0755
		[ "$user" != - ] || user=root
		[ "$group" != - ] || group=root
		install -d -m "$mode" -o "$user" -g "$group" "$path" 2>/dev/null
	done
	return 0
}

# boot: /run as after a reboot: emptied, then what tmpfiles.d says
# (lighttpd's /run/lighttpd, /run/lock).
boot() {
	umount /run 2>/dev/null
	mount -t tmpfs -o mode=0755 kss-run /run
	tmpfiles_run
}
boot

# ns_list: NS, the processes in this network namespace but this shell:
# all the test started. Builtins only, so that no helper of its own is
# among them.
ns_list() {
	local p
	NS=()
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = $$ ] && continue
		[ "/proc/$p/ns/net" -ef /proc/$$/ns/net ] && NS+=("$p")
	done
	return 0
}
# stop_all: every server the test started, gone.
stop_all() {
	ns_list
	[ ${#NS[@]} -gt 0 ] || return 0
	kill -TERM "${NS[@]}" 2>/dev/null
	wait_gone "${NS[@]}"
}
# unmount: what the test mounted, so that lib.sh can remove TMP (the
# namespace goes with the test in any case); and examples/serve's folder
# in the build, when the test made it.
unmount() {
	umount /etc /var /usr/local /home /dev/shm /run 2>/dev/null
	umount -R "$TMP/ns" 2>/dev/null
	[ -z "$OLDTMP" ] || { rm -rf "$OLDTMP/${TMP##*/}"; umount "$TMP"; }
	return 0
}
T_CLEANUP='stop_all; unmount'
# users_of PATTERN: the users of the processes here whose command line
# holds PATTERN.
users_of() {
	local p
	ns_list
	for p in ${NS[@]+"${NS[@]}"}; do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$1" &&
		    stat -c %U "/proc/$p"
	done | sort -u | tr '\n' ' '
}

# make install, as README has it done before Deploying.
install -d /usr/local/libexec/kss /usr/local/sbin
install -m 755 "$BUILD/cgi/kss.fcgi" /usr/local/libexec/kss/kss.fcgi
ln -sf kss.fcgi /usr/local/libexec/kss/kss.cgi
install -m 755 "$BUILD/cgi/kss-admin" /usr/local/sbin/kss-admin

# block TEXT: the commands of README's first indented block after its
# first line holding TEXT (lines of 4 spaces' indent, continuations
# joined), one a line.
block() {
	awk -v t="$1" '
		!found && index($0, t) { found = 1; next }
		found && /^    / { inb = 1; line = line substr($0, 5)
			if (line ~ /\\$/) { sub(/\\$/, "", line); next }
			gsub(/  +/, " ", line); print line; line = ""; next }
		found && inb { exit }' "$README"
}

# fresh: no folder of kss's a recipe is to make (a reboot keeps
# /var/lib/kss: boot for /run).
fresh() {
	rm -rf /var/lib/kss /run/kss /dev/shm/kss /dev/shm/kss-*
}

# recipe NAME TEXT: runs README's block after TEXT, each command from the
# source tree as root: apt-get install checks its packages are there
# (else the whole block is skipped: 2), systemctl is skipped (said),
# "lighttpd -D" is started in the background (its log in LLOG, its pid in
# LPID), anything else runs, one test each. 0 when all ran well.
recipe() {
	local name=$1 cmds c p missing= rc=0 out=$TMP/cmd.out
	cmds=$(block "$2")
	if [ -z "$cmds" ]; then
		ok 1 "$name: README has the block after '$2'"
		return 1
	fi
	while read -r c; do
		case $c in 'apt-get install '*)
			for p in ${c#apt-get install }; do
				dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
				    grep -q 'ok installed' || missing="$missing $p"
			done ;;
		esac
	done <<<"$cmds"
	if [ -n "$missing" ]; then
		skip "$name: README's block" "not installed:$missing"
		return 2
	fi
	while read -r c; do
		case $c in
		'#'*) ;;
		'apt-get install '*) ok 0 "$name: $c (installed)" ;;
		*systemctl*) skip "$name: $c" "systemd is not PID 1 here" ;;
		'lighttpd -D '*)
			start_lighttpd "$c"
			p=$?
			is "$p" 0 "$name: $c (started: $LSTART)"
			[ $p -eq 0 ] || rc=1 ;;
		*)
			(cd "$SRC" && eval "$c") </dev/null >"$out" 2>&1
			p=$?
			ok $p "$name: $c"
			[ $p -eq 0 ] || { rc=1; sed 's/^/#   /' "$out" | head -20; }
		esac
	done <<<"$cmds"
	return $rc
}

# start_lighttpd COMMAND [DIR]: runs COMMAND (lighttpd -D ..., or what
# execs it) in DIR (the source tree) in the background, its output
# (lighttpd's log, kss's stderr) in LLOG; returns once lighttpd says it
# started (0) or the output ends (1), with the line in LSTART, the output
# until then in LHEAD. No sleeping: a FIFO (read -t only bounds a build by
# examples/serve).
NL=0
start_lighttpd() {
	local head=
	LHEAD=
	NL=$((NL + 1))
	LLOG=$TMP/lighttpd$NL.log
	rm -f "$TMP/lfifo"
	mkfifo "$TMP/lfifo"
	(cd "${2:-$SRC}" && eval "exec $1") </dev/null >"$TMP/lfifo" 2>&1 &
	LPID=$!
	exec 3<"$TMP/lfifo"
	LSTART=
	while read -r -t 600 LSTART <&3; do
		head="$head$LSTART"$'\n'
		case $LSTART in *'server started'*) break ;; esac
	done
	{ printf '%s' "$head"; cat; } <&3 >"$LLOG" &
	exec 3<&-
	LHEAD=$head
	keep_log "$LLOG"
	case $LSTART in *'server started'*) return 0 ;; esac
	printf '%s' "$head" | sed 's/^/#   /' | tail -n 20
	return 1
}

# user_check NAME BASE: a KOReader user NAME registers through BASE,
# pushes and pulls (scenario, e2e.sh), and its folder is www-data's.
user_check() {
	scenario "$1" "$2"
	is "$(stat -c '%U %a' "/var/lib/kss/user-$1" 2>&1)" "www-data 700" \
	    "$1: the user's folder is www-data's, 0700"
}

# --- README's commands run as root: none asks for sudo ---
is "$(grep -nE '^ {4,}sudo ' "$README")" "" "README's commands need no sudo (they run as root)"

# --- Quick start: examples/serve, then README's curl ---
serve_pkgs=$(sed -n 's/^pkgs="\(.*\)"$/\1/p' "$SRC/examples/serve")
missing=
for p in $serve_pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
cmd=$(block "Build kss and serve it with lighttpd")
is "$cmd" "sh examples/serve" "Quick start: README says sh examples/serve"
# The copy: the source tree, and a build outside the tree where
# examples/serve looks (./build) when its Makefile finds the sources
# wherever it is (configured by an absolute path); else at the same place
# in the copy, and examples/serve is told (BUILD=, make distcheck's
# ../../configure).
Q=$TMP/ns/quick
qsrc=$Q/src
build_srcdir=$(sed -n 's/^srcdir = //p' "$BUILD/Makefile")
if [ "$BUILD" = "$SRC" ]; then
	qbuild=$qsrc serve=$cmd
elif [ "${build_srcdir#/}" != "$build_srcdir" ]; then
	qbuild=$qsrc/build serve=$cmd
else
	qbuild=$qsrc/${BUILD#"$SRC"/} serve="env BUILD='$qbuild' $cmd"
fi
if [ -n "$missing" ]; then
	skip "Quick start" "examples/serve would install:$missing"
elif [ "$BUILD" != "$SRC" ] && [ "${build_srcdir#/}" = "$build_srcdir" ] &&
    [ "${BUILD#"$SRC"/}" = "$BUILD" ]; then
	skip "Quick start" "a build outside the tree, configured by a relative path"
else
	mkdir -m 0700 "$Q"
	mkdir -p "$Q/up/src" "$Q/work/src" "$Q/up/build" "$Q/work/build" "$qsrc"
	mount -t overlay overlay -o "lowerdir=$SRC,upperdir=$Q/up/src,workdir=$Q/work/src" "$qsrc" &&
	    { [ "$qbuild" = "$qsrc" ] || { mkdir -p "$qbuild" &&
	    mount -t overlay overlay -o "lowerdir=$BUILD,upperdir=$Q/up/build,workdir=$Q/work/build" "$qbuild"; }; }
	ok $? "Quick start: a copy of the tree in a 0700 folder"
	start_lighttpd "$serve" "$qsrc"
	is "$?" 0 "Quick start: $serve (lighttpd started: $LSTART)"
	is "$(grep -c 'www-data cannot reach' <<<"$LHEAD")" 1 \
	    "Quick start: examples/serve says www-data cannot reach the build"
	mapfile -t try < <(block "Then, from another terminal:")
	is "$(cd "$SRC" && eval "${try[0]}")" "${try[1]}" "Quick start: ${try[0]}"
	is "$(curl -s "http://127.0.0.1:8081/healthcheck")" '{"state":"OK"}' \
	    "Quick start: and the CGI way on :8081"
	is "$(stat -c '%U %a' "$qsrc/kss-data")" "root 700" \
	    "Quick start: the data in ./kss-data, 0700, root's"
	is "$(users_of "$qbuild/cgi/kss.fcgi")" "root " "Quick start: kss serves as root"
	stop_all
fi

# --- Deploying: lighttpd ---
fresh
recipe lighttpd "lighttpd (a NAS) - examples/lighttpd.conf"
lrc=$?
if [ $lrc -ne 2 ]; then
	user_check lighttpd-fcgi "http://127.0.0.1:8080"
	user_check lighttpd-cgi "http://127.0.0.1:8081/kosync"
	is "$(users_of /usr/local/libexec/kss/kss.fcgi)" "www-data " "lighttpd: kss.fcgi serves as www-data"
	is "$(stat -c '%U %a' /var/lib/kss)" "www-data 700" "lighttpd: /var/lib/kss is www-data's, 0700"
	is "$(grep -cF "$ROOT_WARNING" "$LLOG")" 0 "lighttpd: kss never served as root"
	# A reboot empties /run: the recipe's own start works again.
	stop_all
	boot
	start=$(block "lighttpd (a NAS) - examples/lighttpd.conf" | tail -n 1)
	start_lighttpd "$start"
	is "$?" 0 "lighttpd: after a reboot, $start (started: $LSTART)"
	http GET "http://127.0.0.1:8080/healthcheck"
	is "$STATUS $BODY" '200 {"state":"OK"}' "lighttpd: after a reboot, served"
	stop_all
	# Started at boot as Debian's lighttpd service (its init script here).
	boot
	recipe lighttpd-boot "lighttpd service in place of its default site"
	http GET "http://127.0.0.1:8080/users/auth" -- -H "x-auth-user: user-lighttpd-fcgi" \
	    -H "x-auth-key: 5f4dcc3b5aa765d61d8327deb882cf99"
	is "$STATUS" 200 "lighttpd as the machine's service: a login"
	stop_all
	mv /etc/lighttpd/lighttpd.conf.debian /etc/lighttpd/lighttpd.conf
fi

# --- Deploying: nginx, with a certificate where the example looks ---
NGINX_OPTS=(--cacert /etc/ssl/certs/sync.example.org.pem
    --resolve sync.example.org:443:127.0.0.1 --resolve sync.example.org:80:127.0.0.1)
fresh
if recipe nginx "nginx with HTTPS - examples/nginx.conf"; [ $? -ne 2 ]; then
	mkdir -p /etc/ssl/private
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=sync.example.org \
	    -addext subjectAltName=DNS:sync.example.org \
	    -keyout /etc/ssl/private/sync.example.org.key \
	    -out /etc/ssl/certs/sync.example.org.pem 2>/dev/null
	ok $? "nginx: a certificate for sync.example.org, where the example looks"
	# with systemd: the units, checked as far as this machine allows
	recipe nginx-systemd "then with systemd: examples/kss.socket"
	if command -v systemd-analyze >/dev/null; then
		report=$(timeout 60 systemd-analyze verify --man=no \
		    /etc/systemd/system/kss.socket /etc/systemd/system/kss.service 2>&1)
		is "$report" "" "nginx-systemd: systemd-analyze verify finds nothing to say of the units"
	else
		skip "nginx-systemd: systemd-analyze verify" "no systemd-analyze"
	fi
	# (the recipe's KSS_CACHE_DIR line stays: it is kss.service's to drop)
	recipe nginx-spawn "or without systemd: spawn-fcgi starts kss.fcgi"
	nrc=$?
	# The example's own comment gives the same command.
	conf_spawn=$(sed -n '/^#   - spawn-fcgi/,/^#     (the folders/s/^#[[:space:]]*//p' \
	    "$SRC/examples/nginx.conf" | awk '{ line = line $0
		if (line ~ /\\$/) { sub(/\\$/, "", line); next }
		gsub(/  +/, " ", line); print line; line = "" }' | grep '^env ')
	is "${conf_spawn:-none in the comment}" "$(block "or without systemd: spawn-fcgi starts kss.fcgi" | grep '^env ')" \
	    "nginx-spawn: examples/nginx.conf's comment starts kss.fcgi as README does"
	if [ $nrc -ne 2 ]; then
		CURL_OPTS=("${NGINX_OPTS[@]}")
		user_check nginx-root "https://sync.example.org"
		user_check nginx-prefix "https://sync.example.org/kosync"
		is "$(users_of /usr/local/libexec/kss/kss.fcgi)" "www-data " "nginx: kss.fcgi serves as www-data"
		got=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "${NGINX_OPTS[@]}" \
		    http://sync.example.org/healthcheck)
		is "$got" "301 https://sync.example.org/healthcheck" "nginx: plain HTTP is redirected"
		http GET "https://sync.example.org/healthcheck"
		like "$HEADERS" '^Strict-Transport-Security: max-age=' "nginx: HSTS"
		CURL_OPTS=()
	fi
	stop_all
fi

# --- Deploying: Apache ---
fresh
recipe apache "Apache httpd - examples/apache.conf"
if [ $? -ne 2 ]; then
	user_check apache-fcgid "http://127.0.0.1:8080"
	user_check apache-cgi "http://127.0.0.1:8081/kosync"
	stop_all
fi

# --- Moving from the original kss: a folder as it left it, in a 0700
# home; a user whose name kss stores otherwise (bob.smith) ---
old=/home/alice/.local/share/kss
mkdir -p "$old/bob.smith"
printf '{"x-auth-user": "bob.smith", "x-auth-key": "%s"}' 5f4dcc3b5aa765d61d8327deb882cf99 \
    >"$old/bob.smith/auth.json"
printf '{"document": "0b229176d4e8db7f6d2b5a4952368d7a", "progress": "/body/p[7]", "percentage": 0.7, "device": "Kobo", "device_id": "K1", "timestamp": 1600000000}' \
    >"$old/bob.smith/0b229176d4e8db7f6d2b5a4952368d7a.json"
chmod 755 "$old" "$old/bob.smith"
chmod 644 "$old/bob.smith"/*
chown -R 1000:1000 /home/alice
chmod 700 /home/alice
fresh
recipe migrate "stop the old server, copy the folder's contents to"
is "$(stat -c '%U %a' /var/lib/kss/bob%2Esmith 2>&1)" "www-data 700" \
    "migrate: bob.smith's folder is where kss looks, www-data's, 0700"
if [ $lrc -ne 2 ]; then
	start_lighttpd "$(block "lighttpd (a NAS) - examples/lighttpd.conf" | tail -n 1)"
	is "$?" 0 "migrate: served with the lighttpd recipe"
	http GET "http://127.0.0.1:8080/syncs/progress/0b229176d4e8db7f6d2b5a4952368d7a" -- \
	    -H "x-auth-user: bob.smith" -H "x-auth-key: 5f4dcc3b5aa765d61d8327deb882cf99"
	is "$STATUS $(jf '[.progress, .device_id]')" '200 ["/body/p[7]","K1"]' \
	    "migrate: bob.smith logs in and pulls his progress"
	stop_all
	recipe managing "which kss-admin --help"
	like "$(cd / && eval "$(block "which kss-admin --help")")" 'bob\.smith' \
	    "managing: the user list shows bob.smith"
fi
fresh
recipe migrate-to "or make the new folder from the old one"
is "$(stat -c '%U' /var/lib/kss/bob%2Esmith 2>&1)" "www-data" "migrate --to: bob.smith's folder, www-data's"

ns_list
is "${#NS[@]}" 0 "nothing the test started is left running"
T_CLEANUP='unmount'
done_testing
