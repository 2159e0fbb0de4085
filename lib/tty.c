/* Passwords from a terminal or a pipe (tty.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tty.h"

/* The terminal as it was and as it is while a password is typed, for a
 * signal handler to switch between: the one state a handler can reach is
 * a global one. */
static struct termios saved_tty, hidden_tty;
static volatile sig_atomic_t tty_changed;

static const int tty_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT,
    SIGTSTP};
#define NSIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))

/* The terminal back as it was, then the signal's own course: the end of
 * the process, or for SIGTSTP a stop, after which (SIGCONT) echo goes off
 * again, as the prompt is still waiting. */
static void
on_signal(int sig)
{
	int saved_errno = errno;
	sigset_t set;

	if (tty_changed)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);	/* blocked in its handler */
	raise(sig);
	signal(sig, on_signal);
	if (tty_changed)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden_tty);
	errno = saved_errno;
}

char *
kss_tty_read_line(FILE *f, size_t max)
{
	char *line = NULL;
	size_t size = 0;
	ssize_t n;

	if ((n = getline(&line, &size, f)) < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if ((size_t)n > max || memchr(line, '\0', (size_t)n) != NULL) {
		explicit_bzero(line, size);
		free(line);
		errno = EINVAL;
		return NULL;
	}
	return line;
}

char *
kss_tty_ask_hidden(const char *prompt, size_t max)
{
	char *line;
	size_t i;

	if (tcgetattr(STDIN_FILENO, &saved_tty) < 0)
		return NULL;
	hidden_tty = saved_tty;
	hidden_tty.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	hidden_tty.c_lflag |= ICANON;
	tty_changed = 1;
	for (i = 0; i < NSIGNALS; i++)
		signal(tty_signals[i], on_signal);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden_tty) < 0) {
		tty_changed = 0;
		line = NULL;
	} else {
		fputs(prompt, stderr);
		fflush(stderr);
		line = kss_tty_read_line(stdin, max);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
		tty_changed = 0;
		fputc('\n', stderr);
	}
	for (i = 0; i < NSIGNALS; i++)
		signal(tty_signals[i], SIG_DFL);
	return line;
}

void
kss_tty_drop(char *password)
{
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
}
