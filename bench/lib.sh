# What the benches share; sourced by them.

# The first port from $1 to $2 where nothing on 127.0.0.1 answers.
free_port() { for p in $(seq "$1" "$2"); do ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && { echo "$p"; return; }; done; exit 1; }
