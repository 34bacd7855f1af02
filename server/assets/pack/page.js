// The search page of a static copy of the library: takes the query from its address
// (search.html?q=WORD), runs kitepSearch (search.js) and lists the passages found, each linking to
// its place in the book's reader with the words to highlight (?hl=).
(function () {
  'use strict';
  const S = window.kitepSearch;
  const status = document.getElementById('status');
  const list = document.getElementById('results');
  const input = document.getElementById('q');
  const q = new URLSearchParams(location.search).get('q') || '';
  if (input) input.value = q;
  if (!q.trim()) return;
  document.title = q + ' · ' + document.title;
  status.textContent = status.dataset.searching;

  // Words of the text, with a mark on those that start as a word found.
  function snippet(text, hits, m) {
    const parts = text.split(/([\p{L}\p{N}]+)/u);
    let first = -1;
    const marked = parts.map((p, i) => {
      if (i % 2 === 0 || !p) return false;
      const l = S.loose(p.toLowerCase(), m);
      const on = hits.some((h) => l.startsWith(h));
      if (on && first < 0) first = i;
      return on;
    });
    const from = Math.max(0, first - 24);
    const to = Math.min(parts.length, (first < 0 ? 0 : first) + 40);
    const frag = document.createDocumentFragment();
    if (from > 0) frag.append('… ');
    for (let i = from; i < to; i++) {
      if (marked[i]) {
        const mk = document.createElement('mark');
        mk.textContent = parts[i];
        frag.append(mk);
      } else frag.append(parts[i]);
    }
    if (to < parts.length) frag.append(' …');
    return frag;
  }

  S.search(q, 20)
    .then(async (r) => {
      const m = await S.meta();
      const docs = await S.passages(r.ranked.map((x) => x.doc));
      status.textContent = r.ranked.length
        ? status.dataset.found + ' ' + r.ranked.length
        : status.dataset.none;
      const hl = encodeURIComponent(r.hits.join(' '));
      docs.forEach((d) => {
        if (!d) return;
        const [book, href, heading, text] = d;
        const li = document.createElement('li');
        const a = document.createElement('a');
        const hash = href.indexOf('#');
        a.href = hash < 0 ? href + '?hl=' + hl : href.slice(0, hash) + '?hl=' + hl + href.slice(hash);
        a.textContent = heading || href;
        const h = document.createElement('h2');
        h.append(a);
        const b = document.createElement('p');
        b.className = 'book';
        b.textContent = (m.books[book] || [])[1] || '';
        const p = document.createElement('p');
        p.append(snippet(text, r.hits, m));
        li.append(h, b, p);
        list.append(li);
      });
    })
    .catch((e) => {
      status.textContent = String(e);
    });
})();
