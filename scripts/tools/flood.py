"""One anonymous client creating and opening contribution queries as fast as
it can, while a second client reads pages; prints what the server answered,
the readers' latencies and the forge budget left, as JSON lines.

    python3 scripts/tools/flood.py URL SECONDS [GITHUB_API_URL]
    python3 scripts/tools/flood.py --mixed PID URL SECONDS [GITHUB_API_URL]

With the demo GitHub's address, its budgets (`GET /rate_limit` with the
installation's token) are read before and after.

`--mixed` is the long run instead: queries created within the allowance and
read as people do (the page until filled, its graphs' counts, a week, the
list's next page), beside readers of shared pages, the API and health
checks; the server's (PID's) memory is printed every minute, and each kind
of request's count, failures and latencies at the end.
"""

import http.cookiejar
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


def request(url, data=None, opener=None):
    """Status and body of one request (errors included), and its seconds."""
    status, body, took, _ = exchange(url, data, opener)
    return status, body, took


def exchange(url, data=None, opener=None):
    """`request`, with the answer's headers."""
    started = time.monotonic()
    body = None if data is None else urllib.parse.urlencode(data).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    opened = (opener or urllib.request.build_opener()).open
    try:
        with opened(urllib.request.Request(url, body, headers), timeout=60) as answer:
            return answer.status, answer.read().decode(), time.monotonic() - started, answer.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), time.monotonic() - started, error.headers


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def signed_in(url, github, login):
    """An opener holding the session of `login` signed in with the demo
    GitHub (its OAuth server told to approve them), subscribed to the
    first repository they may read, as a person clicking through would."""
    put = urllib.request.Request(
        f"{github}/_sim/oauth", json.dumps({"approve_as": login}).encode(),
        {"Content-Type": "application/json"}, method="PUT")
    urllib.request.urlopen(put, timeout=10).read()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirects)
    target = f"{url}/auth/github/start?next=/issues"
    for _ in range(3):  # Tally, the forge's consent, Tally's callback
        status, body, _, headers = exchange(target, opener=opener)
        assert 300 <= status < 400, f"signing in: {status} at {target}: {body[:200]}"
        target = urllib.parse.urljoin(target, headers["Location"])
    csrf = json.loads(request(f"{url}/api/viewer", {"_": ""}, opener)[1])["csrf"]
    request(f"{url}/api/refresh_readable", {"csrf": csrf}, opener)
    readable = json.loads(request(f"{url}/api/readable", {"search": "", "page": 1}, opener)[1])
    first = readable["items"][0]
    status, body, _ = request(
        f"{url}/api/subscribe",
        {"csrf": csrf, "account": first["account_id"], "repository": first["repository"]}, opener)
    assert status < 400, f"subscribing: {status} {body[:200]}"
    return opener


def read_signed_in(url, opener, stop, timed):
    """What a signed-in person reads: the tracker's page, its list and
    counts through the API, and their subscriptions."""
    while time.monotonic() < stop:
        timed("signed_in_issues_page", f"{url}/issues", None, opener)
        timed("signed_in_issues_list", f"{url}/api/issues", {"query": ""}, opener)
        timed("signed_in_issue_counts", f"{url}/api/issue_counts", {"query": ""}, opener)
        timed("signed_in_subscriptions", f"{url}/subscriptions", None, opener)
        time.sleep(0.05)


def report_timings(timings):
    """Each kind of request's count, statuses and latencies, as JSON lines."""
    for kind, seen in sorted(timings.items()):
        times = [took for status, took in seen if status < 400]
        print(json.dumps({
            "figure": "requests",
            "kind": kind,
            "count": len(seen),
            "statuses": {str(s): sum(1 for status, _ in seen if status == s) for s in sorted({s for s, _ in seen})},
            "p50_ms": round(1000 * percentile(times, 0.50), 1) if times else None,
            "p99_ms": round(1000 * percentile(times, 0.99), 1) if times else None,
        }))


def timer(timings, lock):
    """A `request` that keeps each answer's status and seconds by kind."""
    def timed(kind, target, data=None, opener=None):
        status, body, took = request(target, data, opener)
        with lock:
            timings.setdefault(kind, []).append((status, took))
        return status, body
    return timed


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


def github_login(example):
    """The first GitHub account among the home page's example people."""
    return next(p.split(":", 1)[1] for p in example if p.startswith("github:"))


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else None


