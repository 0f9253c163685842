#!/usr/bin/env bash
# Times a MariaDB fork by forkrunner against the raw tools doing the same restore by hand, on a generated table.
#
#   bench/fork-vs-raw-mariadb.sh [SCALE]
#
#   SCALE   hundreds of thousands of rows of about 120 bytes (default 10: a million rows, a backup of about 0.3 GB)
#
# Both restore the same prepared mariadb-backup backup to the same point in time from the same binlog archive:
# forkrunner with `run JOB --at T` (all eight steps, JVM start included), the raw way with `mariadb-backup
# --copy-back`, mariadbd, and `mariadb-binlog --stop-datetime | mariadb` over the archived binlogs. Prints both
# wall-clock times, their ratio and the restore-data step's own time. Run as root (servers run as mysql).
set -euo pipefail
scale="${1:-10}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/bench/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench: run it as root: the servers run as the mysql user" >&2; exit 2; }
now() { date +%s.%N; }
as_mysql() { runuser -u mysql -- "$@"; }

home="$(mktemp -d /tmp/frmdb-XXXX)"
chmod 755 "$home"
mkdir -p "$home/config" "$home/jobs" "$home/src" "$home/var/secrets" "$home/raw"
chown mysql "$home/src" "$home/raw"
db="forkrunner_bench_$(basename "$home" | tr -dc 'a-z0-9' | tr 'A-Z' 'a-z')"
port="$(free_port 16850 16899)"
raw_port="$(free_port 16800 16849)"
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  for pid in "$home"/src/mariadbd.pid "$home"/raw/mariadbd.pid $(find "$home/var/regions" -name mariadbd.pid 2>/dev/null); do
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true
  done
  sleep 2
  pkill -f -- "$home" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db with (force)" postgres >/dev/null 2>&1 || true
  rm -rf "$home"
}
trap cleanup EXIT

password="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$password" > "$home/var/secrets/bench"
chmod 600 "$home/var/secrets/bench"
# the bench's own clients (run as root) log in with a 0600 option file each
client="$home/client.cnf"
raw_client="$home/raw-client.cnf"
printf '[client]\nhost=127.0.0.1\nport=%s\nuser=root\npassword=%s\n' "$port" "$password" > "$client"
printf '[client]\nhost=127.0.0.1\nport=%s\nuser=root\npassword=%s\n' "$raw_port" "$password" > "$raw_client"
chmod 600 "$client" "$raw_client"

start_server() { # DIR PORT: a private mariadbd with binlogs, as mysql, until it answers
  mkdir -p "$1/run" "$1/binlog"; chown -R mysql "$1"
  as_mysql /usr/sbin/mariadbd --no-defaults --datadir="$1/data" --port="$2" --bind-address=127.0.0.1 \
    --socket="$1/run/mariadbd.sock" --pid-file="$1/mariadbd.pid" --log-error="$1/error.log" \
    --log-bin="$1/binlog/binlog" --server-id="$2" --binlog-format=ROW --innodb-buffer-pool-size=256M \
    --event-scheduler=OFF --skip-slave-start >/dev/null 2>&1 &
  until as_mysql mariadb-admin --no-defaults --socket="$1/run/mariadbd.sock" ping >/dev/null 2>&1; do sleep 0.1; done
}
echo "bench: MariaDB source of $((scale * 100000)) rows on 127.0.0.1:$port, home $home"
as_mysql mariadb-install-db --no-defaults --datadir="$home/src/data" --auth-root-authentication-method=normal \
  --skip-test-db >/dev/null 2>&1
start_server "$home/src" "$port"
as_mysql mariadb --no-defaults --socket="$home/src/run/mariadbd.sock" -uroot <<SQL
alter user root@localhost identified by '$password';
alter user root@'127.0.0.1' identified by '$password';
create database bench;
create table bench.t (id int primary key, pad char(100), v int);
use bench;
insert into t select seq, repeat('x', 100), 0 from seq_1_to_$((scale * 100000));
SQL

cat > "$home/config/forkrunner.yml" <<YAML
metadata:
  url: jdbc:postgresql://127.0.0.1:5432/$db
YAML
cat > "$home/config/services.yml" <<YAML
regions:
  bench: { provisioner: local, root: var/regions/bench, ports: 16900-16949 }
services:
  bench:
    engine: mariadb
    region: bench
    host: 127.0.0.1
    port: $port
    user: root
    password: \${file:var/secrets/bench}
    backups: { keep: 1, wal: stream }
YAML
printf "source: bench\ndatabase: bench\ntarget:\n  name: bench-{run}\n" > "$home/jobs/bench.yml"

"$repo/forkrunner" --home "$home" validate >/dev/null
serve_archiving "$home" bench
"$repo/forkrunner" --home "$home" backup bench > "$home/backup.out" 2>&1 || { cat "$home/backup.out"; exit 1; }
for batch in $(seq 1 20); do
  mariadb --defaults-file="$client" -e "update bench.t set v = v + 1 where id % 20 = $((batch % 20)); flush binary logs"
done
sleep 1.2
target="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
sleep 2
mariadb --defaults-file="$client" -e "update bench.t set v = v + 100 where id % 10 = 0"
sleep 3
backup="$(ls -d "$home"/var/backups/bench/base/* | tail -1)"
echo "bench: backup $(du -sh "$backup" | cut -f1), binlog archive $(du -sh "$home/var/backups/bench/wal" | cut -f1), point in time $target"
sync
train_run_archive "$home" bench --at "$target"

start=$(now)
"$repo/forkrunner" --home "$home" run bench --at "$target" --json > "$home/run.json" 2> "$home/run.err" \
  || { cat "$home/run.json" "$home/run.err"; exit 1; }
forkrunner_seconds=$(echo "$(now) - $start" | bc)
sync

start=$(now)
as_mysql mariadb-backup --no-defaults --copy-back --target-dir="$backup" --datadir="$home/raw/data" >/dev/null 2>&1
start_server "$home/raw" "$raw_port"
read -r file position _ < "$backup/xtrabackup_binlog_info"
stop="$(date -u -d "${target/T/ } + 1 second" '+%Y-%m-%d %H:%M:%S')"
files=()
for f in "$home"/var/backups/bench/wal/binlog.[0-9]*; do [[ "$(basename "$f")" < "$file" ]] || files+=("$f"); done
TZ=UTC mariadb-binlog --no-defaults --start-position="$position" --stop-datetime="$stop" "${files[@]}" 2>/dev/null \
  | mariadb --defaults-file="$raw_client" --binary-mode
raw_seconds=$(echo "$(now) - $start" | bc)

fork_port=$(registered_fork_port)
sum_fork=$(mariadb --defaults-file="$raw_client" --port="$fork_port" -N -e "select sum(v) from bench.t")
sum_raw=$(mariadb --defaults-file="$raw_client" -N -e "select sum(v) from bench.t")
echo "bench: both restored sum(v) to $sum_fork (forkrunner) and $sum_raw (raw)"
[ "$sum_fork" = "$sum_raw" ] || { echo "bench: the fork and the raw restore differ" >&2; exit 1; }
print_fork_vs_raw "$forkrunner_seconds" "$raw_seconds" "mariadb-backup --copy-back, mariadbd, mariadb-binlog | mariadb"
