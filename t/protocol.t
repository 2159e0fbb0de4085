#!/bin/bash
# Black-box: kss run as CGI against every row of protocol.md's endpoint
# tables (§4) and each protocol choice of DESIGN.md §2.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"

DOC=0b229176d4e8db7f6d2b5a4952368d7a
PUSH="{\"document\":\"$DOC\",\"progress\":\"/body/DocFragment[20]/body/p[22]/img.0\",\"percentage\":0.3188,\"device\":\"PocketBook\",\"device_id\":\"6B344CE498AE402096F5AEB4154C1DBB\"}"

# --- §4.5 healthcheck and the Accept header (§2, DESIGN §2) ---
req GET /healthcheck
is "$STATUS $BODY" '200 {"state":"OK"}' "healthcheck"
like "$HEADERS" 'Content-Length: 14' "Content-Length is the body's"
for a in '' '*/*' 'application/json' 'application/vnd.koreader.v1+json' \
    'application/vnd.koreader.v01+json' 'text/html'; do
	req "HTTP_ACCEPT=$a" GET /healthcheck
	is "$STATUS" 200 "lenient Accept '$a' is served"
done
req HTTP_ACCEPT=application/vnd.koreader.v2+json GET /healthcheck
err_is 412 102 'Unsupported version specified in the Accept header.' \
    "vendor type v2 is 412/102"
S=KSS_STRICT_ACCEPT=true
req $S HTTP_ACCEPT= GET /healthcheck
is "$STATUS" 412 "strict: empty Accept is refused"
raw_req KSS_DIR="$DATA" KSS_STRICT_ACCEPT=true REQUEST_METHOD=GET \
    PATH_INFO=/healthcheck </dev/null
err_is 412 100 'Accept header not set.' "strict: missing Accept is 412/100"
req $S HTTP_ACCEPT=application/json GET /healthcheck
err_is 412 101 'Invalid Accept header format.' "strict: application/json is 412/101"
req $S 'HTTP_ACCEPT=application/vnd.koreader.v1+json; q=1' GET /healthcheck
err_is 412 101 'Invalid Accept header format.' "strict: parameters are 412/101"
req $S HTTP_ACCEPT=application/vnd.koreader.v1.5+json GET /healthcheck
is "$STATUS" 200 "strict: v1.5 is v1"
req $S HTTP_ACCEPT=application/vnd.koreader.v3+json GET /healthcheck
err_is 412 102 'Unsupported version specified in the Accept header.' \
    "strict: v3 is 412/102"
req $S HTTP_ACCEPT=application/json POST /users/create '{bad'
err_is 400 103 'Could not parse JSON in body.' "the body is checked before Accept"

# --- §4.1 register ---
req POST /users/create '{"username":"alice","password":"5f4dcc3b5aa765d61d8327deb882cf99"}'
is "$STATUS $BODY" '201 {"username":"alice"}' "register"
req POST /users/create '{"username":"alice","password":"other-6d1c3b"}'
err_is 402 2002 'Username is already registered.' "register a taken name"
req POST /users/create '{"username":"Alice","password":"key-k-2a9d"}'
is "$STATUS" 201 "usernames are case-sensitive"
req POST /users/create '{"username":"a b/é","password":"key-k-2a9d","extra":[1,2]}'
is "$STATUS $BODY" '201 {"username":"a b/é"}' "spaces, slash and UTF-8 in a name; extra fields ignored"
for b in '{"password":"key-k-2a9d"}' '{"username":"","password":"key-k-2a9d"}' \
    '{"username":"x:y","password":"key-k-2a9d"}' '{"username":5,"password":"key-k-2a9d"}' \
    '{"username":null,"password":"key-k-2a9d"}' '{"username":["u"],"password":"key-k-2a9d"}' \
    '{"username":{"a":1},"password":"key-k-2a9d"}' '{"username":true,"password":"key-k-2a9d"}' \
    '{"username":"nopass"}' '{"username":"u1","password":""}' \
    '{"username":"u1","password":5}' '{"username":"u1","password":null}' \
    '{}'; do
	req POST /users/create "$b"
	err_is 403 2003 'Invalid request' "register $b"
done
for v in true 1 YES; do
	req KSS_DISABLE_REGISTRATION=$v POST /users/create '{"username":"zed","password":"key-k-2a9d"}'
	err_is 402 2005 'User registration is disabled.' "registration disabled ($v)"
