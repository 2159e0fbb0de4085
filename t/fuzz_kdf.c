/* For the fuzz_store fuzzer only (README: Fuzzing), never make check: the
 * KDF memoised. Every login runs yescrypt, about 1.4 ms at cost 1, and a
 * run of fuzz_store logs in six times, which would hold the fuzzer to a
 * hundred runs a second. Linked into the fuzzer, these definitions take
 * the place of libxcrypt's for kss's calls: a key and setting seen
 * before get the answer the real KDF gave then, and a salt drawn from
 * the OS is a fixed one, so that a hash kss makes is one seen before.
 * A stored hash may ask for any cost: one byte changed in "$y$j75$" asks
 * for gigabytes and minutes, so a setting dearer than a few milliseconds
 * is answered as the KDF answers one it cannot use, with a failure.
 * What kss does with the answers is unchanged. */
#include "config.h"

#include <crypt.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MEMO 256

struct memo {
	char *phrase, *setting;	/* NULL when free */
	char output[CRYPT_OUTPUT_SIZE];
};

static struct memo memo[MEMO];
static size_t memo_next;

char *crypt_rn(const char *phrase, const char *setting, void *data,
    int size);
char *crypt_gensalt_rn(const char *prefix, unsigned long count,
    const char *rbytes, int nrbytes, char *output, int output_size);

/* Whether setting asks for little work: yescrypt whose N and r are no
 * larger than at kss's cost 5 ("$y$j9T$", 16 MiB, 20 ms), MD5 and NT
 * hashes, SHA-256/512 at their default rounds; anything else but '$' or
 * '_' (traditional DES, or no method at all) fails at once or is cheap. */
static int
cheap(const char *setting)
{
	static const char b64[] = "./0123456789ABCDEFGHIJKLMNOPQRST";

	if (strncmp(setting, "$y$j", 4) == 0)
		return setting[4] != '\0' && strchr(b64, setting[4]) != NULL &&
		    strchr(b64, setting[4]) - b64 < 12 && setting[5] != '\0' &&
		    strchr(b64, setting[5]) != NULL && setting[6] == '$';
	if (strncmp(setting, "$1$", 3) == 0 || strncmp(setting, "$3$", 3) == 0)
		return 1;
	if (strncmp(setting, "$5$", 3) == 0 || strncmp(setting, "$6$", 3) == 0)
		return strncmp(setting + 3, "rounds=", 7) != 0;
	return setting[0] != '$' && setting[0] != '_';
}

char *
crypt_rn(const char *phrase, const char *setting, void *data, int size)
{
	struct crypt_data *cd = data;
	struct memo *m;
	size_t i;

	if (size < (int)sizeof(*cd)) {
		errno = ERANGE;
		return NULL;
	}
	for (i = 0; i < MEMO; i++) {
		m = &memo[i];
		if (m->phrase != NULL && strcmp(m->phrase, phrase) == 0 &&
		    strcmp(m->setting, setting) == 0)
			break;
	}
	if (i == MEMO && !cheap(setting)) {
		strcpy(cd->output, "*0");
		return NULL;
	}
	if (i == MEMO) {
		/* crypt_r() is libxcrypt's own, as crypt_rn() but for its
		 * answer to a failure: a string starting with '*'. */
		crypt_r(phrase, setting, cd);
		m = &memo[memo_next++ % MEMO];
		free(m->phrase);
		free(m->setting);
		m->phrase = strdup(phrase);
		m->setting = strdup(setting);
		memcpy(m->output, cd->output, sizeof(m->output));
		if (m->phrase == NULL || m->setting == NULL) {
			free(m->phrase);
			free(m->setting);
			m->phrase = m->setting = NULL;
		}
	} else
		memcpy(cd->output, m->output, sizeof(m->output));
	return cd->output[0] == '*' ? NULL : cd->output;
}

char *
crypt_gensalt_rn(const char *prefix, unsigned long count, const char *rbytes,
    int nrbytes, char *output, int output_size)
{
	static const char fixed[16] = "kss-fuzz-salt!!!";
	static char *(*real)(const char *, unsigned long, const char *, int,
	    char *, int);

	/* crypt.h makes crypt_gensalt_r() another name for this one. */
	if (real == NULL && (*(void **)&real = dlsym(RTLD_NEXT,
	    "crypt_gensalt_rn")) == NULL)
		return NULL;
	if (rbytes == NULL) {
		rbytes = fixed;
		nrbytes = (int)sizeof(fixed);
	}
	return real(prefix, count, rbytes, nrbytes, output, output_size);
}
