# Shared by scripts/*: paths, caches and small helpers. Source it; do not run it.
# shellcheck shell=bash

set -euo pipefail

TALLY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Tools and build output live outside the clone so a fresh clone builds warm.
TALLY_CACHE="${TALLY_CACHE:-$HOME/.cache/tally}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$TALLY_CACHE/target}"
TALLY_TOOLS="$TALLY_CACHE/tools"
# Private PostgreSQL clusters must sit where an unprivileged user can reach
# them (root's home is closed to the `postgres` user), hence not under $HOME.
TALLY_SCRATCH="${TALLY_SCRATCH:-${TMPDIR:-/tmp}/tally-$(id -u)}"

export PATH="$HOME/.cargo/bin:$TALLY_TOOLS/node_modules/.bin:$PATH"

log() { printf '\033[1m[tally]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[tally] error:\033[0m %s\n' "$*" >&2; exit 1; }

# `stage NAME COMMAND...` runs a command and records how long it took.
# A failing command ends the script (set -e); CURRENT_STAGE then names it.
STAGE_TIMES=()
CURRENT_STAGE=""
stage() {
  local name="$1"; shift
  local started=$SECONDS
  CURRENT_STAGE="$name"
  log "── $name"
  "$@"
  local took=$((SECONDS - started))
  STAGE_TIMES+=("$(printf '%-28s %4ds' "$name" "$took")")
  CURRENT_STAGE=""
  log "── $name: ${took}s"
}

print_stage_times() {
  log "stage times:"
  local line
  for line in "${STAGE_TIMES[@]}"; do printf '    %s\n' "$line" >&2; done
  printf '    %-28s %4ds\n' "total" "$SECONDS" >&2
}

# The version of a package in Cargo.lock, e.g. `locked_version wasm-bindgen`.
locked_version() {
  awk -v name="$1" '
    $0 == "name = \"" name "\"" { found = 1; next }
    found && /^version = / { gsub(/"/, "", $3); print $3; exit }
  ' "$TALLY_ROOT/Cargo.lock"
}

# Raw and gzipped sizes of what a page loads besides its HTML (the wasm,
# its JS glue, the stylesheet, and ECharts, which only query pages load).
report_bundle_sizes() {
  local file
  for file in "$TALLY_ROOT"/target/site/pkg/tally.{wasm,js,css} "$TALLY_ROOT"/target/site/vendor/echarts-*.js; do
    [ -f "$file" ] || die "the release build produced no $file"
    printf '    %-32s %9d bytes raw %9d bytes gzip\n' "${file#"$TALLY_ROOT"/}" "$(wc -c <"$file")" "$(gzip -9c "$file" | wc -c)" >&2
  done
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Replaces the database name in a postgres URL, keeping any `?query`.
url_with_database() {
  local url="$1" database="$2" query=""
  if [[ "$url" == *\?* ]]; then query="?${url#*\?}"; url="${url%%\?*}"; fi
  printf '%s/%s%s\n' "${url%/*}" "$database" "$query"
}

release_binary() { printf '%s/release/tally\n' "$CARGO_TARGET_DIR"; }

# Commands run when the script exits, whatever its status; a script that
# uses them sets `trap cleanup EXIT`.
CLEANUP=()
cleanup() {
  local status=$? action
  for action in "${CLEANUP[@]}"; do eval "$action" || true; done
  [ -z "$CURRENT_STAGE" ] || log "FAILED in stage: $CURRENT_STAGE"
  print_stage_times
  exit "$status"
}

# A PostgreSQL server whose admin URL the Rust tests get as TALLY_TEST_DATABASE_URL:
# the given one, else the machine's local server (started if stopped), else a
# private cluster run by the `tally` binary $1 (default: the debug build).
use_test_database() {
  if [ -n "${TALLY_TEST_DATABASE_URL:-}" ]; then
    log "test database: TALLY_TEST_DATABASE_URL"
    return
  fi
  local local_url="postgres://postgres@127.0.0.1:5432/postgres"
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_lsclusters >/dev/null; then
    local version name
    while read -r version name _; do
      log "starting the local PostgreSQL cluster $version/$name"
      as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start || true
    done < <(pg_lsclusters --no-header | awk '$3 == 5432 && $4 != "online"')
  fi
  if psql "$local_url" -qtAc 'SELECT 1' >/dev/null 2>&1; then
    export TALLY_TEST_DATABASE_URL="$local_url"
    log "test database: local server at 127.0.0.1:5432"
    return
  fi
  local data_dir="$TALLY_SCRATCH/test-postgres" url tally="${1:-$CARGO_TARGET_DIR/debug/tally}"
  url="$("$tally" postgres start --data-dir "$data_dir")"
  CLEANUP+=("'$tally' postgres stop --data-dir '$data_dir'")
  export TALLY_TEST_DATABASE_URL
  TALLY_TEST_DATABASE_URL="$(url_with_database "$url" postgres)"
  log "test database: private cluster in $data_dir"
}


# Starts the release server on a free port with DATABASE_URL=$1, its log in
# $2, and sets TALLY_URL once it listens. It is stopped on exit.
# TALLY_SERVER_WRAPPER, when set, is a command the server runs under (say
# `heaptrack -o FILE`, to see where its memory goes).
start_release_server() {
  local database="$1" log_file="$2" server_pid url=""
  mkdir -p "$(dirname "$log_file")"
  # Its own data directory: the key it seals tokens with stays with the run.
  # Every browser of a run comes from 127.0.0.1: one client to the per-client
  # spending limit, so it gets the allowance of many.
  DATABASE_URL="$database" LEPTOS_SITE_ROOT="$TALLY_ROOT/target/site" \
    TALLY_SPEND_PER_MINUTE="${TALLY_SPEND_PER_MINUTE:-6000}" \
    TALLY_DATA_DIR="$TALLY_SCRATCH/server-data" \
    ${TALLY_SERVER_WRAPPER:-} "$(release_binary)" --addr 127.0.0.1:0 >"$log_file" 2>&1 &
  server_pid=$!
  CLEANUP+=("kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null")
  for _ in $(seq 1 300); do
    url="$(grep -o 'listening on http://[0-9.:]*' "$log_file" | head -n1 | awk '{print $3}' || true)"
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log_file" >&2; die "the server exited before listening"; }
    sleep 0.1
  done
  [ -n "$url" ] || die "the server did not start listening in 30s"
  TALLY_URL="$url"
}
