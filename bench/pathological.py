#!/usr/bin/env python3
"""Release-build timings of `kitep build` on the known pathological Markdown inputs
(../shared/reference/THREATS.md B23-B28). Each must finish in about a second or be refused with a
clear error. Usage: bench/pathological.py [--kitep target/release/kitep]"""
import argparse, pathlib, subprocess, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASES = {
    "B23 [a](<b x50000": "[a](<b" * 50000,
    "B23 [ (]( x40000": "[ (](" * 40000,
    "B23 a*** x80000": "a***" * 80000,
    "B23 '* ' x80000": "* " * 80000 + "a",
    "B23 [*_a x200000": "[*_a" * 200000,
    "B23 ``\\ x40000": "``\\" * 40000,
    "B23 a <![CDATA[ x40000": "a <![CDATA[" * 40000,
    "B23 a<!-- x50000": "a<!--" * 50000,
    "B23 ]([\\n x50000": "]([\n" * 50000,
    "B23 <> x40000": "<>" * 40000,
    "B23 ~ x100000": "~" * 100000,
    "B24 reference blow-up": "[x]: https://example.org/" + "x" * 1000 + "\n" + "\n[x]" * 20000,
    "B25 > x100000": ">" * 100000 + "a",
    "B25 <div> x100000": "<div>" * 100000,
    "B25 * x100000": "*" * 100000,
    "B25 [ x100000": "[" * 100000,
    "B25 nested list 1000": "".join("  " * i + "- x\n" for i in range(1000)),
    "B27 70000 columns": "|" + "a|" * 70000 + "\n|" + "-|" * 70000 + "\n",
    "B27 100000 rows x 20": "|" + "h|" * 20 + "\n|" + "-|" * 20 + "\n" + ("|" + "c|" * 20 + "\n") * 100000,
    "B28 100000 equal headings": "# Same\n\n" * 100000,
    "B28 U+200B x300000": "\u200b" * 300000,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kitep", default=str(ROOT / "target" / "release" / "kitep"))
    args = ap.parse_args()
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in CASES.items():
            book = pathlib.Path(tmp) / "book"
            (book / "src").mkdir(parents=True, exist_ok=True)
            (book / "book.toml").write_text('[book]\ntitle = "t"\nlanguage = "en"\nchapters = ["ch.md"]\n')
            (book / "src" / "ch.md").write_text(text, encoding="utf-8")
            start = time.perf_counter()
            p = subprocess.run([args.kitep, "build", str(book), "-o", str(pathlib.Path(tmp) / "out"), "-q"], capture_output=True, text=True)
            took = time.perf_counter() - start
            worst = max(worst, took)
            outcome = "built" if p.returncode == 0 else "refused: " + (p.stderr.strip().splitlines() or ["?"])[0][:90]
            print(f"{took:7.3f} s  {len(text) / 1e6:5.2f} MB  {name:28} {outcome}")
    print(f"slowest: {worst:.3f} s")


if __name__ == "__main__":
    main()
