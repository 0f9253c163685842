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
