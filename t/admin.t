#!/bin/bash
# kss-admin, run as an operator would, on a data folder that kss (as CGI,
# through t/lib.sh's req and as) serves at the same time: every command,
# missing users, bad and hostile names, a corrupt file, registration
# disabled, and pushes while kss-admin works.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
. "${T_SRCDIR:-$(dirname "$0")}/admin.sh"
ADM_VARS=("KSS_DIR=$DATA")

# push USER KEY DOC PROGRESS [METADATA]: a push through kss.
push() {
	local meta=
	[ $# -ge 5 ] && meta=",\"metadata\":$5"
	as "$1" "$2" PUT /syncs/progress "{\"document\":\"$3\",\"progress\":\"$4\",\"percentage\":0.25,\"device\":\"Kobo\",\"device_id\":\"D1\"$meta}"
}

# --- the command line ---
adm
is "$RC" 2 "no command: exit 2"
like "$ERR" '^usage: kss-admin' "with the usage"
adm --help
is "$RC" 0 "--help: exit 0"
like "$OUT" '^  user add NAME$' "the commands: user add"
like "$OUT" '^  docid FILE\.\.\. \[--json\]$' "docid"
like "$OUT" 'Exit status: 0 done, 1 failed, 2 a wrong command line' "--help tells the exit status"
adm --version
like "$RC $OUT" '^0 kss-admin \(kss ' "--version"
adm frobnicate
is "$RC" 2 "an unknown command: exit 2"
like "$ERR" "^kss-admin: unknown command 'frobnicate'" "naming it"
adm user frob x
is "$RC" 2 "an unknown subcommand: exit 2"
adm user list --bogus
is "$RC" 2 "an unknown option: exit 2"
like "$ERR" "unknown option '--bogus'" "naming it"
adm user add
is "$RC" 2 "a missing operand: exit 2"
like "$ERR" '^kss-admin: usage: kss-admin user add NAME$' "with the command's usage"
adm doc show a b c
is "$RC" 2 "an operand too many: exit 2"
adm user list --yes
is "$RC" 2 "an option the command does not take: exit 2"
like "$ERR" '--yes does not go with user list' "said"
adm doc list u --library
is "$RC" 2 "an option without its value: exit 2"
adm user list --json=1
is "$RC" 2 "a value for an option that takes none: exit 2"

# --- a data folder that is not there ---
adm "KSS_DIR=$TMP/none" user list
is "$RC" 1 "user list of a missing data folder: exit 1"
like "$ERR" "^kss-admin: data folder '$TMP/none': No such file or directory" \
    "naming the folder"
ok $([ ! -e "$TMP/none" ]; echo $?) "and not making it"
adm "KSS_DIR=$TMP/none" KSS_HASH_COST=zero user list
is "$RC" 1 "a setting kss cannot use: exit 1"
like "$ERR" 'KSS_HASH_COST must be' "naming it, as the server would"

# --- user add with registration disabled; the server lets the user in ---
req KSS_DISABLE_REGISTRATION=true POST /users/create '{"username":"ann","password":"key-a-0b7f"}'
err_is 402 2005 'User registration is disabled.' "registration disabled: the server refuses ann"
secret 'pass-ann-1d4e'
adm KSS_DISABLE_REGISTRATION=true user add ann <<<'pass-ann-1d4e'
is "$RC:$OUT" "0:user 'ann' added" "kss-admin user add adds her all the same"
K_ANN=$(key_of 'pass-ann-1d4e')
as ann "$K_ANN" KSS_DISABLE_REGISTRATION=true GET /users/auth
is "$STATUS $BODY" '200 {"authorized":"OK"}' "and she logs in through kss with the MD5 of her password"
as ann 'pass-ann-1d4e' GET /users/auth
is "$STATUS" 401 "not with the password itself"
like "$(jq -r '."x-auth-key-hash"' "$DATA/ann/auth.json")" '^\$y\$j75\$' \
    "stored as a registration stores it: yescrypt at KSS_HASH_COST (1)"
is "$(stat -c %a "$DATA/ann" "$DATA/ann/auth.json" | tr '\n' ' ')" "700 600 " \
    "a folder 0700, a file 0600"
push ann "$K_ANN" 0b229176d4e8db7f6d2b5a4952368d7a '/body/p[3]' \
    '{"title":"Dune","authors":"Frank Herbert","filename":"dune.epub"}'
is "$STATUS" 200 "she pushes"
adm user add ann <<<'other-pass-55c1'
is "$RC" 1 "user add of a taken name: exit 1"
is "$ERR" "kss-admin: user 'ann' exists" "said in one line"
adm user add bea </dev/null
is "$RC" 1 "user add with no password on stdin: exit 1"
like "$ERR" 'no password on standard input' "said"
adm user add bea <<<''
is "$RC:$ERR" "1:kss-admin: empty password" "an empty password is refused"
adm user list --json
is "$(printf '%s' "$OUT" | jq -r '[.[].name] | join(",")')" "ann" "and no bea was made"
adm user add 'colon:name' <<<'pass-c-22'
is "$RC" 1 "a name the server refuses: exit 1"
like "$ERR" "'colon:name' is not a user name kss accepts" "said"

# --- on a terminal: no echo, typed twice (script(1) gives a pty) ---
if command -v script >/dev/null && script -qec true /dev/null </dev/null >/dev/null 2>&1; then
	mkfifo "$TMP/tty-in" "$TMP/tty-out"
	# tty_session NAME ARGS...: kss-admin ARGS on a terminal; answers
	# each prompt ending in ':' with the next line of ANSWERS. The
	# screen in SCREEN, the status in RC. Every wait is bounded (read -t).
	tty_session() {
		local answers=("${ANSWERS[@]}") part buf a pid
		env -i $(san_env) KSS_DIR="$DATA" KSS_HASH_COST=1 TERM=dumb \
		    script -qfec "$(printf '%q ' "$ADMIN" "$@")" /dev/null \
		    <"$TMP/tty-in" >"$TMP/tty-out" 2>&1 &
		pid=$!
		exec 5>"$TMP/tty-in" 6<"$TMP/tty-out"
		SCREEN=
		for a in "${answers[@]}"; do
			buf=
			while IFS= read -r -N 1 -t 10 -u 6 part; do
				buf+=$part
				case $buf in *"': " | *"Again: " | *"[y/N] ") break ;; esac
			done
			SCREEN+=$buf
			printf '%s\n' "$a" >&5
		done
		exec 5>&-
		SCREEN+=$(timeout 10 cat <&6)
		exec 6<&-
		wait "$pid"
		RC=$?
		SCREEN=$(printf '%s' "$SCREEN" | tr '\r\n' '  ')
	}
	secret 'tty-pass-9c2e'
	ANSWERS=('tty-pass-9c2e' 'tty-pass-9c2e')
	tty_session user add tina
	is "$RC" 0 "on a terminal: user add tina"
	like "$SCREEN" "Password for 'tina': .*Again: .*user 'tina' added" \
	    "asks twice"
	ok $(printf '%s' "$SCREEN" | grep -q 'tty-pass'; [ $? = 1 ]; echo $?) \
	    "and the password is never echoed"
	as tina "$(key_of 'tty-pass-9c2e')" GET /users/auth
	is "$STATUS" 200 "tina logs in through kss"
	ANSWERS=('tty-pass-1' 'tty-pass-2')
	tty_session user passwd tina
	is "$RC" 1 "two different passwords: exit 1"
	like "$SCREEN" 'the passwords differ' "said"
	as tina "$(key_of 'tty-pass-9c2e')" GET /users/auth
	is "$STATUS" 200 "and the password is as it was"
	ANSWERS=('n')
	tty_session user del tina
	like "$RC:$SCREEN" "^1:.*Delete user 'tina' and 0 documents\? \[y/N\]" \
	    "user del asks on a terminal; no keeps her (exit 1)"
	ANSWERS=('y')
	tty_session user del tina
	like "$RC:$SCREEN" "^0:.*user 'tina' deleted" "yes deletes"
else
	for t in "user add" "asks twice" "no echo" "login" "passwd: differ" \
	    "said" "unchanged" "user del: no" "user del: yes"; do
		skip "on a terminal: $t" "script(1) cannot make a terminal here"
	done
