// Real-browser end-to-end test of the Kitepkana portal.
//
//   cd tests/browser && npm ci          # once: playwright-core and @axe-core/playwright
//   apt-get install -y chromium         # once: Debian's chromium at /usr/bin/chromium
//   KITEP=target/debug/kitep node tests/browser/portal.mjs
//
// It starts `kitep serve` itself on a fresh data folder and a free loopback port, drives headless
// Chromium through search → reader → interface language → EPUB download, runs axe on the main
// pages, and checks that no request left 127.0.0.1 and that the console stayed clean. One line per
// check; exits 1 on any failure. Environment: KITEP (the binary), CHROMIUM (default
// /usr/bin/chromium), KITEP_E2E_KEEP=1 keeps the temporary folder.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort } from './net.mjs';
import { AxeBuilder } from '@axe-core/playwright';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const HEALTH_TIMEOUT_MS = 180_000;
const OVERALL_TIMEOUT_MS = 600_000;
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const BOOK = 'fractions-5-ky';
const QUERY = 'болчок'; // «бөлчөк» typed with о instead of ө

// ---------------------------------------------------------------- reporting

let passed = 0;
let failed = 0;

function ok(name, detail) {
  passed++;
  console.log(`ok   - ${name}${detail ? ` (${detail})` : ''}`);
}

function fail(name, detail) {
  failed++;
  console.log(`FAIL - ${name}${detail ? `: ${detail}` : ''}`);
}

/** Runs one check: `fn` returns a detail string (or nothing) on success and throws on failure. */
async function check(name, fn) {
  try {
    const detail = await fn();
    ok(name, typeof detail === 'string' ? detail : undefined);
    return true;
  } catch (e) {
    fail(name, String(e?.message ?? e).split('\n')[0]);
    return false;
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Polls `fn` until it returns a truthy value or `ms` pass; returns the last value. */
async function poll(fn, ms = 5000, every = 100) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last || Date.now() > end) return last;
    await new Promise((r) => setTimeout(r, every));
  }
}

// ---------------------------------------------------------------- the portal

function pickBinary() {
  if (process.env.KITEP) return path.resolve(process.env.KITEP);
  const release = path.join(REPO, 'target', 'release', 'kitep');
  const debug = path.join(REPO, 'target', 'debug', 'kitep');
  if (existsSync(release)) {
    // A stale release build from before the portal existed has no `serve`: use the debug one then.
    const probe = spawnSync(release, ['serve', '--help'], { stdio: 'ignore' });
    if (probe.status === 0) return release;
    console.log(`note: ${release} has no 'serve' subcommand (stale build?): using ${debug}`);
  }
  return debug;
}

let server = null; // the kitep child process
const serverLog = [];

function killServerSync() {
  if (server && server.exitCode === null && server.signalCode === null) {
    try {
      server.kill('SIGKILL');
    } catch {}
  }
}

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  const t = setTimeout(() => killServerSync(), 10_000);
  await exited;
  clearTimeout(t);
}

async function startServer(bin, dataDir, port) {
  const base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ['serve', '--data', dataDir, '--addr', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The portal must not pick these up from the caller's shell.
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KITEP_'))),
  });
  const keep = (buf) => {
    for (const line of buf.toString().split('\n')) if (line) serverLog.push(line);
    if (serverLog.length > 400) serverLog.splice(0, serverLog.length - 400);
  };
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);
  let exitInfo = null;
  server.once('exit', (code, signal) => (exitInfo = { code, signal }));

  const started = Date.now();
  while (Date.now() - started < HEALTH_TIMEOUT_MS) {
    if (exitInfo) throw new Error(`kitep exited early (code ${exitInfo.code}, signal ${exitInfo.signal})`);
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return { base, ms: Date.now() - started };
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`GET /health was not 200 within ${HEALTH_TIMEOUT_MS / 1000} s`);
}

// ---------------------------------------------------------------- browser recorders

const requests = []; // every request URL, all contexts
const consoleErrors = []; // console.error messages and uncaught page errors
const httpErrors = []; // responses with status >= 400