def main():
    url, seconds = sys.argv[1].rstrip("/"), float(sys.argv[2])
    github = sys.argv[3].rstrip("/") if len(sys.argv) > 3 else None
    _, home, _ = request(f"{url}/")
    example = re.search(r'data-testid="example"[^>]*>([^<]+)<', home).group(1).split()
    session = signed_in(url, github, github_login(example)) if github else None
    before = budgets(github)
    statuses, opened, reads = {}, 0, []
    lock, timings = threading.Lock(), {}
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
    if session:
        threads.append(threading.Thread(
            target=read_signed_in, args=(url, session, stop, timer(timings, lock))))
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
    report_timings(timings)
    for name in sorted(set(before) | set(after)):
        print(json.dumps({
            "figure": "budget",
            "budget": name,
            "before": before.get(name),
            "after": after.get(name),
        }))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def mixed(pid, url, seconds, github):
    """The long mixed run: see the module's doc."""
    _, home, _ = request(f"{url}/")
    example = re.search(r'data-testid="example"[^>]*>([^<]+)<', home).group(1).split()
    _, info, _ = request(f"{url}/api/instance_info", {"_": ""})
    organisations = json.loads(info).get("organisation_examples") or []
    session = signed_in(url, github, github_login(example)) if github else None
    before = budgets(github)
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    hashes, timings = [], {}
    timed = timer(timings, lock)

    def create(worker):
        n = 0
        while time.monotonic() < stop:
            n += 1
            day = 1 + (n * 5 + worker) % 28
            people = " ".join(example[(n + worker + i) % len(example)] for i in range(1 + n % 3))
            form = {"people": people, "from": f"2025-{1 + n % 12:02d}-{day:02d}", "to": "2026-06-30"}
            status, body = timed("create_query", f"{url}/api/create_query", form)
            if status == 200:
                query = json.loads(body)
                for _ in range(120):
                    status, page = timed("query_page", f"{url}/q/{query}")
                    if status != 200 or "Fetching from the forges" not in page:
                        break
                    time.sleep(0.5)
                timed("query_activity", f"{url}/api/query_activity", {"hash": query})
                timed("period_page", f"{url}/q/{query}/week/2026-W10")
                _, first = timed("query_list", f"{url}/api/query_page", {"hash": query})
                after = json.loads(first).get("next") if first.startswith("{") else None
                if after:
                    timed("query_list", f"{url}/api/query_page", {"hash": query, "after": after})
                with lock:
                    hashes.append(query)
            # Two creators at one every six seconds: 20 a minute.
            time.sleep(6)

    def read(worker):
        n = 0
        while time.monotonic() < stop:
            n += 1
            with lock:
                shared = hashes[(n * 7 + worker) % len(hashes)] if hashes else None
            if shared:
                timed("shared_page", f"{url}/q/{shared}")
                timed("query_activity", f"{url}/api/query_activity", {"hash": shared})
            timed("home", f"{url}/")
            timed("api", f"{url}/api/v1/rate_limit")
            timed("api", f"{url}/api/v1/developers?page_size=20")
            # With the creators, within the allowance of 30 spending
            # requests a minute from one address.
            if n % 600 == 0 and organisations:
                address = urllib.parse.quote(organisations[n % len(organisations)])
                timed("health_check", f"{url}/api/v1/health-check?url={address}")
            time.sleep(0.05)

    def sample():
        minute = 0
        while time.monotonic() < stop:
            print(json.dumps({"figure": "rss_kib", "minute": minute, "value": rss_kib(pid)}), flush=True)
            minute += 1
            time.sleep(min(60, max(0, stop - time.monotonic())))

    threads = [threading.Thread(target=create, args=(w,)) for w in range(2)]
    threads += [threading.Thread(target=read, args=(w,)) for w in range(3)]
    threads.append(threading.Thread(target=sample))
    if session:
        threads.append(threading.Thread(target=read_signed_in, args=(url, session, stop, timed)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"figure": "rss_kib", "minute": "end", "value": rss_kib(pid)}))
    report_timings(timings)
    after = budgets(github)
    for name in sorted(set(before) | set(after)):
        print(json.dumps({"figure": "budget", "budget": name, "before": before.get(name), "after": after.get(name)}))


if __name__ == "__main__":
    if sys.argv[1] == "--mixed":
        pid, url, seconds = sys.argv[2], sys.argv[3].rstrip("/"), float(sys.argv[4])
        mixed(pid, url, seconds, sys.argv[5].rstrip("/") if len(sys.argv) > 5 else None)
    else:
        main()
