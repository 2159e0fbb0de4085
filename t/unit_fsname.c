/* Unit tests: file names for untrusted names, SHA-256. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fsname.h"
#include "sha256.h"
#include "tap.h"
#include "valid.h"

static const char *
hex(const void *data, size_t len, char *out)
{
	uint8_t d[KSS_SHA256_LEN];
	size_t i;

	kss_sha256(data, len, d);
	for (i = 0; i < sizeof(d); i++)
		sprintf(out + 2 * i, "%02x", d[i]);
	return out;
}

static void
sha256(void)
{
	char out[65], m[1000];

	/* FIPS 180-4 examples, and the two-block padding boundaries. */
	is_str(hex("", 0, out),
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "sha256 of empty");
	is_str(hex("abc", 3, out),
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "sha256 of abc");
	is_str(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    out),
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	    "sha256 of the 56-byte vector");
	memset(m, 'a', sizeof(m));
	is_str(hex(m, 1000, out),
	    "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3",
	    "sha256 of 1000 a");
}

static void
names(void)
{
	char out[KSS_FSNAME_SIZE], name[KSS_NAME_MAX];
	size_t i;

	is_str(kss_fsname("0b229176d4e8db7f6d2b5a4952368d7a", 32, KSS_FSNAME_DOC, false,
	    out), "0b229176d4e8db7f6d2b5a4952368d7a.json",
	    "a KOReader id maps to itself");
	is_str(kss_fsname("Alice_B-2", 9, KSS_FSNAME_USER, false, out), "Alice_B-2",
	    "a plain username maps to itself");
	is_str(kss_fsname("..", 2, KSS_FSNAME_USER, false, out), "%2E%2E",
	    "'..' is encoded");
	is_str(kss_fsname(".hidden", 7, KSS_FSNAME_USER, false, out), "%2Ehidden",
	    "a leading dot is encoded");
	is_str(kss_fsname("a/b", 3, KSS_FSNAME_DOC, false, out), "a%2Fb.json",
	    "'/' is encoded");
	is_str(kss_fsname("%2e", 3, KSS_FSNAME_DOC, false, out), "%252e.json",
	    "'%%' is encoded, so encoded forms never clash");
	is_str(kss_fsname("auth", 4, KSS_FSNAME_DOC, false, out), "%61uth.json",
	    "a document named auth cannot be auth.json");
	is_str(kss_fsname("auth", 4, KSS_FSNAME_USER, false, out), "auth",
	    "a user named auth is plain");
	is_str(kss_fsname("é", 2, KSS_FSNAME_USER, false, out), "%C3%A9",
	    "UTF-8 bytes are encoded");

	/* 42 three-byte characters: 126 bytes, 378 encoded. */
	for (i = 0; i + 3 <= sizeof(name); i += 3)
		memcpy(name + i, "\xe2\x82\xac", 3);
	kss_fsname(name, i, KSS_FSNAME_DOC, false, out);
	ok(strlen(out) <= 255, "a long UTF-8 id fits NAME_MAX (%zu)", strlen(out));
	ok(out[0] == '=' && strlen(out) == 1 + 64 + 5,
	    "and is digest-named: %s", out);
	memset(name, 'z', sizeof(name));
	is_int(strlen(kss_fsname(name, sizeof(name), KSS_FSNAME_USER, false, out)),
	    KSS_NAME_MAX, "128 plain bytes stay plain");
	memset(name, ' ', sizeof(name));
	ok(kss_fsname(name, 83, KSS_FSNAME_USER, false, out)[0] == '%',
	    "83 encoded bytes (249) stay encoded");
	ok(kss_fsname(name, 86, KSS_FSNAME_USER, false, out)[0] == '=',
	    "86 encoded bytes (258) are digest-named");
}

static int
by_case(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* Names for a file system that ignores letter case. */
static void
folded(void)
{
	static const char set[] = "aAzZ09%_-.=\xc3\xa9";
	enum { N = sizeof(set) - 1 };
	char out[KSS_FSNAME_SIZE], name[3], *all[2 * N * N + 2 * N];
	size_t i, j, n = 0, same = 0;

	is_str(kss_fsname("Alice", 5, KSS_FSNAME_USER, true, out), "%41lice",
	    "fold: capitals are escaped");
	is_str(kss_fsname("AUTH", 4, KSS_FSNAME_DOC, true, out),
	    "%41%55%54%48.json", "fold: AUTH cannot meet auth.json");
	is_str(kss_fsname("auth", 4, KSS_FSNAME_DOC, true, out), "%61uth.json",
	    "fold: nor can auth");
	is_str(kss_fsname("0b229176d4e8db7f6d2b5a4952368d7a", 32,
	    KSS_FSNAME_DOC, true, out), "0b229176d4e8db7f6d2b5a4952368d7a.json",
	    "fold: a KOReader id still maps to itself");
	/* Every name of one or two bytes from a set rich in capitals,
	 * escapes and hex: no two encodings are equal ignoring case. */
	for (i = 0; i < N; i++) {
		name[0] = set[i];
		all[n++] = strdup(kss_fsname(name, 1, KSS_FSNAME_DOC, true, out));
		all[n++] = strdup(kss_fsname(name, 1, KSS_FSNAME_USER, true, out));
		for (j = 0; j < N; j++) {
			name[1] = set[j];
			all[n++] = strdup(kss_fsname(name, 2, KSS_FSNAME_DOC, true,
			    out));
			all[n++] = strdup(kss_fsname(name, 2, KSS_FSNAME_USER, true,
			    out));
		}
	}
	qsort(all, n, sizeof(all[0]), by_case);
	for (i = 1; i < n; i++)
		same += strcasecmp(all[i - 1], all[i]) == 0;
	for (i = 0; i < n; i++) {
		same += strcasecmp(all[i], "auth.json") == 0;
		free(all[i]);
	}
	is_int(same, 0, "fold: %zu names, none equal ignoring case, none "
	    "auth.json", n);
}

int
main(void)
{
	sha256();
	names();
	folded();
	return tap_done();
}
