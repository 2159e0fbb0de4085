/* Which book a stored document id is: a folder of books searched for
 * the files whose KOReader ids (docid.h) are wanted (kss-admin doc list
 * --library). */
#ifndef KSS_LIBRARY_H
#define KSS_LIBRARY_H

#include <jansson.h>

/* Searches dir and its subfolders for the files whose "Binary" or
 * "Filename" id is a key of wanted (a JSON object): *found is a new
 * object, id → {"file": its path under dir, "method": "binary" or
 * "filename"}, for the ids found. A Binary match wins over a Filename
 * one; among equals, the first file found. Only the sampled bytes of
 * each file are read. Links to folders are not followed (no loops),
 * links to files are. Files and folders that cannot be read are
 * skipped, each named through warn (may be NULL) with errno set. 0, or
 * -1 with errno when dir itself cannot be read. */
int kss_library_scan(const char *dir, const json_t *wanted, json_t **found,
    void (*warn)(void *ctx, const char *path), void *ctx);

#endif
