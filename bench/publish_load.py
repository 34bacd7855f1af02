#!/usr/bin/env python3
"""Publishing through the portal, measured: how long the largest sample book takes from upload to
a checked and built draft, and what publishing does to search latency.

Starts `kitep serve` on a fresh data directory (the sample library is published on first start)
and a free loopback port, then:

1. creates an author, a reviewer and a librarian with `kitep admin add-user` (and an API token for
   the author with `kitep admin token`), and signs the three in through the staff pages;
2. uploads the largest sample book as a draft through the API (`POST /api/drafts`, as
   `kitep publish` does) and times upload + check + build until `GET /api/drafts/{id}` says done
   (median of --uploads runs, each a new revision with one changed line);
3. runs wrk on the search mix of bench/portal_load.py while the portal is idle, then again while
   revisions are uploaded, built, submitted, approved and published (through the staff forms, the
   atomic publish: build, files, index, catalog, snapshot) one after another for the whole run;
4. prints both p99 latencies and their ratio against the goal (during publishing <= 2x idle).

Usage: bench/publish_load.py [--kitep target/release/kitep] [--duration 20] [--uploads 3]
"""
import argparse, http.cookiejar, io, json, os, pathlib, re, subprocess, sys, tempfile, threading
import time, urllib.parse, urllib.request, zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import portal_load as pl  # noqa: E402  (the search mix, wrk and the portal's lifecycle)

GOAL_RATIO = 2.0
PASSWORD = "тоо көлү жашыл, суусу таза"


def largest_sample_book():
    books = [p for p in (ROOT / "corpus" / "books").iterdir() if (p / "book.toml").is_file()]
    size = lambda b: sum(f.stat().st_size for f in b.rglob("*") if f.is_file())
    return max(books, key=size)


def zip_of(book, extra_line):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(book.rglob("*")):
            if f.is_file():
                data = f.read_bytes()
                rel = f.relative_to(book.parent).as_posix()
                if f.suffix == ".md" and extra_line and f.name != "SUMMARY.md" and b"# " in data[:200]:
                    data = data + f"\n\n{extra_line}\n".encode()
                    extra_line = None
                z.writestr(rel, data)
    return buf.getvalue()


