/* bench/gen: writes a kss file store directly, in the layout kss itself
 * writes (lib/store_file.c), for measuring kss on a large store without
 * a million PUTs:
 *
 *   DIR/.kss-layout              "plain\n" and kss's note (save_layout)
 *   DIR/<user>/auth.json         {"x-auth-user":..,"x-auth-key-hash":..}
 *   DIR/<user>/<document>.json   {"document","progress","percentage",
 *                                 "device","device_id","timestamp"}
 *
 * Users are u00000, u00001, ...; documents are 32 lowercase hex digits,
 * as KOReader's MD5 ids: both are names kss stores as they are
 * (lib/fsname.c), in either layout. A document's id and record depend
 * only on the user's and the document's numbers, so two stores written
 * with other -s options hold the same records for the same users. Every
 * user has the same key, hashed once (yescrypt, as kss at
 * KSS_HASH_COST 5), or the given hash. Files are written without fsync:
 * kss's writes are durable, a generator's need not be.
 *
 *   gen [-j JOBS] [-k KEY] [-c COST | -H HASH] [-p PICK] [-l LIST] [-s]
 *       DIR USERS DOCS
 *
 *   -k KEY   every user's key (default an MD5, as KOReader sends)
 *   -c COST  yescrypt cost of its hash (default 5, kss's default)
 *   -H HASH  the stored hash itself (one of another store, say), not
 *            checked against KEY
 *   -p PICK  the picked users: PICK of them, spread evenly over USERS
 *   -l LIST  writes "user document" lines, every document of each picked
 *            user, for the load generator
 *   -s       writes the picked users only (a near-empty store holding
 *            the same records for them)
 *   -j JOBS  processes writing at once (default: online CPUs) */
#define _GNU_SOURCE

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define USER_FMT "u%05lu"
#define NAME_SIZE 64
#define STAMP 1767225600	/* 2026-01-01: the records' base timestamp */

/* The layout file's text exactly as kss writes it (save_layout()), so a
 * generated store is one kss wrote itself. */
static const char layout[] =
    "plain\n"
    "# How kss names files in this folder (kss's README: \"Storage\").\n"
    "# Keep this file: without it a copy on another file system may\n"
    "# read under other names.\n";

static void
die(const char *what, const char *name)
{
	fprintf(stderr, "gen: %s %s: %s\n", what, name, strerror(errno));
	exit(1);
}

/* splitmix64: a fixed, well-spread stream from a counter. */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void
doc_id(unsigned long user, unsigned long doc, char out[33])
{
	uint64_t a = mix((uint64_t)user << 32 | doc), b = mix(a);

	snprintf(out, 33, "%016llx%016llx", (unsigned long long)a,
	    (unsigned long long)b);
}

/* A percentage as kss writes it: the fewest digits that read back as the
 * same double (lib/json.c, kss_json_dump()). */