fi

# --- user passwd: "I forgot my password" ---
secret 'new-pass-8a1f'
adm user passwd ann <<<'new-pass-8a1f'
is "$RC:$OUT" "0:password of 'ann' changed" "user passwd"
as ann "$K_ANN" GET /users/auth
is "$STATUS" 401 "the old password no longer logs in"
K_ANN=$(key_of 'new-pass-8a1f')
as ann "$K_ANN" GET /users/auth
is "$STATUS" 200 "the new one does"
as ann "$K_ANN" GET /syncs/progress/0b229176d4e8db7f6d2b5a4952368d7a
is "$(jf .progress)" '"/body/p[3]"' "her progress is kept"
adm user passwd nobody <<<'pass-n-1'
is "$RC:$ERR" "1:kss-admin: no user 'nobody'" "user passwd of a missing user: exit 1, one line"

# --- the original kss's account: a raw key ---
mkdir -m 700 "$DATA/olaf"
printf '{"x-auth-user": "olaf", "x-auth-key": "%s"}' "$(key_of 'olaf-pass')" >"$DATA/olaf/auth.json"
printf '{"document": "d-old", "progress": "12", "percentage": 0.5, "device": "Kindle", "timestamp": 1600000000, "extra": null}' >"$DATA/olaf/d-old.json"

# --- user list ---
push ann "$K_ANN" second-doc 'p2'
adm user list
is "$RC" 0 "user list"
is "$(printf '%s\n' "$OUT" | head -1)" "NAME  DOCS  LAST SYNC            DEVICES  KEY" \
    "a table: the header, columns aligned"
like "$(printf '%s\n' "$OUT" | grep '^ann ')" \
    '^ann   2     20[0-9-]{8} [0-9:]{8}  Kobo     hashed$' "ann: 2 documents, when, her device"
is "$(printf '%s\n' "$OUT" | grep '^olaf')" \
    "olaf  1     2020-09-13 12:26:40  Kindle   raw (original kss)" \
    "olaf: the original kss's raw key is said"
adm user list --json
is "$(printf '%s' "$OUT" | jq -c '.[] | select(.name == "olaf")')" \
    '{"name":"olaf","documents":1,"last_sync":1600000000,"devices":["Kindle"],"raw_key":true}' \
    "--json: each user's fields"
is "$(printf '%s' "$OUT" | jq -r '.[] | select(.name == "ann") | .raw_key')" false \
    "--json: ann's key is hashed"

# --- doc list, show, rm ---
adm doc list ann
is "$RC" 0 "doc list"
is "$(printf '%s\n' "$OUT" | head -1 | tr -s ' ')" "DOCUMENT PERCENT PROGRESS DEVICE TIME BOOK" \
    "a table with a header"
like "$(printf '%s\n' "$OUT" | grep 0b229176)" \
    '^0b229176d4e8db7f6d2b5a4952368d7a  25\.0%    /body/p\[3\]  Kobo    20[0-9 :-]{17}  Dune - Frank Herbert$' \
    "a row: id, percentage, progress, device, time, title and authors"
adm doc list ann --json
is "$(printf '%s' "$OUT" | jq -c '.[] | select(.document == "0b229176d4e8db7f6d2b5a4952368d7a") | [.percentage, .progress, .device, .device_id, (.timestamp | type), .metadata.filename]')" \
    '[0.25,"/body/p[3]","Kobo","D1","number","dune.epub"]' "--json: the record as kss answers it"
adm doc list olaf --json
is "$(printf '%s' "$OUT" | jq -c '.')" \
    '[{"document":"d-old","percentage":0.5,"progress":"12","device":"Kindle","timestamp":1600000000}]' \
    "an original kss record: its well-typed fields (extra and null left out)"
adm doc show ann 0b229176d4e8db7f6d2b5a4952368d7a
is "$RC" 0 "doc show"
like "$OUT" 'progress +/body/p\[3\]' "its progress"
like "$OUT" 'metadata\.title +Dune' "its metadata"
adm doc show ann 0b229176d4e8db7f6d2b5a4952368d7a --json
is "$(printf '%s' "$OUT" | jq -r '.device_id')" D1 "doc show --json"
adm doc show ann nosuchdoc
is "$RC:$ERR" "1:kss-admin: user 'ann' has no document 'nosuchdoc'" \
    "doc show of a missing document: exit 1, naming both"
adm doc show nobody x
is "$RC:$ERR" "1:kss-admin: no user 'nobody'" "doc show for a missing user"
adm doc list nobody
is "$RC:$ERR" "1:kss-admin: no user 'nobody'" "doc list for a missing user"
adm doc rm ann second-doc
is "$RC:$OUT" "0:document 'second-doc' of 'ann' removed" "doc rm"
as ann "$K_ANN" GET /syncs/progress/second-doc
is "$STATUS $BODY" '200 {}' "the server has no record of it any more"
adm doc rm ann second-doc
is "$RC" 1 "doc rm again: exit 1"

# --- a corrupt record, a corrupt auth.json ---
push ann "$K_ANN" broken p
printf '{"document": "broken", "progr' >"$DATA/ann/broken.json"
adm doc list ann
is "$RC" 1 "doc list with a corrupt record: exit 1"
like "$OUT" 'broken +- +\(corrupt: does not parse\)' "the record is listed as corrupt"
like "$ERR" "broken\.json: Invalid argument" "the file is named"
like "$ERR" "user 'ann': the record of 'broken' does not parse" "and the document"
adm doc show ann broken
is "$RC" 1 "doc show of the corrupt record: exit 1"
like "$ERR" "cannot read broken\.json" "naming the file"
adm doc rm ann broken
is "$RC" 0 "doc rm removes a corrupt record"
ok $([ ! -e "$DATA/ann/broken.json" ]; echo $?) "its file is gone"
mkdir -m 700 "$DATA/carl"
printf '{"x-auth-user": "carl", "x-auth-key-h' >"$DATA/carl/auth.json"
printf '{"document": "c1", "progress": "pc", "percentage": 0.1, "device": "K", "timestamp": 1700000000}' >"$DATA/carl/c1.json"
adm user list
is "$RC" 1 "user list with a corrupt auth.json: exit 1"
like "$ERR" "cannot read the auth\.json of carl" "naming it"
like "$OUT" '^NAME' "the other users are still listed"
like "$OUT" '^ann ' "ann among them"
like "$OUT" '^carl +\? +its credential cannot be read' "and carl, with what is wrong"
like "$ERR" '^kss-admin: 1 user cannot be read \(listed, with why\)$' "the last line counts them"
adm user list --json
is "$(printf '%s' "$OUT" | jq -c '.[] | select(.name == "carl")')" \
    '{"name":"carl","error":"its credential cannot be read (user passwd sets a new one)"}' \
    "--json: carl with \"error\""
secret 'carl-new-pass'
adm user passwd carl <<<'carl-new-pass'
is "$RC:$OUT" "0:password of 'carl' changed" "user passwd sets a new credential over a corrupt one"
as carl "$(key_of 'carl-new-pass')" GET /syncs/progress/c1
is "$STATUS $(jf .progress)" '200 "pc"' "carl logs in with it, his records kept"
printf '{"x-auth-user": "carl", "x-auth-key-h' >"$DATA/carl/auth.json"
adm user del carl --yes
is "$RC:$OUT" "0:user 'carl' deleted, with 1 document" "user del deletes a user whose auth.json is corrupt"
ok $([ ! -e "$DATA/carl" ]; echo $?) "his folder is gone"

# --- hostile and odd names, as the store encodes them ---
long=$(printf '€%.0s' $(seq 42))	# 126 bytes: a digest name
for name in 'a/b' '..' '../escape' '.hidden' 'bob.smith' 'sp ace' "$long" \
    '-dash' 'Zoë'; do
	secret "pw-$name-1x"
	adm user add -- "$name" <<<"pw-$name-1x"
	is "$RC" 0 "user add $(printf '%q' "$name")"
	as "$name" "$(key_of "pw-$name-1x")" GET /users/auth
	is "$STATUS" 200 "who then logs in through kss"
	push "$name" "$(key_of "pw-$name-1x")" "doc/x" p
	adm doc list --json -- "$name"
	is "$(printf '%s' "$OUT" | jq -r '.[0].document')" "doc/x" "doc list finds the record"
	adm user del --yes -- "$name"
	is "$RC" 0 "user del"
