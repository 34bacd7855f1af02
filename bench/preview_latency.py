#!/usr/bin/env python3
"""`kitep preview`: time from saving one chapter of a 100-chapter book to the new page being served.

The book is generated at run time (100 chapters of prose, lists, a table, formulas and a code
listing each). `kitep preview` runs on it; the script then edits one chapter at a time (a new
sentence with a unique word), and polls that chapter's page every 2 ms until the word is in it.
Prints the median, the 95th percentile and the worst of --edits edits. Goal: <= 200 ms.

Usage: bench/preview_latency.py [--kitep target/release/kitep] [--chapters 100] [--edits 30]
"""
import argparse, pathlib, random, re, statistics, subprocess, sys, tempfile, threading, time, urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent

WORDS = ("тоо суу мөңгү дарыя көл шамал жаан кар күн булут жер асман токой талаа шаар айыл "
         "мектеп китеп окуучу мугалим сабак илим бөлчөк сан эсеп сызык чекит").split()


def chapter(i, rng):
    paras = []
    for _ in range(12):
        paras.append(" ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + ".")
    table = "| а | б |\n|---|---|\n" + "\n".join(f"| {k} | {k * k} |" for k in range(6))
    code = "```python\nfor i in range(10):\n    print(i * i)\n```"
    return (f"# Бап {i}\n\n" + "\n\n".join(paras[:6]) + f"\n\n- биринчи\n- экинчи\n\n{table}\n\n"
            + "Формула: $\\frac{a}{b} + x^2$.\n\n" + code + "\n\n## Бөлүм\n\n" + "\n\n".join(paras[6:]) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kitep", default=str(ROOT / "target" / "release" / "kitep"))
    ap.add_argument("--chapters", type=int, default=100)
    ap.add_argument("--edits", type=int, default=30)
    args = ap.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        book = pathlib.Path(tmp) / "book"
        (book / "src").mkdir(parents=True)
        names = [f"{i:03}-bap.md" for i in range(1, args.chapters + 1)]
        (book / "book.toml").write_text(
            "[book]\ntitle = \"Preview bench\"\nlanguage = \"ky\"\nchapters = [" + ", ".join(f'"{n}"' for n in names) + "]\n",
            encoding="utf-8")
        for i, n in enumerate(names, 1):
            (book / "src" / n).write_text(chapter(i, rng), encoding="utf-8")
        proc = subprocess.Popen([args.kitep, "preview", "--addr", "127.0.0.1:0", str(book)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines = []
        url = None
        deadline = time.time() + 60
        while url is None and time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"http://[0-9.:]+/", line)
            if m:
                url = m.group(0)
        if url is None:
            proc.kill()
            sys.exit("kitep preview did not start:\n" + "".join(lines))
        # Keep reading its output so it never blocks on a full pipe.
        threading.Thread(target=lambda: [lines.append(l) for l in proc.stdout], daemon=True).start()
        first_build = next((l.strip() for l in lines if l.startswith("Rebuilt")), "?")

        def page(name):
            with urllib.request.urlopen(url + name.replace(".md", ".html")) as r:
                return r.read().decode("utf-8")

        times = []
        try:
            for e in range(args.edits):
                n = names[rng.randrange(len(names))]
                word = f"zebra{e}x{rng.randrange(10**6)}"
                p = book / "src" / n
                text = p.read_text(encoding="utf-8") + f"\nЖаңы сүйлөм {word}.\n"
                time.sleep(0.15)  # a pause between saves, as an author makes
                start = time.perf_counter()
                p.write_text(text, encoding="utf-8")
                while word not in page(n):
                    if time.perf_counter() - start > 10:
                        sys.exit(f"edit {e} never showed")
                    time.sleep(0.002)
                times.append((time.perf_counter() - start) * 1000)
        finally:
            proc.terminate()
            proc.wait()
        times.sort()
        rebuilds = [l.strip() for l in lines if l.startswith("Rebuilt")][1:4]
        print(f"book: {args.chapters} chapters; first build: {first_build}")
        print("rebuilds after an edit, as kitep prints them:", *rebuilds, sep="\n  ")
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"save to new page, {len(times)} edits: median {statistics.median(times):.0f} ms, "
              f"p95 {p95:.0f} ms, worst {times[-1]:.0f} ms (goal <= 200 ms)")


if __name__ == "__main__":
    main()
