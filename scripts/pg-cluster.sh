#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks, made with the Debian package's initdb and
# pg_ctl in a folder of its own, listening on 127.0.0.1 only, with trust authentication.
#
#   scripts/pg-cluster.sh start DIR [PORT]   creates and starts it; prints its Npgsql connection string
#   scripts/pg-cluster.sh stop DIR           stops it and removes DIR
#
# PORT defaults to 25432: below the kernel's range of ephemeral ports (32768-60999 by default), so no
# outgoing connection of the machine can be holding it when the server binds. PG_FSYNC=on keeps fsync
# (benchmarks of durable writes); by default it is off, as suits a cluster that is deleted afterwards.
# Run as root, the server runs as the postgres user, since PostgreSQL refuses to run as root. Installs
# nothing: .ci/run installs the postgresql package.
set -euo pipefail

usage() {
    echo "usage: $0 start DIR [PORT] | stop DIR" >&2
    exit 2
}

[ $# -ge 2 ] || usage
command=$1
dir=$2
port=${3:-25432}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "$0: PostgreSQL's server programs are not installed (apt-get install postgresql)" >&2
    exit 1
fi

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
    as_owner=(runuser -u postgres --)
fi

case "$command" in
    start)
        mkdir -p "$dir"
        [ ${#as_owner[@]} -eq 0 ] || chown postgres: "$dir"
        if ! "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync \
            > "$dir/initdb.log" 2>&1; then
            cat "$dir/initdb.log" >&2
            exit 1
        fi
        if ! "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=${PG_FSYNC:-off} -c max_connections=200" \
            > /dev/null; then
            cat "$dir/server.log" >&2 || true
            exit 1
        fi
        echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
        ;;
    stop)
        if [ -d "$dir/data" ]; then
            "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop > /dev/null || true
        fi
        rm -rf "$dir"
        ;;
    *)
        usage
        ;;
esac
