#!/usr/bin/env bash
# Times a fork by forkrunner against the raw tools doing the same restore by hand, on a generated database.
#
#   bench/fork-vs-raw.sh [SCALE]      SCALE: pgbench scale factor (default 10, about 150 MB)
#
# Both restore the same verified base backup to the same point in time from the same WAL archive: forkrunner with
# `run JOB --at T` (all eight steps, JVM start included), the raw way with cp, a restore_command, recovery.signal
# and pg_ctl, until the server is promoted. Prints both wall-clock times and their ratio.
set -euo pipefail
scale="${1:-10}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { for p in $(seq "$1" "$2"); do ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && { echo "$p"; return; }; done; exit 1; }
now() { date +%s.%N; }

home="$(mktemp -d /tmp/forkrunner-bench-XXXX)"
chmod 755 "$home"
mkdir -p "$home/config" "$home/jobs" "$home/src" "$home/raw"
chown postgres "$home/src" "$home/raw" 2>/dev/null || true
db="forkrunner_bench_$(basename "$home" | tr -dc 'a-z0-9')"
port="$(free_port 16950 16999)"
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  for data in "$home"/src/data "$home"/raw/data $(find "$home/var/regions" -maxdepth 2 -name data 2>/dev/null); do
    [ -f "$data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  done
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db with (force)" postgres >/dev/null 2>&1 || true
  rm -rf "$home"
}
trap cleanup EXIT

echo "bench: source of pgbench scale $scale on 127.0.0.1:$port, home $home"
as_pg "$bin/initdb" -D "$home/src/data" -U postgres --auth=trust >/dev/null
printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nwal_level = replica\n" "$port" >> "$home/src/data/postgresql.conf"
as_pg "$bin/pg_ctl" -D "$home/src/data" -l "$home/src/log" -w start >/dev/null
"$bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -q -s "$scale" postgres >/dev/null 2>&1

cat > "$home/config/forkrunner.yml" <<YAML
metadata:
  url: jdbc:postgresql://127.0.0.1:5432/$db
YAML
cat > "$home/config/services.yml" <<YAML
regions:
  bench: { provisioner: local, root: var/regions/bench, ports: 16900-16949 }
services:
  bench:
    engine: postgresql
    region: bench
    host: 127.0.0.1
    port: $port
    user: postgres
    backups: { keep: 1, wal: stream }
YAML
printf "source: bench\ntarget:\n  name: bench-{run}\n" > "$home/jobs/bench.yml"

"$repo/forkrunner" --home "$home" validate >/dev/null
"$repo/forkrunner" --home "$home" serve > "$home/serve.log" 2>&1 &
serve_pid=$!
until grep -q "archiving WAL of bench (pid" "$home/serve.log" 2>/dev/null; do sleep 0.5; done
"$repo/forkrunner" --home "$home" backup bench 2>/dev/null
"$bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -t 2000 postgres >/dev/null 2>&1
sleep 1
target="$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)"
sleep 1
"$bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -t 500 postgres >/dev/null 2>&1
sleep 3
backup="$(ls -d "$home"/var/backups/bench/base/* | tail -1)"
echo "bench: backup $(du -sh "$backup" | cut -f1), WAL archive $(du -sh "$home/var/backups/bench/wal" | cut -f1), point in time $target"

start=$(now)
"$repo/forkrunner" --home "$home" run bench --at "$target" > "$home/run.out" 2>&1 || { cat "$home/run.out"; exit 1; }
forkrunner_seconds=$(echo "$(now) - $start" | bc)

raw_port="$(free_port 16800 16899)"
start=$(now)
as_pg cp -a "$backup" "$home/raw/data"
as_pg mkdir "$home/raw/wal"
for segment in "$home"/var/backups/bench/wal/*; do
  name="$(basename "$segment")"
  as_pg cp "$segment" "$home/raw/wal/${name%.partial}"
done
as_pg sh -c "cat >> '$home/raw/data/postgresql.auto.conf'" <<CONF
port = $raw_port
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
restore_command = 'cp "$home/raw/wal/%f" "%p"'
recovery_target_time = '${target/T/ } '
recovery_target_action = 'promote'
hot_standby = off
CONF
sed -i "s/recovery_target_time = '\(.*\)Z '/recovery_target_time = '\1+00'/" "$home/raw/data/postgresql.auto.conf"
as_pg touch "$home/raw/data/recovery.signal"
as_pg "$bin/pg_ctl" -D "$home/raw/data" -l "$home/raw/log" -w start >/dev/null
until [ "$(psql -h 127.0.0.1 -p "$raw_port" -U postgres -tAc 'select pg_is_in_recovery()' postgres 2>/dev/null)" = "f" ]; do sleep 0.1; done
raw_seconds=$(echo "$(now) - $start" | bc)

forked=$(grep -o "fork bench-[0-9]*" "$home/run.out" | head -1 | cut -d' ' -f2)
fork_port=$(psql -h 127.0.0.1 -U postgres -tAc "select port from forks where name = '$forked'" "$db")
count_fork=$(psql -h 127.0.0.1 -p "$fork_port" -U postgres -tAc "select count(*) from pgbench_history" postgres)
count_raw=$(psql -h 127.0.0.1 -p "$raw_port" -U postgres -tAc "select count(*) from pgbench_history" postgres)
echo "bench: both restored pgbench_history to $count_fork (forkrunner) and $count_raw (raw) rows"
printf "forkrunner run: %.1f s (JVM start and all eight steps; its restore-data step alone: %s)\nraw tools:      %.1f s\nratio:          %.2f\n" \
  "$forkrunner_seconds" "$(grep -E '^restore-data' "$home/run.out" | awk '{print $3, $4}')" "$raw_seconds" \
  "$(echo "$forkrunner_seconds / $raw_seconds" | bc -l)"

