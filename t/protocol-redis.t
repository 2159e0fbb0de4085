#!/bin/bash
# One suite, two stores: protocol.t, every row of it, against the Redis
# store (KSS_STORE for every run of kss: lib.sh's KSS_TEST_STORE) on a
# redis-server of this test's own.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
. "${T_SRCDIR:-$(dirname "$0")}/redis.sh"

start_redis
KSS_TEST_STORE=$REDIS_URL bash "${T_SRCDIR:-$(dirname "$0")}/protocol.t"
rc=$?
stop_redis
exit $rc
