"""Prints scripts/bench's wrk results (JSON lines on stdin) as a table,
then the lines themselves."""
import json
import sys

rows = [json.loads(line) for line in sys.stdin if line.strip()]
static = next(r for r in rows if r["name"] == "static file")
header = ("", "p50 ms", "p95 ms", "p99 ms", "req/s", "errors", "vs static")
print("%-16s%9s%9s%9s%10s%8s%11s" % header)
for r in rows:
    errors = sum(r["errors"].values())
    ratio = r["rps"] / static["rps"]
    print("%-16s%9.2f%9.2f%9.2f%10.0f%8d%11.2f"
          % (r["name"], r["p50_ms"], r["p95_ms"], r["p99_ms"], r["rps"], errors, ratio))
for r in rows:
    print(json.dumps(r))