done
ok $([ ! -e "$TMP/escape" ] && [ ! -e "$DATA/../escape" ] && [ ! -e "$DATA/a/b" ]; echo $?) \
    "nothing was made outside the data folder or under a slash"
adm user add $'bad\xff' <<<'pw'
is "$RC" 1 "a name that is not UTF-8: exit 1"
is "$ERR" "kss-admin: 'bad\\xff' is not a user name kss accepts (1 to 128 bytes of UTF-8, no control characters, no ':')" \
    "shown escaped"
adm user add $'esc\e[2J' <<<'pw'
like "$RC:$ERR" "^1:kss-admin: 'esc\\\\x1b\\[2J'" "a control character is shown escaped"
adm user add "$(printf 'x%.0s' $(seq 129))" <<<'pw'
is "$RC" 1 "a name of 129 bytes: exit 1"
adm doc show ann "$(printf 'x%.0s' $(seq 129))"
like "$RC:$ERR" "^1:kss-admin: 'x+' is not a document id kss accepts" \
    "so is an id of 129 bytes"
adm doc rm ann 'a:b'
is "$RC" 1 "an id with ':': exit 1"
ls -A "$DATA" >"$TMP/ls"
is "$(grep -c -v -e '^\.kss-layout$' -e '^ann$' -e '^olaf$' "$TMP/ls")" 0 \
    "the data folder holds only ann, olaf and .kss-layout"

# --- user del ---
adm user del olaf </dev/null
is "$RC" 2 "user del without --yes, not on a terminal: exit 2"
like "$ERR" 'add --yes' "said"
ok $([ -d "$DATA/olaf" ]; echo $?) "and olaf stays"
adm user del olaf --yes
is "$RC:$OUT" "0:user 'olaf' deleted, with 1 document" "user del --yes"
ok $([ ! -e "$DATA/olaf" ]; echo $?) "olaf's folder is gone"
as olaf "$(key_of 'olaf-pass')" GET /users/auth
is "$STATUS" 401 "olaf no longer logs in"
adm user del olaf --yes
is "$RC:$ERR" "1:kss-admin: no user 'olaf'" "user del of a missing user"

# --- docid: every vector of docid.md ---
# synth N FILE: byte i is (i*31 + (i >> 8)) mod 256.
synth() {
	perl -e 'my $n = shift; print pack("C*", map { ($_ * 31 + ($_ >> 8)) % 256 } 0 .. $n - 1)' "$1" >"$2"
}
mkdir "$TMP/books"
want=
for v in 500:21f0df72cce9bc7da8dae2512ee5feed 1024:f4cd1641040a17288bb6104d9e66bdb5 \
    1025:170a888db01c00d8fc3e5d8d84de5838 2048:d0e59a0c7b893c3b8d6a9bddbd64e631 \
    3000:d0e59a0c7b893c3b8d6a9bddbd64e631 200000:1784b150454ef4cf6780ceb94af0386f \
    1050000:0fca5c751677ecbc2dcfe80ea75ace32; do
	synth "${v%%:*}" "$TMP/books/s${v%%:*}.bin"
	want+="${v#*:} s${v%%:*}.bin"$'\n'
done
# The sparse file of 1 GiB and 1 KiB: truncate costs no disk.
sparse=$TMP/books/sparse.bin
truncate -s 1073742848 "$sparse"
for off in 0 1024 4096 16384 65536 262144 1048576 4194304 16777216 67108864 \
    268435456 1073741824; do
	printf '%016d' "$off" | dd of="$sparse" bs=1 seek="$off" conv=notrunc status=none
done
want+="266ff27c24919f4cec96f90f9b3231ca sparse.bin"$'\n'
(cd "$TMP/books" && adm docid s500.bin s1024.bin s1025.bin s2048.bin s3000.bin \
    s200000.bin s1050000.bin sparse.bin
printf '%s\n' "$RC" >"$TMP/rc"; printf '%s\n' "$OUT" >"$TMP/docid.out")
is "$(<"$TMP/rc")" 0 "docid of the test vectors"
is "$(awk 'NR > 1 { print $1, $3 }' "$TMP/docid.out")" "${want%$'\n'}" \
    "every binary id of docid.md, the 1 GiB sparse file's included"
ok $([ "$(du -k "$sparse" | cut -f1)" -lt 10240 ]; echo $?) \
    "the sparse file takes $(du -k "$sparse" | cut -f1) KiB of disk"
printf 'x' >"$TMP/books/minimal-v3plus2.epub"
adm docid --json "$TMP/books/minimal-v3plus2.epub"
is "$(printf '%s' "$OUT" | jq -r '.[0].filename')" 35322b7036d0c3298eedde8c30429693 \
    "the filename id (MD5 of the base name)"
is "$(printf '%s' "$OUT" | jq -r '.[0].binary')" "$(printf x | md5sum | cut -c1-32)" \
    "--json: the binary id of a one-byte file is its MD5"
adm docid "$TMP/books/none.epub" "$TMP/books/s500.bin" "$TMP/books"
is "$RC" 1 "docid of a missing file and a folder: exit 1"
like "$ERR" "none\.epub': No such file or directory" "naming the missing one"
like "$ERR" "books': Is a directory" "and the folder"
like "$OUT" '^21f0df72cce9bc7da8dae2512ee5feed ' "the file between them still gets its id"
rm -f "$sparse"

# --- doc list --library: which book is this hash ---
mkdir -p "$TMP/library/Herbert"
synth 200000 "$TMP/library/Herbert/dune.epub"
printf 'pdf' >"$TMP/library/named.pdf"
push ann "$K_ANN" 1784b150454ef4cf6780ceb94af0386f 'p-bin'
push ann "$K_ANN" "$(printf 'named.pdf' | md5sum | cut -c1-32)" 'p-name'
adm doc list ann --library "$TMP/library"
is "$RC" 0 "doc list --library"
like "$OUT" '^Herbert/dune\.epub +25\.0% +p-bin' "a book found by its content"
like "$OUT" '^named\.pdf +25\.0% +p-name' "a book found by its name"
like "$OUT" '^0b229176d4e8db7f6d2b5a4952368d7a ' "an id no book has stays a hash"
adm doc list ann --json --library "$TMP/library"
is "$(printf '%s' "$OUT" | jq -c '[.[] | select(.file) | [.file, .method]] | sort')" \
    '[["Herbert/dune.epub","binary"],["named.pdf","filename"]]' "--json: file and method"
adm doc list ann --library "$TMP/nolibrary"
is "$RC" 1 "a library that is not there: exit 1"
like "$ERR" "library '$TMP/nolibrary': No such file or directory" "said"

# --- the data folder: -d, KSS_DIR, the server's default ---
adm KSS_DIR="$TMP/elsewhere" -d "$DATA" user list --json
is "$(printf '%s' "$OUT" | jq -r '.[].name')" ann "-d wins over KSS_DIR"
adm KSS_DIR="$DATA" --dir="$TMP/new" user add dee <<<'pass-d-44'
ok $([ "$RC" = 0 ] && [ -f "$TMP/new/dee/auth.json" ] && [ "$(stat -c %a "$TMP/new")" = 700 ]; echo $?) \
    "--dir=DIR; user add makes a missing folder, 0700"
# Without KSS_DIR: wherever kss itself looks (HOME, or the configure
# --with-default-dir), which outlives the test: a name of this run only,
# deleted again.
u=admin-default-$$-$RANDOM
secret 'pass-default-7d'
env -i $(san_env) HOME="$TMP/home" KSS_HASH_COST=1 "$ADMIN" user add "$u" \
    <<<'pass-default-7d' >/dev/null 2>"$LOGS/admin-default"
raw_req HOME="$TMP/home" KSS_HASH_COST=1 REQUEST_METHOD=GET PATH_INFO=/users/auth \
    HTTP_X_AUTH_USER="$u" HTTP_X_AUTH_KEY="$(key_of 'pass-default-7d')" </dev/null
