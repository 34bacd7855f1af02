#!/usr/bin/env python3
"""Outside check of the portal's OPDS catalogs.

OPDS 2.0: crawls /opds/v2/ (every application/opds+json and application/opds-publication+json
link inside the portal: navigation, groups, facets, paging, and the search template expanded with
a few queries) and validates each document with the OPDS 2.0 JSON Schemas (feed or publication),
resolved from a local registry built from the schema folder (nothing is fetched from the network).

OPDS 1.2: crawls /opds/ (navigation and acquisition Atom feeds inside the portal, plus the
OpenSearch search with the same queries) and validates each feed with `jing -c` against a corrected
temporary copy of opds1/opds.rnc (with atom.rnc beside it).

Every acquisition link (EPUB) found in either catalog is downloaded and checked to be a zip whose
first entry is an uncompressed `mimetype` holding exactly `application/epub+zip`.

    python3 tests/conformance/opds_check.py --base http://127.0.0.1:8080 \
        --schemas ../shared/reference/schemas

Exits 1 on any failure; the last line is `N passed, N failed` (one count per document checked).
"""

import argparse
import collections
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
import xml.etree.ElementTree as ET
import zipfile
import io

from report import print_failures, remove_or_keep

try:
    import jsonschema
    import referencing
    import referencing.exceptions
    from referencing.jsonschema import DRAFT7
except ImportError as e:  # pragma: no cover
    sys.exit(f"opds_check: missing Python package ({e}); see tests/conformance/README.md")

QUERIES = ["окуу", "дробь", "zzqqxx", ""]

OPDS2_FEED = "application/opds+json"
OPDS2_PUB = "application/opds-publication+json"
ATOM = "application/atom+xml"
OPENSEARCH = "application/opensearchdescription+xml"
EPUB = "application/epub+zip"
ACQUISITION_REL = "http://opds-spec.org/acquisition"

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "os": "http://a9.com/-/spec/opensearch/1.1/",
}

FEED_SCHEMA_ID = "https://drafts.opds.io/schema/feed.schema.json"
PUB_SCHEMA_ID = "https://drafts.opds.io/schema/publication.schema.json"

# The broken character class of opds.rnc (see the schema folder's README) and its correction.
RNC_BROKEN = "'.*[ <>{}|^`\"\\nrt].*'"
RNC_FIXED = "'.*[ <>{}|^`\"\\n\\r\\t].*'"


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []  # (where, [details])
        self.keywords = collections.Counter()
        self.examples = collections.defaultdict(list)
        self.docs = collections.defaultdict(set)

    def count(self, key, where):
        self.keywords[key] += 1
        self.docs[key].add(where.split("#")[0].split(" line ")[0])
        if len(self.examples[key]) < 3:
            self.examples[key].append(where)

    def ok(self, what):
        self.passed += 1
        print(f"ok   {what}", flush=True)

    def fail(self, what, details):
        self.failed += 1
        self.failures.append((what, details))
        print(f"FAIL {what} ({len(details)} problem{'s' if len(details) != 1 else ''})", flush=True)


def media_type(value):
    return (value or "").split(";")[0].strip().lower()


# ------------------------------------------------------------------ HTTP


class Fetcher:
    def __init__(self, base, timeout):
        self.base = base.rstrip("/") + "/"
        origin = urllib.parse.urlsplit(self.base)
        self.origin = (origin.scheme, origin.netloc)
        self.timeout = timeout
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def url(self, href, relative_to=None):
        return urllib.parse.urljoin(relative_to or self.base, href)

    def inside(self, url):
        parts = urllib.parse.urlsplit(url)
        return (parts.scheme, parts.netloc) == self.origin

    def get(self, url, accept=None):
        """Returns (status, content-type, body bytes, final url); status 0 on a network error."""
        req = urllib.request.Request(url, headers={"Accept": accept or "*/*", "User-Agent": "kitep-conformance"})
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                return resp.status, resp.headers.get("Content-Type", ""), resp.read(), resp.geturl()
        except urllib.error.HTTPError as e:
            body = e.read() if e.fp else b""
            return e.code, e.headers.get("Content-Type", "") if e.headers else "", body, url
        except Exception as e:  # noqa: BLE001 - every network problem is a failure to report
            return 0, "", str(e).encode(), url


def quote_component(value):
    return urllib.parse.quote(value, safe="-._~")


