#!/usr/bin/env python3
"""OAI-PMH at /oai, judged by the protocol's schema and a real harvester.

Starts `kitep serve` on a fresh data folder (the sample library) with two items a page, so
harvests need resumption tokens. Every response of a crawl (each verb, both formats, every page,
each record, the protocol's errors) must validate against the OAI-PMH schema (`xmllint
--schema`; the schema ships in PyPI's `pyoai` source package, fetched here with `pip download`).
Sickle then harvests the whole library in `oai_dc` and `marc21`; after a book is republished
with a change and another withdrawn (`kitep admin withdraw`), an incremental harvest from the
first one's response date must see exactly those two, the withdrawn one as deleted.

Usage: tests/conformance/oai_check.py [--kitep target/release/kitep]
"""

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

from sickle import Sickle

ROOT = Path(__file__).resolve().parents[2]
failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def schema(tmp):
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                    "pyoai==2.5.0", "-d", str(tmp)], check=True)
    sdist = next(tmp.glob("pyoai-*.tar.gz"))
    with tarfile.open(sdist) as t:
        member = next(m for m in t.getmembers() if m.name.endswith("oaipmh/tests/OAI-PMH.xsd"))
        t.extract(member, tmp, filter="data")
    return tmp / member.name


def start(kitep, data, port, books=None):
    env = dict(**__import__("os").environ, KITEP_OAI_PAGE="2")
    args = [kitep, "serve", "--data", str(data), "--addr", f"127.0.0.1:{port}"]
    if books:
        args += ["--books", str(books)]
    p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            return p
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the portal did not start")


def fetch(base, query, post=False):
    if post:
        req = urllib.request.Request(f"{base}/oai", data=query.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    else:
        req = f"{base}/oai?{query}"
    with urllib.request.urlopen(req) as r:
        return r.read()


def validate(xsd, body, what, tmp):
    f = tmp / "response.xml"
    f.write_bytes(body)
    r = subprocess.run(["xmllint", "--noout", "--schema", str(xsd), str(f)], capture_output=True, text=True)
    check(r.returncode == 0, f"schema: {what}" + ("" if r.returncode == 0 else f": {r.stderr.strip()[:300]}"))


def crawl(base, xsd, tmp):
    """Every verb, each page of the lists, each record, and the protocol's errors."""
    for q in ["verb=Identify", "verb=ListMetadataFormats", "verb=ListSets"]:
        validate(xsd, fetch(base, q), q, tmp)
    # The protocol allows POST as well as GET.
    body = fetch(base, "verb=ListRecords&metadataPrefix=oai_dc", post=True)
    validate(xsd, body, "ListRecords by POST", tmp)
    check(b"<record>" in body, "ListRecords by POST lists records")
    ids = []
    for prefix in ["oai_dc", "marc21"]:
        for verb in ["ListIdentifiers", "ListRecords"]:
            q = f"verb={verb}&metadataPrefix={prefix}"
            pages = 0
            while q:
                body = fetch(base, q)
                pages += 1
                validate(xsd, body, f"{verb} {prefix} page {pages}", tmp)
                ids += re.findall(rb"<identifier>([^<]+)</identifier>", body)
                token = re.search(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>", body)
                q = f"verb={verb}&resumptionToken={token.group(1).decode()}" if token else None
            check(pages >= 3, f"{verb} {prefix}: {pages} pages (resumption tokens used)")
    for ident in sorted(set(ids)):
        for prefix in ["oai_dc", "marc21"]:
            validate(xsd, fetch(base, f"verb=GetRecord&identifier={ident.decode()}&metadataPrefix={prefix}"),
                     f"GetRecord {ident.decode()} {prefix}", tmp)
    for q, code in [("verb=Nonsense", "badVerb"), ("verb=ListRecords", "badArgument"),
                    ("verb=ListRecords&metadataPrefix=mods", "cannotDisseminateFormat"),
                    ("verb=ListRecords&resumptionToken=bad", "badResumptionToken"),
                    ("verb=GetRecord&identifier=oai:x:nothing&metadataPrefix=oai_dc", "idDoesNotExist"),
                    ("verb=ListRecords&metadataPrefix=oai_dc&from=2090-01-01", "noRecordsMatch"),
                    ("verb=ListRecords&metadataPrefix=oai_dc&from=yesterday", "badArgument")]:
        body = fetch(base, q)
        validate(xsd, body, f"error {code}", tmp)
        check(f'code="{code}"'.encode() in body, f"{q} answers {code}")
    return sorted(set(i.decode() for i in ids))


def harvest(base, prefix, **kw):
    s = Sickle(f"{base}/oai")
    try:
        return list(s.ListRecords(metadataPrefix=prefix, ignore_deleted=False, **kw))
    except Exception as e:  # noRecordsMatch
        if "noRecordsMatch" in type(e).__name__ or "NoRecordsMatch" in type(e).__name__:
            return []
        raise


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kitep", default=str(ROOT / "target" / "release" / "kitep"))
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kitep-oai-"))
    portal = None
    try:
        xsd = schema(tmp)
        data = tmp / "data"
        lib = tmp / "library"
        shutil.copytree(ROOT / "corpus" / "books", lib)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        portal = start(args.kitep, data, port, lib)
        ids = crawl(base, xsd, tmp)
        check(len(ids) == 6, f"6 items listed ({len(ids)})")
        for prefix in ["oai_dc", "marc21"]:
            recs = harvest(base, prefix)
            check(len(recs) == 6 and all(not r.deleted for r in recs), f"sickle harvests {len(recs)} {prefix} records")
        # Datestamps count whole seconds and `from` includes its second: the first harvest's
        # date is taken a second after the library last changed, as a harvester's would be.
        time.sleep(1.2)
        first = fetch(base, "verb=Identify").decode()
        since = re.search(r"<responseDate>([^<]+)</responseDate>", first).group(1)

        time.sleep(1.2)
        chapter = sorted((lib / "water-cycle-en" / "src").glob("*.md"))[0]
        with open(chapter, "a", encoding="utf-8") as f:
            f.write("\n\nA paragraph added for the incremental harvest.\n")
        portal.terminate()
        portal.wait()
        portal = start(args.kitep, data, port, lib)
        r = subprocess.run([args.kitep, "admin", "withdraw", "--data", str(data), "--reason", "replaced", "ky-reader-3"],
                           capture_output=True, text=True)
        check(r.returncode == 0, f"kitep admin withdraw: {r.stdout.strip()} {r.stderr.strip()}")
        for prefix in ["oai_dc", "marc21"]:
            recs = harvest(base, prefix, **{"from": since})
            got = sorted((r.header.identifier.rsplit(":", 1)[-1], r.deleted) for r in recs)
            check(got == [("ky-reader-3", True), ("water-cycle-en", False)],
                  f"incremental {prefix} harvest from {since} sees exactly the change and the withdrawal: {got}")
        crawl(base, xsd, tmp)
        print(f"OAI-PMH: {failures} failures")
        return 1 if failures else 0
    finally:
        if portal:
            portal.terminate()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
