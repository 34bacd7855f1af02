#!/usr/bin/env python3
"""MARC 21 export checked by outside readers.

Exports the sample library (a fresh data folder: `kitep export marc` publishes it first, as
`kitep serve` would) in ISO 2709 and MARCXML; `yaz-marcdump` (Debian yaz) must read every record
of both without a message; `pymarc` reads them back and each record must match the catalogue
field by field (the version records stored in the catalog database).

Usage: tests/conformance/marc_check.py [--kitep target/release/kitep]
"""

import argparse
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pymarc

ROOT = Path(__file__).resolve().parents[2]
LANG = {"ky": "kir", "ru": "rus", "uz": "uzb", "kk": "kaz", "tg": "tgk", "en": "eng"}

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL {what}")


def yaz(path, fmt):
    args = ["yaz-marcdump"] + (["-i", "marcxml"] if fmt == "xml" else []) + [str(path)]
    r = subprocess.run(args, capture_output=True, text=True)
    check(r.returncode == 0, f"yaz-marcdump {path.name}: exit {r.returncode}")
    check(not r.stderr.strip(), f"yaz-marcdump {path.name}: {r.stderr.strip()[:300]}")
    return r.stdout.count("\n001 ") + r.stdout.startswith("001 ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kitep", default=str(ROOT / "target" / "release" / "kitep"))
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kitep-marc-"))
    try:
        data = tmp / "data"
        for fmt in ["mrc", "xml"]:
            out = tmp / f"library.{fmt}"
            r = subprocess.run([args.kitep, "export", "marc", "--data", str(data), "--format", fmt,
                                "--public-url", "https://kitep.example", "-o", str(out)],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print(r.stdout, r.stderr)
                return 1
            print(r.stdout.strip())
        db = sqlite3.connect(data / "catalog.db")
        rows = db.execute(
            "SELECT v.edition_slug, v.record, v.manifest FROM editions e JOIN versions v ON v.id = e.current_version "
            "WHERE e.withdrawn_at IS NULL").fetchall()
        catalogue = {slug: (json.loads(rec), json.loads(man)) for slug, rec, man in rows}
        for fmt in ["mrc", "xml"]:
            path = tmp / f"library.{fmt}"
            seen = yaz(path, fmt)
            check(seen == len(catalogue), f"yaz-marcdump {fmt}: {seen} records, catalogue has {len(catalogue)}")
            if fmt == "mrc":
                with open(path, "rb") as f:
                    records = list(pymarc.MARCReader(f, to_unicode=True, force_utf8=True))
            else:
                records = pymarc.parse_xml_to_array(str(path))
            check(len(records) == len(catalogue), f"pymarc {fmt}: {len(records)} records")
            for rec in records:
                slug = rec["001"].data
                check(slug in catalogue, f"{fmt}: 001 {slug} is not in the catalogue")
                if slug not in catalogue:
                    continue
                r, m = catalogue[slug]
                where = f"{fmt} {slug}"
                check(rec.leader[9] == "a", f"{where}: leader/09 is not 'a' (UTF-8)")
                check(rec["245"]["a"] == r["title"], f"{where}: 245 a {rec['245']['a']!r} != {r['title']!r}")
                if r.get("subtitle"):
                    check(rec["245"]["b"] == r["subtitle"], f"{where}: 245 b")
                lang = LANG.get(r["language"].split("-")[0], "und")
                check(rec["041"]["a"] == lang, f"{where}: 041 a {rec['041']['a']} != {lang}")
                check(rec["008"].data[35:38] == lang, f"{where}: 008/35-37 {rec['008'].data[35:38]}")
                names = [c["name"] for c in r.get("contributors", [])]
                marc_names = [f["a"] for f in rec.get_fields("100", "700")]
                check(sorted(marc_names) == sorted(names), f"{where}: people {marc_names} != {names}")
                if r.get("subject"):
                    check(rec["650"]["a"] == r["subject"], f"{where}: 650")
                if r.get("year"):
                    check(rec["264"]["c"] == str(r["year"]), f"{where}: 264 c")
                if r.get("publisher"):
                    check(rec["264"]["b"] == r["publisher"], f"{where}: 264 b")
                if m.get("isbn"):
                    check(rec["020"]["a"] == m["isbn"].replace("-", ""), f"{where}: 020")
                if r.get("grades"):
                    lo, hi = min(r["grades"]), max(r["grades"])
                    want = f"Grade {lo}." if lo == hi else f"Grades {lo}-{hi}."
                    check(rec["521"]["a"] == want, f"{where}: 521 {rec['521']['a']} != {want}")
                if r.get("license"):
                    check(rec["540"]["a"] == r["license"], f"{where}: 540")
                links = [f["u"] for f in rec.get_fields("856")]
                check(f"https://kitep.example/books/{slug}" in links, f"{where}: 856 {links}")
                work = r.get("work") or slug
                others = sorted(s for s, (o, _) in catalogue.items() if s != slug and (o.get("work") or s) == work)
                linked = sorted(f["w"].split(")")[-1] for f in rec.get_fields("775"))
                check(linked == others, f"{where}: 775 {linked} != {others}")
        print(f"MARC: {len(catalogue)} records in ISO 2709 and MARCXML; yaz-marcdump and pymarc read them; "
              f"{failures} mismatches with the catalogue")
        return 1 if failures else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
