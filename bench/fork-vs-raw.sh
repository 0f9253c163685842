#!/usr/bin/env bash
# Times a fork by forkrunner against the raw tools doing the same restore by hand, on a generated database.
#
#   bench/fork-vs-raw.sh [SCALE] [--reflink]
#
#   SCALE      pgbench scale factor (default 10: a backup of about 0.15 GB; 100: 1.5 GB; 300: 4.5 GB)
#   --reflink  the home's var/ (backups and forks) on a new XFS file system with reflink, on a loop device (root):
#              forkrunner clones the backup; the raw tools use cp --reflink=always
#
# Both restore the same verified base backup to the same point in time from the same WAL archive: forkrunner with
# `run JOB --at T` (all eight steps, JVM start included), the raw way with cp, a restore_command, recovery.signal
# and pg_ctl, until the server is promoted. Prints both wall-clock times, their ratio, the restore-data step's own
# time, how the backup was laid down, and the runner's peak resident memory. The first run after a build trains the
# launcher's class data archive and is not timed (bench/lib.sh).
set -euo pipefail
scale=10
reflink=""
for arg in "$@"; do
  case "$arg" in
    --reflink) reflink=yes ;;
    *) scale="$arg" ;;
  esac
done
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
source "$repo/bench/lib.sh"
now() { date +%s.%N; }

home="$(mktemp -d /tmp/forkrunner-bench-XXXX)"
chmod 755 "$home"
mkdir -p "$home/config" "$home/jobs" "$home/src" "$home/var"
db="forkrunner_bench_$(basename "$home" | tr -dc 'a-z0-9')"
port="$(free_port 16950 16999)"
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  for data in "$home"/src/data "$home"/var/raw/data $(find "$home/var/regions" -maxdepth 2 -name data 2>/dev/null); do
    [ -f "$data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  done
  pkill -f "$home/var/regions" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db with (force)" postgres >/dev/null 2>&1 || true
  mountpoint -q "$home/var" && umount -l "$home/var"
  rm -rf "$home"
}
trap cleanup EXIT

if [ -n "$reflink" ]; then
  [ "$(id -u)" = 0 ] || { echo "bench: --reflink mounts a file system: run it as root" >&2; exit 2; }
  command -v mkfs.xfs >/dev/null || { echo "bench: --reflink needs xfsprogs (apt-get install -y xfsprogs)" >&2; exit 2; }
  truncate -s "$((scale * 60 + 4096))M" "$home/var.xfs"
  mkfs.xfs -q -m reflink=1 "$home/var.xfs"
  mount -o loop "$home/var.xfs" "$home/var"
  rm "$home/var.xfs"
  chmod 755 "$home/var"
fi
mkdir -p "$home/var/raw" "$home/var/secrets"
chown postgres "$home/src" "$home/var/raw" 2>/dev/null || true

# the source asks for a password over TCP; the bench's own clients read it from a 0600 passfile
password="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$password" > "$home/var/secrets/bench"
printf '%s\n' "$password" > "$home/src/pwfile"
printf '127.0.0.1:*:*:postgres:%s\n' "$password" > "$home/pgpass"
chmod 600 "$home/var/secrets/bench" "$home/pgpass"
chown postgres "$home/src/pwfile" 2>/dev/null || true
export PGPASSFILE="$home/pgpass"

echo "bench: source of pgbench scale $scale on 127.0.0.1:$port, home $home${reflink:+ (var/ on XFS with reflink)}"
as_pg "$bin/initdb" -D "$home/src/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  --pwfile="$home/src/pwfile" >/dev/null
rm "$home/src/pwfile"
printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nwal_level = replica\nmax_wal_size = '4GB'\n" \
  "$port" >> "$home/src/data/postgresql.conf"
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
    password: \${file:var/secrets/bench}
    backups: { keep: 1, wal: stream }
YAML
printf "source: bench\ntarget:\n  name: bench-{run}\n" > "$home/jobs/bench.yml"

