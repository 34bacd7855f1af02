#!/usr/bin/env python3
"""Builds one large book (150k+ words) with `kitep build` and with pandoc 3, side by side.

The book is assembled at run time from the sample library and, when present, the sentences of the
treebanks in ../shared/data (read, never copied into the repository). Prints wall time and peak
memory of each tool, and the ratios. Usage: bench/build_vs_pandoc.py [--words 150000] [--runs 3]
"""
import argparse, os, pathlib, re, shutil, statistics, subprocess, sys, tempfile, time

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
        words += len(text.split())
        chapters.append(f"c{i:04d}.md")
        (src / chapters[-1]).write_text(text, encoding="utf-8")
        i += 1
    listed = ", ".join(f'"{c}"' for c in chapters)
    (dest / "book.toml").write_text(
        f'[book]\ntitle = "Benchmark"\nlanguage = "ky"\nauthors = ["Kitepkana"]\nchapters = [{listed}]\n', encoding="utf-8")
    return chapters, words


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=150_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--kitep", default=str(ROOT / "target" / "release" / "kitep"))
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
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        book = tmp / "book"
        chapters, words = assemble(book, args.words)
        print(f"book: {len(chapters)} chapters, {words} words (whitespace-separated), "
              f"{sum((book / 'src' / c).stat().st_size for c in chapters) / 1e6:.1f} MB of Markdown")
        kitep_runs = [run([args.kitep, "build", str(book), "-o", str(tmp / "out"), "--format", "epub,html", "-q"]) for _ in range(args.runs)]
        pandoc_cmd = [pandoc, "-f", "markdown", "-t", "epub3", "--resource-path", str(book / "src"),
                      "--metadata", "title=Benchmark", "-o", str(tmp / "pandoc.epub")] + [str(book / "src" / c) for c in chapters]
        pandoc_runs = [run(pandoc_cmd, cwd=book / "src") for _ in range(args.runs)]
    kt, km = statistics.median(r[0] for r in kitep_runs), max(r[1] for r in kitep_runs)
    pt, pm = statistics.median(r[0] for r in pandoc_runs), max(r[1] for r in pandoc_runs)
    print(f"kitep build (EPUB + HTML): {kt:.3f} s, peak {km:.0f} MiB   (median of {args.runs})")
    print(f"pandoc 3 (EPUB only):      {pt:.3f} s, peak {pm:.0f} MiB")
    print(f"speed: kitep is {pt / kt:.1f}x faster (goal >= 30x); memory: {km / pm:.3f} of pandoc's (goal <= 0.10)")


if __name__ == "__main__":
    main()
