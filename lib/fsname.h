/* Mapping of untrusted names to file names (DESIGN.md §3). */
#ifndef KSS_FSNAME_H
#define KSS_FSNAME_H

#include <stdbool.h>
#include <stddef.h>

/* Room for any name kss_fsname() makes, suffix and NUL included. */
#define KSS_FSNAME_SIZE 256

enum kss_fsname_kind {
	KSS_FSNAME_USER,	/* a user's directory */
	KSS_FSNAME_DOC,		/* a document's file, ".json" added */
};

/* Encodes name[0..len) as one path component in out (KSS_FSNAME_SIZE
 * bytes): bytes outside [A-Za-z0-9_-] become %XX, so a 32-hex KOReader id
 * or a plain username stays as it is (the original kss's layout), and no
 * result is ".", "..", empty or contains '/'. A document named "auth" is
 * written %61uth so it cannot meet auth.json. When the result would pass
 * NAME_MAX, it is '=' and the SHA-256 of the name in hex instead; '='
 * never appears in an encoded name, so the two forms cannot collide.
 *
 * With fold (a file system that ignores letter case), capital letters
 * become %XX too: the only capitals left are the hex digits of escapes,
 * which are always capitals, so no two names differ by case alone and
 * none folds onto auth.json.
 *
 * name must not be empty (kss_valid_name() holds). Returns out. */
char *kss_fsname(const char *name, size_t len, enum kss_fsname_kind kind,
    bool fold, char out[KSS_FSNAME_SIZE]);

/* The name kss_fsname() encoded as the file name fname (its ".json"
 * dropped for KSS_FSNAME_DOC), into out (KSS_FSNAME_SIZE bytes, NUL
 * added), for tools that list a folder (kss-admin). Its length, or -1
 * for a name no encoding gives: a digest name ("=...", whose real name
 * is only inside the file), a "%" not followed by two capital hex
 * digits, a byte kss_fsname() always escapes, or a document file without
 * ".json". Not every decodable name is the one kss_fsname() makes of the
 * result ("%41" for "A" in a plain folder): a caller that needs to know
 * encodes the result again and compares. */
int kss_fsname_decode(const char *fname, enum kss_fsname_kind kind,
    char out[KSS_FSNAME_SIZE]);

#endif