"$repo/forkrunner" --home "$home" validate >/dev/null
serve_archiving "$home" bench
"$repo/forkrunner" --home "$home" backup bench >/dev/null 2>&1
"$bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -t 2000 postgres >/dev/null 2>&1
sleep 1
target="$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)"
sleep 1
"$bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -t 500 postgres >/dev/null 2>&1
sleep 3
backup="$(ls -d "$home"/var/backups/bench/base/* | tail -1)"
echo "bench: backup $(du -sh "$backup" | cut -f1), WAL archive $(du -sh "$home/var/backups/bench/wal" | cut -f1), point in time $target"
sync
train_run_archive "$home" bench --at "$target"

start=$(now)
launch=$start
/usr/bin/time -f "%M" -o "$home/run.rss" "$repo/forkrunner" --home "$home" run bench --at "$target" --json > "$home/run.json" 2> "$home/run.err" \
  || { cat "$home/run.json" "$home/run.err"; exit 1; }
forkrunner_seconds=$(echo "$(now) - $start" | bc)
sync

raw_port="$(free_port 16800 16899)"
copy=(cp -a)
[ -n "$reflink" ] && copy=(cp -a --reflink=always)
start=$(now)
as_pg "${copy[@]}" "$backup" "$home/var/raw/data"
as_pg mkdir "$home/var/raw/wal"
for segment in "$home"/var/backups/bench/wal/*; do
  name="$(basename "$segment")"
  as_pg cp "$segment" "$home/var/raw/wal/${name%.partial}"
done
as_pg sh -c "cat >> '$home/var/raw/data/postgresql.auto.conf'" <<CONF
port = $raw_port
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
restore_command = 'cp "$home/var/raw/wal/%f" "%p"'
recovery_target_time = '${target/T/ } '
recovery_target_action = 'promote'
hot_standby = off
CONF
sed -i "s/recovery_target_time = '\(.*\)Z '/recovery_target_time = '\1+00'/" "$home/var/raw/data/postgresql.auto.conf"
as_pg touch "$home/var/raw/data/recovery.signal"
as_pg "$bin/pg_ctl" -D "$home/var/raw/data" -l "$home/var/raw/log" -w start >/dev/null
until [ "$(psql -h 127.0.0.1 -p "$raw_port" -U postgres -tAc 'select pg_is_in_recovery()' postgres 2>/dev/null)" = "f" ]; do sleep 0.1; done
raw_seconds=$(echo "$(now) - $start" | bc)

field() { python3 -c "import json,sys; run=json.load(open(sys.argv[1])); print($1)" "$home/run.json"; }
forked=$(field 'run["fork"]')
fork_port=$(psql -h 127.0.0.1 -U postgres -tAc "select port from forks where name = '$forked'" "$db")
count_fork=$(psql -h 127.0.0.1 -p "$fork_port" -U postgres -tAc "select count(*) from pgbench_history" postgres)
count_raw=$(psql -h 127.0.0.1 -p "$raw_port" -U postgres -tAc "select count(*) from pgbench_history" postgres)
echo "bench: both restored pgbench_history to $count_fork (forkrunner) and $count_raw (raw) rows"
[ "$count_fork" = "$count_raw" ] || { echo "bench: the fork and the raw restore differ" >&2; exit 1; }
echo "bench: steps: $(field '", ".join("%s %.1f s" % (s["name"], s["durationMillis"] / 1000) for s in run["steps"])')"
printf "forkrunner run: %.1f s (JVM start and all eight steps; restore-data step alone: %s s; backup %s)\n" \
  "$forkrunner_seconds" "$(field '"%.1f" % (next(s for s in run["steps"] if s["name"] == "restore-data")["durationMillis"] / 1000)')" \
  "$(field 'next(s for s in run["steps"] if s["name"] == "restore-data")["report"].get("lay-down", "?")')"
printf "launch to first step: %.2f s (from the launcher's start to the pick-backup step's start)\n" \
  "$(field "(__import__('datetime').datetime.fromisoformat(run['steps'][0]['startedAt'].replace('Z', '+00:00')).timestamp() - $launch)")"
printf "raw tools:      %.1f s (%s)\nratio:          %.2f\nrunner peak RSS: %d MB\n" \
  "$raw_seconds" "${copy[*]}" "$(echo "$forkrunner_seconds / $raw_seconds" | bc -l)" "$(( $(cat "$home/run.rss") / 1024 ))"
