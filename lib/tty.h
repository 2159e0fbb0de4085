/* Passwords from a terminal without echo, or from a pipe: kss-admin's
 * only input beyond its command line. */
#ifndef KSS_TTY_H
#define KSS_TTY_H

#include <stddef.h>
#include <stdio.h>

/* One line of f without its "\n" or "\r\n", in a malloc'd buffer; NULL
 * at the end of input, and with errno EINVAL for a line of more than
 * max bytes or one that holds a NUL. */
char *kss_tty_read_line(FILE *f, size_t max);

/* One line typed at the terminal on standard input after prompt (on
 * standard error), with echo off; the terminal is set back as it was,
 * on a signal too (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP: then the
 * signal takes its course). NULL when standard input is no terminal or
 * nothing was read. */
char *kss_tty_ask_hidden(const char *prompt, size_t max);

/* Wipes and frees a password (NULL: nothing). */
void kss_tty_drop(char *password);

#endif
