/* The shared part of the reference responders: the answer, and the
 * durable write of a push. */
#define _POSIX_C_SOURCE 200809L

#include "ref.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The size and shape of kss's answers, so both sides move as many bytes. */
static const char get_json[] =
    "{\"document\":\"be000000000000000000000000000000\","
    "\"progress\":\"/body/DocFragment[12]/body/p[3]/text().42\","
    "\"percentage\":0.3188,\"device\":\"bench\",\"device_id\":\"B1\","
    "\"timestamp\":1700000000}";
static const char put_json[] =
    "{\"document\":\"be000000000000000000000000000000\","
    "\"timestamp\":1700000000}";
static const char err_json[] =
    "{\"code\":2000,\"message\":\"Unknown server error.\"}";

/* The data folder, open for the process's lifetime (a FastCGI process
 * fsyncs it after every rename); -1 when not durable. */
static int data_fd = -1;

int
ref_init(void)
{
	const char *dir = getenv("REF_DATA_DIR");

	if (dir == NULL || *dir == '\0')
		return 0;
	data_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (data_fd < 0) {
		fprintf(stderr, "ref: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* FNV-1a of the "document" value (or of the whole body without one), so
 * the benchmark's 64 rotating documents land on 64 files as in kss. */
static unsigned
doc_slot(const char *body, size_t len)
{
	static const char key[] = "\"document\":\"";
	const char *p = NULL, *end = body + len;
	uint32_t h = 2166136261u;

	if (len >= sizeof(key) - 1) {
		for (const char *s = body; s + sizeof(key) - 1 <= end; s++)
			if (memcmp(s, key, sizeof(key) - 1) == 0) {
				p = s + sizeof(key) - 1;
				break;
			}
	}
	if (p == NULL)
		p = body;
	for (; p < end && *p != '"'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % 64;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* What a crash-safe store does at least: the new record in a temp file,
 * on disk before it replaces the old one, and the rename itself on disk
 * before the answer. The temp name is per process, as only one request
 * at a time runs in each. */
static int
store_durably(const char *body, size_t len)
{
	char tmp[64], name[32];
	int fd, rc;

	snprintf(tmp, sizeof(tmp), ".tmp-%ld", (long)getpid());
	snprintf(name, sizeof(name), "doc-%02u.json", doc_slot(body, len));
	fd = openat(data_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	rc = write_all(fd, body, len) == 0 && fsync(fd) == 0 ? 0 : -1;
	if (close(fd) != 0)
		rc = -1;
	if (rc == 0)
		rc = renameat(data_fd, tmp, data_fd, name);
	if (rc == 0)
		rc = fsync(data_fd);
	if (rc != 0)
		fprintf(stderr, "ref: writing %s: %s\n", name, strerror(errno));
	return rc;
}

struct ref_answer
ref_handle(const char *method, const char *body, size_t len)
{
	struct ref_answer a = { 200, get_json };

	if (method == NULL || strcmp(method, "PUT") != 0)
		return a;
	a.json = put_json;
	if (data_fd >= 0 && store_durably(body, len) != 0) {
		a.status = 500;
		a.json = err_json;
	}
	return a;
}
