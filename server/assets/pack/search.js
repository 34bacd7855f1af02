// Kitepkana's search for a static copy of the library (a USB pack, a ZIM file): it runs in the
// browser, without a server and without a network. The index was analysed by the portal's own
// code at export (indexer/src/static_index.rs); this file only normalises what was typed, turns
// Latin letters into Cyrillic (as indexer/src/analysis/translit.rs does), looks the words up and
// ranks passages with BM25. Index files are scripts, not fetched: `fetch()` fails on file://.
(function (root) {
  'use strict';
  const S = (root.kitepSearch = root.kitepSearch || {});
  const loaded = (S.loaded = S.loaded || {});
  const waiting = {};
  const K1 = 1.2;
  const B = 0.75;

  S.add = function (id, data) {
    loaded[id] = data;
    (waiting[id] || []).forEach((f) => f(data));
    delete waiting[id];
  };

  // In a browser: one script element per file. Node (kitep eval) replaces this.
  if (!S.load) {
    S.load = function (id) {
      if (id in loaded) return Promise.resolve(loaded[id]);
      return new Promise((resolve) => {
        const first = !waiting[id];
        (waiting[id] = waiting[id] || []).push(resolve);
        if (first) {
          const s = document.createElement('script');
          s.src = (S.base || 'search/') + id + '.js';
          s.onerror = () => S.add(id, null); // a shard nobody wrote: no word starts so
          document.head.appendChild(s);
        }
      });
    };
  }

  let meta = null;
  async function getMeta() {
    if (!meta) {
      meta = await S.load('meta/0');
      meta.has = { f: new Set(meta.f), k: new Set(meta.k) };
    }
    return meta;
  }

  // A shard of forms (`f`) or postings (`k`); one the index does not have is not requested.
  function part(kind, id, m) {
    return m.has[kind].has(id) ? S.load(kind + '/' + id) : Promise.resolve(null);
  }

  // ---- Normalising what was typed (indexer/src/analysis/normalize.rs) ----

  const DROPPED = /[\u0301\u0300\u00AD\u200B\u200C\u200D\u2060\uFEFF]/g;
  const APOSTROPHE = /['\u2019\u02BB\u02BC`\u2018]/;
  const CYRILLIC = /[\u0400-\u052F]/;

  function isWordChar(c) {
    if (c.charCodeAt(0) < 128) return /[A-Za-z0-9]/.test(c);
    const n = c.codePointAt(0);
    if (n >= 0x400 && n <= 0x4ff) return !(n >= 0x482 && n <= 0x489);
    return /[\p{L}\p{N}]/u.test(c) && !APOSTROPHE.test(c);
  }

  // The words of a query: runs of letters and digits; an apostrophe between letters stays.
  function splitWords(text) {
    const chars = Array.from(text);
    const out = [];
    let cur = '';
    for (let k = 0; k < chars.length; k++) {
      const c = chars[k];
      const joins =
        APOSTROPHE.test(c) && cur && k + 1 < chars.length && isWordChar(chars[k + 1]);
      if (isWordChar(c) || joins) cur += c;
      else if (cur) {
        out.push(cur);
        cur = '';
      }
    }
    if (cur) out.push(cur);
    return out;
  }

  function normaliseWord(w, m) {
    if (CYRILLIC.test(w)) {
      w = Array.from(w)
        .map((c) => m.twins[c] || c)
        .join('');
    }
    return w.toLowerCase();
  }

  function words(q, m) {
    const clean = q.normalize('NFD').replace(DROPPED, '').normalize('NFC');
    return splitWords(clean)
      .map((w) => normaliseWord(w, m))
      .slice(0, 16);
  }

  function loose(s, m) {
    let out = '';
    for (const c of s) out += c in m.map ? m.map[c] : c;
    return out;
  }

  function shard(l) {
    const parts = Array.from(l)
      .slice(0, 2)
      .map((c) => c.codePointAt(0).toString(16));
    return parts.length ? parts.join('-') : '_';
  }

  // ---- Latin letters to Cyrillic (indexer/src/analysis/translit.rs) ----

  const LATIN = /^[a-zöüñışçğäéëİ'\u2019\u02BB\u02BC`\u2018]+$/;
  const LATIN_VOWEL = /[aeiouyöüıäéë]/;
  const CYR_VOWEL = /[аеёиоуыэюяөүәў]/;
  const SINGLE = {
    a: 'а', b: 'б', c: 'с', d: 'д', f: 'ф', g: 'г', h: 'х', i: 'и', 'İ': 'и', j: 'ж', k: 'к',
    l: 'л', m: 'м', n: 'н', o: 'о', p: 'п', q: 'к', r: 'р', s: 'с', t: 'т', u: 'у', v: 'в',
    w: 'у', x: 'х', z: 'з', 'ö': 'ө', 'ü': 'ү', 'ñ': 'ң', 'ı': 'ы', 'ş': 'ш', 'ç': 'ч',
    'ğ': 'г', 'ä': 'ә', 'é': 'е', 'ë': 'ё',
  };

  function isLatinWord(w) {
    return !CYRILLIC.test(w) && /[a-zöüñışçğäéë]/.test(w) && LATIN.test(w);
  }

  function convert(word, ngIsEng, uy) {
    const w = Array.from(word);
    const at = (k) => (k < w.length ? w[k] : '');
    let out = '';
    let i = 0;
    while (i < w.length) {
      const c = w[i];
      const n = at(i + 1);
      const prevVowel = out.length > 0 && CYR_VOWEL.test(out[out.length - 1]);
      let cyr;
      let used = 1;
      if (c === 's' && n === 'h') [cyr, used] = ['ш', 2];
      else if (c === 'c' && n === 'h') [cyr, used] = ['ч', 2];
      else if (c === 'z' && n === 'h') [cyr, used] = ['ж', 2];
      else if (c === 'k' && n === 'h') [cyr, used] = ['х', 2];
      else if (c === 't' && n === 's' && at(i + 2) !== 'h') [cyr, used] = ['ц', 2];
      else if (c === 'n' && n === 'g') {
        const next = at(i + 2);
        if (ngIsEng || next === '' || !LATIN_VOWEL.test(next)) [cyr, used] = ['ң', 2];
        else cyr = 'н';
      } else if ((c === 'o' || c === 'g') && n && APOSTROPHE.test(n))
        [cyr, used] = [c === 'o' ? 'ў' : 'ғ', 2];
      else if (c === 'y' && n === 'a') [cyr, used] = ['я', 2];
      else if (c === 'y' && n === 'u') [cyr, used] = ['ю', 2];
      else if (c === 'y' && n === 'o') [cyr, used] = ['ё', 2];
      else if (c === 'y' && n === 'e') [cyr, used] = ['е', 2];
      else if (c === 'y' && uy && i > 0 && w[i - 1] === 'u' && n !== '' && !LATIN_VOWEL.test(n))
        cyr = 'ы';
      else if (c === 'y') cyr = prevVowel ? 'й' : 'ы';
      else if (c === 'e') cyr = i === 0 || prevVowel ? 'э' : 'е';
      else cyr = SINGLE[c] || '';
      out += cyr;
      i += used;
    }
    return out;
  }

  function toCyrillicVariants(w) {
    const out = [convert(w, false, false)];
    for (const [eng, uy] of [
      [true, false],
      [false, true],
    ]) {
      const v = convert(w, eng, uy);
      if (!out.includes(v)) out.push(v);
    }
    return out;
  }

  // ---- Looking words up ----

  // The weighted index keys of one typed word: the portal's terms for that form; a form no
  // passage has is read as the longest known stem it starts with; the last word is completed.
  async function termsOf(w, last, m) {
    const cands = isLatinWord(w) ? [w].concat(toCyrillicVariants(w)) : [w];
    const terms = new Map();
    const hits = new Set();
    const put = (list, weight) => {
      for (let k = 0; k < list.length; k += 2) {
        const b = list[k + 1] * weight;
        if (!(terms.get(list[k]) >= b)) terms.set(list[k], b);
      }
    };
    for (const c of cands) {
      const l = loose(c, m);
      const forms = (await part('f', shard(l), m)) || {};
      const entries = forms[l];
      if (entries) {
        const exact = entries.filter((e) => e[0] === c);
        (exact.length ? exact : entries).forEach((e) => put(e[2], exact.length ? 1 : 0.8));
        hits.add(l);
      } else {
        const chars = Array.from(l);
        for (let n = chars.length - 1; n >= 3; n--) {
          const p = chars.slice(0, n).join('');
          const stems = (forms[p] || []).filter((e) => e[1] & 2);
          if (stems.length) {
            stems.forEach((e) => put(e[2], 0.6));
            hits.add(p);
            break;
          }
        }
      }
      if (last && Array.from(l).length >= 3) {
        // Words that start as typed, through their stems: the most common stems first.
        const counts = new Map();
        for (const key of Object.keys(forms)) {
          if (key === l || !key.startsWith(l)) continue;
          for (const e of forms[key]) {
            if (!(e[1] & 1)) continue;
            for (let k = 0; k < e[2].length; k += 2) {
              const t = e[2][k];
              if (t[0] === 's' || t[0] === 'f' || t[0] === 'r' || t[0] === 'k' || t[0] === 'u')
                counts.set(t, (counts.get(t) || 0) + 1);
            }
          }
        }
        [...counts]
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
          .slice(0, 8)
          .forEach(([t]) => put([t, 0.3], 1));
        if (counts.size) hits.add(l);
      }
    }
    return { terms, hits };
  }

  // Ranked passages for a query: [{doc, score}], and the loose beginnings of the words found
  // (for highlighting).
  S.search = async function (q, limit) {
    const m = await getMeta();
    const ws = words(q || '', m);
    const scores = new Map();
    const hits = new Set();
    for (let i = 0; i < ws.length; i++) {
      const r = await termsOf(ws[i], i === ws.length - 1, m);
      r.hits.forEach((h) => hits.add(h));
      const keys = [...r.terms.keys()];
      await Promise.all(keys.map((key) => part('k', shard(loose(key.slice(1), m)), m)));
      for (const [key, boost] of r.terms) {
        const part = loaded['k/' + shard(loose(key.slice(1), m))];
        const list = part && part[key];
        if (!list) continue;
        const df = list.length / 3;
        const idf = Math.log(1 + (m.docs - df + 0.5) / (df + 0.5));
        for (let j = 0; j < list.length; j += 3) {
          const tf = list[j + 1];
          const norm = K1 * (1 - B + (B * list[j + 2]) / m.avgdl);
          const s = (boost * idf * tf * (K1 + 1)) / (tf + norm);
          scores.set(list[j], (scores.get(list[j]) || 0) + s);
        }
      }
    }
    const ranked = [...scores]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, limit || 20)
      .map(([doc, score]) => ({ doc, score }));
    return { ranked, hits: [...hits], words: ws };
  };

  // The stored passages of ranked results: [book, href, heading, text] each.
  S.passages = async function (docs) {
    const m = await getMeta();
    const chunks = [...new Set(docs.map((d) => Math.floor(d / m.chunk)))];
    await Promise.all(chunks.map((c) => S.load('d/' + c)));
    return docs.map((d) => (loaded['d/' + Math.floor(d / m.chunk)] || [])[d % m.chunk]);
  };

  S.meta = getMeta;
  S.loose = loose;
  S.words = words;
  S.toCyrillicVariants = toCyrillicVariants;
})(typeof window !== 'undefined' ? window : globalThis);
