/* SHA-256 (FIPS 180-4), for digest-based file names of over-long names. */
#ifndef KSS_SHA256_H
#define KSS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define KSS_SHA256_LEN 32

/* Writes the digest of data[0..len) to out. */
void kss_sha256(const void *data, size_t len, uint8_t out[KSS_SHA256_LEN]);

#endif
