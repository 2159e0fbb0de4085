/* Unit tests: file names for untrusted names. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fsname.h"
#include "tap.h"
#include "valid.h"

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
	/* sha256sum of the name, in capitals: what a reader of the layout
	 * (kss-admin, a shell) can compute. */
	is_str(out, "=999E586AC658027F97348EC098F5FB5C7438A976635344F49077CB898ABD3DCF.json", "and is named by its SHA-256");
	memset(name, 'z', sizeof(name));
	is_int(strlen(kss_fsname(name, sizeof(name), KSS_FSNAME_USER, false, out)),
	    KSS_NAME_MAX, "128 plain bytes stay plain");
	memset(name, ' ', sizeof(name));
	ok(kss_fsname(name, 83, KSS_FSNAME_USER, false, out)[0] == '%',
	    "83 encoded bytes (249) stay encoded");
	is_str(kss_fsname(name, 86, KSS_FSNAME_USER, false, out),
	    "=F58A84BA4EA67AFEB6CE4AE23DEC47A561A58E25ACE7961B086A80110C1E5E31", "86 encoded bytes (258) are digest-named");
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

/* kss_fsname_decode(): the way back, for tools that list a folder. */
static void
decoded(void)
{
	static const char *const samples[] = {"alice", "a b/é", "..", "auth",
	    ".hidden", "%2e", "Alice", "x:y", "\x7f"};
	char out[KSS_FSNAME_SIZE], back[KSS_FSNAME_SIZE], name[KSS_NAME_MAX];
	size_t i;
	int fold, kind;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		for (fold = 0; fold < 2; fold++) {
			for (kind = 0; kind < 2; kind++) {
				kss_fsname(samples[i], strlen(samples[i]), kind,
				    fold, out);
				is_int(kss_fsname_decode(out, kind, back),
				    (int)strlen(samples[i]), "decode %s (%s, %s)",
				    out, fold ? "fold" : "plain",
				    kind ? "doc" : "user");
				is_str(back, samples[i], "gives the name back");
			}
		}
	}
	for (i = 0; i + 3 <= sizeof(name); i += 3)
		memcpy(name + i, "\xe2\x82\xac", 3);
	kss_fsname(name, i, KSS_FSNAME_DOC, false, out);
	is_int(kss_fsname_decode(out, KSS_FSNAME_DOC, back), -1,
	    "a digest name does not decode");
	is_int(kss_fsname_decode("abc", KSS_FSNAME_DOC, back), -1,
	    "a document file needs .json");
	is_int(kss_fsname_decode(".json", KSS_FSNAME_DOC, back), -1,
	    "and a name before it");
	is_int(kss_fsname_decode("a%2", KSS_FSNAME_USER, back), -1,
	    "a cut escape");
	is_int(kss_fsname_decode("a%2e", KSS_FSNAME_USER, back), -1,
	    "a small-letter escape (kss writes capitals)");
	is_int(kss_fsname_decode("a.b", KSS_FSNAME_USER, back), -1,
	    "a byte kss always escapes (the original kss's bob.smith)");
	is_int(kss_fsname_decode("a%00b", KSS_FSNAME_USER, back), 3,
	    "an escaped NUL decodes, to 3 bytes (the caller validates)");
}

int
main(void)
{
	names();
	folded();
	decoded();
	return tap_done();
}