done
req KSS_DISABLE_REGISTRATION=true POST /users/create '{}'
err_is 402 2005 'User registration is disabled.' "disabled: no validation first"
req KSS_DISABLE_REGISTRATION=false POST /users/create '{"username":"zed","password":"key-k-2a9d"}'
is "$STATUS" 201 "KSS_DISABLE_REGISTRATION=false keeps it open"
req KSS_DISABLE_REGISTRATION=perhaps POST /users/create '{"username":"zed2","password":"key-k-2a9d"}'
is "$STATUS $(jf .code)" "500 2000" "an unknown switch value is a clear server error"
like "$ERRLOG" 'KSS_DISABLE_REGISTRATION' "and the log names the variable"

# --- §4.2 login check ---
K=5f4dcc3b5aa765d61d8327deb882cf99
as alice $K GET /users/auth
is "$STATUS $BODY" '200 {"authorized":"OK"}' "login"
as alice wrong-key-0e5a GET /users/auth
err_is 401 2001 'Unauthorized' "login with a wrong key"
as nobody $K GET /users/auth
err_is 401 2001 'Unauthorized' "login as an unknown user"
req GET /users/auth
err_is 401 2001 'Unauthorized' "login without headers"
req HTTP_X_AUTH_USER=alice GET /users/auth
err_is 401 2001 'Unauthorized' "login without a key"
as alice '' GET /users/auth
err_is 401 2001 'Unauthorized' "login with an empty key"
as '' $K GET /users/auth
err_is 401 2001 'Unauthorized' "login with an empty user"
as 'alice:x' $K GET /users/auth
err_is 401 2001 'Unauthorized' "login with ':' in the user"
as ALICE $K GET /users/auth
err_is 401 2001 'Unauthorized' "login is case-sensitive"

# --- §4.3 push ---
before=$(date +%s)
as alice $K PUT /syncs/progress "$PUSH"
after=$(date +%s)
is "$STATUS $(jf '[.document, (.timestamp|type)]')" "200 [\"$DOC\",\"number\"]" "push"
ts=$(jf .timestamp)
ok $([ "$ts" -ge "$before" ] && [ "$ts" -le "$after" ]; echo $?) "timestamp is the server clock in integer seconds ($ts)"
is "$(jf 'keys')" '["document","timestamp"]' "push answers document and timestamp only"
as alice wrong-key-0e5a PUT /syncs/progress "$PUSH"
err_is 401 2001 'Unauthorized' "push with a wrong key"
as alice wrong-key-0e5a PUT /syncs/progress '{}'
err_is 401 2001 'Unauthorized' "push: auth is checked before the fields"
for b in '{"progress":"p","percentage":0.5,"device":"d"}' \
    '{"document":"","progress":"p","percentage":0.5,"device":"d"}' \
    '{"document":"a:b","progress":"p","percentage":0.5,"device":"d"}' \
    '{"document":5,"progress":"p","percentage":0.5,"device":"d"}' \
    '{"document":null,"progress":"p","percentage":0.5,"device":"d"}' \
    '{"document":["x"]}' '{}'; do
	as alice $K PUT /syncs/progress "$b"
	err_is 403 2004 "Field 'document' not provided." "push $b"
done
for b in '{"document":"d","percentage":0.5,"device":"d"}' \
    '{"document":"d","progress":null,"percentage":0.5,"device":"d"}' \
    '{"document":"d","progress":false,"percentage":0.5,"device":"d"}' \
    '{"document":"d","progress":{"a":1},"percentage":0.5,"device":"d"}' \
    '{"document":"d","progress":"p","device":"d"}' \
    '{"document":"d","progress":"p","percentage":"half","device":"d"}' \
    '{"document":"d","progress":"p","percentage":"inf","device":"d"}' \
    '{"document":"d","progress":"p","percentage":"nan","device":"d"}' \
    '{"document":"d","progress":"p","percentage":"0x10","device":"d"}' \
    '{"document":"d","progress":"p","percentage":null,"device":"d"}' \
    '{"document":"d","progress":"p","percentage":true,"device":"d"}' \
    '{"document":"d","progress":"p","percentage":0.5}' \
    '{"document":"d","progress":"p","percentage":0.5,"device":null}' \
    '{"document":"d","progress":"p","percentage":0.5,"device":false}' \
    '{"document":"d","progress":"p","percentage":0.5,"device":7}' \
    '{"document":"d","progress":"p","percentage":0.5,"device":"d","device_id":[]}'; do
	as alice $K PUT /syncs/progress "$b"
	err_is 403 2003 'Invalid request' "push $b"
