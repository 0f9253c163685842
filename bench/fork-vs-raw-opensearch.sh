#!/usr/bin/env bash
# Times a search fork (OpenSearch, or Elasticsearch 7.10) by forkrunner against a snapshot restore by hand with curl,
# on an index of random text.
#
#   bench/fork-vs-raw-opensearch.sh [MB] [opensearch|elasticsearch]
#
#   MB   megabytes of documents, each 3,000 random bytes in base64 (default 1024: about 1 GB of index files)
#   the family of the source and of both forks (default opensearch)
#
# Both start a node of the family's home (target/opensearch-2.19.6 or target/elasticsearch-7.10.2, or the one
# FORKRUNNER_OPENSEARCH_HOME or FORKRUNNER_ELASTICSEARCH_HOME names) with the same JVM options and restore the same
# snapshot from the service's repository: forkrunner with `run JOB` (all eight steps, JVM start included: the node
# started, the repository registered read-only, the snapshot restored with the global state, each index's documents
# compared with the backup's count, verify, register), the raw way with java and curl (start a node, register the
# repository read-only, restore with wait_for_completion). Prints the backup's time, both fork times, their ratio and
# each step's time. Run as root (nodes run as opensearch).
set -euo pipefail
mb="${1:-1024}"
family="${2:-opensearch}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/bench/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench: run it as root: the nodes run as the opensearch user" >&2; exit 2; }
id opensearch > /dev/null 2>&1 || { echo "bench: no opensearch user (run-tests makes it)" >&2; exit 2; }
# the family's home, system property prefix, bootstrap class and own properties, as forkrunner's SearchFamily has them
case "$family" in
  opensearch)
    search_home="${FORKRUNNER_OPENSEARCH_HOME:-$repo/target/opensearch-2.19.6}"
    prefix=opensearch
    bootstrap=org.opensearch.bootstrap.OpenSearch
    properties=(-Dlog4j2.contextSelector=org.apache.logging.log4j.core.selector.BasicContextSelector)
    ;;
  elasticsearch)
    search_home="${FORKRUNNER_ELASTICSEARCH_HOME:-$repo/target/elasticsearch-7.10.2}"
    prefix=es
    bootstrap=org.elasticsearch.bootstrap.Elasticsearch
    properties=(-Des.distribution.flavor=oss -Des.distribution.type=tar -Des.bundled_jdk=false)
    ;;
  *) echo "bench: $family is not a search family: opensearch or elasticsearch" >&2; exit 2 ;;
esac
[ -d "$search_home/lib" ] || { echo "bench: no $family home in $search_home: mvn -f src/$family/pom.xml package" >&2; exit 2; }
now() { date +%s.%N; }

home="$(mktemp -d "/tmp/fr$family-XXXX")"
chmod 755 "$home"
mkdir -p "$home/config" "$home/jobs" "$home/var/backups/bench/repository"
chown opensearch "$home/var/backups/bench/repository"
chmod 700 "$home/var/backups/bench/repository"
db="forkrunner_bench_$(basename "$home" | tr -dc 'a-z0-9' | tr 'A-Z' 'a-z')"
port="$(free_port 16950 16979)"
raw_port="$(free_port 16980 16999)"
cleanup() {
  for pid in $(find "$home" -name "$family.pid" 2>/dev/null); do
    kill "$(cat "$pid")" 2>/dev/null || true
  done
  sleep 2
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db with (force)" postgres >/dev/null 2>&1 || true
  rm -rf "$home"
}
trap cleanup EXIT

# A node in directory $1 answering HTTP on port $2, with the repository $3 in its path.repo, as forkrunner starts its
# own (OpenSearchNode); returns once it answers.
start_node() {
  local dir="$1" http="$2" repository="$3"
  mkdir -p "$dir/config" "$dir/data" "$dir/logs" "$dir/tmp" "$dir/run"
  cat > "$dir/config/$family.yml" <<YAML
cluster.name: $(basename "$dir")
node.name: $(basename "$dir")-1
discovery.type: single-node
network.host: 127.0.0.1
http.port: $http
transport.port: 0
path.data: $dir/data
path.logs: $dir/logs
path.repo: ["$repository"]
YAML
  printf 'status = error\nappender.console.type = Console\nappender.console.name = console\nappender.console.layout.type = PatternLayout\nappender.console.layout.pattern = %%m%%n\nrootLogger.level = info\nrootLogger.appenderRef.console.ref = console\n' \
    > "$dir/config/log4j2.properties"
  chown -R opensearch "$dir"
  runuser -u opensearch -- java -Xms512m -Xmx512m -XX:+UseSerialGC -Djava.io.tmpdir="$dir/tmp" \
    -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
    -D$prefix.path.home="$search_home" -D$prefix.path.conf="$dir/config" "${properties[@]}" -cp "$search_home/lib/*" \
    "$bootstrap" -p "$dir/run/$family.pid" > "$dir/node.out" 2>&1 &
  until curl -sf "127.0.0.1:$http" > /dev/null; do sleep 0.05; done
}
call() { curl -sf -H 'Content-Type: application/json' "$@"; }

