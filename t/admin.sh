# kss-admin for the tests, sourced after lib.sh: the program beside kss
# (KSS_ADMIN names another), and adm and key_of. The whole test is
# skipped when there is none.

ADMIN=${KSS_ADMIN:-$(dirname "$KSS_BIN")/kss-admin}
[ -x "$ADMIN" ] || skip_all "no kss-admin beside $KSS_BIN"

# Variables every adm run gets before its own (the test sets them).
ADM_VARS=()

# adm [VAR=value ...] [--] ARG...: runs kss-admin with exactly those
# variables (ADM_VARS, KSS_HASH_COST=1 and TZ=UTC unless given) and the
# sanitizer's, stdin the caller's. Sets OUT, ERR and RC. Its stderr is
# kept for done_testing's search for passwords; a status above 2 (a
# sanitizer's, a crash) counts in BAD_EXITS.
adm() {
	local vars=() rc=0 o=$TMP/adm-out.$BASHPID e=$TMP/adm-err.$BASHPID
	mapfile -t vars < <(san_env)
	vars+=("${ADM_VARS[@]}" "KSS_HASH_COST=1" "TZ=UTC")
	while [ $# -gt 0 ] && [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
		vars+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	env -i "${vars[@]}" "$ADMIN" "$@" >"$o" 2>"$e" || rc=$?
	OUT=$(<"$o") ERR=$(<"$e") RC=$rc
	[ -n "$ERR" ] && printf '%s\n' "$ERR" >>"$LOGS/admin.$BASHPID"
	if [ $rc -gt 2 ]; then
		BAD_EXITS=$((BAD_EXITS + 1))
		echo "# exit $rc from kss-admin $*: $ERR"
	fi
	return 0
}

# key_of PASSWORD: the key KOReader sends for it (its MD5).
key_of() {
	printf '%s' "$1" | md5sum | cut -c1-32
}
