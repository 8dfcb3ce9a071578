#!/bin/sh
# As the official image does: no protected mode, since the container network is the boundary.
if [ "${1:-}" = "redis-server" ]; then shift; exec redis-server "$@" --protected-mode no; fi
exec "$@"