function record(context, label, expected = []) {
  context.on('request', (req) => requests.push(req.url()));
  context.on('response', (res) => {
    if (res.status() >= 400 && !expected.includes(res.status())) httpErrors.push(`${res.status()} ${res.url()} [${label}]`);
  });
  context.on('console', (msg) => {
    // Chromium also logs an expected error status as a console error.
    const expectedStatus = expected.some((st) => msg.text().includes(`status of ${st} `));
    if (msg.type() === 'error' && !expectedStatus) {
      const loc = msg.location();
      consoleErrors.push(`${msg.text()} [${label} ${msg.page()?.url() ?? loc?.url ?? ''}]`);
    }
  });
  context.on('weberror', (err) => consoleErrors.push(`uncaught: ${err.error().message} [${label}]`));
}

// ---------------------------------------------------------------- axe

async function runAxe(page, base, label, url, expectSelector) {
  const name = `axe ${label} ${url}`;
  let violations = [];
  const good = await check(name, async () => {
    const res = await page.goto(base + url);
    assert(res && res.status() === 200, `HTTP ${res?.status()}`);
    const n = await page.locator(expectSelector).count();
    assert(n > 0, `the page has no ${expectSelector}`);
    const result = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
    violations = result.violations;
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const summary = violations.map((v) => `${v.id}/${v.impact}`).join(', ') || 'none';
    assert(bad.length === 0, `${bad.length} serious/critical violation(s): ${summary}`);
    const review = result.incomplete.map((v) => v.id).join(', ') || 'none';
    return `${result.passes.length} rules passed, violations: ${summary}; to review by hand: ${review}`;
  });
  for (const v of violations) {
    console.log(`       violation ${v.id} (${v.impact}) on ${url}: ${v.help} — ${v.nodes.length} element(s)`);
    for (const node of v.nodes.slice(0, 2)) {
      console.log(`         target ${JSON.stringify(node.target)}: ${node.html.replace(/\s+/g, ' ').slice(0, 200)}`);
    }
  }
  return good;
}

// ---------------------------------------------------------------- the test