is "$STATUS" 200 "without KSS_DIR, kss-admin and kss use the same folder"
env -i $(san_env) HOME="$TMP/home" "$ADMIN" user del --yes "$u" >/dev/null 2>>"$LOGS/admin-default"
is "$?" 0 "and the user is deleted from it again"
kss_run -- --help >"$TMP/help"
adm --help
is "$(printf '%s' "$OUT" | sed -n 's/.*(default: KSS_DIR, else \(.*\))$/\1/p')" \
    "$(sed -n 's/^Data directory when KSS_DIR is unset: //p' "$TMP/help")" \
    "--help names the same default as kss's"

# --- user list: the last sync of readable records only ---
secret 'dora-pass-1'
adm user add dora <<<'dora-pass-1'
printf '{"document": "d1", "timest' >"$DATA/dora/d1.json"
adm user list --json
is "$(printf '%s' "$OUT" | jq -c '.[] | select(.name == "dora") | [.documents, .last_sync]')" '[1,null]' \
    "a user whose only record is corrupt: no last sync (not 1970)"
adm user del dora --yes

# --- export and import: back up and restore ---
mkdir -m 700 "$DATA/rita"
printf '{"x-auth-user": "rita", "x-auth-key": "%s"}' "$(key_of 'rita-pass')" >"$DATA/rita/auth.json"
printf '{"document": "r1", "progress": "9", "percentage": 0.9, "device": "Kobo", "timestamp": 1700000000}' >"$DATA/rita/r1.json"
adm export
is "$RC" 0 "export"
printf '%s\n' "$OUT" >"$TMP/export.json"
is "$(jq -r '.kss_export' "$TMP/export.json")" 1 "one JSON document, marked as kss's export"
is "$(jq -r '.users[] | select(.name == "ann") | .key_hash' "$TMP/export.json")" \
    "$(jq -r '."x-auth-key-hash"' "$DATA/ann/auth.json")" "a credential as stored: ann's hash"
is "$(jq -r '.users[] | select(.name == "rita") | .raw_key' "$TMP/export.json")" \
    "$(key_of 'rita-pass')" "rita's raw key of the original kss, as stored"
adm doc list ann --json
is "$(jq -r '.users[] | select(.name == "ann") | .documents | keys | join(" ")' "$TMP/export.json")" \
    "$(printf '%s' "$OUT" | jq -r '[.[].document] | sort | join(" ")')" "every document of ann"
adm -d "$TMP/restored" import --dry-run "$TMP/export.json"
like "$OUT" "would be: 'ann': created" "import --dry-run says what it would do"
ok $([ ! -e "$TMP/restored" ]; echo $?) "and makes nothing, not even the data folder"
mkdir -m 700 "$TMP/restored"
adm -d "$TMP/restored" import --dry-run "$TMP/export.json"
like "$RC:$OUT" "^0:would be: " "into a folder kss has not written yet"
ok $([ -z "$(ls -A "$TMP/restored")" ]; echo $?) "it writes nothing there either (no .kss-layout)"
adm -d "$TMP/restored" import "$TMP/export.json"
is "$RC" 0 "import into a new folder"
like "$OUT" "[0-9]+ users created, 0 already here; [0-9]+ documents added, 0 updated, 0 kept" "counted"
as ann "$K_ANN" KSS_DIR="$TMP/restored" GET /syncs/progress/0b229176d4e8db7f6d2b5a4952368d7a
is "$STATUS $(jf .progress)" '200 "/body/p[3]"' "ann logs in to the restored folder and finds her progress"
as rita "$(key_of 'rita-pass')" KSS_DIR="$TMP/restored" GET /syncs/progress/r1
is "$STATUS $(jf .progress)" '200 "9"' "so does rita, with her raw key"
adm -d "$TMP/restored" import "$TMP/export.json"
like "$RC $OUT" '^0 0 users created, [0-9]+ already here; 0 documents added, 0 updated, [0-9]+ kept' \
    "importing again changes nothing"
# On conflict the newer record wins, either way; a credential here stays.
jq '(.users[] | select(.name == "ann") | .documents["0b229176d4e8db7f6d2b5a4952368d7a"]) |= (.progress = "/body/from-file" | .timestamp = 4000000000)
    | (.users[] | select(.name == "rita") | .documents.r1) |= (.progress = "old" | .timestamp = 1)' \
    "$TMP/export.json" >"$TMP/edited.json"
secret 'restored-pass-61'
adm -d "$TMP/restored" user passwd ann <<<'restored-pass-61'
K_R=$(key_of 'restored-pass-61')
adm -d "$TMP/restored" import --dry-run "$TMP/edited.json"
like "$OUT" "would be: 'ann' '0b229176d4e8db7f6d2b5a4952368d7a': updated \(newer\)" \
    "--dry-run: a newer record would replace the one there"
as ann "$K_R" KSS_DIR="$TMP/restored" GET /syncs/progress/0b229176d4e8db7f6d2b5a4952368d7a
is "$(jf .progress)" '"/body/p[3]"' "but a dry run stores nothing"
adm -d "$TMP/restored" import "$TMP/edited.json"
is "$RC" 0 "import of the edited file"
like "$OUT" "'ann': kept: the credential here differs" "a credential changed here is kept, and said"
as ann "$K_R" KSS_DIR="$TMP/restored" GET /syncs/progress/0b229176d4e8db7f6d2b5a4952368d7a
is "$STATUS $(jf .progress)" '200 "/body/from-file"' "the newer record from the file wins"
as rita "$(key_of 'rita-pass')" KSS_DIR="$TMP/restored" GET /syncs/progress/r1
is "$(jf .progress)" '"9"' "an older one from the file does not"
# What import cannot take is left out, each said; the rest lands.
printf '{"kss_export": 1, "users": [{"name": "ok", "raw_key": "k", "documents": {"d": "str", "e": {"progress": "pe", "timestamp": 5}}}, {"name": "a:b", "raw_key": "k"}, {"name": "two", "raw_key": "k", "key_hash": "$y$x"}, 7]}' >"$TMP/bad.json"
adm -d "$TMP/restored" import "$TMP/bad.json"
is "$RC" 1 "an export holding what kss refuses: exit 1"
like "$ERR" "'a:b': skipped: no user name kss accepts \(users\[1\]\)" "a name kss refuses is said"
like "$ERR" "'two': skipped: no credential \(one \"key_hash\" or \"raw_key\"\)" "two credentials for one user"
like "$ERR" "'\(users\[3\]\)': skipped: not a user \(an object\)" "an entry that is no user"
like "$ERR" "'ok' 'd': skipped: not a record \(an object\)" "a record that is not an object"
as ok k KSS_DIR="$TMP/restored" GET /syncs/progress/e
is "$STATUS $(jf .progress)" '200 "pe"' "and the rest is imported"
printf '{"kss_export": 1, "users": [{"name": "md5", "key_hash": "$1$salt$qJH7.N4xYta3aEG/dfqo/0"}]}' >"$TMP/bad.json"
adm -d "$TMP/restored" import "$TMP/bad.json"
like "$RC:$ERR" "^1:kss-admin: 'md5': skipped: no credential kss can verify \(a yescrypt hash kss makes, or a raw key\)" \
    "a hash kss does not make (md5crypt) is refused"
