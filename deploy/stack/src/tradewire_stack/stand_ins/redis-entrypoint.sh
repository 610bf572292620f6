#!/bin/sh
# Like the official image, this Redis accepts connections from other containers without a password:
# Debian's build keeps protected mode on, which refuses every address but loopback.
set -eu
if [ "${1:-}" = "redis-server" ]; then
  exec "$@" --protected-mode no
fi
exec "$@"
