/* MD5 from libmd (Debian's libmd-dev, the BSD digest functions, which
 * libbsd's are): libsodium has none, and kss does not carry hand-written
 * hashes. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <md5.h>

#include "docid.h"

#define SAMPLE 1024
#define SAMPLES 12

static void
hex(MD5_CTX *ctx, char out[KSS_DOCID_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char d[MD5_DIGEST_LENGTH];
	size_t i;

	MD5Final(d, ctx);
	for (i = 0; i < sizeof(d); i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * sizeof(d)] = '\0';
}

void
kss_md5_hex(const void *data, size_t len, char out[KSS_DOCID_SIZE])
{
	MD5_CTX ctx;

	MD5Init(&ctx);
	MD5Update(&ctx, data, len);
	hex(&ctx, out);
}

/* Reads up to SAMPLE bytes at off: their count, 0 at the end, -1. */
static ssize_t
sample(int fd, unsigned char *buf, off_t off)
{
	ssize_t n, got = 0;

	while (got < SAMPLE) {
		n = pread(fd, buf + got, (size_t)(SAMPLE - got), off + got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

int
kss_docid_binary(int fd, char out[KSS_DOCID_SIZE])
{
	unsigned char buf[SAMPLE];
	MD5_CTX ctx;
	ssize_t n;
	off_t off;
	int i;

	MD5Init(&ctx);
	/* KOReader reads at 1024 << 2i for i = -1..10, and LuaJIT's shift
	 * by -2 makes the first offset 0 (docid.md), not 256. */
	for (i = 0; i < SAMPLES; i++) {
		off = i == 0 ? 0 : (off_t)SAMPLE << (2 * (i - 1));
		if ((n = sample(fd, buf, off)) < 0)
			return -1;
		if (n == 0)
			break;
		MD5Update(&ctx, buf, (size_t)n);
	}
	hex(&ctx, out);
	return 0;
}

void
kss_docid_filename(const char *path, char out[KSS_DOCID_SIZE])
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	kss_md5_hex(base, strlen(base), out);
}
