#!/usr/bin/env python3
"""The print edition, checked with poppler's tools: `kitep build BOOK --format pdf,passages` for
every sample book, then
- pdffonts: every font embedded;
- pdfinfo: the PDF is tagged and has the book's title;
- pdftotext: at least 99.5 % of the book's words come back (its words as the search passages
  have them; words split by a hyphen at a line's end are joined, as a reader pasting does);
  Kyrgyz letters (ң ө ү) come back where the book has them.
Prints each book's figures; exits 1 on a miss. With --pages DIR, writes a picture of page 5 of
each book there (to look at).

Usage: tests/conformance/pdf_check.py --kitep target/release/kitep [--pages DIR] [--paper a4]
"""
import argparse, collections, json, pathlib, re, subprocess, sys, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


def words(text):
    return collections.Counter(w.lower() for w in WORD.findall(text))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kitep", required=True)
    ap.add_argument("--pages")
    ap.add_argument("--paper", default="a4")
    args = ap.parse_args()
    books = sorted(p for p in (ROOT / "corpus" / "books").iterdir() if (p / "book.toml").is_file())
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for book in books:
            out = pathlib.Path(tmp) / book.name
            t0 = time.perf_counter()
            r = subprocess.run([args.kitep, "build", str(book), "-o", str(out), "--format", "pdf,passages",
                                "--paper", args.paper, "-q"], capture_output=True, text=True)
            secs = time.perf_counter() - t0
            if r.returncode != 0:
                failures.append(f"{book.name}: kitep build --format pdf failed:\n{r.stderr[-3000:]}")
                continue
            pdfs = list(out.glob("*.pdf"))
            if not pdfs:
                failures.append(f"{book.name}: no PDF written")
                continue
            pdf = pdfs[0]
            fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout.splitlines()[2:]
            not_embedded = [l for l in fonts if l.split()[-5:-4] != ["yes"]]
            # pdffonts columns: name type encoding emb sub uni object ID; "emb" is 5th from the end.
            not_embedded = [l for l in fonts if len(l.split()) >= 7 and l.split()[-5] != "yes"]
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
            tagged = re.search(r"^Tagged:\s+yes", info, re.M) is not None
            title = re.search(r"^Title:\s+(.+)$", info, re.M)
            pages = re.search(r"^Pages:\s+(\d+)", info, re.M)
            text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True).stdout
            # A word broken at a line's end by a hyphen is one word again.
            joined = re.sub(r"(\w)[-\u00ad]\n(\w)", r"\1\2", text)
            got = words(joined)
            ref = collections.Counter()
            for line in (out / "passages.jsonl").read_text(encoding="utf-8").splitlines():
                p = json.loads(line)
                ref.update(words(p.get("text", "")))
            total = sum(ref.values())
            found = sum(min(n, got.get(w, 0)) for w, n in ref.items())
            rate = 100.0 * found / max(total, 1)
            has_ky = any(c in "ңөүҢӨҮ" for w in ref for c in w)
            ky_ok = (not has_ky) or any(c in text for c in "ңөү")
            print(f"{book.name:26} {int(pages.group(1)) if pages else 0:4} pages  {pdf.stat().st_size / 1024:7.1f} KB  "
                  f"{secs:5.2f} s  fonts {len(fonts)} ({len(not_embedded)} not embedded)  tagged {'yes' if tagged else 'NO'}  "
                  f"words back {rate:6.2f} %")
            if not_embedded:
                failures.append(f"{book.name}: fonts not embedded: {not_embedded}")
            if not tagged:
                failures.append(f"{book.name}: the PDF is not tagged")
            if not title or not title.group(1).strip():
                failures.append(f"{book.name}: the PDF has no title")
            if rate < 99.5:
                missing = sorted(((w, n - got.get(w, 0)) for w, n in ref.items() if n > got.get(w, 0)), key=lambda x: -x[1])[:15]
                failures.append(f"{book.name}: {rate:.2f} % of the words came back; missing most: {missing}")
            if not ky_ok:
                failures.append(f"{book.name}: the Kyrgyz letters did not come back from the PDF")
            if args.pages:
                dest = pathlib.Path(args.pages)
                dest.mkdir(parents=True, exist_ok=True)
                subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "5", "-l", "5", "-singlefile", str(pdf),
                                str(dest / book.name)], check=False)
    for f in failures:
        print("FAIL", f)
    if failures:
        sys.exit(1)
    print(f"{len(books)} books: every PDF tagged, titled, fonts embedded, >= 99.5 % of the words back")


if __name__ == "__main__":
    main()