printf '{"kss_export": 1, "users": {}}' >"$TMP/bad.json"
adm -d "$TMP/restored" import "$TMP/bad.json"
like "$RC:$ERR" '^1:.*no "users" list; nothing imported' "a file of another shape is refused whole"
printf '[1, 2' >"$TMP/bad.json"
adm -d "$TMP/restored" import "$TMP/bad.json"
like "$RC:$ERR" "^1:kss-admin: '$TMP/bad.json': .*\(line 1\)" "a file that is not JSON: exit 1, naming it"
adm -d "$TMP/restored" import - <"$TMP/export.json"
is "$RC" 0 "import - reads standard input"
adm -d "$TMP/restored" import "$TMP/missing.json"
is "$RC" 1 "import of a missing file: exit 1"
# The original kss stored strings of any length, and kss serves them: a
# backup of them restores, and migrate --to copies them.
mkdir -p "$TMP/long/alice"
printf '{"x-auth-user":"alice","x-auth-key":"%s"}' "$(key_of 'alice-pass')" >"$TMP/long/alice/auth.json"
long5k=$(head -c 5000 /dev/zero | tr '\0' x)
printf '{"document":"long","progress":"%s","percentage":0.1,"device":"K","timestamp":5}' "$long5k" >"$TMP/long/alice/long.json"
printf '{"document":"short","progress":"s","percentage":0.2,"device":"K","timestamp":6}' >"$TMP/long/alice/short.json"
adm -d "$TMP/long" export
is "$RC" 0 "export of a record holding 5000 bytes of progress"
printf '%s\n' "$OUT" >"$TMP/long.json"
adm -d "$TMP/long-restored" import "$TMP/long.json"
is "$RC" 0 "imports: a backup kss-admin made restores"
as alice "$(key_of 'alice-pass')" KSS_DIR="$TMP/long-restored" GET /syncs/progress/long
is "$STATUS $(jf .progress | wc -c)" "200 5003" "the long record is there, whole"
adm migrate "$TMP/long" --to "$TMP/long-migrated"
is "$RC" 0 "migrate --to of that folder"
as alice "$(key_of 'alice-pass')" KSS_DIR="$TMP/long-migrated" GET /syncs/progress/long
is "$STATUS $(jf .progress | wc -c)" "200 5003" "copies the long record"
as alice "$(key_of 'alice-pass')" KSS_DIR="$TMP/long-migrated" GET /syncs/progress/short
is "$STATUS $(jf .progress)" '200 "s"' "and the others"
# What a client may push, a backup carries back: NUL in metadata.
secret 'pass-nul-3b7d'
adm -d "$TMP/nul" user add nul <<<'pass-nul-3b7d'
as nul "$(key_of 'pass-nul-3b7d')" KSS_DIR="$TMP/nul" PUT /syncs/progress '{"document":"t","progress":"p","percentage":0.5,"device":"K","metadata":{"title":"a\u0000b"}}'
is "$STATUS" 200 "a push with NUL in its metadata"
adm -d "$TMP/nul" export
printf '%s\n' "$OUT" >"$TMP/nul.json"
adm -d "$TMP/nul-restored" import "$TMP/nul.json"
is "$RC" 0 "its export imports"
as nul "$(key_of 'pass-nul-3b7d')" KSS_DIR="$TMP/nul-restored" GET /syncs/progress/t
is "$STATUS $(jf .metadata.title)" '200 "a\u0000b"' "with the NUL"
# A user the store does not create is not counted as created, and is
# named; so are the records left out with it.
mkdir -p -m 700 "$TMP/blocked/alice"
adm -d "$TMP/blocked" import "$TMP/long.json"
is "$RC" 1 "import where a user cannot be created: exit 1"
like "$ERR" "'alice': not created: the name is taken" "the user is named, and why"
like "$(printf '%s\n' "$OUT" | tail -1)" "^0 users created, 0 already here; 0 documents added, 0 updated, 0 kept \(as new here\); left out: 1 user, [0-9]+ documents$" \
    "nor counted as created, but as left out"
adm -d "$TMP/blocked" import --json "$TMP/long.json"
is "$(printf '%s' "$OUT" | jq -c '[.users_created, .users_skipped, ([.changes[] | select(.problem)] | length > 0)]')" '[0,1,true]' \
    "--json: the counts, and what was left out among the changes"

# --- check ---
rm -rf "$DATA/rita"
adm check
is "$RC:$OUT" "0:all is well (0 fixed, 0 notes)" "check of a sound folder: exit 0"
mkdir -m 700 "$DATA/ghost"
req POST /users/create '{"username":"ghost","password":"ghost-key-41"}'
is "$STATUS" 402 "a folder without auth.json: its name cannot register (402)"
adm check
is "$RC" 1 "check finds it: exit 1"
like "$OUT" '^problem  ghost: no auth\.json: no account, yet its name can neither register nor log in' "and says why"
like "$OUT" "^problem  ghost: .*: kss-admin user add 'ghost' makes the account here, keeping what the folder holds, or remove the folder" \
    "and what mends it"
# A folder others may write to is not made an account: its auth.json
# could be replaced behind kss's back.
chmod 777 "$DATA/ghost"
adm user add ghost <<<'ghost-pass-31'
like "$RC:$ERR" "^1:.*ghost is not kss's own folder \(uid [0-9]+, mode 0777\): no account made in it" \
    "user add of a folder others may write to: refused, and said"
ok $([ ! -e "$DATA/ghost/auth.json" ]; echo $?) "no auth.json made there"
chmod 700 "$DATA/ghost"
# What check advises works: user add makes the account in the folder.
printf '{"document": "g1", "progress": "pg", "percentage": 0.2, "device": "K", "timestamp": 1700000000}' >"$DATA/ghost/g1.json"
secret 'ghost-pass-31'
adm user add ghost <<<'ghost-pass-31'
is "$RC:$OUT" "0:user 'ghost' added" "user add of a folder without auth.json: the account is made there"
like "$ERR" "ghost had no auth\.json \(no account\): made one, keeping the 1 file the folder holds" "and that is said"
as ghost "$(key_of 'ghost-pass-31')" GET /syncs/progress/g1
is "$STATUS $(jf .progress)" '200 "pg"' "ghost logs in, and finds the record the folder held"
adm user add ghost <<<'ghost-pass-31'
is "$RC:$ERR" "1:kss-admin: user 'ghost' exists" "a second user add finds the account"
adm user del ghost --yes
is "$RC" 0 "and user del removes it"
old_file() {	# old_file PATH: made, 2 minutes old
	: >"$1"
	touch -d '2 minutes ago' "$1"
}
old_file "$DATA/ann/.tmp-77"
old_file "$DATA/ann/.tmp-0123456789abcdef"	# kss before 2026-11-26
: >"$DATA/ann/.tmp-78"				# a push under way
mkdir -m 700 "$DATA/.new-0123456789abcdef" "$DATA/.del-0123456789abcdef"
: >"$DATA/.new-0123456789abcdef/auth.json"
touch -d '2 minutes ago' "$DATA/.new-0123456789abcdef" "$DATA/.del-0123456789abcdef"
old_file "$DATA/.tmp-fedcba9876543210"
chmod 644 "$DATA/ann/auth.json"
chmod 755 "$DATA/ann"
printf '{"document": "torn", "pro' >"$DATA/ann/torn.json"
chmod 600 "$DATA/ann/torn.json"
mkdir -m 700 "$DATA/bob.smith"
printf '{"x-auth-user": "bob.smith", "x-auth-key": "k"}' >"$DATA/bob.smith/auth.json"
chmod 600 "$DATA/bob.smith/auth.json"
: >"$DATA/ann/notes.txt"
chmod 600 "$DATA/ann/notes.txt"
adm check
is "$RC" 1 "check: exit 1"
printf '%s\n' "$OUT" >"$TMP/check.out"
for want in '^problem  ann/\.tmp-77: left by an interrupted write \([0-9]+ s old\): --repair removes it$' \
    '^problem  ann/\.tmp-0123456789abcdef: left by an interrupted write' \
    '^note     ann/\.tmp-78: a write under way\?' \
    '^problem  \.new-0123456789abcdef: left by' '^problem  \.del-0123456789abcdef: left by' \
    '^problem  \.tmp-fedcba9876543210: left by' \
    '^problem  ann/auth\.json: mode 0644, readable by others' '^problem  ann: mode 0755' \
    '^problem  ann/torn\.json: does not parse as a record' \
    "^problem  bob\.smith: kss looks for user 'bob\.smith' under bob%2Esmith, not here: kss-admin migrate moves it" \
    '^problem  bob\.smith/auth\.json: ' '^problem  ann/notes\.txt: not kss.s: kss stores nothing so'; do
	like "$(grep -E -- "$want" "$TMP/check.out")" "$want" "check says: $want"
done
is "$(tail -1 "$TMP/check.out")" "$(grep -c '^problem' "$TMP/check.out") problems, 0 fixed" "and counts them"
adm check --json
is "$(printf '%s' "$OUT" | jq -r '[.[] | select(.state == "problem")] | length')" \
    "$(grep -c '^problem' "$TMP/check.out")" "check --json: the same findings"
