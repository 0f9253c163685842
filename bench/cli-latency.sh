#!/usr/bin/env bash
# Times the commands that only read, against the floors they stand on.
#
#   bench/cli-latency.sh [TIMES]      TIMES: runs of each command (default 5); prints the median of each
#
# Runs forkrunner as ./forkrunner does (the jar extracted, with its class data sharing archive), or the jar named by
# FORKRUNNER_JAR with plain `java -jar`. Builds nothing itself (./forkrunner builds when the sources are newer than
# the jar: run it once first). Makes a home whose metadata database on 127.0.0.1:5432 holds two scheduled jobs, a
# service and two forks; times status, forks, backups SERVICE, schedules and validate, and as floors psql's
# `select 1` (a client that starts in no time) and --version (the JVM and picocli, nothing of forkrunner's). Drops its
# database and home at the end.
set -euo pipefail
times="${1:-5}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="${FORKRUNNER_JAR:-}"
[ -z "$jar" ] || [ -f "$jar" ] || { echo "bench: no $jar" >&2; exit 1; }
now() { date +%s.%N; }

home="$(mktemp -d /tmp/forkrunner-latency-XXXX)"
mkdir -p "$home/config" "$home/jobs"
db="forkrunner_latency_$(basename "$home" | tr -dc 'a-z0-9')"
cleanup() {
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db with (force)" postgres >/dev/null 2>&1 || true
  rm -rf "$home"
}
trap cleanup EXIT

cat > "$home/config/forkrunner.yml" <<YAML
metadata:
  url: jdbc:postgresql://127.0.0.1:5432/$db
  user: postgres
YAML
cat > "$home/config/services.yml" <<YAML
regions:
  bench: { provisioner: local, root: var/regions/bench, ports: 16900-16949 }
services:
  shop:
    engine: postgresql
    region: bench
    host: 127.0.0.1
    port: 5432
    user: postgres
    backups: { keep: 2, wal: stream }
YAML
printf 'source: shop\ntarget:\n  name: shop-dev-{run}\nschedule:\n  cron: "0 30 2 * * ?"\n  zone: Europe/Helsinki\n' \
  > "$home/jobs/shop-dev.yml"
printf 'source: shop\ntarget:\n  name: shop-qa-{run}\nschedule:\n  cron: "0 0 */4 * * ?"\n  zone: UTC\n' \
  > "$home/jobs/shop-qa.yml"

forkrunner() {
  if [ -n "$jar" ]; then java -jar "$jar" --home "$home" "$@"; else "$repo/forkrunner" --home "$home" "$@"; fi
}

# the first commands migrate the metadata store and place the schedules' triggers
forkrunner status >/dev/null
forkrunner schedules >/dev/null
for n in 1 2; do
  psql -h 127.0.0.1 -U postgres -qc "insert into forks (name, job, run_id, source, region, engine, version,
      point_in_time, backup_id, host, port, created_at) values ('shop-dev-$n', 'shop-dev', $n, 'shop', 'bench',
      'postgresql', 15, now() - interval '1 day', 'b$n', '127.0.0.1', 1690$n, now() - interval '$n hours')" "$db"
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
measure() {
  local label="$1"
  shift
  local samples=()
  for _ in $(seq "$times"); do
    local start
    start=$(now)
    "$@" >/dev/null 2>&1 || { echo "bench: $label failed:" >&2; "$@" >&2 || true; exit 1; }
    samples+=("$(echo "$(now) - $start" | bc)")
  done
  printf '%-28s %6.2f s\n' "$label" "$(printf '%s\n' "${samples[@]}" | median)"
}

if [ -n "$jar" ]; then
  how="java -jar $jar"
elif [ -f "$repo/target/app/forkrunner.jsa" ]; then
  how="./forkrunner, with its CDS archive"
else
  how="./forkrunner, no CDS archive yet"
fi
echo "bench: median of $times runs, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $how"
measure "psql select 1 (floor)" psql -h 127.0.0.1 -U postgres -tAc 'select 1' "$db"
measure "--version (JVM floor)" forkrunner --version
measure "validate" forkrunner validate
measure "status" forkrunner status
measure "forks" forkrunner forks
measure "backups shop" forkrunner backups shop
measure "schedules" forkrunner schedules
