#!/usr/bin/env bash
# Times a Redis fork by forkrunner against `cp dump.rdb` and `redis-server` by hand, on random values.
#
#   bench/fork-vs-raw-redis.sh [MB]
#
#   MB   megabytes of values, in keys of 1,000 random bytes (default 1024: about a million keys, 1 GB)
#
# Both start a server on the same snapshot: forkrunner with `run JOB` (all eight steps, JVM start included: the
# snapshot laid down, the server started on it, every key compared with the backup's digest, settings, users,
# verify, register), the raw way with cp and redis-server until it answers PING after loading. Prints the backup's
# time, both fork times, their ratio and each step's time. Run as root (servers run as redis).
set -euo pipefail
mb="${1:-1024}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/bench/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench: run it as root: the servers run as the redis user" >&2; exit 2; }
now() { date +%s.%N; }
as_redis() { runuser -u redis -- "$@"; }

home="$(mktemp -d /tmp/frredis-XXXX)"
chmod 755 "$home"
mkdir -p "$home/config" "$home/jobs" "$home/src" "$home/raw" "$home/var/secrets"
chown redis "$home/src" "$home/raw"
db="forkrunner_bench_$(basename "$home" | tr -dc 'a-z0-9' | tr 'A-Z' 'a-z')"
port="$(free_port 16950 16979)"
raw_port="$(free_port 16980 16999)"
cleanup() {
  for pid in "$home"/src/redis.pid "$home"/raw/redis.pid $(find "$home/var/regions" -name redis.pid 2>/dev/null); do
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true
  done
  sleep 1
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db with (force)" postgres >/dev/null 2>&1 || true
  rm -rf "$home"
}
trap cleanup EXIT

password="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$password" > "$home/var/secrets/bench"
chmod 600 "$home/var/secrets/bench"
# the bench's own clients read the password from stdin (redis-cli --askpass), never from argv
ask() { printf '%s\n' "$password" | redis-cli --no-auth-warning --askpass -p "$1" "${@:2}"; }

printf 'port %s\nbind 127.0.0.1\ndir %s\npidfile %s\nsave ""\nrepl-diskless-sync-delay 0\nrequirepass "%s"\n' \
  "$port" "$home/src" "$home/src/redis.pid" "$password" > "$home/src/redis.conf"
chown redis "$home/src/redis.conf"; chmod 600 "$home/src/redis.conf"
as_redis redis-server "$home/src/redis.conf" > "$home/src/redis.out" 2>&1 &
until [ "$(ask "$port" ping 2>/dev/null)" = PONG ]; do sleep 0.1; done
keys=$((mb * 1024 * 1024 / 1000))
echo "bench: Redis source on 127.0.0.1:$port, $keys keys of 1,000 random bytes, home $home"
python3 - "$keys" "$password" <<'PY' | redis-cli -p "$port" --pipe > "$home/fill.out"
import base64, os, sys
keys, password = int(sys.argv[1]), sys.argv[2]
out = sys.stdout.buffer
def command(*args):
    out.write(b"*%d\r\n" % len(args))
    for a in args:
        out.write(b"$%d\r\n%s\r\n" % (len(a), a))
command(b"AUTH", password.encode())
for i in range(keys):
    command(b"SET", b"key:%d" % i, base64.b64encode(os.urandom(750)))
PY
echo "bench: source holds $(ask "$port" dbsize) keys, $(ask "$port" info memory | grep '^used_memory_human' | cut -d: -f2 | tr -d '\r')"

cat > "$home/config/forkrunner.yml" <<YAML
metadata:
  url: jdbc:postgresql://127.0.0.1:5432/$db
YAML
cat > "$home/config/services.yml" <<YAML
regions:
  bench: { provisioner: local, root: var/regions/bench, ports: 16920-16949 }
services:
  bench:
    engine: redis
    region: bench
    host: 127.0.0.1
    port: $port
    user: default
    password: \${file:var/secrets/bench}
    backups: { keep: 1 }
YAML
printf "source: bench\ntarget:\n  name: bench-{run}\n" > "$home/jobs/bench.yml"
"$repo/forkrunner" --home "$home" validate >/dev/null

start=$(now)
"$repo/forkrunner" --home "$home" backup bench > "$home/backup.out" 2>&1 || { cat "$home/backup.out"; exit 1; }
backup_seconds=$(echo "$(now) - $start" | bc)
backup="$(ls -d "$home"/var/backups/bench/base/* | tail -1)"
echo "bench: backup $(du -sh "$backup/dump.rdb" | cut -f1) in $(printf '%.1f' "$backup_seconds") s (snapshot, redis-check-rdb, key digest)"
sync
train_run_archive "$home" bench

timed_fork_run

start=$(now)
cp "$backup/dump.rdb" "$home/raw/dump.rdb"
chown redis "$home/raw/dump.rdb"
as_redis redis-server --port "$raw_port" --bind 127.0.0.1 --dir "$home/raw" --dbfilename dump.rdb --save "" \
  --pidfile "$home/raw/redis.pid" > "$home/raw/redis.out" 2>&1 &
until [ "$(redis-cli -p "$raw_port" ping 2>/dev/null)" = PONG ]; do sleep 0.05; done
raw_seconds=$(echo "$(now) - $start" | bc)

fork_port=$(registered_fork_port)
keys_fork=$(ask "$fork_port" dbsize)
keys_raw=$(redis-cli -p "$raw_port" dbsize)
echo "bench: both hold $keys_fork (forkrunner) and $keys_raw (raw) keys"
[ "$keys_fork" = "$keys_raw" ] || { echo "bench: the fork and the raw restore differ" >&2; exit 1; }
print_fork_vs_raw "$forkrunner_seconds" "$raw_seconds" "cp dump.rdb, redis-server until it answers"