adm check --repair
is "$RC" 1 "check --repair: exit 1 while some remain"
printf '%s\n' "$OUT" >"$TMP/repair.out"
is "$(grep -c '^fixed' "$TMP/repair.out")" 7 "seven fixed: five leftovers, two modes"
ok $([ ! -e "$DATA/ann/.tmp-77" ] && [ ! -e "$DATA/ann/.tmp-0123456789abcdef" ] &&
    [ ! -e "$DATA/.new-0123456789abcdef" ] && [ ! -e "$DATA/.del-0123456789abcdef" ] &&
    [ ! -e "$DATA/.tmp-fedcba9876543210" ]; echo $?) "the old leftovers are gone"
ok $([ -e "$DATA/ann/.tmp-78" ]; echo $?) "a young one stays"
is "$(stat -c %a "$DATA/ann" "$DATA/ann/auth.json" | tr '\n' ' ')" "700 600 " "modes made 0700 and 0600"
is "$(grep -c '^problem' "$TMP/repair.out")" 4 "what --repair cannot mend stays a problem"
as ann "$K_ANN" GET /users/auth
is "$STATUS" 200 "ann still logs in"
rm -f "$DATA/ann/torn.json" "$DATA/ann/notes.txt" "$DATA/ann/.tmp-78"
rm -r "$DATA/bob.smith"
adm check
is "$RC" 0 "check again once the rest is dealt with: exit 0"
# A record kss cannot read (here too large): a push of it fails as well,
# so check says what works.
head -c 2000000 /dev/zero | tr '\0' x >"$DATA/ann/huge.json"
chmod 600 "$DATA/ann/huge.json"
adm check
like "$OUT" '^problem  ann/huge\.json: File too large: kss cannot read it, so a push of it fails too \(and doc rm\): make it readable, or remove the file$' \
    "check: a record that cannot be read, and what mends it"
rm "$DATA/ann/huge.json"

# --- migrate: the original kss's folder ---
# orig DIR: a data folder as the original kss left it: raw keys, names as
# they are, the modes of umask 022.
HASH_ANN=$(jq -r '."x-auth-key-hash"' "$DATA/ann/auth.json")
orig() {
	mkdir -p "$1/bob.smith" "$1/Carla" "$1/plain"
	printf '{"x-auth-user": "bob.smith", "x-auth-key": "%s"}' "$(key_of 'bob-pass')" >"$1/bob.smith/auth.json"
	printf '{"document": "0b229176d4e8db7f6d2b5a4952368d7a", "progress": "5", "percentage": 0.5, "device": "Kobo", "device_id": "X", "timestamp": 1600000000}' \
	    >"$1/bob.smith/0b229176d4e8db7f6d2b5a4952368d7a.json"
	printf '{"document": "my.book", "progress": "7", "percentage": 0.7, "device": null, "extra": 1, "timestamp": 1600000001}' \
	    >"$1/bob.smith/my.book.json"
	printf '{"x-auth-user": "Carla", "x-auth-key": "%s"}' "$(key_of 'carla-pass')" >"$1/Carla/auth.json"
	printf '{"x-auth-user": "plain", "x-auth-key-hash": "%s"}' "$HASH_ANN" >"$1/plain/auth.json"
	chmod 755 "$1" "$1"/*
	chmod 644 "$1"/*/*
}
tree() {	# tree DIR: every path with its mode, sorted
	(cd "$1" && find . -printf '%p %m\n' | sort)
}
orig "$TMP/orig"
tree "$TMP/orig" >"$TMP/before"
adm migrate "$TMP/orig" --dry-run
is "$RC" 0 "migrate --dry-run"
like "$OUT" "would be: 'bob\.smith': folder bob\.smith renamed to bob%2Esmith, where kss looks" \
    "says what it would rename"
tree "$TMP/orig" | grep -v '^\./\.kss-layout ' >"$TMP/after"
is "$(diff "$TMP/before" "$TMP/after")" "" "and changes nothing (but .kss-layout, which kss writes at its first look)"
adm migrate "$TMP/orig"
is "$RC" 0 "migrate in place: exit 0"
printf '%s\n' "$OUT" >"$TMP/migrate.out"
for want in "'bob\.smith' 'my\.book': record moved from my\.book\.json to my%2Ebook\.json" \
    "'bob\.smith': raw key of the original kss hashed" \
    "'bob\.smith': folder bob\.smith renamed to bob%2Esmith, where kss looks" \
    "'Carla': raw key of the original kss hashed" "'bob\.smith': permissions tightened" \
    'data folder: the data folder made 0700'; do
	like "$(grep -E -- "$want" "$TMP/migrate.out")" "$want" "migrate says: $want"
done
ok $(jq -e '."x-auth-key-hash" | startswith("$y$")' "$TMP/orig/bob%2Esmith/auth.json" >/dev/null &&
    ! grep -q '"x-auth-key"' "$TMP/orig/bob%2Esmith/auth.json" "$TMP/orig/Carla/auth.json"; echo $?) \
    "the raw keys are hashed at once"
is "$(find "$TMP/orig" -type d ! -perm 700 | wc -l) $(find "$TMP/orig" -type f ! -perm 600 | wc -l)" "0 0" \
    "every folder 0700, every file 0600"
as bob.smith "$(key_of 'bob-pass')" KSS_DIR="$TMP/orig" GET /syncs/progress/my.book
is "$STATUS $(jf .progress)" '200 "7"' "bob.smith logs in, his progress kept (no re-registering)"
as bob.smith "$(key_of 'bob-pass')" KSS_DIR="$TMP/orig" GET /syncs/progress/0b229176d4e8db7f6d2b5a4952368d7a
is "$(jf .device_id)" '"X"' "every record"
as Carla "$(key_of 'carla-pass')" KSS_DIR="$TMP/orig" GET /users/auth
is "$STATUS" 200 "Carla logs in"
adm migrate "$TMP/orig"
is "$RC:$OUT" "0:nothing to change" "migrate again: nothing to change"
adm -d "$TMP/orig" check
is "$RC" 0 "and check finds the folder sound"
# --to: the old folder left as it is, a new one made.
orig "$TMP/orig2"
tree "$TMP/orig2" >"$TMP/before"
adm migrate "$TMP/orig2" --to "$TMP/migrated" --dry-run
ok $([ "$RC" = 0 ] && [ ! -e "$TMP/migrated" ]; echo $?) "migrate --to --dry-run makes nothing"
like "$OUT" "would be: 'bob\.smith' 'my\.book': added" "and says what it would copy"
adm migrate "$TMP/orig2" --to "$TMP/migrated"
is "$RC" 0 "migrate --to NEWDIR"
is "$(tree "$TMP/orig2" | diff "$TMP/before" -)" "" "the old folder is left as it was"
as bob.smith "$(key_of 'bob-pass')" KSS_DIR="$TMP/migrated" GET /syncs/progress/my.book
is "$STATUS $(jf .progress)" '200 "7"' "bob.smith logs in to the new folder"
ok $(! grep -rq '"x-auth-key"' "$TMP/migrated"; echo $?) "whose keys are all hashed"
adm migrate "$TMP/orig2" --to "$TMP/migrated"
is "$RC:$OUT" "0:nothing to change" "migrate --to again: nothing to change"
# A user who re-registered, as README once said, has two folders: merged.
orig "$TMP/orig3"
mkdir -m 700 "$TMP/orig3/bob%2Esmith"
printf '{"x-auth-user": "bob.smith", "x-auth-key-hash": "%s"}' "$HASH_ANN" >"$TMP/orig3/bob%2Esmith/auth.json"
printf '{"document": "my.book", "progress": "99", "percentage": 0.99, "device": "K", "timestamp": 1700000000}' \
    >"$TMP/orig3/bob%2Esmith/my%2Ebook.json"
