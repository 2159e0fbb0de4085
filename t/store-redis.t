#!/bin/bash
# The Redis store's unit tests (t/unit_redis.c: the store contract, the
# official layout, names, deletes, scripts, failures) against a
# redis-server of this test's own.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
. "${T_SRCDIR:-$(dirname "$0")}/redis.sh"

UNIT=${T_BUILDDIR:-$(dirname "$KSS_BIN")/../t}/unit_redis
[ -x "$UNIT" ] || skip_all "t/unit_redis is not built"
start_redis
KSS_TEST_REDIS=$REDIS_URL "$UNIT"
rc=$?
stop_redis
exit $rc
