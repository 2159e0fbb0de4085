#include "config.h"

#include <stdlib.h>

#include "store.h"

void
kss_store_close(struct kss_store *st)
{
	if (st->ops != NULL)
		st->ops->close(st->h);
	st->ops = NULL;
}

void
kss_secret_free(struct kss_secret *s)
{
	free(s->value);
	s->value = NULL;
}
