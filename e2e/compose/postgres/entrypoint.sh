#!/bin/sh
# A stand-in for the official postgres image's entrypoint, for tests on machines
# without a registry: initialises PGDATA once with POSTGRES_USER, POSTGRES_PASSWORD
# and POSTGRES_DB, then runs the command ("postgres -c …") as the postgres user.
set -eu
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
BIN=/usr/lib/postgresql/15/bin
mkdir -p "$PGDATA" /run/postgresql
chown -R postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\n' "${POSTGRES_PASSWORD:-postgres}" > /tmp/pwfile
  chown postgres /tmp/pwfile
  su postgres -s /bin/sh -c "$BIN/initdb -D '$PGDATA' -U '${POSTGRES_USER:-postgres}' --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256" >/dev/null
  rm -f /tmp/pwfile
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  if [ -n "${POSTGRES_DB:-}" ] && [ "${POSTGRES_DB}" != "${POSTGRES_USER:-postgres}" ] || [ "${POSTGRES_USER:-postgres}" != "postgres" ]; then
    su postgres -s /bin/sh -c "$BIN/pg_ctl -D '$PGDATA' -o '-c listen_addresses=' -w start" >/dev/null
    su postgres -s /bin/sh -c "$BIN/psql -U '${POSTGRES_USER:-postgres}' -d postgres -c 'CREATE DATABASE \"${POSTGRES_DB:-${POSTGRES_USER:-postgres}}\"'" >/dev/null
    su postgres -s /bin/sh -c "$BIN/pg_ctl -D '$PGDATA' -m fast -w stop" >/dev/null
  fi
fi
if [ "${1:-}" = "postgres" ]; then shift; exec su postgres -s /bin/sh -c "exec $BIN/postgres -D '$PGDATA' $*"; fi
exec "$@"
