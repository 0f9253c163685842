#!/usr/bin/env bash
# Many scheduled jobs on one serve: how late their fires are, and how long from a fire to its run's first step.
#
#   bench/schedule-lateness.sh [JOBS] [SPREAD]    JOBS: scheduled jobs (default 1000); SPREAD: seconds their one
#                                                 fire each is spread over (default 200)
#
# Makes a home whose metadata database on 127.0.0.1:5432 is its own, with JOBS job files each scheduled to fire once,
# at a second of its own within SPREAD seconds that start a margin after serve is launched (so that serve has read
# and declared them all). Each job forks a service that has no backup: its run is launched and ends at its first
# step, pick-backup, so the bench times the scheduler and the launch of runs, not forks (bench/fork-vs-raw.sh times
# those). Prints, over all fires: the lateness (a fire's start minus its scheduled time, from serve's own metric
# forkrunner_schedule_lateness at /actuator/prometheus; each job fires once, so a job's sum is its fire's lateness)
# and fire to first step (the pick-backup step's start minus the scheduled time, from the run records), p50, p99 and
# max, and any fire that did not happen. Drops its database and home at the end.
set -euo pipefail
jobs="${1:-1000}"
spread="${2:-200}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/bench/lib.sh"

home="$(mktemp -d /tmp/forkrunner-lateness-XXXX)"
mkdir -p "$home/config" "$home/jobs" "$home/var/secrets"
db="forkrunner_lateness_$(basename "$home" | tr -dc 'a-z0-9')"
api_port="$(free_port 18700 18799)"
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db with (force)" postgres >/dev/null 2>&1 || true
  rm -rf "$home"
}
trap cleanup EXIT

token="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$token" > "$home/var/secrets/viewer"
chmod 600 "$home/var/secrets/viewer"
cat > "$home/config/forkrunner.yml" <<YAML
metadata:
  url: jdbc:postgresql://127.0.0.1:5432/$db
  user: postgres
api:
  port: $api_port
  address: 127.0.0.1
  tokens:
    - { name: bench, role: viewer, secret: "\${file:var/secrets/viewer}" }
YAML
# nothing listens on the service's port: serve never connects to it (no WAL, no scheduled backup), and a run ends
# at pick-backup, as the service has no backup
cat > "$home/config/services.yml" <<YAML
regions:
  bench: { provisioner: local, root: var/regions/bench, ports: 16900-16949 }
services:
  empty:
    engine: postgresql
    region: bench
    host: 127.0.0.1
    port: $(free_port 16950 16999)
    user: postgres
    backups: { keep: 1, wal: none }
YAML

"$repo/forkrunner" --home "$home" status > /dev/null # builds when needed and migrates the metadata store
margin=$((60 + jobs / 20))
first=$(($(date +%s) + margin))
python3 - "$home/jobs" "$jobs" "$spread" "$first" <<'PY'
import datetime, sys
folder, jobs, spread, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for i in range(jobs):
    at = datetime.datetime.fromtimestamp(first + i * spread // jobs, datetime.timezone.utc)
    with open(f"{folder}/late-{i:04d}.yml", "w") as job:
        job.write(f"source: empty\ntarget:\n  name: late-{i:04d}-{{run}}\nschedule:\n"
                  f"  cron: \"{at.second} {at.minute} {at.hour} {at.day} {at.month} ?\"\n  zone: UTC\n")
PY
echo "bench: $jobs jobs firing once each over ${spread} s from $(date -u -d "@$first" +%H:%M:%S) UTC; serve starts now"
"$repo/forkrunner" --home "$home" serve > "$home/serve.log" 2>&1 &
serve_pid=$!
until grep -q "schedules started" "$home/serve.log" 2>/dev/null; do
  kill -0 "$serve_pid" 2>/dev/null || { tail -20 "$home/serve.log"; exit 1; }
  sleep 1
done
declared=$(psql -h 127.0.0.1 -U postgres -tAc "select count(*) from qrtz_triggers where job_name like 'late-%'" "$db")
echo "bench: serve is up $(($(date +%s) - first + margin)) s after its launch, with $declared triggers declared"
sleep $((first + spread - $(date +%s) + 20))
# runs still unended two minutes after the last fire are reported, not waited for
deadline=$(($(date +%s) + 120))
until [ "$(psql -h 127.0.0.1 -U postgres -tAc "select count(*) from batch_job_execution where end_time is null" "$db")" = 0 ] \
  || [ "$(date +%s)" -gt "$deadline" ]; do
  sleep 2
done
echo "bench: runs by state: $(psql -h 127.0.0.1 -U postgres -tAc "select string_agg(status || ' ' || n, ', ') from
  (select status, count(*) n from batch_job_execution group by status) s" "$db")"

curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$api_port/actuator/prometheus" > "$home/metrics.txt"
psql -h 127.0.0.1 -U postgres -tA -F ' ' "$db" > "$home/first-steps.txt" <<'SQL'
select p.parameter_value, extract(epoch from min(s.start_time))
from batch_job_execution e
join batch_job_execution_params p on p.job_execution_id = e.job_execution_id and p.parameter_name = 'trigger'
join batch_step_execution s on s.job_execution_id = e.job_execution_id
group by e.job_execution_id, p.parameter_value
SQL
python3 - "$home/metrics.txt" "$home/first-steps.txt" "$jobs" <<'PY'
import datetime, re, sys
metrics, first_steps, jobs = open(sys.argv[1]).read(), open(sys.argv[2]).read().split("\n"), int(sys.argv[3])
late = {m.group(1): float(m.group(2)) for m in re.finditer(
    r'^forkrunner_schedule_lateness_seconds_sum\{job="(late-\d+)",?\} (\S+)$', metrics, re.M)}
to_step = []
for line in first_steps:
    if line.startswith("schedule:"):
        trigger, started = line.split(" ")
        if not started:
            continue  # a run that never reached its first step: counted below
        fired = datetime.datetime.fromisoformat(trigger[len("schedule:"):].replace("Z", "+00:00")).timestamp()
        to_step.append(float(started) - fired)
def quantiles(name, values):
    values = sorted(values)
    if not values:
        print(f"{name}: none"); return
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    print(f"{name}: p50 {pick(0.5):.3f} s, p99 {pick(0.99):.3f} s, max {values[-1]:.3f} s ({len(values)} fires)")
quantiles("lateness (fire minus schedule)", late.values())
quantiles("fire to first step", to_step)
print(f"runs that reached no step: {sum(1 for l in first_steps if l.startswith('schedule:') and not l.split(' ')[1])}")
print(f"fires that did not happen: {jobs - len(late)}")
PY