done

# --- §4.4 pull ---
as alice $K GET /syncs/progress/$DOC
is "$STATUS" 200 "pull"
is "$(jf '[.document,.percentage,.progress,.device,.device_id,(.timestamp|type)]')" \
    "[\"$DOC\",0.3188,\"/body/DocFragment[20]/body/p[22]/img.0\",\"PocketBook\",\"6B344CE498AE402096F5AEB4154C1DBB\",\"number\"]" \
    "pull answers what was pushed"
is "$(jf .timestamp)" "$ts" "with the push's timestamp"
like "$BODY" '"percentage":0\.3188[,}]' "0.3188 is written 0.3188"
as alice $K GET /syncs/progress/$DOC/
is "$STATUS $(jf .document)" "200 \"$DOC\"" "pull with a trailing slash"
as alice $K GET /syncs/progress/ffffffffffffffffffffffffffffffff
is "$STATUS $BODY" '200 {}' "pull an unknown document is {}"
as Alice key-k-2a9d GET /syncs/progress/$DOC
is "$STATUS $BODY" '200 {}' "another user does not see alice's progress"
as alice wrong-key-0e5a GET /syncs/progress/$DOC
err_is 401 2001 'Unauthorized' "pull with a wrong key"
as alice $K GET "/syncs/progress/$(printf 'x%.0s' $(seq 129))"
err_is 403 2004 "Field 'document' not provided." "pull a 129-byte id"
as alice $K GET /syncs/progress/
is "$STATUS" 405 "pull with an empty id is no route (405: PUT lives there)"

# device_id optional, kept when omitted; last write wins; types.
as alice $K PUT /syncs/progress '{"document":"nodev","progress":"1","percentage":0,"device":"K"}'
as alice $K GET /syncs/progress/nodev
is "$BODY" "{\"document\":\"nodev\",\"percentage\":0,\"progress\":\"1\",\"device\":\"K\",\"timestamp\":$(jf .timestamp)}" \
    "no device_id pushed, none pulled; percentage 0 stays 0"
as alice $K PUT /syncs/progress '{"document":"nodev","progress":"2","percentage":0.5,"device":"K","device_id":"ID1"}'
as alice $K PUT /syncs/progress '{"document":"nodev","progress":56,"percentage":"0.75","device":"L"}'
as alice $K GET /syncs/progress/nodev
is "$(jf '[.progress,.percentage,.device,.device_id]')" '["56",0.75,"L","ID1"]' \
    "last write wins; numeric progress and percentage text typed; device_id kept"
as alice $K PUT /syncs/progress '{"document":"nodev","progress":"3","percentage":1,"device":"L","device_id":"ID2"}'
as alice $K GET /syncs/progress/nodev
is "$(jf '[.percentage,.device_id]')" '[1,"ID2"]' "percentage 1 stays 1; a new device_id replaces"

# metadata (DESIGN §2)
as alice $K PUT /syncs/progress '{"document":"meta","progress":"p","percentage":0.1,"device":"K","metadata":{"filename":"b.epub","title":"T","authors":"A"}}'
as alice $K PUT /syncs/progress '{"document":"meta","progress":"q","percentage":0.2,"device":"K"}'
as alice $K GET /syncs/progress/meta
is "$(jf '[.progress,.metadata]')" '["q",{"filename":"b.epub","title":"T","authors":"A"}]' \
    "metadata stored, kept when a later push omits it, returned"

# Any id PUT accepts is readable by GET (DESIGN §2).
for id in 'abc-1' 'a.b' 'my book (2).pdf' 'é€' '..' 'a/b' '%2e'; do
	as alice $K PUT /syncs/progress "{\"document\":\"$id\",\"progress\":\"p\",\"percentage\":0.5,\"device\":\"K\"}"
	s1=$STATUS
	as alice $K GET "/syncs/progress/$id"
	is "$s1 $STATUS $(jf .document)" "200 200 \"$id\"" "id '$id' pushed and pulled back"
done

# --- §4.7 change key ---
req POST /users/create '{"username":"pat","password":"old-4f7e2a"}'
as pat old-4f7e2a PUT /syncs/progress '{"document":"d1","progress":"p","percentage":0.5,"device":"K"}'
as pat wrong-key-0e5a PUT /users/password '{"password":"new-9b3c1d"}'
err_is 401 2001 'Unauthorized' "change key with a wrong key"
for b in '{}' '{"password":""}' '{"password":5}' '{"password":null}'; do
	as pat old-4f7e2a PUT /users/password "$b"
	err_is 403 2003 'Invalid request' "change key $b"
