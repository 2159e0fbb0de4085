/* KOReader's document ids ("Document matching method", docid.md) and
 * the key it derives from a password (protocol.md §9): all MD5, in
 * lowercase hex. */
#ifndef KSS_DOCID_H
#define KSS_DOCID_H

#include <stddef.h>

#define KSS_DOCID_SIZE 33	/* 32 hex digits and a NUL */

/* The MD5 of data[0..len) in lowercase hex. */
void kss_md5_hex(const void *data, size_t len, char out[KSS_DOCID_SIZE]);

/* The "Binary" id (KOReader's default, util.partialMD5): one MD5 over
 * up to twelve 1024-byte samples of the file open as fd, read at 0 and
 * at 1024 * 4^i for i = 0..10, stopping at the first offset at or past
 * its end; a short last sample is used as it is. Only the samples are
 * read (pread: fd's offset is left alone), so a whole library is quick.
 * 0, or -1 with errno when a read fails. */
int kss_docid_binary(int fd, char out[KSS_DOCID_SIZE]);

/* The "Filename" id: the MD5 of path's last component (the name with
 * its extension, no folder). */
void kss_docid_filename(const char *path, char out[KSS_DOCID_SIZE]);

#endif
