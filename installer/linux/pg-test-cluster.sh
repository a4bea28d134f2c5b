#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests and benchmarks: initdb in a temporary folder,
# a server listening only on a unix socket in that folder (no TCP port, no system service),
# one database, and the URL to give PROPREO_TEST_PG_URL printed on stdout.
#
#   eval "$(bash installer/linux/pg-test-cluster.sh start /tmp/pg)"   # exports PROPREO_TEST_PG_URL
#   bash installer/linux/pg-test-cluster.sh stop /tmp/pg
#
# PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user
# the Debian package creates (or `nobody` without it) and its commands run through runuser.
# Needs Debian's `postgresql` package (installed when missing).
set -euo pipefail
action="${1:-start}"
dir="${2:-${TMPDIR:-/tmp}/propreo-pg}"
database="${PROPREO_PG_DATABASE:-propreo}"

bindir=""
for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && bindir="$candidate"
done
if [ -z "$bindir" ] && [ "$action" = start ]; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    echo "Installation du paquet Debian postgresql…" >&2
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends postgresql >/dev/null
    # Debian starts a cluster of its own as a service: the tests do not use it.
    for candidate in /usr/lib/postgresql/*/bin; do
        [ -x "$candidate/initdb" ] && bindir="$candidate"
    done
fi

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$owner" -- "$@"
    else
        "$@"
    fi
}

owner="$(id -un)"
if [ "$(id -u)" = 0 ]; then
    owner=postgres
    id -u postgres >/dev/null 2>&1 || owner=nobody
fi

case "$action" in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown "$owner" "$dir"; fi
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bindir/initdb" -D "$dir/data" -U propreo --auth=trust \
            --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
            { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # Tests need no durability: fsync off makes CREATE DATABASE … TEMPLATE and commits fast.
    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
            -o "-k $dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >&2 || { cat "$dir/server.log" >&2; exit 1; }
    fi
    if ! as_owner "$bindir/psql" -h "$dir" -U propreo -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
        as_owner "$bindir/createdb" -h "$dir" -U propreo "$database"
    fi
    # The socket folder is the host: libpq reads it from the query string.
    echo "export PROPREO_TEST_PG_URL='postgresql+psycopg://propreo@/$database?host=$dir'"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -s stop >&2
    fi
    ;;
*)
    echo "usage: $0 start|stop [dossier]" >&2
    exit 2
    ;;
esac
