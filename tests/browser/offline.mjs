// Real-browser test of the library without a network: the USB pack (`kitep export pack`) opened
// from file:// in Chromium.
//
//   cd tests/browser && npm ci
//   KITEP=target/release/kitep node tests/browser/offline.mjs
//
// It exports the sample library (a fresh data folder: the sample library is published first),
// opens the pack's home page from file://, searches a Kyrgyz word typed with о у н instead of
// ө ү ң through the search form, and a Latin-typed word through the address (search.html?q=),
// opens a result and checks the passage is in view with the word highlighted, runs axe on the
// pages, and checks that no request left file://. One line per check; exits 1 on any failure.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort } from './net.mjs';
import { AxeBuilder } from '@axe-core/playwright';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

let passed = 0;
let failed = 0;

async function check(name, fn) {
  try {
    const detail = await fn();
    passed++;
    console.log(`ok   - ${name}${typeof detail === 'string' ? ` (${detail})` : ''}`);
    return true;
  } catch (e) {
    failed++;
    console.log(`FAIL - ${name}: ${String(e?.message ?? e).split('\n')[0]}`);
    return false;
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

function kitepBinary() {
  if (process.env.KITEP) return path.resolve(process.env.KITEP);
  for (const p of ['target/release/kitep', 'target/debug/kitep']) {
    if (existsSync(path.join(REPO, p))) return path.join(REPO, p);
  }
  return 'kitep';
}

// axe reads stylesheets with XMLHttpRequest, which file:// refuses: its console errors are not
// the pages' own.
let quiet = false;

async function axe(page, label) {
  quiet = true;
  const r = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze().finally(() => (quiet = false));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert(bad.length === 0, `${label}: ${bad.map((v) => `${v.id} (${v.nodes.length})`).join(', ')}`);
  return `${r.violations.length} minor or moderate`;
}

async function waitForHttp(url, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(url, { redirect: 'manual' });
      if (r.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

async function main() {
  const kitep = kitepBinary();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kitep-offline-'));
  const pack = path.join(tmp, 'pack');
  let browser;
  try {
    const exported = await check('kitep export pack writes the sample library', async () => {
      const r = spawnSync(kitep, ['export', 'pack', '--data', path.join(tmp, 'data'), '-o', pack], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      assert(r.status === 0, `exit ${r.status}: ${r.stderr}`);
      assert(/search index is/.test(r.stdout), `no size report: ${r.stdout}`);
      return r.stdout.split('\n')[0];
    });
    if (!exported) return;
    const home = pathToFileURL(path.join(pack, 'index.html')).href;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const context = await browser.newContext();
    const outside = [];
    context.on('request', (r) => {
      if (!r.url().startsWith('file://') && !r.url().startsWith('data:')) outside.push(r.url());
    });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => !quiet && m.type() === 'error' && errors.push(m.text()));

    await check('home page opens from file:// and lists the books', async () => {
      await page.goto(home);
      const books = await page.locator('ul.books li').count();
      assert(books === 6, `${books} books listed`);
      return `${books} books`;
    });
    await check('home page: no serious or critical axe violation', () => axe(page, 'home'));

    const query = 'болчок'; // бөлчөк typed with о for ө
    await check(`search form: "${query}" finds highlighted passages`, async () => {
      await page.fill('#q', query);
      await Promise.all([page.waitForURL(/search\.html\?q=/), page.press('#q', 'Enter')]);
      const q = new URL(page.url()).searchParams.get('q');
      assert(q === query, `address has q=${q}`);
      await page.waitForSelector('#results li', { timeout: 10_000 });
      const marks = await page.locator('#results mark').allTextContents();
      assert(
        marks.some((m) => m.toLowerCase().startsWith('бөлчөк')),
        `no «бөлчөк…» marked: ${marks.slice(0, 5).join(', ')}`,
      );
      return `${await page.locator('#results li').count()} results, e.g. «${marks[0]}»`;
    });
    await check('search page: no serious or critical axe violation', () => axe(page, 'search'));

    await check('a result opens the reader at the passage, the word highlighted and in view', async () => {
      const first = page.locator('#results li h2 a').first();
      const href = await first.getAttribute('href');
      await Promise.all([page.waitForURL(/\/html\/.*\.html/), first.click()]);
      const anchor = decodeURIComponent(new URL(page.url()).hash.slice(1));
      assert(anchor, `no passage anchor in ${href}`);
      await page.waitForSelector('main mark', { timeout: 10_000 });
      const marked = await page.locator('main mark').allTextContents();
      assert(marked.some((m) => m.toLowerCase().startsWith('бөлчөк')), `marks: ${marked.join(', ')}`);
      const inView = await page.evaluate((id) => {
        const r = document.getElementById(id).getBoundingClientRect();
        return r.top >= -2 && r.top < window.innerHeight;
      }, anchor);
      assert(inView, `#${anchor} is not in view`);
      const markInView = await page.evaluate(() =>
        [...document.querySelectorAll('main mark')].some((m) => {
          const r = m.getBoundingClientRect();
          return r.bottom > 0 && r.top < window.innerHeight;
        }),
      );
      assert(markInView, 'no highlighted word on the first screen');
      return `#${anchor}, ${marked.length} marks`;
    });

    await check('search.html?q=bolchok (Latin-typed) finds the Kyrgyz word', async () => {
      await page.goto(`${pathToFileURL(path.join(pack, 'search.html')).href}?q=bolchok`);
      await page.waitForSelector('#results li', { timeout: 10_000 });
      const marks = await page.locator('#results mark').allTextContents();
      assert(marks.some((m) => m.toLowerCase().startsWith('бөлчөк')), `marks: ${marks.slice(0, 5).join(', ')}`);
      assert((await page.inputValue('#q')) === 'bolchok', 'the query is not in the search box');
      return `${await page.locator('#results li').count()} results`;
    });

    await check('search.html?q=water (an English book) finds its passages', async () => {
      await page.goto(`${pathToFileURL(path.join(pack, 'search.html')).href}?q=water`);
      await page.waitForSelector('#results li', { timeout: 10_000 });
      const books = await page.locator('#results p.book').allTextContents();
      assert(books.length > 0, 'no results');
      return `first from «${books[0]}»`;
    });

    await check('a book page opens, with its reader and EPUB links working offline', async () => {
      await page.goto(pathToFileURL(path.join(pack, 'books', 'fractions-5-ky', 'index.html')).href);
      const epub = await page.locator('a[download]').getAttribute('href');
      assert(existsSync(path.join(pack, 'books', 'fractions-5-ky', epub)), `${epub} missing`);
      await Promise.all([page.waitForURL(/html\/index\.html/), page.locator('a.button').first().click()]);
      assert((await page.locator('h1').count()) >= 1, 'the reader has no heading');
      return epub;
    });

    await check('nothing was requested outside file://, no script errors', async () => {
      assert(outside.length === 0, `requests: ${outside.slice(0, 3).join(', ')}`);
      assert(errors.length === 0, `errors: ${errors.slice(0, 3).join(' | ')}`);
    });

    // ---- the same library as a ZIM file, served by kiwix-serve
    const zim = path.join(tmp, 'library.zim');
    const zimmed = await check('kitep export zim writes the sample library; zimcheck -A passes', async () => {
      const r = spawnSync(kitep, ['export', 'zim', '--data', path.join(tmp, 'data'), '-o', zim], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      assert(r.status === 0, `exit ${r.status}: ${r.stderr}`);
      const c = spawnSync('zimcheck', ['-A', zim], { encoding: 'utf8' });
      assert(c.status === 0, `zimcheck exit ${c.status}: ${(c.stdout + c.stderr).split('\n').filter((l) => /ERROR|error/.test(l)).slice(0, 3).join(' | ')}`);
      return r.stdout.split('\n')[0];
    });
    if (zimmed) {
      const port = await freePort();
      const kiwix = spawn('kiwix-serve', ['--address', '127.0.0.1', '--port', String(port), zim], {
        stdio: 'ignore',
      });
      try {
        await waitForHttp(`http://127.0.0.1:${port}/`, 10_000);
        const kpage = await context.newPage();
        let base = '';
        await check('kiwix-serve opens the ZIM file at its welcome page', async () => {
          await kpage.goto(`http://127.0.0.1:${port}/library/`);
          assert((await kpage.locator('ul.books li').count()) === 6, `not the home page: ${kpage.url()}`);
          base = kpage.url().replace(/index\.html$/, '');
          return kpage.url();
        });
        await check(`kiwix-serve: the search page finds "${query}" in a book, highlighted`, async () => {
          await kpage.goto(`${base}search.html?q=${encodeURIComponent(query)}`);
          await kpage.waitForSelector('#results li', { timeout: 10_000 });
          const marks = await kpage.locator('#results mark').allTextContents();
          assert(marks.some((m) => m.toLowerCase().startsWith('бөлчөк')), `marks: ${marks.slice(0, 5).join(', ')}`);
          const first = kpage.locator('#results li h2 a').first();
          await Promise.all([kpage.waitForURL(/\/html\/.*\.html/), first.click()]);
          await kpage.waitForSelector('main mark', { timeout: 10_000 });
          return `${await kpage.locator('main mark').count()} marks in ${new URL(kpage.url()).pathname}`;
        });
        await check('kiwix-serve: the EPUB of a book downloads from the ZIM file', async () => {
          const r = await fetch(`${base}books/fractions-5-ky/fractions-5-ky.epub`);
          assert(r.status === 200, `HTTP ${r.status}`);
          const bytes = Buffer.from(await r.arrayBuffer());
          assert(bytes.subarray(0, 2).toString() === 'PK', 'not a zip');
          return `${bytes.length} bytes`;
        });
      } finally {
        kiwix.kill();
      }
    }

    // ---- a weak link: the portal over 250 kbit/s with 300 ms round trips and an empty cache
    const port = await freePort();
    const portal = spawn(kitep, ['serve', '--data', path.join(tmp, 'data'), '--addr', `127.0.0.1:${port}`], {
      stdio: 'ignore',
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitForHttp(`${base}/health`, 120_000);
      const slow = await browser.newContext();
      const spage = await slow.newPage();
      const cdp = await slow.newCDPSession(spage);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 300,
        downloadThroughput: 250_000 / 8,
        uploadThroughput: 250_000 / 8,
      });
      await spage.goto(`${base}/`, { timeout: 60_000 });
      await check('weak link: the first search result shows within 2 s of submitting the form', async () => {
        const box = spage.locator('main input[name=q]').first();
        await box.fill(query);
        const t0 = Date.now();
        await box.press('Enter');
        await spage.locator('li.hit').first().waitFor({ state: 'visible', timeout: 20_000 });
        const ms = Date.now() - t0;
        assert(ms <= 2000, `${ms} ms`);
        return `${ms} ms`;
      });
      await check("weak link: a reader page's text shows within 3 s, images aside", async () => {
        const t0 = Date.now();
        await spage.goto(`${base}/read/fractions-5-ky/02-comparing`, { waitUntil: 'commit', timeout: 20_000 });
        await spage.locator('main p').first().waitFor({ state: 'visible', timeout: 20_000 });
        const ms = Date.now() - t0;
        assert(ms <= 3000, `${ms} ms`);
        return `${ms} ms`;
      });
      await slow.close();
    } finally {
      portal.kill();
    }
  } finally {
    if (browser) await browser.close();
    if (!process.env.KITEP_E2E_KEEP) rmSync(tmp, { recursive: true, force: true });
    console.log(`\n${passed} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
