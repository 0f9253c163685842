#!/usr/bin/env bash
# Times `validate` of a home with many job files (default 10,000), against `--version` as the JVM floor.
#
#   bench/validate-many.sh [JOBS]
set -euo pipefail
jobs="${1:-10000}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
home="$(mktemp -d /tmp/forkrunner-bench-XXXX)"
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/config" "$home/jobs"
cat > "$home/config/services.yml" <<YAML
regions:
  bench: { provisioner: local, root: var/regions/bench, ports: 16900-16949 }
services:
  bench: { engine: postgresql, region: bench, host: 127.0.0.1, port: 5432, user: postgres }
YAML
for i in $(seq 1 "$jobs"); do
  printf 'source: bench\nschedule: { cron: "0 %d 2 * * ?" }\ntarget:\n  name: bench-%d-{run}\nretention:\n  keep: 2\n' \
    $((i % 60)) "$i" > "$home/jobs/job-$i.yml"
done
"$repo/forkrunner" --version >/dev/null # builds the jar when it is missing
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_of() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
floor=$(for i in 1 2 3 4 5; do time_of "$repo/forkrunner" --version; done | median)
took=$(for i in 1 2 3 4 5; do time_of "$repo/forkrunner" --home "$home" validate; done | median)
"$repo/forkrunner" --home "$home" validate
printf "validate of %d jobs: %.2f s median of 5 (--version: %.2f s)\n" "$jobs" "$took" "$floor"
