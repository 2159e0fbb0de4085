/* kss-admin(8): the users and documents of a kss data folder from the
 * shell, with the server running or not. */
#ifndef KSS_ADMIN_CLI_H
#define KSS_ADMIN_CLI_H

/* Runs the command line argv as kss-admin; its exit status: 0 done, 1
 * failed, 2 a wrong command line. */
int kss_admin_main(int argc, char **argv);

#endif
