#!/usr/bin/env python3
"""Builds a retrieval test collection from a UD treebank at run time, for a language the shared
data has no collection for (Kazakh), the way ../shared/data/README.md describes its Kyrgyz and
Russian ones: one document per sentence; queries are content lemmas in four variants (`lemma`,
`inflected` = a form seen in the text, `lemma_folded` = typed without the language's own
letters, `lemma_latin` = typed in ASCII Latin); a sentence is relevant when a word in it has the
query's lemma. The files are written to OUT_DIR (outside the repository) and fed to
`kitep eval retrieval`:

    python3 bench/retrieval_set.py ../shared/data/ud/UD_Kazakh-KTB/kk_ktb-ud-test.conllu /tmp/kk-ret
    kitep eval retrieval --lang kk --docs /tmp/kk-ret/docs.tsv \
        --queries /tmp/kk-ret/queries.tsv --qrels /tmp/kk-ret/qrels.tsv

Lemmas are chosen by a fixed hash, not by how well kitep does on them.
"""

import collections
import hashlib
import sys
import unicodedata

CONTENT = {"NOUN", "PROPN", "ADJ", "VERB"}
QUERIES = 400

# Typed on a Russian keyboard: the Kazakh (and Kyrgyz) letters become their base letters.
FOLD = str.maketrans("әғқңөұүһі", "агкноуухи")
# Typed in ASCII Latin, as people type in search boxes.
LATIN = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "yo",
    "ж": "j", "з": "z", "и": "i", "й": "y", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n",
    "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u",
    "ү": "u", "ф": "f", "х": "h", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh",
    "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}


def words_of(lemma):
    return all(unicodedata.category(c).startswith("L") for c in lemma) and len(lemma) >= 2


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: retrieval_set.py TREEBANK.conllu OUT_DIR")
    src, out = sys.argv[1], sys.argv[2]
    import os

    os.makedirs(out, exist_ok=True)
    docs = []  # (id, text)
    lemma_docs = collections.defaultdict(set)
    forms = collections.defaultdict(collections.Counter)
    sent_id, text, n = None, None, 0
    with open(src, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# text = "):
                text = line[len("# text = "):]
            elif line.startswith("#"):
                continue
            elif not line:
                if text is not None:
                    docs.append((f"d{n:05d}", text))
                    n += 1
                text = None
            else:
                cols = line.split("\t")
                if len(cols) < 4 or "-" in cols[0] or "." in cols[0] or text is None:
                    continue
                form, lemma, upos = cols[1].lower(), cols[2].lower(), cols[3]
                if upos in CONTENT and words_of(lemma) and words_of(form):
                    lemma_docs[lemma].add(f"d{n:05d}")
                    forms[lemma][form] += 1
    if text is not None:
        docs.append((f"d{n:05d}", text))
    key = lambda l: hashlib.sha256(l.encode()).hexdigest()
    lemmas = sorted(lemma_docs, key=key)[:QUERIES]
    lemmas.sort()
    with open(f"{out}/docs.tsv", "w", encoding="utf-8") as f:
        for i, t in docs:
            f.write(f"{i}\t{t}\n")
    with open(f"{out}/queries.tsv", "w", encoding="utf-8") as q, open(
        f"{out}/qrels.tsv", "w", encoding="utf-8"
    ) as r:
        q.write("qid\tvariant\tquery\n")
        for k, lemma in enumerate(lemmas):
            qid = f"q{k:04d}"
            inflected = next(
                (w for w, _ in forms[lemma].most_common() if w != lemma), lemma
            )
            latin = "".join(LATIN.get(c, c) for c in lemma)
            for variant, query in [
                ("lemma", lemma),
                ("inflected", inflected),
                ("lemma_folded", lemma.translate(FOLD)),
                ("lemma_latin", latin),
            ]:
                q.write(f"{qid}\t{variant}\t{query}\n")
            for d in sorted(lemma_docs[lemma]):
                r.write(f"{qid}\t{d}\t1\n")
    print(f"{len(docs)} documents, {len(lemmas)} queries in {out}")


if __name__ == "__main__":
    main()
