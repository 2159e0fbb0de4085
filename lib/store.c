#include "config.h"

#include <stdlib.h>

#include "conf.h"
#include "store.h"

enum kss_err
kss_store_open(const struct kss_config *cfg, const struct kss_log *log,
    struct kss_store *st)
{
	enum kss_err e;

#ifdef KSS_REDIS
	if (cfg->store == KSS_STORE_REDIS) {
		if ((e = kss_store_redis_open(&cfg->redis, log, st)) == KSS_OK)
			st->raw_keys = cfg->raw_keys;
		return e;
	}
#endif
	e = kss_store_file_open(cfg->dir, log, st);
	st->raw_keys = false;
	return e;
}

void
kss_store_set_fsync(struct kss_store *st, bool on)
{
	if (st->ops != NULL && st->ops->set_fsync != NULL)
		st->ops->set_fsync(st->h, on);
}

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

double
kss_store_timestamp(const json_t *rec)
{
	const json_t *t = json_object_get(rec, "timestamp");

	if (rec == NULL)
		return -1;
	return json_is_number(t) ? json_number_value(t) : 0;
}
