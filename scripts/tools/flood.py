"""One anonymous client creating and opening contribution queries as fast as
it can, while a second client reads pages; prints what the server answered,
the readers' latencies and the forge budget left, as JSON lines.

    python3 scripts/tools/flood.py URL SECONDS [GITHUB_API_URL]

With the demo GitHub's address, its budgets (`GET /rate_limit` with the
installation's token) are read before and after.
"""

import json
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


def request(url, data=None):
    """Status and body of one request (errors included), and its seconds."""
    started = time.monotonic()
    body = None if data is None else urllib.parse.urlencode(data).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=60) as answer:
            return answer.status, answer.read().decode(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), time.monotonic() - started


def budgets(github):
    """Remaining and limit of each of GitHub's budgets for the demo token."""
    if not github:
        return {}
    answer = urllib.request.urlopen(
        urllib.request.Request(f"{github}/rate_limit", headers={"Authorization": "token sim_demo"}),
        timeout=10,
    )
    resources = json.loads(answer.read())["resources"]
    return {f"github/{name}": (r["remaining"], r["limit"]) for name, r in resources.items()}


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else None


def main():
    url, seconds = sys.argv[1].rstrip("/"), float(sys.argv[2])
    github = sys.argv[3].rstrip("/") if len(sys.argv) > 3 else None
    _, home, _ = request(f"{url}/")
    example = re.search(r'data-testid="example"[^>]*>([^<]+)<', home).group(1).split()
    before = budgets(github)
    statuses, opened, reads = {}, 0, []
    stop = time.monotonic() + seconds

    def flood(worker):
        nonlocal opened
        n = 0
        while time.monotonic() < stop:
            n += 1
            # A new question each time: another account and another range.
            day = 1 + (n + worker * 7) % 28
            form = {
                "people": example[(n + worker) % len(example)],
                "from": f"2025-{1 + n % 12:02d}-{day:02d}",
                "to": "2026-06-30",
            }
            status, body, _ = request(f"{url}/api/create_query", form)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                # The answer is the query's hash, as a JSON string.
                request(f"{url}/q/{json.loads(body)}")
                opened += 1

    def read():
        while time.monotonic() < stop:
            status, _, took = request(f"{url}/")
            reads.append((status, took))

    threads = [threading.Thread(target=flood, args=(w,)) for w in range(8)]
    threads.append(threading.Thread(target=read))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = budgets(github)
    times = [took for status, took in reads if status == 200]
    print(json.dumps({
        "figure": "flood",
        "seconds": seconds,
        "create_query_statuses": statuses,
        "queries_opened": opened,
        "reader_requests": len(reads),
        "reader_failures": sum(1 for status, _ in reads if status != 200),
        "reader_p50_ms": round(1000 * percentile(times, 0.50), 1) if times else None,
        "reader_p99_ms": round(1000 * percentile(times, 0.99), 1) if times else None,
    }))
    for name in sorted(set(before) | set(after)):
        print(json.dumps({
            "figure": "budget",
            "budget": name,
            "before": before.get(name),
            "after": after.get(name),
        }))


if __name__ == "__main__":
    main()
