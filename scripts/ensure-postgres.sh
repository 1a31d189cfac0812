# Sourced by scripts/test: makes sure a PostgreSQL server answers for the
# tests and exports OMNIDESK_TEST_POSTGRES_URL pointing at it.
#
# 1. OMNIDESK_TEST_POSTGRES_URL, when set and answering.
# 2. The local default server (127.0.0.1:5432, user postgres), starting the
#    Debian cluster if it is installed but stopped.
# 3. A private throwaway server from the installed PostgreSQL binaries
#    (installed from Debian's packages if missing), stopped on exit.

pg_answers() {
  psql "$1" -tAc 'select 1' >/dev/null 2>&1
}

ensure_psql() {
  if ! command -v psql >/dev/null 2>&1; then
    echo "scripts/test: installing PostgreSQL from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
}

ensure_postgres() {
  ensure_psql
  if [ -n "${OMNIDESK_TEST_POSTGRES_URL:-}" ] && pg_answers "$OMNIDESK_TEST_POSTGRES_URL"; then
    return 0
  fi
  local default_url="postgres://postgres@127.0.0.1:5432/postgres"
  if pg_answers "$default_url"; then
    export OMNIDESK_TEST_POSTGRES_URL="$default_url"
    return 0
  fi
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n1)"
    if [ -n "$version" ]; then
      pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
      for _ in $(seq 1 50); do
        if pg_answers "$default_url"; then
          export OMNIDESK_TEST_POSTGRES_URL="$default_url"
          return 0
        fi
        sleep 0.2
      done
    fi
  fi
  start_private_postgres
}

start_private_postgres() {
  local bindir
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  if [ -z "$bindir" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  fi
  PRIVATE_PG_DIR="$(mktemp -d /tmp/omnidesk-pg.XXXXXX)"
  local port=55432
  local run_as=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$PRIVATE_PG_DIR"
    run_as=(runuser -u postgres --)
  fi
  "${run_as[@]}" "$bindir/initdb" -D "$PRIVATE_PG_DIR/data" -U postgres -A trust >/dev/null
  "${run_as[@]}" "$bindir/pg_ctl" -D "$PRIVATE_PG_DIR/data" -l "$PRIVATE_PG_DIR/log" -w \
    -o "-p $port -k $PRIVATE_PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null
  trap 'stop_private_postgres' EXIT
  export OMNIDESK_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "scripts/test: started a private PostgreSQL at 127.0.0.1:$port" >&2
}

stop_private_postgres() {
  if [ -n "${PRIVATE_PG_DIR:-}" ]; then
    local bindir
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
    local run_as=()
    [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
    "${run_as[@]}" "$bindir/pg_ctl" -D "$PRIVATE_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PRIVATE_PG_DIR"
  fi
}
