#include "config.h"

#include "err.h"

/* Codes and messages of the official server (protocol.md §5); the kss-only
 * errors reuse their HTTP status as code (DESIGN.md §2). */
static const struct {
	int status;
	int code;
	const char *message;
} errs[KSS_ERR__MAX] = {
	[KSS_OK] = {200, 0, ""},
	[KSS_E_ACCEPT_MISSING] = {412, 100, "Accept header not set."},
	[KSS_E_ACCEPT_FORMAT] = {412, 101, "Invalid Accept header format."},
	[KSS_E_ACCEPT_VERSION] = {412, 102, "Unsupported version specified in the Accept header."},
	[KSS_E_JSON_PARSE] = {400, 103, "Could not parse JSON in body."},
	[KSS_E_JSON_HASH] = {400, 104, "Body should be a JSON hash."},
	[KSS_E_SERVER] = {500, 2000, "Unknown server error."},
	[KSS_E_UNAUTHORIZED] = {401, 2001, "Unauthorized"},
	[KSS_E_USER_EXISTS] = {402, 2002, "Username is already registered."},
	[KSS_E_INVALID] = {403, 2003, "Invalid request"},
	[KSS_E_DOCUMENT] = {403, 2004, "Field 'document' not provided."},
	[KSS_E_REG_DISABLED] = {402, 2005, "User registration is disabled."},
	[KSS_E_NO_ACCOUNT] = {404, 2006, "Account not found."},
	[KSS_E_NOT_FOUND] = {404, 404, "Not found."},
	[KSS_E_METHOD] = {405, 405, "Method not allowed."},
	[KSS_E_TOO_LARGE] = {413, 413, "Request body too large."},
	[KSS_E_THROTTLED] = {429, 429,
	    "Too many failed logins from this address; try again later."},
	/* The official server's answers when Redis fails it (§4.1). */
	[KSS_E_STORE_DOWN] = {502, 1000, "Cannot connect to redis server."},
	[KSS_E_STORE] = {502, 2000, "Unknown server error."},
};

static enum kss_err
clamp(enum kss_err e)
{
	return (unsigned)e < KSS_ERR__MAX ? e : KSS_E_SERVER;
}

int
kss_err_status(enum kss_err e)
{
	return errs[clamp(e)].status;
}

int
kss_err_code(enum kss_err e)
{
	return errs[clamp(e)].code;
}

const char *
kss_err_message(enum kss_err e)
{
	return errs[clamp(e)].message;
}
