// Reader pages of a static copy of the library: opened from a search result (?hl=WORDS#passage),
// marks the words found in the passage and brings it into view. The words come as loose
// spellings (search.js); the character table that makes them is in the index's meta file.
(function () {
  'use strict';
  const hl = new URLSearchParams(location.search).get('hl');
  if (!hl) return;
  const hits = hl.split(' ').filter((h) => h.length >= 2);
  if (!hits.length) return;
  const S = (window.kitepSearch = window.kitepSearch || {});
  S.add = function (id, data) {
    if (id === 'meta/0' && data) mark(data);
  };
  const s = document.createElement('script');
  s.src = '../../../search/meta/0.js';
  document.head.appendChild(s);

  function loose(w, m) {
    let out = '';
    for (const c of w) out += c in m.map ? m.map[c] : c;
    return out;
  }

  // The passage: from its heading to the next heading of the same or a higher level.
  function passageNodes() {
    const id = decodeURIComponent(location.hash.slice(1));
    const start = id && document.getElementById(id);
    const main = document.querySelector('main') || document.body;
    if (!start || !/^H[1-6]$/.test(start.tagName)) return [main];
    const level = Number(start.tagName[1]);
    const nodes = [start];
    for (let n = start.nextElementSibling; n; n = n.nextElementSibling) {
      if (/^H[1-6]$/.test(n.tagName) && Number(n.tagName[1]) <= level) break;
      nodes.push(n);
    }
    return nodes;
  }

  function mark(m) {
    let first = null;
    for (const root of passageNodes()) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      const texts = [];
      while (walker.nextNode()) texts.push(walker.currentNode);
      for (const t of texts) {
        if (t.parentElement && t.parentElement.closest('script,style,math,mark')) continue;
        const parts = t.data.split(/([\p{L}\p{N}]+)/u);
        if (!parts.some((p, i) => i % 2 && hits.some((h) => loose(p.toLowerCase(), m).startsWith(h))))
          continue;
        const frag = document.createDocumentFragment();
        parts.forEach((p, i) => {
          if (i % 2 && hits.some((h) => loose(p.toLowerCase(), m).startsWith(h))) {
            const mk = document.createElement('mark');
            mk.textContent = p;
            frag.append(mk);
            first = first || mk;
          } else if (p) frag.append(p);
        });
        t.replaceWith(frag);
      }
    }
    const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    (target || first || document.body).scrollIntoView({ block: 'start' });
  }
})();