done
as pat old-4f7e2a PUT /users/password '[1]'
err_is 400 104 'Body should be a JSON hash.' "change key with an array body"
as pat old-4f7e2a PUT /users/password
err_is 400 103 'Could not parse JSON in body.' "change key without a body"
as pat old-4f7e2a PUT /users/password '{"password":"new-9b3c1d"}'
is "$STATUS $BODY" '200 {"updated":true}' "change key"
as pat old-4f7e2a GET /users/auth
is "$STATUS" 401 "the old key no longer works"
as pat new-9b3c1d GET /users/auth
is "$STATUS" 200 "the new key works"
as pat new-9b3c1d GET /syncs/progress/d1
is "$(jf .progress)" '"p"' "progress survives a key change"

# --- §4.6 delete account ---
as pat wrong-key-0e5a DELETE /users/me
err_is 401 2001 'Unauthorized' "delete with a wrong key"
as pat new-9b3c1d DELETE /users/me
is "$STATUS $BODY" '200 {"deleted":true}' "delete"
as pat new-9b3c1d DELETE /users/me
err_is 404 2006 'Account not found.' "delete again: account not found"
as pat new-9b3c1d GET /users/auth
is "$STATUS" 401 "deleted account cannot log in"
req DELETE /users/me
err_is 401 2001 'Unauthorized' "delete without credentials"
req POST /users/create '{"username":"pat","password":"fresh-8e2f0a"}'
is "$STATUS" 201 "a deleted name can be registered again at once"
as pat fresh-8e2f0a GET /syncs/progress/d1
is "$STATUS $BODY" '200 {}' "with none of the old progress"

# --- unknown routes and methods (DESIGN §2) ---
req GET /nope
err_is 404 404 'Not found.' "unknown route is a JSON 404"
req GET /
is "$STATUS" 404 "/ is a JSON 404"
req GET /users/create
err_is 405 405 'Method not allowed.' "known path, wrong method is 405"
like "$HEADERS" '^Allow: POST$' "with Allow: POST"
req HEAD /healthcheck
is "$STATUS" 405 "HEAD is 405"
like "$HEADERS" 'Allow: GET' "with Allow: GET"
req OPTIONS /users/auth
is "$STATUS" 405 "OPTIONS is 405"
req DELETE /syncs/progress/$DOC
is "$STATUS" 405 "DELETE a document is 405"
like "$HEADERS" '^Allow: GET$' "with Allow: GET"

# --- prefixes: SCRIPT_NAME + PATH_INFO (RFC 3875), root mappings ---
as alice $K SCRIPT_NAME=/kosync GET /users/auth
is "$STATUS" 200 "under /kosync (SCRIPT_NAME=/kosync, PATH_INFO=/users/auth)"
raw_req KSS_DIR="$DATA" REQUEST_METHOD=GET SCRIPT_NAME=/healthcheck </dev/null
is "$STATUS $BODY" '200 {"state":"OK"}' "at the root with the path in SCRIPT_NAME (nginx fastcgi_params)"
as alice $K SCRIPT_NAME=/syncs GET /progress/$DOC
is "$STATUS $(jf .document)" "200 \"$DOC\"" "at the root split at the first segment (lighttpd \"/\")"
as alice $K SCRIPT_NAME=/users POST /create '{"username":"split","password":"key-k-2a9d"}'
is "$STATUS" 201 "POST split the same way"
raw_req KSS_DIR="$DATA" REQUEST_METHOD=GET HTTP_X_AUTH_USER=alice HTTP_X_AUTH_KEY=$K \
    SCRIPT_NAME=/kosync/syncs/progress/$DOC </dev/null
is "$STATUS $(jf .document)" "200 \"$DOC\"" "under a prefix the server did not split off (Apache mod_proxy_fcgi)"
req SCRIPT_NAME=/kosync GET /nope
err_is 404 404 'Not found.' "an unknown path under a prefix is a JSON 404"
raw_req KSS_DIR="$DATA" REQUEST_METHOD=GET HTTP_X_AUTH_USER=alice \
    HTTP_X_AUTH_KEY=$K REQUEST_URI="/syncs/progress/my%20book%20(2).pdf?x=1" </dev/null
is "$STATUS $(jf .document)" '200 "my book (2).pdf"' "only REQUEST_URI: decoded, query ignored"

done_testing
