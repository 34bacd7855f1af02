#!/usr/bin/env python3
"""DAISY Ace (EPUB accessibility checker) on the EPUBs built from the sample books.

    python3 tests/conformance/ace_check.py --kitep target/release/kitep      # builds corpus/books/*/
    python3 tests/conformance/ace_check.py some.epub other.epub             # or checks given EPUBs

Ace comes from tests/conformance/node_modules (`npm ci` there, with PUPPETEER_SKIP_DOWNLOAD=1) and
runs Debian's Chromium (PUPPETEER_EXECUTABLE_PATH, default /usr/bin/chromium). Every violation
Ace reports (any impact, any ruleset, best practices included) fails the book; the summary counts
them by rule and impact. Exits 1 on any failure; the last line is `N passed, N failed` (per book).
"""

import argparse
import collections
import glob
import json
import os
import subprocess
import sys
import tempfile

from report import print_failures, remove_or_keep

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))


def find_ace():
    for name in ("ace-cli", "ace"):
        p = os.path.join(HERE, "node_modules", ".bin", name)
        if os.path.exists(p):
            return p
    return None


def build_books(kitep, out, timeout):
    """Builds every sample book; returns ([(name, epub)], [(name, error)])."""
    epubs, errors = [], []
    for book in sorted(glob.glob(os.path.join(REPO, "corpus", "books", "*", ""))):
        name = os.path.basename(os.path.dirname(book))
        dest = os.path.join(out, name)
        proc = subprocess.run([kitep, "build", book, "-o", dest, "--quiet"], capture_output=True, text=True,
                              timeout=timeout)
        found = glob.glob(os.path.join(dest, "*.epub"))
        if proc.returncode != 0 or not found:
            errors.append((name, f"kitep build exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[:600]}"))
        else:
            epubs.append((name, found[0]))
    return epubs, errors


def violations(report):
    """Yields (document url, rule, impact, description, html snippet) for every failed assertion."""
    for doc in report.get("assertions", []):
        url = doc.get("earl:testSubject", {}).get("url", "?")
        for a in doc.get("assertions", []):
            result = a.get("earl:result", {})
            if result.get("earl:outcome") != "fail":
                continue
            test = a.get("earl:test", {})
            yield (url, test.get("dct:title", "?"), test.get("earl:impact", "?"),
                   result.get("dct:description", ""), (result.get("html") or "").replace("\n", " "))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("epubs", nargs="*", help="EPUB files to check (instead of building the sample books)")
    ap.add_argument("--kitep", help="the kitep binary, to build corpus/books/*/ into a temporary folder")
    ap.add_argument("--timeout", type=int, default=180, help="seconds per book for Ace (and for a build)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (Ace's reports)")
    args = ap.parse_args()
    if not args.epubs and not args.kitep:
        ap.error("give EPUB files or --kitep BINARY")

    ace = find_ace()
    if not ace:
        print("ace_check: Ace is not installed: cd tests/conformance && PUPPETEER_SKIP_DOWNLOAD=1 npm ci")
        print("0 passed, 1 failed")
        return 1
    chromium = os.environ.get("PUPPETEER_EXECUTABLE_PATH", "/usr/bin/chromium")
    env = dict(os.environ, PUPPETEER_EXECUTABLE_PATH=chromium, PUPPETEER_SKIP_DOWNLOAD="1")

    tmp = tempfile.mkdtemp(prefix="kitep-ace-")
    passed = failed = 0
    failures = []
    by_rule = collections.Counter()
    by_impact = collections.Counter()
    rule_books = collections.defaultdict(set)
    rule_example = {}
    try:
        if args.epubs:
            books = [(os.path.splitext(os.path.basename(p))[0], os.path.abspath(p)) for p in args.epubs]
        else:
            books, build_errors = build_books(args.kitep, os.path.join(tmp, "books"), args.timeout)
            for name, err in build_errors:
                failed += 1
                failures.append((name, [err]))
                print(f"FAIL {name}: build failed", flush=True)
        for name, epub in books:
            out = os.path.join(tmp, "ace", name)
            try:
                proc = subprocess.run([ace, "--silent", "--force", "--outdir", out, "--timeout",
                                       str(args.timeout * 1000), epub],
                                      capture_output=True, text=True, timeout=args.timeout + 30, env=env)
            except subprocess.TimeoutExpired:
                failed += 1
                failures.append((name, [f"Ace did not finish within {args.timeout + 30} s"]))
                print(f"FAIL {name}: Ace timed out", flush=True)
                continue
            report_path = os.path.join(out, "report.json")
            if not os.path.exists(report_path):
                failed += 1
                failures.append((name, [f"Ace exit {proc.returncode}, no report.json: "
                                        + (proc.stderr or proc.stdout).strip()[-800:]]))
                print(f"FAIL {name}: Ace produced no report", flush=True)
                continue
            with open(report_path, encoding="utf-8") as f:
                report = json.load(f)
            found = list(violations(report))
            for url, rule, impact, desc, html in found:
                by_rule[(rule, impact)] += 1
                by_impact[impact] += 1
                rule_books[(rule, impact)].add(name)
                rule_example.setdefault((rule, impact), f"{name}: {url}: {desc}: {html[:200]}")
            if found:
                failed += 1
                failures.append((name, [f"{url}: [{impact}] {rule}: {desc} | {html[:200]}"
                                        for url, rule, impact, desc, html in found]))
                print(f"FAIL {name}: {len(found)} violation(s) (outcome {report.get('earl:result', {}).get('earl:outcome')})",
                      flush=True)
            else:
                passed += 1
                print(f"ok   {name}: no violations", flush=True)
    finally:
        remove_or_keep(tmp, args.keep)

    print_failures(failures)
    if by_rule:
        print("\n==== violations by rule (count, impact, books, example)")
        for (rule, impact), n in by_rule.most_common():
            books_with = ", ".join(sorted(rule_books[(rule, impact)]))
            print(f"{n:5d}  {rule} [{impact}] in {books_with}")
            print(f"        e.g. {rule_example[(rule, impact)]}")
        print("by impact: " + ", ".join(f"{k} {v}" for k, v in by_impact.most_common()))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
