#!/usr/bin/env python3
"""Builds three books with `kitep build` (EPUB + HTML) and with pandoc 3 (EPUB), side by side.

- text: one large book (150k+ words) assembled from the sample library and, when present, the
  sentences of the treebanks in ../shared/data (read, never copied into the repository);
- listings: 104 mdBook chapters, each with code listings pulled in by `{{#include}}` from hundreds
  of small files (slices of this repository's own Rust sources); pandoc, which has no includes, gets
  the same chapters with the includes expanded beforehand (not timed);
- images: 25 chapters with screenshot-like PNGs (palette and RGB, some with metadata, some wider
  than a page) and SVG diagrams, all drawn by this script.

Every book is generated at run time. For each: a first build into an empty output folder, and a
rebuild after a text change (one chapter edited) into the previous output. Prints wall time and
peak memory of each tool (medians of --runs), and the ratios.
Usage: bench/build_vs_pandoc.py [--words 150000] [--runs 3] [--books text,listings,images]
"""
import argparse, os, pathlib, random, re, shutil, statistics, struct, subprocess, sys, tempfile, time, zlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def run(cmd, cwd=None):
    """Runs cmd, returns (seconds, peak RSS in MiB). Peak memory comes from GNU time when present:
    wait4's ru_maxrss would also count the forked Python interpreter before exec."""
    if GNU_TIME:
        cmd = [GNU_TIME, "-f", "KITEP-BENCH-RSS %M"] + cmd
    # stderr goes to a file: a pipe that nobody reads would block a chatty tool (pandoc warns a lot).
    with tempfile.TemporaryFile() as errfile:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errfile)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        errfile.seek(0)
        err = errfile.read().decode(errors="replace")
    if status != 0:
        sys.exit(f"{cmd[0]} failed ({status}):\n{err[-2000:]}")
    rss_kb = usage.ru_maxrss
    for line in err.splitlines():
        if line.startswith("KITEP-BENCH-RSS "):
            rss_kb = int(line.split()[1])
    return elapsed, rss_kb / 1024


def treebank_chapters():
    """Chapters of plain sentences from the shared treebanks, ten sentences a paragraph."""
    out = []
    for conllu in sorted(SHARED.glob("ud/*/*.conllu")):
        sents = [l[len("# text = "):].strip() for l in conllu.read_text(encoding="utf-8").splitlines() if l.startswith("# text = ")]
        for part in range(0, len(sents), 400):
            chunk = sents[part:part + 400]
            paras = [" ".join(chunk[i:i + 10]) for i in range(0, len(chunk), 10)]
            out.append(f"# {conllu.stem} {part // 400 + 1}\n\n" + "\n\n".join(paras) + "\n")
    return out


def assemble(dest, target_words):
    src = dest / "src"
    (src / "images").mkdir(parents=True)
    sample_chapters = []
    for book in sorted((ROOT / "corpus" / "books").iterdir()):
        if not (book / "book.toml").exists():
            continue
        for img in (book / "src" / "images").glob("*"):
            shutil.copy(img, src / "images" / f"{book.name}-{img.name}")
        for md in sorted((book / "src").glob("*.md")):
            if md.name == "SUMMARY.md":
                continue
            text = md.read_text(encoding="utf-8")
            # Point images at the merged folder; drop cross-chapter links (the chapters are renamed).
            text = re.sub(r"\]\(images/", f"](images/{book.name}-", text)
            text = re.sub(r"\]\(([0-9a-z-]+)\.md(#[^)]*)?\)", r"](#)", text)
            sample_chapters.append(text)
    pool = sample_chapters + treebank_chapters()
    chapters, words, i = [], 0, 0
    while words < target_words:
        text = pool[i % len(pool)]
        # A chapter used again gets labels of its own (a label names one item in the book).
        text = re.sub(r"([{]#|@)(fig|tbl|eq):([\w-]+)", lambda m: f"{m.group(1)}{m.group(2)}:{m.group(3)}-{i}", text)
        words += len(text.split())
        chapters.append(f"c{i:04d}.md")
        (src / chapters[-1]).write_text(text, encoding="utf-8")
        i += 1
    listed = ", ".join(f'"{c}"' for c in chapters)
    (dest / "book.toml").write_text(
        f'[book]\ntitle = "Benchmark"\nlanguage = "ky"\nauthors = ["Kitepkana"]\nchapters = [{listed}]\n', encoding="utf-8")
    return chapters, words


