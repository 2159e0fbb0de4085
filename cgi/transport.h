/* The two transports of the one executable. */
#ifndef KSS_TRANSPORT_H
#define KSS_TRANSPORT_H

/* Serves the one request of a CGI invocation; returns an exit status. */
int kss_cgi_run(void);

/* The requests a FastCGI process serves at once (KSS_THREADS, from the
 * process environment), or -1 after saying on stderr what is wrong. */
int kss_fcgi_threads(void);

/* Serves FastCGI requests on socket fd, threads at a time, until SIGTERM,
 * SIGINT or SIGHUP ends the loop after the requests in hand; returns an
 * exit status. */
int kss_fcgi_run(int fd, int threads);

#endif
