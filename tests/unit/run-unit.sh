#!/bin/sh
# Runs one unit test binary, under valgrind's memcheck when it is installed,
# so that a leak or an invalid access fails the test.
if command -v valgrind >/dev/null 2>&1 && [ -z "${P2POOL_NO_VALGRIND:-}" ]; then
  exec valgrind --quiet --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect "$@"
fi
exec "$@"
