// Runs the static site's search (search.js) in Node, for `kitep eval retrieval --pack`: reads
// queries (one per line: id TAB text) on stdin, prints `id TAB doc TAB doc …` (the top 10).
// Usage: node run-node.js SEARCH_DIR < queries
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const dir = process.argv[2];
globalThis.kitepSearch = {
  load(id) {
    const S = globalThis.kitepSearch;
    if (!(id in S.loaded)) {
      const file = path.join(dir, id + '.js');
      if (fs.existsSync(file)) vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
      else S.add(id, null);
    }
    return Promise.resolve(S.loaded[id]);
  },
};
vm.runInThisContext(fs.readFileSync(path.join(dir, 'search.js'), 'utf8'));
const lines = fs.readFileSync(0, 'utf8').split('\n').filter((l) => l.includes('\t'));
(async () => {
  const out = [];
  for (const line of lines) {
    const [id, text] = line.split('\t');
    const r = await globalThis.kitepSearch.search(text, 10);
    out.push([id].concat(r.ranked.map((x) => x.doc)).join('\t'));
  }
  process.stdout.write(out.join('\n') + '\n');
})();