class Staff:
    """A browser without JavaScript: a cookie jar, forms with their CSRF token."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        with self.opener.open(self.base + path, timeout=120) as r:
            return r.geturl(), r.read().decode()

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields).encode()
        req = urllib.request.Request(self.base + path, data=data, headers={"Accept-Language": "en"})
        with self.opener.open(req, timeout=600) as r:
            return r.geturl(), r.read().decode()

    def form(self, page, action, fields):
        _, html = self.get(page)
        token = re.search(r'name="(csrf|form)" value="([^"]+)"', html)
        return self.post(action, {token.group(1): token.group(2), **fields})

    def sign_in(self, email, password):
        url, _ = self.form("/staff/sign-in", "/staff/sign-in", {"email": email, "password": password, "next": "/staff"})
        if url.endswith("/staff/password"):
            self.form("/staff/password", "/staff/password", {"current": password, "new": PASSWORD, "repeat": PASSWORD})


def add_user(kitep, data, email, roles, org=None):
    cmd = [kitep, "admin", "add-user", "--data", data] + sum((["--role", r] for r in roles), [])
    if org:
        cmd += ["--organisation", org]
    out = subprocess.run(cmd + [email], capture_output=True, text=True, check=True).stdout
    return out.strip().splitlines()[-1].strip()


def api(base, token, method, path, body=None):
    req = urllib.request.Request(base + path, data=body, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/zip"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())


def upload_and_wait(base, token, zipped):
    started = time.perf_counter()
    draft = api(base, token, "POST", "/api/drafts", zipped)["draft"]
    while True:
        b = api(base, token, "GET", f"/api/drafts/{draft}")["build"]
        if b and b["state"] in ("done", "failed"):
            return draft, time.perf_counter() - started, b
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kitep", default=str(ROOT / "target" / "release" / "kitep"))
    ap.add_argument("--wrk", default="wrk")
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--uploads", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    kitep = str(pathlib.Path(args.kitep).resolve())
    wrk = pl.ensure_wrk(args.wrk)
    book = largest_sample_book()
    with tempfile.TemporaryDirectory(prefix="kitep-publish-load-") as tmp:
        tmp = pathlib.Path(tmp)
        data = str(tmp / "data")
        port = pl.free_port()
        base = f"http://127.0.0.1:{port}"
        log = tmp / "portal.log"
        script = tmp / "mix.lua"
        paths = ["/search?q=" + urllib.parse.quote(q, safe="") for q in pl.QUERIES]
        script.write_text(pl.LUA % {"paths": ",\n".join(f'   "{p}"' for p in paths)}, encoding="utf-8")
        with open(log, "wb") as logf:
            proc = subprocess.Popen([kitep, "serve", "--data", data, "--addr", f"127.0.0.1:{port}"],
                                    stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, start_new_session=True)
        try:
            pl.wait_healthy(proc, port, 300, log)
            passwords = {
                "author": add_user(kitep, data, "author@bench.kg", ["author"], "Bench"),
                "reviewer": add_user(kitep, data, "reviewer@bench.kg", ["reviewer"]),
                "librarian": add_user(kitep, data, "librarian@bench.kg", ["librarian"]),
            }
            token = subprocess.run([kitep, "admin", "token", "--data", data, "author@bench.kg"],
                                   capture_output=True, text=True, check=True).stdout.strip()
            people = {k: Staff(base) for k in passwords}
            for k, s in people.items():
                s.sign_in(f"{k}@bench.kg", passwords[k])

            times = []
            for i in range(args.uploads):
                draft, secs, build = upload_and_wait(base, token, zip_of(book, f"Бенчмарк {i} {time.time()}"))
                if build["state"] != "done":
                    raise SystemExit(f"the build failed: {build['message']}")
                times.append(secs)
            times.sort()
            median_upload = times[len(times) // 2]

            pl.run_wrk(wrk, args.threads, args.connections, 3, "2s", script, base)
            idle = pl.parse_wrk(pl.run_wrk(wrk, args.threads, args.connections, args.duration, "2s", script, base))

            stop = threading.Event()
            published = []
            errors = []

            def publishing():
                n = 0
                while not stop.is_set():
                    try:
                        d, _, _ = upload_and_wait(base, token, zip_of(book, f"Жаңы сап {n} {time.time()}"))
                        page = f"/staff/drafts/{d}"
                        people["author"].form(page, f"{page}/submit", {})
                        people["reviewer"].form(page, f"{page}/review", {"decision": "approve", "body": "ok"})
                        started = time.perf_counter()
                        people["librarian"].form(page, f"{page}/publish", {"changelog": f"benchmark {n}"})
                        published.append(time.perf_counter() - started)
                        n += 1
                    except Exception as e:  # noqa: BLE001
                        errors.append(repr(e))
                        return

            t = threading.Thread(target=publishing, daemon=True)
            t.start()
            time.sleep(0.5)
            busy = pl.parse_wrk(pl.run_wrk(wrk, args.threads, args.connections, args.duration, "2s", script, base))
            stop.set()
            t.join(timeout=300)
        finally:
            pl.stop(proc)
    if errors:
        raise SystemExit(f"publishing failed during the run: {errors[0]}")
    ratio = busy["p99_ms"] / idle["p99_ms"] if idle["p99_ms"] else float("inf")
    print(f"book                      {book.name} ({sum(f.stat().st_size for f in book.rglob('*') if f.is_file()) // 1024} KB)")
    print(f"upload + check + build    {median_upload:.2f} s (median of {len(times)}: {', '.join(f'{x:.2f}' for x in times)})")
    print(f"publishes during the run  {len(published)} (each {', '.join(f'{x:.2f}' for x in published)} s)")
    print(f"search idle               {idle['req_per_s']:.0f} req/s, p50 {idle['p50_ms']:.2f} ms, p99 {idle['p99_ms']:.2f} ms, errors {idle['errors']}")
    print(f"search while publishing   {busy['req_per_s']:.0f} req/s, p50 {busy['p50_ms']:.2f} ms, p99 {busy['p99_ms']:.2f} ms, errors {busy['errors']}")
    print(f"p99 ratio                 {ratio:.2f}x idle   goal <= {GOAL_RATIO:.0f}x   {'PASS' if ratio <= GOAL_RATIO else 'FAIL'}")


if __name__ == "__main__":
    main()
