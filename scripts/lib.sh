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
