#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "fsname.h"

static const char hex[] = "0123456789ABCDEF";
static const char suffix[] = ".json";
#define NAME_LIMIT 255	/* NAME_MAX of Linux file systems */

static bool
plain(unsigned char c, bool fold)
{
	return (c >= 'a' && c <= 'z') || (!fold && c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Whether byte i of the name is written as it is. */
static bool
kept(const char *name, size_t i, bool is_auth, bool fold)
{
	return plain((unsigned char)name[i], fold) && !(is_auth && i == 0);
}

static void
digest_name(const char *name, size_t len, char *out)
{
	unsigned char d[crypto_hash_sha256_BYTES];
	size_t i;

	crypto_hash_sha256(d, (const unsigned char *)name, len);
	*out++ = '=';
	for (i = 0; i < sizeof(d); i++) {
		*out++ = hex[d[i] >> 4];
		*out++ = hex[d[i] & 15];
	}
	*out = '\0';
}

char *
kss_fsname(const char *name, size_t len, enum kss_fsname_kind kind,
    bool fold, char out[KSS_FSNAME_SIZE])
{
	size_t i, o = 0;
	size_t room = NAME_LIMIT - (kind == KSS_FSNAME_DOC ? strlen(suffix) : 0);
	bool is_auth = kind == KSS_FSNAME_DOC && len == 4 &&
	    memcmp(name, "auth", 4) == 0;

	for (i = 0; i < len; i++)
		o += kept(name, i, is_auth, fold) ? 1 : 3;
	if (o > room) {
		digest_name(name, len, out);
		o = strlen(out);
	} else {
		for (i = 0, o = 0; i < len; i++) {
			unsigned char c = (unsigned char)name[i];

			if (kept(name, i, is_auth, fold)) {
				out[o++] = (char)c;
			} else {
				out[o++] = '%';
				out[o++] = hex[c >> 4];
				out[o++] = hex[c & 15];
			}
		}
	}
	out[o] = '\0';
	if (kind == KSS_FSNAME_DOC)
		memcpy(out + o, suffix, sizeof(suffix));
	return out;
}

static int
hexval(char c)
{
	const char *p = c != '\0' ? strchr(hex, c) : NULL;

	return p == NULL ? -1 : (int)(p - hex);
}

int
kss_fsname_decode(const char *fname, enum kss_fsname_kind kind,
    char out[KSS_FSNAME_SIZE])
{
	size_t len = strlen(fname), i, o = 0;
	int hi, lo;

	if (kind == KSS_FSNAME_DOC) {
		if (len <= strlen(suffix) ||
		    strcmp(fname + len - strlen(suffix), suffix) != 0)
			return -1;
		len -= strlen(suffix);
	}
	if (len == 0 || fname[0] == '=')
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)fname[i];

		if (c != '%') {
			if (!plain(c, false))
				return -1;
			out[o++] = (char)c;
			continue;
		}
		if (i + 2 >= len)
			return -1;
		if ((hi = hexval(fname[i + 1])) < 0 ||
		    (lo = hexval(fname[i + 2])) < 0)
			return -1;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	return (int)o;
}