static void
fmt_real(double d, char *buf, size_t size)
{
	int p;

	for (p = 1; p < DBL_DECIMAL_DIG; p++) {
		snprintf(buf, size, "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			return;
	}
	snprintf(buf, size, "%.*g", DBL_DECIMAL_DIG, d);
}

/* Writes text as the regular file name in dir, mode 0600 as kss's. */
static void
put_file(int dir, const char *name, const char *text, size_t len)
{
	int fd;

	if ((fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0)
		die("cannot create", name);
	if (write(fd, text, len) != (ssize_t)len)
		die("cannot write", name);
	if (close(fd) < 0)
		die("cannot close", name);
}

/* One user's folder: auth.json and docs records, each the compact JSON
 * with the member order kss writes (a push's json_object_update onto an
 * empty object, then timestamp) and its trailing newline. */
static void
put_user(int root, unsigned long u, unsigned long docs, const char *hash)
{
	char user[NAME_SIZE], file[NAME_SIZE], id[33], pct[32], text[512];
	unsigned long d;
	uint64_t r;
	int dir, n;

	snprintf(user, sizeof(user), USER_FMT, u);
	if (mkdirat(root, user, 0700) < 0)
		die("cannot create", user);
	if ((dir = openat(root, user, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die("cannot open", user);
	n = snprintf(text, sizeof(text),
	    "{\"x-auth-user\":\"%s\",\"x-auth-key-hash\":\"%s\"}\n", user, hash);
	put_file(dir, "auth.json", text, (size_t)n);
	for (d = 0; d < docs; d++) {
		doc_id(u, d, id);
		r = mix(~((uint64_t)u << 32 | d));
		fmt_real((double)(r % 9999 + 1) / 10000, pct, sizeof(pct));
		n = snprintf(text, sizeof(text),
		    "{\"document\":\"%s\",\"progress\":"
		    "\"/body/DocFragment[%u]/body/p[%u]/text().%u\","
		    "\"percentage\":%s,\"device\":\"gen\",\"device_id\":"
		    "\"%016llX\",\"timestamp\":%llu}\n", id,
		    (unsigned)(r >> 16 & 63) + 1, (unsigned)(r >> 24 & 255) + 1,
		    (unsigned)(r >> 32 & 1023), pct,
		    (unsigned long long)mix(u ^ 0xde71ce1dULL),
		    (unsigned long long)(STAMP + (r >> 40 & 0xffffff)));
		snprintf(file, sizeof(file), "%s.json", id);
		put_file(dir, file, text, (size_t)n);
	}
	close(dir);
}

/* Whether user u is one of pick users spread evenly over users: u is
 * floor(i * users / pick) for some i. */
static int
picked(unsigned long u, unsigned long users, unsigned long pick)
{
	unsigned long i;

	if (pick == 0)
		return 0;
	i = (u * pick + users - 1) / users;	/* the first i at or past u */
	return i < pick && i * users / pick == u;
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen [-j JOBS] [-k KEY] [-c COST | -H HASH] "
	    "[-p PICK] [-l LIST] [-s] DIR USERS DOCS\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *key = "0b229176d4e8db7f6d2b5a4952368d7a", *list = NULL;
	const char *hash = NULL;
	unsigned long users, docs, pick = 0, cost = 5, u, d;
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], user[NAME_SIZE], id[33];
	struct crypt_data cd;
	int only = 0, root, c, j, status, failed = 0;
	FILE *f;

	while ((c = getopt(argc, argv, "c:H:j:k:l:p:s")) != -1) {
		switch (c) {
		case 'c': cost = strtoul(optarg, NULL, 10); break;
		case 'H': hash = optarg; break;
		case 'j': jobs = strtol(optarg, NULL, 10); break;
		case 'k': key = optarg; break;
		case 'l': list = optarg; break;
		case 'p': pick = strtoul(optarg, NULL, 10); break;
		case 's': only = 1; break;
		default: usage();
		}
	}
	if (argc - optind != 3)
		usage();
	users = strtoul(argv[optind + 1], NULL, 10);
	docs = strtoul(argv[optind + 2], NULL, 10);
	if (users == 0 || users > 100000 || pick > users || jobs < 1)
		usage();

	memset(&cd, 0, sizeof(cd));
	if (hash == NULL) {
		if (crypt_gensalt_rn("$y$", cost, NULL, 0, salt, sizeof(salt)) ==
		    NULL || crypt_rn(key, salt, &cd, sizeof(cd)) == NULL ||
		    cd.output[0] == '*') {
			fprintf(stderr, "gen: cannot hash the key (yescrypt)\n");
			return 1;
		}
		hash = cd.output;
	} else if (strpbrk(hash, "\"\\") != NULL || strlen(hash) > 200) {
		/* It goes into JSON as it is; a crypt(3) hash never needs
		 * escaping. */
		usage();
	}
	if (mkdir(argv[optind], 0700) < 0 && errno != EEXIST)
		die("cannot create", argv[optind]);
	if ((root = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die("cannot open", argv[optind]);
	put_file(root, ".kss-layout", layout, sizeof(layout) - 1);

	if (list != NULL) {
		if ((f = fopen(list, "w")) == NULL)
			die("cannot create", list);
		for (u = 0; u < users; u++) {
			if (!picked(u, users, pick))
				continue;
			snprintf(user, sizeof(user), USER_FMT, u);
			for (d = 0; d < docs; d++) {
				doc_id(u, d, id);
				fprintf(f, "%s %s\n", user, id);
			}
		}
		if (fclose(f) != 0)
			die("cannot write", list);
	}

	/* Users are dealt round-robin to the jobs, each a process. */
	for (j = 0; j < jobs; j++) {
		pid_t pid = fork();

		if (pid < 0)
			die("cannot fork", "");
		if (pid > 0)
			continue;
		for (u = (unsigned long)j; u < users; u += (unsigned long)jobs)
			if (!only || picked(u, users, pick))
				put_user(root, u, docs, hash);
		_exit(0);
	}
	while (wait(&status) > 0)
		failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	return failed;
}