def expand_template(template, values):
    """A small RFC 6570 expander (levels 1-3, and the `*`-less forms of level 4): enough for
    OPDS search templates like `/opds/v2/search{?query,title}`. Undefined variables vanish."""

    def expand(match):
        expr = match.group(1)
        op = expr[0] if expr and expr[0] in "+#./;?&" else ""
        names = [n.split(":")[0].rstrip("*") for n in (expr[1:] if op else expr).split(",")]
        defined = [(n, values[n]) for n in names if n in values and values[n] is not None]
        if not defined:
            return ""
        enc = (lambda v: urllib.parse.quote(v, safe="-._~:/?#[]@!$&'()*+,;=")) if op in "+#" else quote_component
        if op in "?&":
            first = op
            return first + "&".join(f"{n}={enc(v)}" for n, v in defined)
        if op == ";":
            return "".join(f";{n}" + (f"={enc(v)}" if v else "") for n, v in defined)
        sep = {"": ",", "+": ",", "#": ",", ".": ".", "/": "/"}[op]
        prefix = {"": "", "+": "", "#": "#", ".": ".", "/": "/"}[op]
        return prefix + sep.join(enc(v) for _, v in defined)

    return re.sub(r"\{([^}]*)\}", expand, template)


# ------------------------------------------------------------------ OPDS 2.0 schemas


def rewrite_named_groups(text):
    # ECMAScript `(?<name>` → Python `(?P<name>`; leaves look-behinds `(?<=` `(?<!` alone.
    return re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", text)


def load_registry(schemas_dir):
    resources = []
    ids = {}
    for sub in ("opds2", "webpub"):
        root = os.path.join(schemas_dir, sub)
        if not os.path.isdir(root):
            sys.exit(f"opds_check: no schema folder {root}")
        for dirpath, _, files in os.walk(root):
            for name in sorted(files):
                if not name.endswith(".json"):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    contents = json.loads(rewrite_named_groups(f.read()))
                sid = contents.get("$id")
                if not sid:
                    print(f"warning: {path} has no $id, not registered", file=sys.stderr)
                    continue
                ids[sid] = path
                resources.append((sid, referencing.Resource.from_contents(contents, default_specification=DRAFT7)))

    def no_network(uri):
        raise referencing.exceptions.NoSuchResource(ref=uri)

    registry = referencing.Registry(retrieve=no_network).with_resources(resources)
    for sid, path in ids.items():
        schema = registry.contents(sid)
        jsonschema.Draft7Validator.check_schema(schema)
    return registry, ids


