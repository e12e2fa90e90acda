#!/usr/bin/env bash
# The social benchmarks (README, "Social benchmarks"), on SQLite with moka (the embedded defaults) and on
# Postgres with Redis:
#   fanout     one post fanned out to 10 000 followers by the worker's post.created handler
#   celebrity  a celebrity's post (above the threshold) with 1 000, 100 000 and 1 000 000 followers
#   timeline   getTimeline over HTTP against `darkroom serve` (release) on 10 000 users, 1 000 000 posts and a
#              power-law follow graph, cold and warm, on 1 and on 16 connections
# Usage: bench/social.sh [fanout] [celebrity] [timeline]    (all three when none is named)
#
#   BENCH_STACKS        "sqlite postgres" (either or both)
#   BENCH_POSTGRES_URL  postgres://postgres@127.0.0.1:5432/darkroom_bench (the database is created when missing;
#                       each benchmark works in a schema of its own)
#   BENCH_REDIS_URL     redis://127.0.0.1:6379 (keys under a prefix of this run's)
#   BENCH_THRESHOLD     1000: the server's timeline_celebrity_threshold in the timeline benchmark
#   sizes               BENCH_* variables of tests/examples/social_bench/main.rs. A quick run:
#                       BENCH_USERS=1000 BENCH_POSTS=50000 BENCH_THRESHOLD=100 BENCH_READERS=200 BENCH_SECONDS=5 \
#                       BENCH_CELEBRITY_FOLLOWERS=1000,10000 bench/social.sh
# Lines starting RESULT are the figures, each with the machine's load average when it was taken.
set -euo pipefail
cd "$(dirname "$0")/.."

# Only the backends benchmarked: the release build of the server with every backend takes much longer.
features="${DARKROOM_BENCH_FEATURES:-darkroom/sqlite,darkroom/embedded-queue,darkroom/local-storage,darkroom/memory-cache,darkroom/postgres,darkroom/redis,darkroom-tests/postgres,darkroom-tests/redis}"
cargo build --release --locked --no-default-features --features "$features" \
  -p darkroom -p darkroom-tests --bin darkroom --example social_bench
target_dir="${CARGO_TARGET_DIR:-target}"
[[ "$target_dir" = /* ]] || target_dir="$(pwd)/$target_dir"
darkroom="$target_dir/release/darkroom"
bench="$target_dir/release/examples/social_bench"

stacks="${BENCH_STACKS:-sqlite postgres}"
postgres="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/darkroom_bench}"
redis="${BENCH_REDIS_URL:-redis://127.0.0.1:6379}"
threshold="${BENCH_THRESHOLD:-1000}"
port="${BENCH_PORT:-18471}"
work="${BENCH_DIR:-$target_dir/social-bench}"
benchmarks="${*:-fanout celebrity timeline}"

if [[ " $stacks " == *" postgres "* ]]; then
  database="${postgres##*/}"
  if ! psql "${postgres%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
    psql "${postgres%/*}/postgres" -qc "CREATE DATABASE \"$database\""
  fi
fi

echo "machine: $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $("$darkroom" --version)"

server=""
stop_server() {
  if [ -n "$server" ]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
}
trap stop_server EXIT

timeline() {
  local stack="$1" dir="$work/$1" db cache label
  rm -rf "$dir"
  mkdir -p "$dir"
  if [ "$stack" = sqlite ]; then
    db="sqlite://$dir/darkroom.sqlite" cache=memory label="sqlite+moka"
  else
    db="$postgres?schema=social_timeline" cache="$redis?prefix=social_bench_$$" label="postgres+redis"
  fi
  BENCH_THRESHOLD="$threshold" "$bench" seed "$db"
  DARKROOM_DATABASE_URL="$db" DARKROOM_CACHE_URL="$cache" DARKROOM_TIMELINE_CELEBRITY_THRESHOLD="$threshold" \
    DARKROOM_ACCESS_TOKEN_TTL_SECS=7200 DARKROOM_LOG=warn \
    "$darkroom" serve --listen "127.0.0.1:$port" --data-dir "$dir" >"$dir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 120); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.5
  done
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$dir/server.log"; exit 1; }
  "$bench" load "http://127.0.0.1:$port" "$label (threshold $threshold)"
  stop_server
}

for stack in $stacks; do
  target=sqlite
  [ "$stack" = sqlite ] || target="$postgres"
  for benchmark in $benchmarks; do
    case "$benchmark" in
      fanout | celebrity) "$bench" "$benchmark" "$target" ;;
      timeline) timeline "$stack" ;;
      *) echo "unknown benchmark $benchmark (fanout, celebrity, timeline)" >&2; exit 2 ;;
    esac
  done
done