async function main() {
  const bin = pickBinary();
  assert(existsSync(bin), `no kitep binary at ${bin}: build it or set KITEP`);
  assert(existsSync(CHROMIUM), `no chromium at ${CHROMIUM}: apt-get install -y chromium`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kitep-e2e-'));
  const dataDir = path.join(tmp, 'data');
  const port = await freePort();
  console.log(`kitep: ${bin} (built ${statSync(bin).mtime.toISOString()}); data ${dataDir}; port ${port}`);

  let browser;
  try {
    let base;
    const up = await check('portal starts and GET /health is 200', async () => {
      const r = await startServer(bin, dataDir, port);
      base = r.base;
      return `${r.ms} ms`;
    });
    if (!up) return;

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const context = await browser.newContext({ locale: 'ky-KG' });
    record(context, 'ky-KG');
    const page = await context.newPage();

    // -- home page search, typed without ө
    await check('home page is served in Kyrgyz (Accept-Language ky)', async () => {
      const res = await page.goto(`${base}/`);
      assert(res.status() === 200, `HTTP ${res.status()}`);
      const lang = await page.locator('html').getAttribute('lang');
      assert(lang === 'ky', `<html lang="${lang}">`);
      const sent = await res.request().headerValue('accept-language');
      assert(/^ky\b/.test(sent ?? ''), `Accept-Language sent was ${sent}`);
      return `Accept-Language: ${sent}`;
    });

    const searched = await check(`home search box: type "${QUERY}" and submit`, async () => {
      const box = page.locator('main').getByRole('searchbox', { name: 'Китепканадан издөө', exact: true });
      assert((await box.count()) === 1, `main has ${await box.count()} search boxes named "Китепканадан издөө"`);
      assert((await box.getAttribute('id')) === 'q-home-search', `its id is ${await box.getAttribute('id')}`);
      assert((await box.getAttribute('name')) === 'q', `its name is ${await box.getAttribute('name')}`);
      await box.click();
      await box.pressSequentially(QUERY);
      await Promise.all([page.waitForURL((u) => u.pathname === '/search'), box.press('Enter')]);
      const q = new URL(page.url()).searchParams.get('q');
      assert(q === QUERY, `landed on ${page.url()} (q=${q})`);
      return page.url().replace(base, '');
    });

    if (searched) {
      await check('results page: at least one hit with <mark> in a snippet', async () => {
        const hits = await page.locator('li.hit').count();
        assert(hits >= 1, 'no li.hit on the results page');
        const marks = await page.locator('li.hit .snippet mark').allTextContents();
        assert(marks.length >= 1, 'no <mark> in any snippet');
        assert(
          marks.some((m) => m.toLowerCase().startsWith('бөлчөк')),
          `no highlighted «бөлчөк…» word; marks: ${marks.slice(0, 5).join(', ')}`,
        );
        return `${hits} hit(s), ${marks.length} mark(s), e.g. «${marks[0]}»`;
      });
    }

    let readerPath = null;
    const opened = searched && (await check('first passage link opens /read/<book>/<chapter>#<anchor>', async () => {
      const link = page.locator('li.hit').first().locator('ul.passages a').first();
      assert((await link.count()) === 1, 'the first hit has no ul.passages a');
      const href = await link.getAttribute('href');
      await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/read/')), link.click()]);
      await page.waitForLoadState('load');
      const u = new URL(page.url());
      assert(/^\/read\/[^/]+\/[^/]+$/.test(u.pathname), `path is ${u.pathname}`);
      assert(u.hash.length > 1, `no #anchor in ${page.url()} (link was ${href})`);
      readerPath = u.pathname;
      return u.pathname + u.hash;
    }));

    if (opened) {
      await check('the #anchor target exists, is visible, in the viewport and highlighted', async () => {
        const state = async () =>
          page.evaluate(() => {
            const id = decodeURIComponent(location.hash.slice(1));
            const el = document.getElementById(id);
            if (!el) return { found: false, id };
            const r = el.getBoundingClientRect();
            const style = getComputedStyle(el);
            return {
              found: true,
              id,
              tag: el.tagName.toLowerCase(),
              visible: el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) && r.width > 0 && r.height > 0,
              inViewport: r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
              top: Math.round(r.top),
              isTarget: el.matches(':target'),
              background: style.backgroundColor,
            };
          });
        const s = await poll(async () => {
          const v = await state();
          return v.found && v.visible && v.inViewport ? v : null;
        }) ?? (await state());
        assert(s.found, `no element with id "${s.id}"`);
        assert(s.visible, `<${s.tag} id="${s.id}"> is not visible`);
        assert(s.inViewport, `<${s.tag} id="${s.id}"> is outside the viewport (top ${s.top}px)`);
        assert(s.isTarget, `<${s.tag} id="${s.id}"> does not match :target`);
        assert(
          s.background !== 'transparent' && s.background !== 'rgba(0, 0, 0, 0)',
          `:target background is ${s.background} (no highlight)`,
        );
        return `<${s.tag} id="${s.id}"> at ${s.top}px, background ${s.background}`;
      });
    }

    // -- interface language
    await check('no cookies before choosing a language', async () => {
      const cookies = await context.cookies();
      assert(cookies.length === 0, `cookies: ${cookies.map((c) => `${c.name}=${c.value}`).join('; ')}`);
    });

    if (!readerPath) {
      // Still exercise the language switch from a known reader page.
      readerPath = `/read/${BOOK}/01-fraction`;
      await page.goto(base + readerPath);
    }
    const before = new URL(page.url()).pathname;
    await check('language nav: "Русский" returns to the same page in Russian', async () => {
      const link = page.locator('nav.langs').getByRole('link', { name: 'Русский', exact: true });
      assert((await link.count()) === 1, `nav.langs has ${await link.count()} "Русский" links`);
      await Promise.all([
        page.waitForURL((u) => !u.pathname.startsWith('/lang/') && u.pathname === before, { timeout: 10_000 }),
        link.click(),
      ]);
      await page.waitForLoadState('load');
      const lang = await page.locator('html').getAttribute('lang');
      assert(lang === 'ru', `<html lang="${lang}">`);
      return `${new URL(page.url()).pathname}, <html lang="${lang}">`;
    });

    await check('cookie kitep_lang=ru is set and is the only cookie', async () => {
      const cookies = await context.cookies();
      const lang = cookies.find((c) => c.name === 'kitep_lang');
      assert(lang, `no kitep_lang cookie (cookies: ${cookies.map((c) => c.name).join(', ') || 'none'})`);
      assert(lang.value === 'ru', `kitep_lang=${lang.value}`);
      const others = cookies.filter((c) => c.name !== 'kitep_lang');
      assert(others.length === 0, `other cookies: ${others.map((c) => `${c.name}=${c.value}`).join('; ')}`);
      return `kitep_lang=${lang.value}; path ${lang.path}; httpOnly ${lang.httpOnly}; sameSite ${lang.sameSite}`;
    });

    // -- EPUB download
    await check(`book page /books/${BOOK}: EPUB download is a ZIP with the EPUB mimetype first`, async () => {
      const res = await page.goto(`${base}/books/${BOOK}`);
      assert(res.status() === 200, `HTTP ${res.status()}`);
      const link = page.locator('a[href$="/download"]');
      assert((await link.count()) >= 1, 'no a[href$="/download"] on the book page');
      const [download] = await Promise.all([page.waitForEvent('download'), link.first().click()]);
      const failure = await download.failure();
      assert(!failure, `download failed: ${failure}`);
      const file = path.join(tmp, download.suggestedFilename() || 'book.epub');
      await download.saveAs(file);
      const bytes = readFileSync(file);
      assert(bytes.length > 100, `only ${bytes.length} bytes`);
      assert(bytes.subarray(0, 2).toString('latin1') === 'PK', `starts with ${JSON.stringify(bytes.subarray(0, 4).toString('latin1'))}`);
      assert(
        bytes.subarray(0, 100).toString('latin1').includes('application/epub+zip'),
        'no "application/epub+zip" in the first 100 bytes',
      );
      assert(download.suggestedFilename().endsWith('.epub'), `file name ${download.suggestedFilename()}`);
      return `${download.suggestedFilename()}, ${bytes.length} bytes`;
    });

    // -- legibility: an inline fraction's numerals beside the text around them
    await check('reader: inline fraction numerals are at least 0.8 of the text size', async () => {
      const res = await page.goto(`${base}/read/${BOOK}/01-fraction`);
      assert(res.status() === 200, `HTTP ${res.status()}`);
      const m = await page.evaluate(() => {
        const out = [];
        for (const frac of document.querySelectorAll('p math:not([display="block"]) mfrac')) {
          const p = frac.closest('p');
          const text = parseFloat(getComputedStyle(p).fontSize);
          // The numerator's font size as the browser renders it (MathML scales it by depth).
          const num = frac.firstElementChild;
          out.push({ ratio: parseFloat(getComputedStyle(num).fontSize) / text, text });
        }
        return out;
      });
      assert(m.length > 0, 'no inline fraction found');
      const worst = m.reduce((a, b) => (b.ratio < a.ratio ? b : a));
      assert(worst.ratio >= 0.8, `numerator font ${(worst.ratio * worst.text).toFixed(1)} px beside ${worst.text} px text (${worst.ratio.toFixed(2)})`);
      return `${m.length} fractions, smallest numerator ${(worst.ratio * 100).toFixed(0)} % of the text`;
    });

    // -- a phone: the first search result is on the first screen
    await check('on a 390x844 phone the first search result is within the first screen', async () => {
      const phone = await browser.newContext({ locale: 'ky-KG', viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
      record(phone, 'phone');
      const p = await phone.newPage();
      const res = await p.goto(`${base}/search?q=${encodeURIComponent('бөлчөк')}`);
      assert(res.status() === 200, `HTTP ${res.status()}`);
      const box = await p.locator('li.hit').first().boundingBox();
      assert(box, 'no li.hit');
      const facets = await p.locator('nav.facets').count();
      await phone.close();
      assert(box.y < 844, `first result starts at ${Math.round(box.y)} px`);
      return `first result at ${Math.round(box.y)} px${facets ? ', filters after the results' : ''}`;
    });

    // -- accessibility: in the default (Kyrgyz) interface and in the Russian one chosen above
    const pages = [
      ['/', 'main h1'],
      [`/search?q=${QUERY}`, 'li.hit'],
      [`/books/${BOOK}`, 'a[href$="/download"]'],
      [`/read/${BOOK}/01-fraction`, 'article.chapter'],
      [`/read/${BOOK}/01-fraction?with=fractions-5-ru`, '.parallel article:nth-of-type(2)'],
      ['/collections', 'main h1'],
    ];
    const kyContext = await browser.newContext({ locale: 'ky-KG' });
    record(kyContext, 'ky-KG axe');
    const kyPage = await kyContext.newPage();
    for (const [url, sel] of pages) await runAxe(kyPage, base, '[ky]', url, sel);
    for (const [url, sel] of pages) await runAxe(page, base, '[ru]', url, sel);

    // -- staff: the first admin from the command line (on the running portal's data), signing in
    //    with the one-time password, choosing a password, and every staff page checked by axe in
    //    Kyrgyz and Russian
    const staffPages = [
      ['/staff', 'main h1'],
      ['/staff/people', 'main table'],
      ['/staff/invite', 'form.staff-form'],
      ['/staff/audit', 'main table'],
      ['/staff/password', 'form.staff-form'],
    ];
    const chosen = 'тоо көлү жашыл, суусу таза';
    let oneTime = '';
    await check('kitep admin add-user on the running portal prints a one-time password', async () => {
      const r = spawnSync(bin, ['admin', 'add-user', '--data', dataDir, '--role', 'admin', '--role', 'librarian', 'admin@school.kg'], { encoding: 'utf8' });
      assert(r.status === 0, `exit ${r.status}: ${r.stderr}`);
      oneTime = r.stdout.trim().split('\n').pop().trim();
      assert(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/.test(oneTime), `output: ${r.stdout}`);
    });
    const signIn = async (p, password) => {
      await p.goto(`${base}/staff/sign-in`);
      await p.fill('#email', 'admin@school.kg');
      await p.fill('#password', password);
      await Promise.all([p.waitForNavigation(), p.click('form.staff-form button[type=submit]')]);
    };
    const staffKy = await browser.newContext({ locale: 'ky-KG' });
    record(staffKy, 'staff ky');
    const sp = await staffKy.newPage();
    await runAxe(sp, base, '[ky]', '/staff/sign-in', 'form.staff-form');
    await check('staff: the one-time password signs in and must be replaced first', async () => {
      await signIn(sp, oneTime);
      const u = new URL(sp.url());
      assert(u.pathname === '/staff/password', `landed on ${u.pathname}`);
      const cookies = await staffKy.cookies();
      const session = cookies.find((c) => c.name === 'kitep_session');
      assert(session && session.httpOnly && session.sameSite === 'Lax', `cookies: ${JSON.stringify(cookies)}`);
      await sp.fill('#current', oneTime);
      await sp.fill('#new', chosen);
      await sp.fill('#repeat', chosen);
      await Promise.all([sp.waitForNavigation(), sp.click('form.staff-form button[type=submit]')]);
      const home = new URL(sp.url());
      assert(home.pathname === '/staff', `after the change: ${home.pathname}`);
      return 'signed in, password changed';
    });
    for (const [url, sel] of staffPages) await runAxe(sp, base, '[ky]', url, sel);
    const staffRu = await browser.newContext({ locale: 'ru-RU' });
    record(staffRu, 'staff ru');
    const rp = await staffRu.newPage();
    await runAxe(rp, base, '[ru]', '/staff/sign-in', 'form.staff-form');
    await check('staff: the chosen password signs in (Russian interface)', async () => {
      await signIn(rp, chosen);
      const u = new URL(rp.url());
      assert(u.pathname === '/staff', `landed on ${u.pathname}`);
      const lang = await rp.locator('html').getAttribute('lang');
      assert(lang === 'ru', `<html lang="${lang}">`);
    });
    for (const [url, sel] of staffPages) await runAxe(rp, base, '[ru]', url, sel);
    await staffKy.close();
    await staffRu.close();

    // -- the publishing story, as plain forms in Chromium: an admin invites an author, a reviewer
    //    and a librarian; the author uploads a book with a missing image, sees the file:line
    //    error, fixes it in the web editor and submits; the reviewer asks for changes on a line;
    //    the author revises and resubmits; the reviewer approves; the librarian publishes with a
    //    changelog; a reader without cookies finds and reads it; the librarian features it in a
    //    new collection, then withdraws it, and search no longer finds it while its page says why.
    const SENTENCE = 'Күн нуру суу тамчысында жети түскө бөлүнөт';
    const storyDir = mkdtempSync(path.join(os.tmpdir(), 'kitep-story-'));
    const zipPath = path.join(storyDir, 'rainbow.zip');
    const py = spawnSync('python3', ['-c', `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('rainbow/book.toml', '[book]\\ntitle = "Асан-Үсөн"\\nlanguage = "ky"\\nchapters = ["rainbow.md"]\\n')
    z.writestr('rainbow/src/rainbow.md', '# Асан-Үсөн\\n\\n${SENTENCE}.\\n\\n![Призма](img/prism.png)\\n')
`, zipPath], { encoding: 'utf8' });
    assert(py.status === 0, `making the zip: ${py.stderr}`);
    const contexts = {};
    const person = async (name, locale) => {
      const ctx = await browser.newContext({ locale });
      // A withdrawn book's page answers 410 (Gone), as it should.
      record(ctx, `story ${name}`, name === 'reader' ? [410] : []);
      contexts[name] = ctx;
      return ctx.newPage();
    };
    const submit = async (p, selector) => {
      await Promise.all([p.waitForNavigation(), p.click(selector)]);
    };
    const admin = await person('admin', 'ky-KG');
    await check('story: the admin signs in and invites an author, a reviewer and a librarian', async () => {
      await admin.goto(`${base}/staff/sign-in`);
      await admin.fill('#email', 'admin@school.kg');
      await admin.fill('#password', chosen);
      await submit(admin, 'form.staff-form button[type=submit]');
      const links = {};
      for (const [email, role, org] of [
        ['author@publisher.kg', 'author', 'Publisher A'],
        ['reviewer@ministry.kg', 'reviewer', 'Ministry'],
        ['librarian@school.kg', 'librarian', ''],
      ]) {
        await admin.goto(`${base}/staff/invite`);
        await admin.fill('#email', email);
        await admin.check(`input[name=role][value=${role}]`);
        if (org) await admin.fill('#organisation', org);
        await submit(admin, 'form.staff-form button[type=submit]');
        links[email] = (await admin.locator('code.secret').textContent()).trim();
        assert(links[email].includes('/staff/join/'), `no link for ${email}`);
      }
      for (const [email, name, locale] of [['author@publisher.kg', 'author', 'ky-KG'], ['reviewer@ministry.kg', 'reviewer', 'ru-RU'], ['librarian@school.kg', 'librarian', 'ky-KG']]) {
        const p = await person(name, locale);
        await runAxe(p, base, locale === 'ru-RU' ? '[ru]' : '[ky]', new URL(links[email]).pathname, 'form.staff-form');
        await p.goto(links[email]);
        // Not the address's name part: a password may not contain it.
        const word = { author: 'бир', reviewer: 'эки', librarian: 'үч' }[name];
        await p.fill('#new', `${chosen} ${word}`);
        await p.fill('#repeat', `${chosen} ${word}`);
        await submit(p, 'form.staff-form button[type=submit]');
        assert(new URL(p.url()).pathname === '/staff', `${name} landed on ${p.url()}`);
      }
      return 'three people joined by their links';
    });
    const author = contexts.author?.pages()[0];
    const reviewer = contexts.reviewer?.pages()[0];
    const librarian = contexts.librarian?.pages()[0];
    let draftUrl = '';
    const waitBuilt = async (p) => {
      for (let i = 0; i < 120; i++) {
        const res = await p.goto(draftUrl);
        if (!res.headers()['refresh']) return;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error('the build did not end within a minute');
    };
    await check('story: the author uploads the zip and sees the missing image as file:line:col with the line', async () => {
      await author.goto(`${base}/staff/drafts`);
      await author.setInputFiles('#file', zipPath);
      await submit(author, 'form[action="/staff/drafts"] button[type=submit]');
      draftUrl = author.url();
      assert(/\/staff\/drafts\/[0-9a-f]+$/.test(new URL(draftUrl).pathname), `after upload: ${draftUrl}`);
      await waitBuilt(author);
      const finding = await author.locator('ol.findings li.error').first().textContent();
      assert(finding.includes('src/rainbow.md:5:1') && finding.includes('img/prism.png'), `finding: ${finding}`);
      return finding.replace(/\s+/g, ' ').slice(0, 90);
    });
    await runAxe(author, base, '[ky]', new URL(draftUrl).pathname, 'ol.findings');
    await check('story: the author fixes it in the web editor', async () => {
      await author.goto(`${draftUrl}/edit/src/rainbow.md`);
      const text = await author.inputValue('#content');
      await author.fill('#content', text.replace('![Призма](img/prism.png)', 'Призма аркылуу да ушундай болот.'));
      await submit(author, 'form.staff-form button[type=submit]');
      await waitBuilt(author);
      assert((await author.locator('ol.findings li.error').count()) === 0, 'errors remain');
    });
    await runAxe(author, base, '[ky]', `${new URL(draftUrl).pathname}/edit`, 'form.staff-form');
    await runAxe(author, base, '[ky]', `${new URL(draftUrl).pathname}/edit/src/rainbow.md`, 'textarea#content');
    // The same pages in Russian: the author switches the interface language (the one cookie a
    // reader may also get), then back.
    const switchTo = async (p, code) => {
      await p.goto(`${base}/lang/${code}?back=${encodeURIComponent('/staff')}`);
    };
    await switchTo(author, 'ru');
    for (const [url, sel] of [
      [new URL(draftUrl).pathname, 'ol.findings, p[role=status]'],
      [`${new URL(draftUrl).pathname}/edit`, 'form.staff-form'],
      [`${new URL(draftUrl).pathname}/edit/src/rainbow.md`, 'textarea#content'],
      ['/staff/drafts', 'main h1'],
      ['/staff/tokens', 'form.staff-form'],
    ]) await runAxe(author, base, '[ru]', url, sel);
    await switchTo(author, 'ky');
    await runAxe(author, base, '[ky]', '/staff/drafts', 'main h1');
    await runAxe(author, base, '[ky]', '/staff/tokens', 'form.staff-form');
    await check('story: the author submits it for review', async () => {
      await author.goto(draftUrl);
      await submit(author, `form[action$="/submit"] button`);
    });
    await check('story: the reviewer sees what changed and asks for changes on a line', async () => {
      await reviewer.goto(`${base}/staff/drafts`);
      await submit(reviewer, `a[href="${new URL(draftUrl).pathname}"]`);
      await reviewer.goto(`${draftUrl}/changes`);
      assert((await reviewer.locator('table.diff tr.added').count()) > 0, 'no added lines shown');
      await reviewer.goto(draftUrl);
      await reviewer.fill('#body', 'Жети түстүн аттарын жазыңыз.');
      await reviewer.fill('#file', 'src/rainbow.md');
      await reviewer.fill('#line', '3');
      await submit(reviewer, 'button[value=request_changes]');
    });
    await runAxe(reviewer, base, '[ru]', new URL(draftUrl).pathname, 'ol.history');
    await runAxe(reviewer, base, '[ru]', `${new URL(draftUrl).pathname}/changes`, 'table.diff');
    await check('story: the author reads the comment, revises and resubmits; the reviewer approves', async () => {
      await author.goto(draftUrl);
      const history = await author.locator('ol.history').textContent();
      assert(history.includes('src/rainbow.md:3') && history.includes('Жети түстүн'), `history: ${history}`);
      await author.goto(`${draftUrl}/edit/src/rainbow.md`);
      const text = await author.inputValue('#content');
      await author.fill('#content', `${text.trimEnd()}\n\nКызыл, сары, жашыл, көк жана башкалар.\n`);
      await submit(author, 'form.staff-form button[type=submit]');
      await waitBuilt(author);
      await submit(author, `form[action$="/submit"] button`);
      await reviewer.goto(draftUrl);
      await reviewer.fill('#body', 'Макул.');
      await submit(reviewer, 'button[value=approve]');
    });
    await check('story: the librarian publishes with a changelog; a reader without cookies finds and reads it', async () => {
      await librarian.goto(draftUrl);
      await librarian.fill('#changelog', 'Биринчи басылыш');
      await submit(librarian, `form[action$="/publish"] button`);
      const bookPath = new URL(librarian.url()).pathname;
      assert(bookPath.startsWith('/books/'), `after publishing: ${bookPath}`);
      const reader = await person('reader', 'ky-KG');
      const slug = bookPath.split('/').pop();
      await reader.goto(`${base}/search?q=${encodeURIComponent('жети түскө')}`);
      const hits = await reader.locator(`li.hit a[href^="/read/${slug}/"]`).count();
      assert(hits > 0, 'the new book is not found');
      await submit(reader, `li.hit a[href^="/read/${slug}/"]`);
      const chapter = await reader.locator('article.chapter').textContent();
      assert(chapter.includes(SENTENCE), 'the chapter does not show the sentence');
      assert((await contexts.reader.cookies()).length === 0, 'the reader got a cookie');
      await reader.goto(`${base}${bookPath}`);
      assert((await reader.locator('ul.versions').textContent()).includes('Биринчи басылыш'), 'no changelog');
      contexts.bookPath = bookPath;
    });
    await check('story: the librarian adds it to a new featured collection shown on the home page', async () => {
      await librarian.goto(`${base}/staff/collections`);
      await librarian.fill('#slug', 'nature-ky');
      await librarian.fill('#title-ky', 'Табият кубулуштары');
      await librarian.check('input[name=featured]');
      await submit(librarian, 'form[action="/staff/collections"] button[type=submit]');
      const slug = contexts.bookPath.split('/').pop();
      await librarian.selectOption('#book', slug);
      await submit(librarian, 'form[action$="/add"] button');
      const reader = contexts.reader.pages()[0];
      await reader.goto(`${base}/`);
      assert((await reader.locator('a[href="/collections/nature-ky"]').count()) === 1, 'not on the home page');
    });
    await runAxe(librarian, base, '[ky]', '/staff/collections/nature-ky', 'form.staff-form');
    await runAxe(librarian, base, '[ky]', '/staff/books', 'ul.editions');
    await runAxe(librarian, base, '[ky]', '/staff/collections', 'form.staff-form');
    await switchTo(librarian, 'ru');
    for (const [url, sel] of [
      ['/staff/collections', 'form.staff-form'],
      ['/staff/collections/nature-ky', 'form.staff-form'],
      ['/staff/books', 'ul.editions'],
      [`${new URL(draftUrl).pathname}/changes`, 'table.diff'],
    ]) await runAxe(librarian, base, '[ru]', url, sel);
    await switchTo(librarian, 'ky');
    await runAxe(librarian, base, '[ky]', `${new URL(draftUrl).pathname}/changes`, 'table.diff');
    await check('story: the librarian withdraws it; search no longer finds it and its page says why', async () => {
      await librarian.goto(`${base}/staff/books`);
      const slug = contexts.bookPath.split('/').pop();
      await librarian.fill(`#reason-${slug}`, 'Автордун өтүнүчү боюнча');
      await submit(librarian, `form[action="/staff/books/${slug}/withdraw"] button`);
      const reader = contexts.reader.pages()[0];
      await reader.goto(`${base}/search?q=${encodeURIComponent('жети түскө')}`);
      assert((await reader.locator(`li.hit a[href^="/read/${slug}/"]`).count()) === 0, 'still found');
      const res = await reader.goto(`${base}${contexts.bookPath}`);
      assert(res.status() === 410, `HTTP ${res.status()}`);
      assert((await reader.locator('main').textContent()).includes('Автордун өтүнүчү боюнча'), 'no reason shown');
      return '410 with the reason';
    });
    for (const [k, ctx] of Object.entries(contexts)) if (k !== 'bookPath') await ctx.close();
    rmSync(storyDir, { recursive: true, force: true });

    // -- what the browser saw along the way
    await check('after every page: kitep_lang=ru is still the only cookie; none in the untouched context', async () => {
      const ru = await context.cookies();
      const names = ru.map((c) => `${c.name}=${c.value}`);
      assert(names.length === 1 && names[0] === 'kitep_lang=ru', `cookies: ${names.join('; ') || 'none'}`);
      const ky = (await kyContext.cookies()).map((c) => `${c.name}=${c.value}`);
      assert(ky.length === 0, `cookies set without choosing a language: ${ky.join('; ')}`);
    });
    await check('every request went to 127.0.0.1 (no third-party requests)', async () => {
      const foreign = [];
      for (const u of requests) {
        const url = new URL(u);
        if (['data:', 'blob:', 'about:'].includes(url.protocol)) continue;
        if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) || url.hostname !== '127.0.0.1') foreign.push(u);
      }
      assert(requests.length > 0, 'no request was recorded');
      assert(foreign.length === 0, `${foreign.length} foreign request(s): ${[...new Set(foreign)].slice(0, 5).join(', ')}`);
      return `${requests.length} requests`;
    });
    await check('no console errors (CSP violations, script errors)', async () => {
      assert(consoleErrors.length === 0, `${consoleErrors.length}: ${consoleErrors.slice(0, 5).join(' | ')}`);
    });
    await check('no HTTP error responses', async () => {
      assert(httpErrors.length === 0, `${httpErrors.length}: ${httpErrors.slice(0, 5).join(' | ')}`);
    });
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopServer();
    if (failed > 0 && serverLog.length) {
      console.log('--- last lines of the kitep log');
      for (const line of serverLog.slice(-25)) console.log(`    ${line}`);
    }
    if (process.env.KITEP_E2E_KEEP === '1') console.log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

process.on('exit', killServerSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killServerSync();
    process.exit(130);
  });
}
const overall = setTimeout(() => {
  console.log(`FAIL - the test did not finish within ${OVERALL_TIMEOUT_MS / 1000} s`);
  killServerSync();
  process.exit(1);
}, OVERALL_TIMEOUT_MS);
overall.unref();

try {
  await main();
} catch (e) {
  fail('test run', e?.stack ?? String(e));
}
console.log(`summary: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