# ---- The listings book: many chapters, code included from many small files ----

def listing_sources():
    """Slices of 12-40 lines of this repository's own Rust sources: realistic code, our own."""
    files = sorted(p for p in ROOT.glob("*/src/**/*.rs"))
    slices = []
    for f in files:
        lines = f.read_text(encoding="utf-8").splitlines()
        i = 0
        while i + 12 < len(lines):
            n = 12 + (len(slices) * 7) % 29
            text = "\n".join(lines[i:i + n]) + "\n"
            if "{{" not in text:  # the include parser's own tests hold directives
                slices.append(text)
            i += n
    return slices


def prose_paragraphs():
    """Paragraphs of the sample books (headings, images and blocks left out)."""
    paras = []
    for md in sorted((ROOT / "corpus" / "books").glob("*/src/*.md")):
        if md.name == "SUMMARY.md":
            continue
        for block in md.read_text(encoding="utf-8").split("\n\n"):
            b = block.strip()
            if len(b) > 80 and b[0].isalpha() and "{{" not in b and "](" not in b and ":::" not in b and "$" not in b:
                paras.append(b)
    return paras


def assemble_listings(dest, chapters=104, per_chapter=5):
    src = dest / "src"
    (src / "listings").mkdir(parents=True)
    code, paras = listing_sources(), prose_paragraphs()
    summary, names, k = ["# Summary\n"], [], 0
    for c in range(chapters):
        name = f"ch{c:03d}.md"
        body = [f"# Chapter {c + 1}: part {c % 7 + 1} of the guide\n"]
        for j in range(per_chapter):
            lfile = f"listings/ch{c:03d}/l{j}.rs"
            (src / lfile).parent.mkdir(exist_ok=True)
            (src / lfile).write_text(code[k % len(code)], encoding="utf-8")
            k += 1
            body.append(f"## Step {j + 1}\n\n{paras[(c * per_chapter + j) % len(paras)]}\n")
            if j % 3 == 2:
                n = code[(k - 1) % len(code)].count("\n")
                body.append(f"The lines that matter:\n\n```rust\n{{{{#include {lfile}:2:{max(2, n // 2)}}}}}\n```\n")
            else:
                body.append(f"Listing {c + 1}-{j + 1}:\n\n```rust\n{{{{#include {lfile}}}}}\n```\n")
            body.append(f"{paras[(c * per_chapter + j + 3) % len(paras)]}\n")
        (src / name).write_text("\n".join(body), encoding="utf-8")
        summary.append(f"- [Chapter {c + 1}]({name})")
        names.append(name)
    (src / "SUMMARY.md").write_text("\n".join(summary) + "\n", encoding="utf-8")
    (dest / "book.toml").write_text(
        '[book]\ntitle = "Listings"\nlanguage = "en"\nauthors = ["Kitepkana"]\nsrc = "src"\n', encoding="utf-8")
    return names, k


INCLUDE = re.compile(r"\{\{#include ([^:}]+)(?::(\d+):(\d+))?\}\}")


