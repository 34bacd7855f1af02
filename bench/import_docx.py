#!/usr/bin/env python3
"""Word import, measured: every sample book is turned into a .docx by pandoc (and by LibreOffice
where `soffice` is installed, from pandoc's .odt), imported back with `kitep import docx`, and
compared with the original; pandoc's own DOCX reader reads the same files beside it.

What is counted (on pandoc's reading of each Markdown, so the three sides are counted alike):
words recovered (each word of the original found in the import, counted with multiplicity),
headings, list items, table cells, images, footnotes, equations and language spans.

Each imported book is also checked with `kitep check` (its errors are printed).

Usage: bench/import_docx.py [--kitep target/release/kitep] [--books a,b] [--keep DIR] [--check]
Goal: words recovered >= 99.5 % on every book. --check exits 1 when a book misses it, recovers
fewer of any construct than the original has, or does not pass `kitep check`.
"""
import argparse, collections, json, os, pathlib, re, shutil, subprocess, sys, tempfile, time, tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOOKS = ROOT / "corpus" / "books"


def pandoc_path():
    try:
        import pypandoc
        return pypandoc.get_pandoc_path()
    except Exception:
        p = shutil.which("pandoc")
        if not p:
            sys.exit("pandoc not found: pip install pypandoc_binary")
        return p


def chapters_of(book):
    cfg = tomllib.loads((book / "book.toml").read_text(encoding="utf-8"))["book"]
    src = book / "src" if (book / "src").is_dir() else book
    names = cfg.get("chapters") or sorted(p.name for p in src.glob("*.md") if p.name != "SUMMARY.md")
    return cfg, src, [src / n for n in names]


def pandoc_markdown(text):
    """Our block syntax in the form pandoc's Markdown reads: `::: kind Title` becomes a div of
    class `kind` whose first paragraph is the title; GitHub alerts stay quotes."""
    # Our numbering syntax, as plain pandoc has it: a figure's {#fig:…} is an image attribute and
    # a caption's {#tbl:…} a table attribute (both kept); an equation's label goes, and a
    # reference becomes the word a reader sees.
    text = re.sub(r"\s*\{#eq:[\w-]+\}", "", text)
    text = re.sub(r"\[-@(fig|tbl|eq):[\w-]+\]", "1", text)
    words = {"fig": "Figure", "tbl": "Table", "eq": "Equation"}
    text = re.sub(r"@(fig|tbl|eq):[\w-]+", lambda m: words[m.group(1)], text)
    out = []
    for line in text.splitlines():
        m = re.match(r"^(:{3,})\s*([A-Za-z-]+)\s+(.+)$", line)
        if m:
            out.append(f"{m.group(1)} {{.{m.group(2)}}}")
            out.append("")
            out.append(f"**{m.group(3)}**")
            out.append("")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def ast(pandoc, args, stdin=None):
    r = subprocess.run([pandoc] + args + ["-t", "json"], input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"pandoc {' '.join(args)} failed: {r.stderr[-1000:]}")
    return json.loads(r.stdout)


WORD = re.compile(r"[\w\u0400-\u04FF'’-]+", re.UNICODE)


def count(doc):
    """Counts of what readers notice, from a pandoc AST."""
    c = collections.Counter()
    words = collections.Counter()

    def cells_of_rows(rows):
        n = 0
        for row in rows:
            n += len(row[1])
            for cell in row[1]:
                walk(cell[4])
        return n

    def walk(node):
        if isinstance(node, list):
            for x in node:
                walk(x)
            return
        if not isinstance(node, dict) or "t" not in node:
            return
        t, v = node["t"], node.get("c")
        if t == "Str":
            for w in WORD.findall(v):
                words[w.lower().strip("-'’")] += 1
            return
        if t in ("Code", "CodeBlock"):
            for w in WORD.findall(v[1]):
                words[w.lower().strip("-'’")] += 1
            return
        if t == "Math":
            c["equations"] += 1
            return
        if t in ("RawBlock", "RawInline"):
            if v[0] == "html":
                c["table cells"] += len(re.findall(r"<t[dh][\s>]", v[1]))
                c["language spans"] += len(re.findall(r"<span[^>]*\blang=", v[1]))
                text = re.sub(r"<[^>]*>", " ", v[1])
                for w in WORD.findall(text):
                    words[w.lower().strip("-'’")] += 1
            return
        if t == "Header":
            c["headings"] += 1
            walk(v[2])
            return
        if t in ("BulletList",):
            c["list items"] += len(v)
            walk(v)
            return
        if t == "OrderedList":
            c["list items"] += len(v[1])
            walk(v[1])
            return
        if t == "Image":
            c["images"] += 1
            walk(v[1])
            return
        if t == "Note":
            c["footnotes"] += 1
            walk(v)
            return
        if t in ("Span", "Div"):
            if any(k == "lang" for k, _ in v[0][2]):
                c["language spans"] += 1
            walk(v[1])
            return
        if t == "Table":
            _, caption, _, head, bodies, foot = v
            walk(caption[1])
            n = cells_of_rows(head[1]) + cells_of_rows(foot[1])
            for b in bodies:
                n += cells_of_rows(b[2]) + cells_of_rows(b[3])
            c["table cells"] += n
            return
        walk(v)

    walk(doc["blocks"])
    return c, words


