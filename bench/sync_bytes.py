#!/usr/bin/env python3
"""What a school server's sync costs on the wire.

Starts a national portal (`kitep serve`) on a copy of the sample library, and between it and the
school puts a counting proxy (every byte the portal sends, headers and log included). Then:

1. a first sync of an empty school server (`kitep sync --from URL --data SCHOOL`);
2. one book changes (a paragraph added to one chapter) and the portal publishes it (restarted with
   `--books`, as a publisher's pipeline would);
3. a second sync: the bytes it took, against the size of that book's files (goal <= 1.05x: files
   that did not change are never fetched again).

Usage: bench/sync_bytes.py [--kitep target/release/kitep] [--book fractions-5-ky]
"""

import argparse
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class CountingProxy:
    """Forwards 127.0.0.1:port to the portal and counts the bytes coming back."""

    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.received = 0
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.sock.accept()
            server = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self.pipe, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self.pipe, args=(server, client, True), daemon=True).start()

    def pipe(self, a, b, count):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                if count:
                    with self.lock:
                        self.received += len(data)
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def take(self):
        with self.lock:
            n, self.received = self.received, 0
        return n


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_portal(kitep, data, port, books):
    p = subprocess.Popen([kitep, "serve", "--data", str(data), "--addr", f"127.0.0.1:{port}", "--books", str(books)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            return p
        except OSError:
            time.sleep(0.2)
    p.kill()
    raise SystemExit("the national portal did not start")


def sync(kitep, school, url):
    r = subprocess.run([kitep, "sync", "--from", url, "--data", str(school)], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"kitep sync failed: {r.stdout}{r.stderr}")
    return r.stdout


def tree_bytes(d):
    return sum(p.stat().st_size for p in Path(d).rglob("*") if p.is_file() and not p.name.startswith("."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kitep", default=str(ROOT / "target" / "release" / "kitep"))
    ap.add_argument("--book", default="fractions-5-ky")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kitep-sync-bench-"))
    try:
        lib = tmp / "library"
        shutil.copytree(ROOT / "corpus" / "books", lib)
        port = free_port()
        national = start_portal(args.kitep, tmp / "national", port, lib)
        proxy = CountingProxy(port)
        url = f"http://127.0.0.1:{proxy.port}"
        school = tmp / "school"
        first = sync(args.kitep, school, url)
        first_bytes = proxy.take()
        library_bytes = sum(tree_bytes(b) for b in lib.iterdir() if b.is_dir())
        print(f"first sync: {first_bytes:,} bytes on the wire for {library_bytes:,} bytes of book files "
              f"({first_bytes / library_bytes:.3f}x)")
        print("  " + first.strip().replace("\n", "\n  "))

        book = lib / args.book
        chapter = sorted((book / "src").glob("*.md"))[0]
        with open(chapter, "a", encoding="utf-8") as f:
            f.write("\n\nБул абзац синхрондоонун өлчөөсү үчүн кошулду.\n")
        national.terminate()
        national.wait()
        national = start_portal(args.kitep, tmp / "national", port, lib)
        proxy.take()
        second = sync(args.kitep, school, url)
        second_bytes = proxy.take()
        book_bytes = tree_bytes(book)
        print(f"second sync after one chapter of {args.book} changed: {second_bytes:,} bytes on the wire; "
              f"the book's files are {book_bytes:,} bytes, the changed file {chapter.stat().st_size:,}")
        print(f"  ratio to the book's files: {second_bytes / book_bytes:.3f}x (goal <= 1.05x)")
        print("  " + second.strip().replace("\n", "\n  "))
        national.terminate()
        national.wait()
        return 0 if second_bytes <= 1.05 * book_bytes else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