def validator_for(registry, schema_id):
    schema = registry.contents(schema_id)
    return jsonschema.Draft7Validator(
        schema, registry=registry, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def describe_error(err, depth=0):
    """One line per error: instance path, the schema keyword path, the message. For
    anyOf/oneOf, the deepest alternative's errors are added below (indented)."""
    inst = "/" + "/".join(str(p) for p in err.absolute_path)
    schema_path = "/".join(str(p) for p in err.absolute_schema_path)
    where = err.schema.get("$id", "") if isinstance(err.schema, dict) else ""
    msg = err.message
    if len(msg) > 240:
        msg = msg[:240] + "…"
    note = err.schema.get("description") if isinstance(err.schema, dict) and err.validator in ("contains", "allOf", "anyOf", "oneOf", "not") else None
    lines = [f"{'  ' * depth}instance {inst} | keyword {err.validator} | schema path {schema_path}"
             + (f" ({where})" if where else "") + f" | {msg}" + (f" | schema: {note}" if note else "")]
    if err.context and depth < 2:
        best = jsonschema.exceptions.best_match(err.context)
        if best is not None:
            lines.extend(describe_error(best, depth + 1))
    return lines


def iter_links(node, path="#"):
    """Every object with an `href` anywhere in the document, with its JSON path."""
    if isinstance(node, dict):
        if isinstance(node.get("href"), str):
            yield path, node
        for k, v in node.items():
            yield from iter_links(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from iter_links(v, f"{path}/{i}")


def check_opds2(fetch, registry, report, epubs, max_docs):
    feed_v = validator_for(registry, FEED_SCHEMA_ID)
    pub_v = validator_for(registry, PUB_SCHEMA_ID)
    start = fetch.url("opds/v2/")
    queue = collections.deque([(start, OPDS2_FEED, "start")])
    seen = {start}
    templates_done = set()
    count = 0
    while queue:
        url, declared, via = queue.popleft()
        count += 1
        if count > max_docs:
            report.fail(f"OPDS2 crawl", [f"more than {max_docs} documents; stopped at {url}"])
            break
        what = f"OPDS2 {url}"
        status, ctype, body, final = fetch.get(url, accept=f"{declared}, application/json;q=0.5")
        problems = []
        if status != 200:
            report.fail(what, [f"HTTP {status} (linked from {via}); body: {body[:300]!r}"])
            continue
        served = media_type(ctype)
        if served not in (OPDS2_FEED, OPDS2_PUB, "application/json"):
            problems.append(f"content-type {ctype!r}, linked as {declared!r}")
        elif served != declared and served != "application/json":
            problems.append(f"content-type {ctype!r} but linked as {declared!r} (from {via})")
        try:
            doc = json.loads(body.decode("utf-8"))
        except Exception as e:  # noqa: BLE001
            report.fail(what, problems + [f"not JSON: {e}"])
            continue
        # Pick the schema: the served media type first, then the link's, then the structure.
        kind = served if served in (OPDS2_FEED, OPDS2_PUB) else declared
        if kind not in (OPDS2_FEED, OPDS2_PUB):
            kind = OPDS2_FEED if any(k in doc for k in ("navigation", "publications", "groups")) else OPDS2_PUB
        v = feed_v if kind == OPDS2_FEED else pub_v
        schema_name = "feed" if kind == OPDS2_FEED else "publication"
        try:
            errors = sorted(v.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
        except referencing.exceptions.Unresolvable as e:
            report.fail(what, problems + [f"schema reference not in the local registry: {e}"])
            continue
        for err in errors:
            report.count(("OPDS2 " + schema_name, err.validator, "/".join(map(str, err.absolute_schema_path))),
                         f"{url}#/" + "/".join(map(str, err.absolute_path)))
            problems.extend(describe_error(err))
        # Links to follow.
        for jpath, link in iter_links(doc):
            ltype = media_type(link.get("type"))
            href = link["href"]
            rel = link.get("rel")
            rels = rel if isinstance(rel, list) else [rel]
            if link.get("templated"):
                if ltype in (OPDS2_FEED, OPDS2_PUB):
                    target = fetch.url(href, final)
                    if not fetch.inside(target.split("{")[0] or final):
                        continue
                    if href in templates_done:
                        continue
                    templates_done.add(href)
                    names = re.findall(r"\{[?&/;.#+]?([^}]*)\}", href)
                    varnames = [n.split(":")[0].rstrip("*") for grp in names for n in grp.split(",")]
                    if not varnames:
                        problems.append(f"{jpath}: templated link without variables: {href}")
                        continue
                    # `query` is OPDS's search variable; if absent, fill the first variable.
                    var = "query" if "query" in varnames else varnames[0]
                    for q in QUERIES:
                        target = fetch.url(expand_template(href, {var: q}), final)
                        if target not in seen:
                            seen.add(target)
                            queue.append((target, ltype, f"{url} {jpath} with {var}={q!r}"))
                continue
            target = fetch.url(href, final)
            if not fetch.inside(target):
                continue
            if ltype in (OPDS2_FEED, OPDS2_PUB):
                target = target.split("#")[0]
                if target not in seen:
                    seen.add(target)
                    queue.append((target, ltype, f"{url} {jpath}"))
            elif any(isinstance(r, str) and r.startswith(ACQUISITION_REL) for r in rels) or ltype == EPUB:
                epubs.setdefault(target, (ltype, f"OPDS2 {url} {jpath}"))
        if problems:
            report.fail(what + f" [{schema_name} schema]", problems)
        else:
            report.ok(what + f" [{schema_name} schema]")


# ------------------------------------------------------------------ OPDS 1.2


def corrected_rnc(schemas_dir, tmp):
    src = os.path.join(schemas_dir, "opds1")
    with open(os.path.join(src, "opds.rnc"), encoding="utf-8") as f:
        text = f.read()
    if RNC_BROKEN in text:
        text = text.replace(RNC_BROKEN, RNC_FIXED, 1)
    elif RNC_FIXED not in text:
        print("warning: opds.rnc: the URI pattern to correct was not found; validating as is", file=sys.stderr)
    out = os.path.join(tmp, "rnc")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "opds.rnc"), "w", encoding="utf-8") as f:
        f.write(text)
    shutil.copyfile(os.path.join(src, "atom.rnc"), os.path.join(out, "atom.rnc"))
    return os.path.join(out, "opds.rnc")


def check_opds1(fetch, schemas_dir, tmp, report, epubs, max_docs):
    rnc = corrected_rnc(schemas_dir, tmp)
    start = fetch.url("opds/")
    queue = collections.deque([(start, "start")])
    seen = {start}
    saved = []  # (file, url, problems)
    opensearch_done = set()
    count = 0
    while queue:
        url, via = queue.popleft()
        count += 1
        if count > max_docs:
            report.fail("OPDS1 crawl", [f"more than {max_docs} documents; stopped at {url}"])
            break
        what = f"OPDS1 {url}"
        status, ctype, body, final = fetch.get(url, accept=ATOM)
        if status != 200:
            report.fail(what, [f"HTTP {status} (linked from {via}); body: {body[:300]!r}"])
            continue
        problems = []
        if media_type(ctype) != ATOM:
            problems.append(f"content-type {ctype!r}, expected {ATOM}")
        try:
            root = ET.fromstring(body)
        except ET.ParseError as e:
            report.fail(what, problems + [f"not well-formed XML: {e}"])
            continue
        path = os.path.join(tmp, "opds1", f"feed-{len(saved):04d}.xml")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(body)
        saved.append((path, url, problems))
        for link in root.iter(f"{{{NS['atom']}}}link"):
            href = link.get("href")
            if not href:
                continue
            ltype = link.get("type", "")
            rel = link.get("rel", "alternate")
            target = fetch.url(href, final)
            if not fetch.inside(target):
                continue
            if media_type(ltype) == ATOM:
                target = target.split("#")[0]
                if target not in seen:
                    seen.add(target)
                    queue.append((target, url))
            elif media_type(ltype) == OPENSEARCH or (rel == "search" and media_type(ltype) != "text/html"):
                if target in opensearch_done:
                    continue
                opensearch_done.add(target)
                for t, q in opensearch_searches(fetch, target, url, report):
                    if t not in seen:
                        seen.add(t)
                        queue.append((t, f"OpenSearch {target} with q={q!r}"))
            elif rel.startswith(ACQUISITION_REL) or media_type(ltype) == EPUB:
                epubs.setdefault(target, (media_type(ltype), f"OPDS1 {url}"))

    # One jing run for all feeds (one JVM start).
    if not saved:
        return
    jing = shutil.which("jing")
    if not jing:
        report.fail("OPDS1 jing", ["jing is not installed (apt-get install jing)"])
        return
    proc = subprocess.run([jing, "-c", rnc] + [p for p, _, _ in saved], capture_output=True, text=True, timeout=300)
    by_file = collections.defaultdict(list)
    url_of = {p: u for p, u, _ in saved}
    other = []
    for line in (proc.stdout + proc.stderr).splitlines():
        m = re.match(r"^(.*?):(\d+):(\d+): (error|fatal|warning): (.*)$", line)
        if m and any(m.group(1) == p for p, _, _ in saved):
            by_file[m.group(1)].append(f"line {m.group(2)} col {m.group(3)}: {m.group(4)}: {m.group(5)}")
            report.count(("OPDS1 jing", m.group(5)[:160], ""), f"{url_of.get(m.group(1))} line {m.group(2)}")
        elif line.strip() and not line.startswith("[warning] /usr/bin/jing"):
            other.append(line)
    if proc.returncode not in (0, 1) or (other and not by_file and proc.returncode != 0):
        report.fail("OPDS1 jing run", [f"jing exit {proc.returncode}"] + other[:20])
    for path, url, problems in saved:
        errs = problems + by_file.get(path, [])
        if errs:
            report.fail(f"OPDS1 {url} [opds.rnc, saved as {os.path.basename(path)}]", errs)
        else:
            report.ok(f"OPDS1 {url} [opds.rnc]")


def opensearch_searches(fetch, url, via, report):
    status, ctype, body, final = fetch.get(url, accept=OPENSEARCH)
    what = f"OpenSearch {url}"
    if status != 200:
        report.fail(what, [f"HTTP {status} (linked from {via})"])
        return []
    problems = []
    if media_type(ctype) != OPENSEARCH:
        problems.append(f"content-type {ctype!r}, expected {OPENSEARCH}")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        report.fail(what, problems + [f"not well-formed XML: {e}"])
        return []
    out = []
    templates = [u for u in root.findall("os:Url", NS) if media_type(u.get("type")) == ATOM]
    if not templates:
        problems.append("no <Url> of type application/atom+xml (OPDS search)")
    for u in templates:
        tpl = u.get("template", "")
        if "{searchTerms}" not in tpl:
            problems.append(f"template without {{searchTerms}}: {tpl}")
            continue
        for q in QUERIES:
            t = tpl.replace("{searchTerms}", quote_component(q))
            # Optional parameters `{name?}` are left empty; required others get their defaults.
            t = re.sub(r"\{[^}]*\?\}", "", t)
            t = t.replace("{startPage}", "1").replace("{startIndex}", "1").replace("{count}", "20")
            t = re.sub(r"\{[^}]*\}", "", t)
            target = fetch.url(t, final)
            if not fetch.inside(target):
                problems.append(f"search template points outside the portal: {tpl}")
                break
            out.append((target, q))
    if problems:
        report.fail(what, problems)
    else:
        report.ok(what)
    return out


# ------------------------------------------------------------------ EPUB downloads


def check_epub_bytes(body):
    problems = []
    if not body.startswith(b"PK\x03\x04"):
        return [f"not a zip (starts with {body[:8]!r})"]
    method = int.from_bytes(body[8:10], "little")
    name_len = int.from_bytes(body[26:28], "little")
    extra_len = int.from_bytes(body[28:30], "little")
    first = body[30:30 + name_len]
    if first != b"mimetype":
        problems.append(f"first zip entry is {first!r}, not 'mimetype'")
    if method != 0:
        problems.append(f"mimetype entry is compressed (method {method}), must be stored")
    if extra_len != 0:
        problems.append(f"mimetype entry has a {extra_len}-byte extra field (EPUB OCF: none)")
    try:
        z = zipfile.ZipFile(io.BytesIO(body))
        bad = z.testzip()
        if bad:
            problems.append(f"zip CRC error in {bad}")
        infos = z.infolist()
        if infos and infos[0].filename == "mimetype":
            content = z.read("mimetype")
            if content != b"application/epub+zip":
                problems.append(f"mimetype content is {content!r}")
        if "META-INF/container.xml" not in z.namelist():
            problems.append("no META-INF/container.xml")
    except zipfile.BadZipFile as e:
        problems.append(f"bad zip: {e}")
    return problems


def check_epubs(fetch, epubs, report):
    for url, (declared, via) in sorted(epubs.items()):
        status, ctype, body, final = fetch.get(url, accept=EPUB)
        what = f"EPUB {url}"
        if status != 200:
            report.fail(what, [f"HTTP {status} (from {via}); body: {body[:200]!r}"])
            continue
        problems = []
        if media_type(ctype) != EPUB:
            problems.append(f"content-type {ctype!r}, expected {EPUB}")
        if declared and declared != EPUB:
            problems.append(f"acquisition link type {declared!r} (from {via})")
        problems += check_epub_bytes(body)
        if problems:
            report.fail(what, problems)
        else:
            report.ok(what + f" ({len(body)} bytes)")


# ------------------------------------------------------------------ main


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_schemas = os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "reference", "schemas"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="portal base URL, e.g. http://127.0.0.1:8080")
    ap.add_argument("--schemas", default=default_schemas, help=f"schema folder (default {default_schemas})")
    ap.add_argument("--timeout", type=float, default=30, help="seconds per HTTP request")
    ap.add_argument("--max-docs", type=int, default=500, help="crawl bound per catalog")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (saved feeds, schema copy)")
    args = ap.parse_args()

    report = Report()
    fetch = Fetcher(args.base, args.timeout)
    tmp = tempfile.mkdtemp(prefix="kitep-opds-")
    try:
        registry, ids = load_registry(args.schemas)
        print(f"loaded {len(ids)} schemas into the local registry", flush=True)
        missing = [f for f in ("uri", "uri-reference", "uri-template", "date", "date-time", "email")
                   if f not in jsonschema.Draft7Validator.FORMAT_CHECKER.checkers]
        if missing:
            print(f"warning: formats not checked: {', '.join(missing)} "
                  "(pip install 'jsonschema[format-nongpl]')", flush=True)
        epubs = {}
        check_opds2(fetch, registry, report, epubs, args.max_docs)
        check_opds1(fetch, args.schemas, tmp, report, epubs, args.max_docs)
        if not epubs:
            report.fail("EPUB", ["no acquisition links found in either catalog"])
        check_epubs(fetch, epubs, report)
    finally:
        remove_or_keep(tmp, args.keep)

    if report.failures:
        print_failures(report.failures, most=60)
        print("\n==== errors by schema keyword (count, documents, where, examples)")
        for key, n in report.keywords.most_common():
            cat, kw, spath = key
            print(f"{n:5d} errors in {len(report.docs[key]):3d} documents  {cat}: {kw}" + (f"  at {spath}" if spath else ""))
            for ex in report.examples[key]:
                print(f"        e.g. {ex}")
    print(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
