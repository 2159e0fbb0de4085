/* Unit tests: file names for untrusted names, SHA-256. */
#include "config.h"

#include <stdint.h>
#include <string.h>

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

	is_str(kss_fsname("0b229176d4e8db7f6d2b5a4952368d7a", 32, KSS_FSNAME_DOC,
	    out), "0b229176d4e8db7f6d2b5a4952368d7a.json",
	    "a KOReader id maps to itself");
	is_str(kss_fsname("Alice_B-2", 9, KSS_FSNAME_USER, out), "Alice_B-2",
	    "a plain username maps to itself");
	is_str(kss_fsname("..", 2, KSS_FSNAME_USER, out), "%2E%2E",
	    "'..' is encoded");
	is_str(kss_fsname(".hidden", 7, KSS_FSNAME_USER, out), "%2Ehidden",
	    "a leading dot is encoded");
	is_str(kss_fsname("a/b", 3, KSS_FSNAME_DOC, out), "a%2Fb.json",
	    "'/' is encoded");
	is_str(kss_fsname("%2e", 3, KSS_FSNAME_DOC, out), "%252e.json",
	    "'%%' is encoded, so encoded forms never clash");
	is_str(kss_fsname("auth", 4, KSS_FSNAME_DOC, out), "%61uth.json",
	    "a document named auth cannot be auth.json");
	is_str(kss_fsname("auth", 4, KSS_FSNAME_USER, out), "auth",
	    "a user named auth is plain");
	is_str(kss_fsname("é", 2, KSS_FSNAME_USER, out), "%C3%A9",
	    "UTF-8 bytes are encoded");

	/* 42 three-byte characters: 126 bytes, 378 encoded. */
	for (i = 0; i + 3 <= sizeof(name); i += 3)
		memcpy(name + i, "\xe2\x82\xac", 3);
	kss_fsname(name, i, KSS_FSNAME_DOC, out);
	ok(strlen(out) <= 255, "a long UTF-8 id fits NAME_MAX (%zu)", strlen(out));
	ok(out[0] == '=' && strlen(out) == 1 + 64 + 5,
	    "and is digest-named: %s", out);
	memset(name, 'z', sizeof(name));
	is_int(strlen(kss_fsname(name, sizeof(name), KSS_FSNAME_USER, out)),
	    KSS_NAME_MAX, "128 plain bytes stay plain");
	memset(name, ' ', sizeof(name));
	ok(kss_fsname(name, 83, KSS_FSNAME_USER, out)[0] == '%',
	    "83 encoded bytes (249) stay encoded");
	ok(kss_fsname(name, 86, KSS_FSNAME_USER, out)[0] == '=',
	    "86 encoded bytes (258) are digest-named");
}

int
main(void)
{
	sha256();
	names();
	return tap_done();
}