def expand_includes(src, names, out):
    """The chapters with mdBook includes expanded, for pandoc (whole files and line ranges only)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        def repl(m):
            lines = (src / m.group(1)).read_text(encoding="utf-8").splitlines()
            if m.group(2):
                lines = lines[int(m.group(2)) - 1:int(m.group(3))]
            return "\n".join(lines)
        (out / name).write_text(INCLUDE.sub(repl, (src / name).read_text(encoding="utf-8")), encoding="utf-8")


# ---- The image-heavy book: screenshots drawn as PNG, diagrams written as SVG ----

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def screenshot(rng, w, h, palette, metadata, level):
    """A UI-like picture: a title bar, panels, buttons and lines of glyph-like marks, as PNG bytes
    (colour type 3 with a palette, or 2, RGB). `metadata` adds text chunks, as screenshot tools do."""
    colours = [(246, 247, 249), (255, 255, 255), (40, 44, 52), (66, 133, 244), (220, 224, 230),
               (30, 30, 30), (120, 120, 120), (52, 168, 83), (234, 67, 53), (251, 188, 5)]
    bpp = 1 if palette else 3
    px = [bytes([i]) if palette else bytes(colours[i]) for i in range(len(colours))]
    rows = [bytearray(px[0] * w) for _ in range(h)]

    def rect(x0, y0, x1, y1, c):
        x0, x1, y0, y1 = max(0, x0), min(w, x1), max(0, y0), min(h, y1)
        if x1 > x0:
            for y in range(y0, y1):
                rows[y][x0 * bpp:x1 * bpp] = px[c] * (x1 - x0)

    glyphs = [[[rng.random() < 0.45 for _ in range(5)] for _ in range(8)] for _ in range(40)]
    # RGB shots have anti-aliased text: the marks come in several shades, as real screenshots do.
    shades = [px[5]] if palette else [bytes((v, v, v + 8)) for v in range(20, 200, 12)]
    rect(0, 0, w, 36, 2)
    for i in range(4):
        rect(12 + i * 22, 12, 24 + i * 22, 24, 7 + i % 3)
    side = w // 5
    rect(0, 36, side, h, 4)
    y = 50
    while y + 20 < h:  # a sidebar menu
        rect(12, y, 12 + rng.randrange(side // 3, side - 24), y + 8, 6)
        y += 26
    x0 = side + 24
    y = 60
    while y + 40 < h:
        kind = rng.random()
        if kind < 0.15:  # a button row
            for b in range(rng.randrange(1, 4)):
                bx = x0 + b * 130
                rect(bx, y, bx + 110, y + 30, 3)
                rect(bx + 20, y + 12, bx + 90, y + 18, 1)
            y += 46
        elif kind < 0.25:  # a panel
            ph = rng.randrange(60, 160)
            rect(x0, y, w - 24, y + ph, 1)
            rect(x0, y, w - 24, y + 2, 4)
            y += ph + 16
        else:  # a line of text: glyphs stamped with random gaps
            x = x0
            end = rng.randrange(x0 + 100, w - 24)
            ink = shades if rng.random() < 0.8 else [px[3]]
            while x + 6 < end:
                if rng.random() < 0.15:
                    x += 6
                    continue
                g = glyphs[rng.randrange(len(glyphs))]
                for gy, row in enumerate(g):
                    for gx, on in enumerate(row):
                        if on:
                            rows[y + gy][(x + gx) * bpp:(x + gx + 1) * bpp] = ink[rng.randrange(len(ink))]
                x += 7
            y += 18
    out = bytearray(b"\x89PNG\r\n\x1a\n")
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3 if palette else 2, 0, 0, 0))
    if palette:
        out += png_chunk(b"PLTE", b"".join(bytes(c) for c in colours))
    if metadata:
        out += png_chunk(b"tEXt", b"Software\x00Kitepkana bench screenshot tool 1.0")
        out += png_chunk(b"tEXt", b"Comment\x00" + b"captured on a school laptop; " * 40)
        out += png_chunk(b"pHYs", struct.pack(">IIB", 3780, 3780, 1))
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    out += png_chunk(b"IDAT", zlib.compress(raw, level))
    out += png_chunk(b"IEND", b"")
    return bytes(out)


def diagram(rng, n):
    """A box-and-arrow diagram with labels, as SVG text."""
    w, h = 640, 360
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
             f'<title>Diagram {n}</title>', '<rect width="100%" height="100%" fill="#fdfdfd"/>']
    boxes = []
    for i in range(rng.randrange(4, 9)):
        x, y = 20 + (i % 4) * 155, 30 + (i // 4) * 170 + rng.randrange(0, 40)
        boxes.append((x, y))
        parts.append(f'<g class="node"><rect x="{x}" y="{y}" width="120" height="56" rx="8" fill="#e8f0fe" stroke="#4285f4" stroke-width="2"/>'
                     f'<text x="{x + 60}" y="{y + 33}" font-family="sans-serif" font-size="14" text-anchor="middle">step {n}.{i + 1}</text></g>')
    for (a, b) in zip(boxes, boxes[1:]):
        parts.append(f'<path d="M{a[0] + 120},{a[1] + 28} C{a[0] + 140},{a[1] + 28} {b[0] - 20},{b[1] + 28} {b[0]},{b[1] + 28}" '
                     'fill="none" stroke="#333" stroke-width="1.5" marker-end="url(#arrow)"/>')
    parts.append("</svg>\n")
    return "\n".join(parts)


def assemble_images(dest, chapters=25, pngs=48, svgs=60):
    src = dest / "src"
    (src / "images").mkdir(parents=True)
    rng = random.Random(7)
    paras = prose_paragraphs()
    images = []
    for i in range(pngs):
        palette = i % 2 == 0
        w = rng.choice([800, 960, 1024, 1280, 1440])
        h = rng.choice([600, 720, 900])
        # Palette shots are written tight (as an optimiser leaves them); RGB ones fast, with metadata.
        data = screenshot(rng, w, h, palette, metadata=i % 3 == 1, level=9 if palette else 3)
        (src / "images" / f"shot-{i:02d}.png").write_bytes(data)
        images.append(f"shot-{i:02d}.png")
    for i in range(svgs):
        (src / "images" / f"diagram-{i:02d}.svg").write_text(diagram(rng, i), encoding="utf-8")
        images.append(f"diagram-{i:02d}.svg")
    names = []
    per = (len(images) + chapters - 1) // chapters
    for c in range(chapters):
        body = [f"# Lesson {c + 1}\n"]
        for j, img in enumerate(images[c * per:(c + 1) * per]):
            body.append(f"{paras[(c * per + j) % len(paras)]}\n\n![Figure {c + 1}.{j + 1}](images/{img})\n")
        names.append(f"lesson{c:02d}.md")
        (src / names[-1]).write_text("\n".join(body), encoding="utf-8")
    listed = ", ".join(f'"{n}"' for n in names)
    (dest / "book.toml").write_text(
        f'[book]\ntitle = "Screenshots"\nlanguage = "en"\nauthors = ["Kitepkana"]\nchapters = [{listed}]\n', encoding="utf-8")
    total = sum(p.stat().st_size for p in (src / "images").iterdir())
    return names, pngs, svgs, total


# ---- Running and reporting ----

def bench_book(label, book, chapters, pandoc_src, pandoc, kitep, runs, tmp, title):
    """First build into an empty folder and rebuild after a text change, for both tools."""
    out = tmp / f"out-{label}"
    kitep_cmd = [kitep, "build", str(book), "-o", str(out), "--format", "epub,html", "-q"]
    pandoc_cmd = [pandoc, "-f", "markdown", "-t", "epub3", "--resource-path", str(pandoc_src),
                  "--metadata", f"title={title}", "-o", str(tmp / f"pandoc-{label}.epub")] + [str(pandoc_src / c) for c in chapters]
    first, rebuild, pandoc_runs = [], [], []
    edited = [book / "src" / chapters[len(chapters) // 2]]
    if pandoc_src != book / "src":
        edited.append(pandoc_src / chapters[len(chapters) // 2])
    for r in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        first.append(run(kitep_cmd))
        for e in edited:  # a text change: one chapter gets a new paragraph
            with open(e, "a", encoding="utf-8") as f:
                f.write(f"\n\nA sentence added for rebuild {r}.\n")
        rebuild.append(run(kitep_cmd))
        pandoc_runs.append(run(pandoc_cmd, cwd=pandoc_src))
    med = lambda rs: (statistics.median(x[0] for x in rs), max(x[1] for x in rs))
    (ft, fm), (rt, rm), (pt, pm) = med(first), med(rebuild), med(pandoc_runs)
    print(f"  pandoc 3 (EPUB only):              {pt:7.3f} s, peak {pm:5.0f} MiB")
    print(f"  kitep first build (EPUB + HTML):   {ft:7.3f} s, peak {fm:5.0f} MiB   "
          f"{pt / ft:5.1f}x faster, {fm / pm:.2f} of pandoc's memory")
    print(f"  kitep rebuild after a text edit:   {rt:7.3f} s, peak {rm:5.0f} MiB   "
          f"{pt / rt:5.1f}x faster, {rm / pm:.2f} of pandoc's memory")
    return {"book": label, "pandoc_s": pt, "pandoc_mib": pm, "first_s": ft, "first_mib": fm, "rebuild_s": rt, "rebuild_mib": rm}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=150_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--books", default="text,listings,images")
    ap.add_argument("--kitep", default=str(ROOT / "target" / "release" / "kitep"))
    ap.add_argument("--keep", help="write the generated books into this folder and keep them")
    args = ap.parse_args()
    try:
        import pypandoc
        pandoc = pypandoc.get_pandoc_path()
    except Exception:
        pandoc = shutil.which("pandoc")
    if not pandoc:
        sys.exit("pandoc not found: pip install pypandoc_binary")
    if not pathlib.Path(args.kitep).exists():
        sys.exit(f"{args.kitep} not found: cargo build --release --bin kitep")
    wanted = [b.strip() for b in args.books.split(",") if b.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(args.keep) if args.keep else pathlib.Path(tmp)
        tmp.mkdir(parents=True, exist_ok=True)
        if "text" in wanted:
            book = tmp / "text"
            shutil.rmtree(book, ignore_errors=True)
            chapters, words = assemble(book, args.words)
            print(f"text book: {len(chapters)} chapters, {words} words (whitespace-separated), "
                  f"{sum((book / 'src' / c).stat().st_size for c in chapters) / 1e6:.1f} MB of Markdown")
            bench_book("text", book, chapters, book / "src", pandoc, args.kitep, args.runs, tmp, "Benchmark")
            # The print edition of the same book, typeset by Typst inside kitep.
            pdf_runs = []
            for _ in range(args.runs):
                out = tmp / "out-text-pdf"
                shutil.rmtree(out, ignore_errors=True)
                pdf_runs.append(run([args.kitep, "build", str(book), "-o", str(out), "--format", "pdf", "-q"]))
            pt = statistics.median(x[0] for x in pdf_runs)
            pm = max(x[1] for x in pdf_runs)
            pages = "?"
            try:
                info = subprocess.run(["pdfinfo", str(next((tmp / "out-text-pdf").glob("*.pdf")))],
                                      capture_output=True, text=True).stdout
                pages = re.search(r"Pages:\s+(\d+)", info).group(1)
            except Exception:
                pass
            print(f"  kitep print edition (PDF, {pages} pages): {pt:7.3f} s, peak {pm:5.0f} MiB")
        if "listings" in wanted:
            book = tmp / "listings"
            shutil.rmtree(book, ignore_errors=True)
            chapters, listings = assemble_listings(book)
            expanded = tmp / "listings-expanded"
            shutil.rmtree(expanded, ignore_errors=True)
            expand_includes(book / "src", chapters, expanded)
            print(f"listings book: {len(chapters)} chapters (mdBook SUMMARY.md), {listings} listings included from as many files")
            bench_book("listings", book, chapters, expanded, pandoc, args.kitep, args.runs, tmp, "Listings")
        if "images" in wanted:
            book = tmp / "images"
            shutil.rmtree(book, ignore_errors=True)
            chapters, pngs, svgs, total = assemble_images(book)
            print(f"images book: {len(chapters)} chapters, {pngs} screenshot PNGs and {svgs} SVG diagrams, {total / 1e6:.1f} MB of images")
            bench_book("images", book, chapters, book / "src", pandoc, args.kitep, args.runs, tmp, "Screenshots")
    print("goals: >= 10x pandoc and <= 1/3 of its memory on a first build of the images book; "
          ">= 30x on rebuilds and on the listings book")


if __name__ == "__main__":
    main()
