/* Unit tests: a password asked on a terminal (tty.h), on a pseudo-
 * terminal: echo off at the prompt, back on when a signal stops or ends
 * the process, off again when it continues. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "tty.h"

#define WAIT_MS 10000	/* a bound, not a pace: each wait ends on an event */

static int master, slave;

static bool
echo_on(void)
{
	struct termios t;

	return tcgetattr(slave, &t) == 0 && (t.c_lflag & ECHO) != 0;
}

/* Waits until echo is as wanted; false after WAIT_MS. The terminal says
 * nothing when its mode changes, so this asks. */
static bool
echo_becomes(bool want)
{
	struct timespec ms = {0, 1000000};
	int i;

	for (i = 0; i < WAIT_MS; i++) {
		if (echo_on() == want)
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}

/* Reads what the terminal shows until it holds text; false after
 * WAIT_MS. The shown text is appended to seen. */
static bool
shown_until(const char *text, char *seen, size_t size)
{
	struct pollfd p = {master, POLLIN, 0};
	size_t len = strlen(seen);
	ssize_t n;

	while (strstr(seen, text) == NULL) {
		if (len + 1 >= size || poll(&p, 1, WAIT_MS) <= 0)
			return false;
		if ((n = read(master, seen + len, size - len - 1)) <= 0)
			return false;
		len += (size_t)n;
		seen[len] = '\0';
	}
	return true;
}

/* A child asking for a password on the terminal; what it read comes back
 * on *out (a pipe). */
static pid_t
asker(int *out)
{
	int fds[2];
	pid_t pid;
	char *pw;

	if (pipe(fds) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		/* A process group of its own, not orphaned: a stop stops. */
		setpgid(0, 0);
		close(master);
		close(fds[0]);
		dup2(slave, STDIN_FILENO);
		dup2(slave, STDERR_FILENO);
		pw = kss_tty_ask_hidden("Password: ", 64);
		if (pw != NULL)
			dprintf(fds[1], "%s", pw);
		_exit(pw != NULL ? 0 : 1);
	}
	close(fds[1]);
	*out = fds[0];
	return pid;
}

static void
stop_and_continue(void)
{
	char seen[4096] = "", got[64] = "";
	int out, st = 0;
	ssize_t n;
	pid_t pid = asker(&out);

	ok(pid > 0, "a child asks");
	ok(shown_until("Password: ", seen, sizeof(seen)), "the prompt is shown");
	ok(echo_becomes(false), "echo is off at the prompt");
	kill(pid, SIGTSTP);
	ok(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st),
	    "Ctrl-Z stops it");
	ok(echo_on(), "with echo back on for the shell");
	kill(pid, SIGCONT);
	ok(echo_becomes(false), "continued, echo is off again");
	if (write(master, "s3cret\n", 7) != 7)
		ok(0, "typing");
	n = read(out, got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = '\0';
	is_str(got, "s3cret", "what is typed then is read");
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "and the child ends well");
	ok(shown_until("\n", seen, sizeof(seen)), "the prompt's line ends");
	ok(strstr(seen, "s3cret") == NULL, "the password is never shown");
	ok(echo_on(), "echo is on after");
	close(out);
}

static void
interrupted(void)
{
	char seen[4096] = "";
	int out, st = 0;
	pid_t pid = asker(&out);

	ok(shown_until("Password: ", seen, sizeof(seen)) &&
	    echo_becomes(false), "another prompt, echo off");
	kill(pid, SIGINT);
	ok(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
	    WTERMSIG(st) == SIGINT, "Ctrl-C ends it, by SIGINT");
	ok(echo_on(), "with echo back on");
	close(out);
}

int
main(void)
{
	struct termios t;

	if (openpty(&master, &slave, NULL, NULL, NULL) < 0) {
		printf("1..0 # SKIP no pseudo-terminal: %s\n", strerror(errno));
		return 0;
	}
	tcgetattr(slave, &t);
	t.c_lflag |= ECHO | ICANON;
	tcsetattr(slave, TCSANOW, &t);
	stop_and_continue();
	interrupted();
	return tap_done();
}
