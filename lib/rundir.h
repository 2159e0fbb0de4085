/* A folder in RAM that kss's processes share (KSS_CACHE_DIR): the key
 * cache of CGI processes and the count of failed logins per address live
 * there, under a secret that is never in KSS_DIR. The checks make sure it
 * is kss's own, private, lost at reboot and out of KSS_DIR's backups. */
#ifndef KSS_RUNDIR_H
#define KSS_RUNDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KSS_RUNDIR_SECRET_LEN 32
#define KSS_RUNDIR_SECRET_FILE "secret"	/* the secret's file in the folder */

/* Opens folder dir, made 0700 if missing, and checks it: of this user
 * only, on tmpfs or ramfs, not data_dir or inside it nor on its file
 * system. Returns the folder's fd, or -1 with *why saying what is
 * wrong. */
int kss_rundir_open(const char *dir, const char *data_dir, const char **why);

/* Reads the folder's secret into out, made by the first process that
 * asks. 0, or -1 with errno (EINVAL: the file is damaged). */
int kss_rundir_secret(int dir, uint8_t out[KSS_RUNDIR_SECRET_LEN]);

/* Writes len bytes of p to a new temp file in dir, then links (link) or
 * renames it to name: whole or not at all, whatever runs beside. With
 * link the first to get there wins (EEXIST for the rest). 0 or -1 with
 * errno. */
int kss_rundir_publish(int dir, const char *name, const void *p, size_t len,
    bool link);

#endif
