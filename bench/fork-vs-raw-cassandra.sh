#!/usr/bin/env bash
# Times a three-node Cassandra fork by forkrunner against the same steps by hand, on a table of random blobs.
#
#   bench/fork-vs-raw-cassandra.sh [MB]
#
#   MB   megabytes of rows, each 4 KB of random bytes, spread over three nodes (default 256)
#
# The source is three nodes of the Cassandra home (target/cassandra-5.0.9, or FORKRUNNER_CASSANDRA_HOME) on
# 127.0.0.1-3, tokens spread evenly, replication factor 1. Both forks are new three-node clusters with the source's
# tokens, from the same backup: forkrunner with `run JOB` (all eight steps, JVM start included: each node's files laid
# down, the nodes started one after another, the schema created, each node's files imported through JMX, the roles
# recreated, schema and roles compared with the backup, rows counted, register), the raw way by hand (the nodes
# started one after another, the backup's CREATE statements run over CQL, each node's files copied and loaded with
# `nodetool import`, a JVM per call, as an operator would). Prints the backup's time, both fork times, their ratio and
# each step's time. Run as root (nodes run as cassandra). The clusters are started with forkrunner's own classes
# (bench/CassandraBench.java), so `mvn package` first.
set -euo pipefail
mb="${1:-256}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/bench/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench: run it as root: the nodes run as the cassandra user" >&2; exit 2; }
id cassandra > /dev/null 2>&1 || { echo "bench: no cassandra user (run-tests makes it)" >&2; exit 2; }
export FORKRUNNER_CASSANDRA_HOME="${FORKRUNNER_CASSANDRA_HOME:-$repo/target/cassandra-5.0.9}"
[ -d "$FORKRUNNER_CASSANDRA_HOME/lib" ] || { echo "bench: no Cassandra home in $FORKRUNNER_CASSANDRA_HOME: mvn -f src/cassandra/pom.xml package" >&2; exit 2; }
[ -f "$repo/target/runtime-classpath.txt" ] || { echo "bench: build forkrunner first: mvn -DskipTests package" >&2; exit 2; }
now() { date +%s.%N; }
cluster() { java -cp "$repo/target/classes:$(cat "$repo/target/runtime-classpath.txt")" "$repo/bench/CassandraBench.java" "$@"; }

home="$(mktemp -d /tmp/frcassandra-XXXX)"
chmod 755 "$home"
mkdir -p "$home/config" "$home/jobs" "$home/var/secrets" "$home/src" "$home/raw"
db="forkrunner_bench_$(basename "$home" | tr -dc 'a-z0-9' | tr 'A-Z' 'a-z')"
cleanup() {
  for process in $(pgrep -f "cassandra.config=file://$home" || true); do kill "$process" 2>/dev/null || true; done
  sleep 5
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db with (force)" postgres >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] && { echo "bench: kept $home (KEEP)"; return; }
  rm -rf "$home"
}
trap cleanup EXIT

password="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$password" > "$home/var/secrets/source"
chmod 600 "$home/var/secrets/source"
cql="$(free_port 16950 16959)"; storage="$(free_port 16960 16969)"
jmx1="$(free_port 16970 16979)"; jmx2="$(free_port $((jmx1 + 1)) 16989)"; jmx3="$(free_port $((jmx2 + 1)) 16999)"
raw_cql="$(free_port 17000 17009)"; raw_storage="$(free_port 17010 17019)"
raw_jmx1="$(free_port 17020 17029)"; raw_jmx2="$(free_port $((raw_jmx1 + 1)) 17039)"; raw_jmx3="$(free_port $((raw_jmx2 + 1)) 17049)"
echo "bench: a three-node Cassandra source on 127.0.0.1-3:$cql with $mb MB of rows, home $home"
cluster source "$home/src" "$cql" "$storage" "$jmx1" "$jmx2" "$jmx3" "$password" "$mb"

cat > "$home/config/forkrunner.yml" <<YAML
metadata:
  url: jdbc:postgresql://127.0.0.1:5432/$db
YAML
cat > "$home/config/services.yml" <<YAML
regions:
  bench: { provisioner: local, root: var/regions/bench, ports: 16920-16949 }
services:
  bench:
    engine: cassandra
    region: bench
    host: 127.0.0.1
    port: $cql
    user: cassandra
    password: \${file:var/secrets/source}
    backups: { keep: 1 }
    nodes:
      - { address: 127.0.0.1, jmx: $jmx1 }
      - { address: 127.0.0.2, jmx: $jmx2 }
      - { address: 127.0.0.3, jmx: $jmx3 }
YAML
printf "source: bench\ntarget:\n  name: bench-{run}\n  nodes: 3\n" > "$home/jobs/bench.yml"
"$repo/forkrunner" --home "$home" validate >/dev/null

start=$(now)
"$repo/forkrunner" --home "$home" backup bench > "$home/backup.out" 2>&1 || { cat "$home/backup.out"; exit 1; }
backup_seconds=$(echo "$(now) - $start" | bc)
backup="$(ls -d "$home"/var/backups/bench/base/* | tail -1)"
echo "bench: backup $(du -sh "$backup" | cut -f1) in $(printf '%.1f' "$backup_seconds") s (three nodes snapshotted, their files copied and digested)"
sync

timed_fork_run

start=$(now)
cluster raw "$home/raw" "$backup" "$raw_cql" "$raw_storage" "$raw_jmx1" "$raw_jmx2" "$raw_jmx3" "$FORKRUNNER_CASSANDRA_HOME"
raw_seconds=$(echo "$(now) - $start" | bc)

echo "bench: the fork's report: $(field 'next(s for s in run["steps"] if s["name"] == "restore-data")["report"]["compared-with-backup"]')"
print_fork_vs_raw "$forkrunner_seconds" "$raw_seconds" "three nodes started, the schema created over CQL, nodetool import of each node's files"