start_node "$home/src" "$port" "$home/var/backups/bench/repository"
documents=$((mb * 1024 * 1024 / 4100))
echo "bench: $family source on 127.0.0.1:$port, $documents documents of 3,000 random bytes (base64), home $home"
call -XPUT "127.0.0.1:$port/bench" -d '{"settings": {"number_of_shards": 2, "number_of_replicas": 0, "refresh_interval": "-1"}}' > /dev/null
python3 - "$port" "$documents" <<'PY'
import base64, os, sys, urllib.request
port, documents = int(sys.argv[1]), int(sys.argv[2])
batch = 2000
for first in range(0, documents, batch):
    lines = []
    for i in range(first, min(first + batch, documents)):
        lines.append('{"index": {"_id": "%d"}}' % i)
        lines.append('{"n": %d, "text": "%s"}' % (i, base64.b64encode(os.urandom(3000)).decode()))
    request = urllib.request.Request("http://127.0.0.1:%d/bench/_bulk" % port, ("\n".join(lines) + "\n").encode(),
                                     {"Content-Type": "application/x-ndjson"})
    if b'"errors":true' in urllib.request.urlopen(request).read():
        sys.exit("bench: the bulk load failed")
PY
call -XPOST "127.0.0.1:$port/bench/_refresh" > /dev/null
call -XPOST "127.0.0.1:$port/bench/_flush" > /dev/null
echo "bench: source holds $(call "127.0.0.1:$port/_cat/indices/bench?h=docs.count,store.size" | tr -s ' ')"

cat > "$home/config/forkrunner.yml" <<YAML
metadata:
  url: jdbc:postgresql://127.0.0.1:5432/$db
YAML
cat > "$home/config/services.yml" <<YAML
regions:
  bench: { provisioner: local, root: var/regions/bench, ports: 16920-16949 }
services:
  bench:
    engine: $family
    region: bench
    host: 127.0.0.1
    port: $port
    backups: { keep: 1 }
YAML
printf "source: bench\ntarget:\n  name: bench-{run}\n" > "$home/jobs/bench.yml"
"$repo/forkrunner" --home "$home" validate >/dev/null

start=$(now)
"$repo/forkrunner" --home "$home" backup bench > "$home/backup.out" 2>&1 || { cat "$home/backup.out"; exit 1; }
backup_seconds=$(echo "$(now) - $start" | bc)
backup="$(ls -d "$home"/var/backups/bench/base/* | tail -1)"
snapshot="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["snapshot"])' "$backup/snapshot.json")"
echo "bench: backup $(du -sh "$home/var/backups/bench/repository" | cut -f1) in $(printf '%.1f' "$backup_seconds") s (snapshot, its files checked, documents counted in a node of forkrunner's)"
sync
train_run_archive "$home" bench

timed_fork_run

start=$(now)
start_node "$home/raw" "$raw_port" "$home/var/backups/bench/repository"
call -XPUT "127.0.0.1:$raw_port/_snapshot/raw" \
  -d "{\"type\": \"fs\", \"settings\": {\"location\": \"$home/var/backups/bench/repository\", \"readonly\": true}}" > /dev/null
call -XPOST "127.0.0.1:$raw_port/_snapshot/raw/$snapshot/_restore?wait_for_completion=true" \
  -d '{"indices": "*", "include_global_state": true, "include_aliases": true}' > "$home/raw/restore.json"
raw_seconds=$(echo "$(now) - $start" | bc)

fork_port=$(registered_fork_port)
count() { call "127.0.0.1:$1/bench/_count" | python3 -c 'import json, sys; print(json.load(sys.stdin)["count"])'; }
documents_fork=$(count "$fork_port")
documents_raw=$(count "$raw_port")
echo "bench: both hold $documents_fork (forkrunner) and $documents_raw (raw) documents"
[ "$documents_fork" = "$documents_raw" ] || { echo "bench: the fork and the raw restore differ" >&2; exit 1; }
print_fork_vs_raw "$forkrunner_seconds" "$raw_seconds" "a node started, the repository registered, curl restore until it returns"
