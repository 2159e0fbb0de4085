/* The data folder is kss's alone (DESIGN.md §3: made 0700): a folder
 * that other users can enter lists who has an account, and the original
 * kss left its users' files readable to all. */
#ifndef KSS_DIRMODE_H
#define KSS_DIRMODE_H

struct kss_log;

/* Looks at the mode of the data folder open as fd (dir names it in the
 * log). Open to group or others, and kss's user owns it: made 0700, said
 * once (then it is 0700). Else open to others (group access being how
 * kss may reach a folder it does not own), or it cannot be changed (a
 * read-only disk): said, each time, with what to do. Never fails a
 * request: the folder still serves. */
void kss_dirmode_check(int fd, const char *dir, const struct kss_log *log);

#endif