printf '{"x-auth-user": "eve", "x-auth-key": "k"}' >"$TMP/orig3/plain/auth.json"
# Names the original kss took and kss refuses.
long=$(printf 'x%.0s' $(seq 130))
mkdir "$TMP/orig3/x:y" "$TMP/orig3/$long"
printf '{"x-auth-user": "x:y", "x-auth-key": "k"}' >"$TMP/orig3/x:y/auth.json"
printf '{"x-auth-user": "%s", "x-auth-key": "k"}' "$long" >"$TMP/orig3/$long/auth.json"
printf '{"document": "a:b", "progress": "1"}' >"$TMP/orig3/Carla/a:b.json"
printf '{"document": "other", "progress": "1"}' >"$TMP/orig3/Carla/this.json"
printf '{"document": ' >"$TMP/orig3/Carla/torn.json"
adm migrate "$TMP/orig3"
is "$RC" 1 "migrate with something it must leave alone: exit 1"
like "$OUT" "'bob\.smith': folder bob\.smith merged into bob%2Esmith, the account kss finds \(1 newer record taken; its own key kept\)" \
    "a user with two folders: the old one merged into the one kss finds"
like "$ERR" "'plain': auth.json names another user: left alone" "a folder naming another user is left alone, and said"
like "$ERR" "'x:y': a user name kss refuses" "so is a user name with ':'"
like "$ERR" "'x{130}': a user name kss refuses" "or of 130 bytes"
like "$ERR" "'Carla' 'a:b\\.json': a document id kss refuses: left alone" "a document id with ':'"
like "$ERR" "'Carla' 'this\\.json': holds the record of another document: left alone" "a record under another's name"
like "$ERR" "'Carla' 'torn\\.json': does not parse: left alone" "a torn record"
ok $([ -e "$TMP/orig3/x:y/auth.json" ] && [ -e "$TMP/orig3/Carla/a:b.json" ] && [ -e "$TMP/orig3/Carla/torn.json" ]; echo $?) \
    "all left where they were"
ok $([ ! -e "$TMP/orig3/bob.smith" ] && [ -d "$TMP/orig3/plain" ]; echo $?) "the merged folder is gone, the odd one stays"
as bob.smith "$K_ANN" KSS_DIR="$TMP/orig3" GET /syncs/progress/my.book
is "$STATUS $(jf .progress)" '200 "99"' "the newer record stays, with the re-registered key"
as bob.smith "$K_ANN" KSS_DIR="$TMP/orig3" GET /syncs/progress/0b229176d4e8db7f6d2b5a4952368d7a
is "$STATUS $(jf .progress)" '200 "5"' "and the old folder's other records join it"
# A merge moves what it took and nothing else: what it left alone stays
# in the old folder, and that is said.
mkdir -p "$TMP/merge/bob.smith"
printf '{"x-auth-user": "bob.smith", "x-auth-key": "%s"}' "$(key_of 'bob-pass')" >"$TMP/merge/bob.smith/auth.json"
printf '{broken' >"$TMP/merge/bob.smith/precious.json"
echo hi >"$TMP/merge/bob.smith/notes.txt"
printf '{"document": "zzz", "progress": "p", "timestamp": 5}' >"$TMP/merge/bob.smith/other.json"
printf '{"document": "mine", "progress": "m", "timestamp": 5}' >"$TMP/merge/bob.smith/mine.json"
secret 'bob-new-pass'
adm -d "$TMP/merge" user add bob.smith <<<'bob-new-pass'
adm migrate "$TMP/merge"
is "$RC" 1 "a merge with things left alone: exit 1"
like "$OUT" "'bob\.smith': folder bob\.smith merged into bob%2Esmith" "the records it could take are merged"
like "$ERR" "'bob\.smith': folder bob\.smith keeps what was not merged \(3 files\)" "what stays is said"
ok $([ -e "$TMP/merge/bob.smith/precious.json" ] && [ -e "$TMP/merge/bob.smith/notes.txt" ] &&
    [ -e "$TMP/merge/bob.smith/other.json" ]; echo $?) "and nothing said to be left alone is deleted"
ok $([ ! -e "$TMP/merge/bob.smith/mine.json" ]; echo $?) "the record taken has moved"
as bob.smith "$(key_of 'bob-new-pass')" KSS_DIR="$TMP/merge" GET /syncs/progress/mine
is "$STATUS $(jf .progress)" '200 "m"' "to the account kss finds"
adm migrate "$TMP/merge"
is "$RC" 1 "migrate again: the rest is still left alone"
ok $([ -e "$TMP/merge/bob.smith/precious.json" ]; echo $?) "and still there"

adm migrate "$TMP/none"
is "$RC:$ERR" "1:kss-admin: '$TMP/none': No such file or directory" "migrate of a missing folder: exit 1"
adm migrate "$TMP/orig" --json
is "$RC:$OUT" "0:[]" "migrate --json: a list of changes (none)"

# --- file names that are not UTF-8; what a client sent, shown safely ---
mkdir -p "$TMP/latin1"
printf 'caf\xe9' >"$TMP/latin1/caf"$'\xe9'".epub"
adm docid "$TMP/latin1/caf"$'\xe9'".epub"
is "$RC" 0 "docid of a file named in Latin-1: exit 0"
like "$OUT" $'\n[0-9a-f]{32}  [0-9a-f]{32}  .*/latin1/caf\ufffd\\.epub$' "in the table, its byte that is not UTF-8 as U+FFFD"
adm docid --json "$TMP/latin1/caf"$'\xe9'".epub"
is "$(printf '%s' "$OUT" | jq -r '.[0].file | endswith("/caf\ufffd.epub")')" true "--json: as U+FFFD, not left out"
secret 'pass-esc-5c1a'
adm user add esc <<<'pass-esc-5c1a'
K_ESC=$(key_of 'pass-esc-5c1a')
push esc "$K_ESC" "$(printf 'caf\xe9.epub' | md5sum | cut -c1-32)" 'p-latin1'
push esc "$K_ESC" 0b229176d4e8db7f6d2b5a4952368d7a 'p-esc' '{"x\u001b[31mkey":"v\u001b]0;owned\u0007","title":"T\u009b2J"}'
is "$STATUS" 200 "a client pushes escape sequences in its metadata"
adm doc list esc --library "$TMP/latin1"
is "$RC" 0 "doc list --library with a book named in Latin-1: exit 0"
like "$OUT" $'\ncaf\ufffd\\.epub +25\\.0% +p-latin1' "the book is found, its name shown with U+FFFD"
adm doc list esc --json --library "$TMP/latin1"
is "$(printf '%s' "$OUT" | jq -r '.[] | select(.file) | .file')" $'caf\ufffd.epub' "--json: the file as U+FFFD"
adm doc show esc 0b229176d4e8db7f6d2b5a4952368d7a
is "$RC" 0 "doc show of a record with escapes"
is "$(printf '%s' "$OUT" | tr -d '\n' | LC_ALL=C grep -c $'[\x01-\x1f\x7f]\|\xc2[\x80-\x9f]')" 0 "no control character reaches the terminal, keys included"
like "$OUT" $'\nmetadata\\.x\\?\\[31mkey +v\\?\\]0;owned\\?\n' "shown as '?'"
like "$OUT" $'\nmetadata\\.title +T\\?2J' "a C1 control too"
adm doc list esc
is "$(printf '%s' "$OUT" | tr -d '\n' | LC_ALL=C grep -c $'[\x01-\x1f\x7f]\|\xc2[\x80-\x9f]')" 0 "nor from doc list"
mkdir -p "$TMP/chk" && chmod 700 "$TMP/chk"
adm "KSS_DIR=$TMP/chk" user add bad <<<'pass-bad-9e1f'
: >"$TMP/chk/bad/x"$'\xff\x1b'"[2J.json"
adm "KSS_DIR=$TMP/chk" check --json
is "$RC" 1 "check --json of a stray file named with bytes that are not UTF-8: exit 1"
is "$(printf '%s' "$OUT" | jq -r '[.[] | select(.state == "problem") | .path] | unique | .[]')" $'bad/x\ufffd\x1b[2J.json' "the file is listed, not left out"
adm "KSS_DIR=$TMP/chk" check
like "$OUT" $'bad/x\ufffd\\?\\[2J\\.json' "in the table, as U+FFFD and '?'"
rm -rf "$TMP/chk"

