# What the benches share; sourced by them.

# The first port from $1 to $2 where nothing on 127.0.0.1 answers.
free_port() { for p in $(seq "$1" "$2"); do ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && { echo "$p"; return; }; done; exit 1; }

# Starts `forkrunner serve` on the home $1 in the background (its pid in serve_pid, its output in $1/serve.log) and
# waits until it archives the changes of service $2; fails with its output when it ends before.
serve_archiving() {
  "$repo/forkrunner" --home "$1" serve > "$1/serve.log" 2>&1 &
  serve_pid=$!
  until grep -q "archiving WAL of $2 (pid" "$1/serve.log" 2>/dev/null; do
    kill -0 "$serve_pid" 2>/dev/null || { cat "$1/serve.log" >&2; exit 1; }
    sleep 0.5
  done
}

# The launcher makes its class data archive (target/app/forkrunner-run.jsa) at the end of the first run after a build,
# which makes that run seconds slower than every later one. When there is none yet, runs job $2 of home $1 once, with
# the rest of its arguments, and drops its fork: the timed run after it is one an operator waits for.
train_run_archive() {
  local home="$1" job="$2"
  shift 2
  [ -f "$repo/target/app/forkrunner-run.jsa" ] && return
  echo "bench: a first run of $job trains the launcher's class data archive; it is not timed"
  "$repo/forkrunner" --home "$home" run "$job" "$@" --json > "$home/training.json" 2> "$home/training.err" \
    || { cat "$home/training.json" "$home/training.err" >&2; exit 1; }
  "$repo/forkrunner" --home "$home" drop \
    "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["fork"])' "$home/training.json")" > /dev/null
  sync
}

# A field of the run's report ($home/run.json, from `run --json`): the Python expression $1 over `run`.
field() { python3 -c "import json,sys; run=json.load(open(sys.argv[1])); print($1)" "$home/run.json"; }

# The port of the fork the run made, from the metadata database $db.
registered_fork_port() { psql -h 127.0.0.1 -U postgres -tAc "select port from forks where name = '$(field 'run["fork"]')'" "$db"; }

# Each step's time, then forkrunner's time $1 against the raw tools' $2 (which did $3), and their ratio.
print_fork_vs_raw() {
  echo "bench: steps: $(field '", ".join("%s %.1f s" % (s["name"], s["durationMillis"] / 1000) for s in run["steps"])')"
  printf "forkrunner run: %.1f s (JVM start and all eight steps; restore-data step alone: %s s)\n" \
    "$1" "$(field '"%.1f" % (next(s for s in run["steps"] if s["name"] == "restore-data")["durationMillis"] / 1000)')"
  printf "raw tools:      %.1f s (%s)\nratio:          %.2f\n" "$2" "$3" "$(echo "$1 / $2" | bc -l)"
}

# Runs job bench of $home, timed from the launcher's start: its report in $home/run.json, its seconds in
# forkrunner_seconds; fails with its output when the run fails.
timed_fork_run() {
  local start
  start=$(date +%s.%N)
  "$repo/forkrunner" --home "$home" run bench --json > "$home/run.json" 2> "$home/run.err" \
    || { cat "$home/run.json" "$home/run.err"; exit 1; }
  forkrunner_seconds=$(echo "$(date +%s.%N) - $start" | bc)
  sync
}