def recovered(ref, got):
    total = sum(ref.values())
    found = sum(min(n, got.get(w, 0)) for w, n in ref.items())
    return 100.0 * found / max(total, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kitep", default=str(ROOT / "target" / "release" / "kitep"))
    ap.add_argument("--books", help="comma-separated sample book folders (default: all)")
    ap.add_argument("--keep", help="keep the .docx files and the imported books here")
    ap.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = ap.parse_args()
    pandoc = pandoc_path()
    soffice = shutil.which("soffice")
    books = sorted(p for p in BOOKS.iterdir() if (p / "book.toml").is_file())
    if args.books:
        books = [b for b in books if b.name in args.books.split(",")]
    tmp = pathlib.Path(args.keep or tempfile.mkdtemp(prefix="kitep-import-"))
    tmp.mkdir(parents=True, exist_ok=True)
    metrics = ["headings", "list items", "table cells", "images", "footnotes", "equations", "language spans"]
    worst = 100.0
    failures = []
    print(f"{'book':28} {'writer':9} {'reader':7} {'words %':>8}  " + "  ".join(f"{m:>9}" for m in ["head", "items", "cells", "images", "notes", "math", "lang"]) + "   time")
    for book in books:
        cfg, src, chapters = chapters_of(book)
        text = "\n\n".join(pandoc_markdown(p.read_text(encoding="utf-8")) for p in chapters)
        lang = cfg.get("language", "en")
        md = tmp / f"{book.name}.md"
        md.write_text(text, encoding="utf-8")
        ref_ast = ast(pandoc, ["-f", "markdown", str(md)])
        ref, ref_words = count(ref_ast)
        docs = []
        docx = tmp / f"{book.name}.pandoc.docx"
        subprocess.run([pandoc, "-f", "markdown", "-t", "docx", "--resource-path", str(src),
                        "--metadata", f"title={cfg['title']}", "--metadata", f"lang={lang}",
                        "-o", str(docx), str(md)], check=True, capture_output=True)
        docs.append(("pandoc", docx))
        if soffice:
            odt = tmp / f"{book.name}.odt"
            subprocess.run([pandoc, "-f", "markdown", "-t", "odt", "--resource-path", str(src),
                            "-o", str(odt), str(md)], check=True, capture_output=True)
            out = tmp / "lo"
            subprocess.run([soffice, "--headless", "--convert-to", "docx", "--outdir", str(out), str(odt)],
                           check=True, capture_output=True)
            docs.append(("LibreOffice", out / f"{book.name}.docx"))
        print(f"{book.name:28} {'original':9} {'':7} {'':>8}  " + "  ".join(f"{ref[m]:>9}" for m in metrics))
        for writer, path in docs:
            dest = tmp / f"{book.name}.{writer}.imported"
            shutil.rmtree(dest, ignore_errors=True)
            t0 = time.perf_counter()
            r = subprocess.run([args.kitep, "import", "docx", str(path), "-o", str(dest)], capture_output=True, text=True)
            kt = time.perf_counter() - t0
            if r.returncode != 0:
                sys.exit(f"kitep import failed on {path}:\n{r.stderr}")
            chk = subprocess.run([args.kitep, "check", str(dest)], capture_output=True, text=True)
            if chk.returncode != 0:
                failures.append(f"{book.name} ({writer}): kitep check fails:\n{chk.stdout[-2000:]}")
            icfg, isrc, ichapters = chapters_of(dest)
            # Chapter by chapter: each numbers its footnotes from 1.
            k, k_words = collections.Counter(), collections.Counter()
            for ch in ichapters:
                c1, w1 = count(ast(pandoc, ["-f", "markdown"], stdin=ch.read_text(encoding="utf-8")))
                k.update(c1)
                k_words.update(w1)
            t0 = time.perf_counter()
            p_ast = ast(pandoc, ["-f", "docx", str(path)])
            pt = time.perf_counter() - t0
            p, p_words = count(p_ast)
            for name, c, w, secs in (("kitep", k, k_words, kt), ("pandoc", p, p_words, pt)):
                rate = recovered(ref_words, w)
                if name == "kitep":
                    worst = min(worst, rate)
                    if rate < 99.5:
                        failures.append(f"{book.name} ({writer}): {rate:.2f} % of the words")
                    for m in metrics:
                        if c[m] < ref[m]:
                            failures.append(f"{book.name} ({writer}): {c[m]} {m} of {ref[m]}")
                print(f"{'':28} {writer:9} {name:7} {rate:8.2f}  " + "  ".join(f"{c[m]:>9}" for m in metrics) + f"   {secs:.2f} s")
    print(f"\nwords recovered by kitep import docx, worst book: {worst:.2f} % (goal >= 99.5 %)")
    if not soffice:
        print("LibreOffice (soffice) is not installed: only pandoc's .docx files were read")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("MISSED:", f)
    if args.check and failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