# --- as root on the web server's folder: kss-admin acts as its owner ---
if [ "$(id -u)" -eq 0 ]; then
	# LeakSanitizer cannot stop the threads of a process whose ids
	# changed (it is no longer dumpable): no leak check in these runs,
	# which the others and valgrind cover.
	NOLEAK="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	install -d -m 711 "$TMP"
	install -d -m 700 -o 65534 -g 65534 "$TMP/www"
	adm "$NOLEAK" "KSS_DIR=$TMP/www" user add wanda <<<'pass-wanda-77'
	is "$RC" 0 "user add as root on a folder uid 65534 owns"
	is "$(find "$TMP/www" ! -user 65534 | wc -l)" 0 "everything it made is 65534's, not root's"
	adm "$NOLEAK" "KSS_DIR=$TMP/www" user passwd wanda <<<'pass-wanda-78'
	is "$RC:$(stat -c %u "$TMP/www/wanda/auth.json")" "0:65534" "so is what user passwd writes"
	if command -v setpriv >/dev/null; then
		RUN_AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		env -i KSS_DIR="$TMP/www" KSS_LOGIN_LIMIT=off KSS_AUTH_CACHE=false KSS_SANDBOX=false \
		    REQUEST_METHOD=GET PATH_INFO=/users/auth HTTP_X_AUTH_USER=wanda \
		    HTTP_X_AUTH_KEY="$(key_of 'pass-wanda-78')" HTTP_ACCEPT=application/vnd.koreader.v1+json \
		    "${RUN_AS[@]}" "$KSS_BIN" >"$TMP/www-out" 2>/dev/null
		like "$(cat "$TMP/www-out")" '"authorized":"OK"' "kss as that user logs her in"
	else
		skip "kss as that user logs her in" "no setpriv"
	fi
	mkdir -p "$TMP/old65534/carl"
	printf '{"x-auth-user":"carl","x-auth-key":"%s"}' "$(key_of c)" >"$TMP/old65534/carl/auth.json"
	chown -R 65534:65534 "$TMP/old65534"
	adm "$NOLEAK" migrate "$TMP/old65534"
	is "$RC:$(find "$TMP/old65534" ! -user 65534 | wc -l)" "0:0" "migrate in place as root: what it writes is the owner's"
	# What the command line names is still read as root: an import from
	# root's 0700 folder, a library there.
	install -d -m 700 "$TMP/rootonly" "$TMP/rootonly/lib"
	adm "$NOLEAK" "KSS_DIR=$TMP/www" export
	printf '%s\n' "$OUT" | jq '.users[0].documents = {"0b229176d4e8db7f6d2b5a4952368d7a": {"progress": "pw", "percentage": 0.5, "device": "K", "timestamp": 7}}' >"$TMP/rootonly/backup.json"
	adm "$NOLEAK" "KSS_DIR=$TMP/www" import "$TMP/rootonly/backup.json"
	is "$RC:$(find "$TMP/www" ! -user 65534 | wc -l)" "0:0" "import of a file only root may read: read, and what it wrote is 65534's"
	printf 'book' >"$TMP/rootonly/lib/b.epub"
	adm "$NOLEAK" "KSS_DIR=$TMP/www" doc list wanda --library "$TMP/rootonly/lib"
	is "$RC" 0 "doc list --library of a folder only root may read"
	chown 0:0 "$TMP/www/wanda/auth.json"	# as kss-admin did before
	adm "KSS_DIR=$TMP/www" check --repair
	is "$RC:$(stat -c %u "$TMP/www/wanda/auth.json")" "0:65534" \
	    "check --repair stays root, and gives back what root made"
	rm -rf "$TMP/www" "$TMP/old65534"
else
	skip "as root on the web server's folder" "not root"
fi

# --- kss-admin on a folder kss is writing to ---
# Two clients push through kss (CGI) while kss-admin changes the
# password (to the same one: the clients keep their key), removes one
# document again and again, and reads listings. No answer but 200, or a
# 401 for a push checked against the hash just replaced; no record lost
# or torn.
secret 'busy-pass-3f'
adm user add busy <<<'busy-pass-3f'
KB=$(key_of 'busy-pass-3f')
N=40
mkdir "$TMP/race"
pusher() {	# k0..k3 in turn: "DOC PROGRESS STATUS" a line
	local i
	for i in $(seq $N); do
		push busy "$KB" "k$((i % 4))" "p$i"
		echo "k$((i % 4)) p$i $STATUS"
	done >"$TMP/race/pushes"
}
victim() {	# the document kss-admin removes
	local i
	for i in $(seq $N); do
		push busy "$KB" victim "v$i"
		echo "v$i $STATUS"
	done >"$TMP/race/victim"
}
admin_loop() {
	local i
	for i in $(seq 8); do
		adm user passwd busy <<<'busy-pass-3f'
		echo "passwd $RC $ERR"
		adm doc rm busy victim
		echo "rm $RC $ERR"
		adm doc list busy --json
		printf '%s' "$OUT" | jq -e 'all(.[]; (.corrupt | not) and (.progress | test("^[pv][0-9]+$")))' >/dev/null
		echo "doc-list $RC $? $ERR"
		adm user list --json
		printf '%s' "$OUT" | jq -e '.[] | select(.name == "busy")' >/dev/null
		echo "user-list $RC $? $ERR"
		adm export
		printf '%s' "$OUT" | jq -e '.users[] | select(.name == "busy") | .documents | all(.[]; .progress | test("^[pv][0-9]+$"))' >/dev/null
		echo "export $RC $? $ERR"
		adm check --repair
		echo "check $RC $(printf '%s' "$OUT" | grep -c '^problem') $ERR"
		adm migrate "$DATA"
		echo "migrate $RC $OUT $ERR"
	done >"$TMP/race/admin"
}
pusher &
victim &
admin_loop &
wait
is "$(grep -v -c -E ' (200|401)$' "$TMP/race/pushes" "$TMP/race/victim" | cut -d: -f2 | paste -sd' ')" "0 0"     "$((2 * N)) pushes while kss-admin works: each 200, or 401 when a new hash came between check and write"
ok $([ "$(grep -c ' 200$' "$TMP/race/pushes")" -ge $((N / 2)) ]; echo $?)     "most of them 200 ($(grep -c ' 200$' "$TMP/race/pushes") of $N)"
is "$(grep -v -c -E '^(passwd 0|rm 0|rm 1 .*has no document .victim.|doc-list 0 0|user-list 0 0|export 0 0|check 0 0|migrate 0 nothing to change) *$' "$TMP/race/admin")" 0     "every kss-admin run did its part (passwd, doc rm, listings and exports that parse and hold whole records, check --repair finding nothing wrong, migrate nothing to change; unit_store shows migrate waits for the lock and keeps what changed meanwhile)"
echo "# pushes: $(cat "$TMP/race/pushes" "$TMP/race/victim" | awk '{ print $NF }' | sort | uniq -c | tr -s ' \n' ' '); doc rm: $(grep -c '^rm 0' "$TMP/race/admin") removed"
lost=
for d in k0 k1 k2 k3; do
	last=$(awk -v d="$d" '$1 == d && $3 == 200 { p = $2 } END { print p }' "$TMP/race/pushes")
	adm doc show busy "$d" --json
	got=$(printf '%s' "$OUT" | jq -r .progress)
	[ "$got" = "$last" ] || lost+=" $d: stored $got, last acknowledged $last;"
done
is "$lost" "" "no lost update: each document holds its last acknowledged push"
adm doc show busy victim --json
if [ "$RC" = 0 ]; then
	ok $(grep -q "^$(printf '%s' "$OUT" | jq -r .progress) 200$" "$TMP/race/victim"; echo $?) 	    "the document removed meanwhile holds an acknowledged push, or none"
else
	like "$ERR" 'has no document' "the document removed meanwhile holds an acknowledged push, or none"
fi
bad=$(find "$DATA/busy" -name '*.json' -exec sh -c 'jq -e . "$1" >/dev/null 2>&1 || echo "$1"' sh {} \;)
is "$bad" "" "every file of the user parses"
is "$(find "$DATA/busy" -name '.tmp-*' | wc -l)" 0 "no temporary file is left"
as busy "$KB" GET /users/auth
is "$STATUS" 200 "the client's key still logs in"

done_testing
