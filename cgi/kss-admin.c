/* kss-admin: the users and documents of a kss data folder from the shell
 * (kss-admin(8)); lib/admin_cli.c is the program. */
#include "config.h"

#include "admin_cli.h"

int
main(int argc, char **argv)
{
	return kss_admin_main(argc, argv);
}
