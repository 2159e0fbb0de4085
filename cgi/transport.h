/* The two transports of the one executable. */
#ifndef KSS_TRANSPORT_H
#define KSS_TRANSPORT_H

/* Serves the one request of a CGI invocation; returns an exit status. */
int kss_cgi_run(void);

/* Serves FastCGI requests on socket fd until SIGTERM, SIGINT or SIGHUP
 * ends the loop after the request in hand; returns an exit status. */
int kss_fcgi_run(int fd);

#endif
