/* Every outcome a request can have, and the one table that maps each to
 * its HTTP status, KOReader error code and byte-exact message. */
#ifndef KSS_ERR_H
#define KSS_ERR_H

enum kss_err {
	KSS_OK = 0,
	KSS_E_ACCEPT_MISSING,	/* 412/100 */
	KSS_E_ACCEPT_FORMAT,	/* 412/101 */
	KSS_E_ACCEPT_VERSION,	/* 412/102 */
	KSS_E_JSON_PARSE,	/* 400/103 */
	KSS_E_JSON_HASH,	/* 400/104 */
	KSS_E_SERVER,		/* 500/2000: storage or internal failure */
	KSS_E_UNAUTHORIZED,	/* 401/2001 */
	KSS_E_USER_EXISTS,	/* 402/2002 */
	KSS_E_INVALID,		/* 403/2003 */
	KSS_E_DOCUMENT,		/* 403/2004 */
	KSS_E_REG_DISABLED,	/* 402/2005 */
	KSS_E_NO_ACCOUNT,	/* 404/2006 */
	KSS_E_NOT_FOUND,	/* 404: no such route (kss) */
	KSS_E_METHOD,		/* 405: known path, wrong method (kss) */
	KSS_E_TOO_LARGE,	/* 413: body over the limit (kss) */
	KSS_E_THROTTLED,	/* 429: too many failed logins (kss) */
	KSS_E_STORE_DOWN,	/* 502/1000: the Redis store is unreachable */
	KSS_E_STORE,		/* 502/2000: the Redis store answered an error */
	KSS_ERR__MAX
};

/* HTTP status of an error (200 for KSS_OK). */
int kss_err_status(enum kss_err e);
/* KOReader error code of an error (0 for KSS_OK). */
int kss_err_code(enum kss_err e);
/* Byte-exact message of an error ("" for KSS_OK). */
const char *kss_err_message(enum kss_err e);

#endif
