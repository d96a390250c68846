// Real-browser checks of docroot's pages, in Debian's Chromium driven by
// playwright-core (which never downloads a browser). tests/browser.rs
// makes the fixture, starts the servers and runs this; by hand:
//
//   node tests/browser/pages.mjs --site URL [--control URL] [--expect FILE] \
//        [--demo URL] [--coded URL] [--shots DIR]
//
// (or the environment: DOCROOT_SITE_URL, DOCROOT_CONTROL_URL, DOCROOT_EXPECT,
// DOCROOT_DEMO_URL, DOCROOT_SHOTS). --site is docroot over the fixture tree
// with DOCROOT_LISTING=on; --expect is the JSON file tests/browser.rs writes
// (the fixture's listings in their expected order, sizes and dates);
// --control serves the same tree, for the one page without an icon; --demo
// serves public/; --coded serves a page whose HTML, CSS and script are
// long enough to be coded on the fly (it must arrive br-coded, all three,
// render with its style, run its script, and log no error). Each page is checked at widths 390 and 1280, in light and
// dark colour schemes. Prints `ok - …` or `not ok - … : why` per check, saves
// a full-page screenshot of each page in each combination to
// DIR/<page>-<width>-<scheme>.png, and exits 1 when any check failed.
// --chromium (or $CHROMIUM) names another browser binary than
// /usr/bin/chromium.
//
// A favicon fetch is the browser's own, not the page's: page.on('request')
// never sees it, so whether Chromium asked for /favicon.ico is read from
// the servers' access logs by tests/browser.rs (the control page tells
// whether it would ask at all).

import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';

const { values: opts } = parseArgs({
  options: {
    site: { type: 'string', default: process.env.DOCROOT_SITE_URL },
    control: { type: 'string', default: process.env.DOCROOT_CONTROL_URL },
    expect: { type: 'string', default: process.env.DOCROOT_EXPECT },
    demo: { type: 'string', default: process.env.DOCROOT_DEMO_URL },
    coded: { type: 'string', default: process.env.DOCROOT_CODED_URL },
    shots: { type: 'string', default: process.env.DOCROOT_SHOTS ?? 'target/browser' },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
  },
});
if (!opts.site && !opts.demo && !opts.coded) {
  console.error('pages.mjs: give --site URL (with --expect FILE), --demo URL and/or --coded URL');
  process.exit(2);
}
if (opts.site && !opts.expect) {
  console.error('pages.mjs: --site needs --expect FILE (written by tests/browser.rs)');
  process.exit(2);
}
const expected = opts.expect ? JSON.parse(readFileSync(opts.expect, 'utf8')) : null;
mkdirSync(opts.shots, { recursive: true });

const WIDTHS = [390, 1280];
const SCHEMES = ['light', 'dark'];
// How long a page stays shown after load, so that a favicon request the
// browser would make reaches the server's access log before we move on.
const SETTLE_MS = 500;
const LONG_HEADER = 'x-docroot-a-rather-long-header-name';
const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/156.0.0.0 Safari/537.36 DocrootBrowserTest/1.0 ' +
  '(+https://example.test/a-user-agent-token-that-goes-on-without-any-space-0123456789)';
const EXTRA_HEADERS = {
  [LONG_HEADER]: 'a value',
  'x-docroot-token': 'f'.repeat(24) + '0123456789abcdef'.repeat(4),
};

// ---------------------------------------------------------------- reporting

let failures = 0;
let passes = 0;
// Combinations run side by side; each prints its lines when it is done.
const sink = new AsyncLocalStorage();
function say(line) {
  const lines = sink.getStore();
  if (lines) lines.push(line);
  else console.log(line);
}
function report(name, ok, details = '') {
  if (ok) {
    passes++;
    say(`ok - ${name}`);
  } else {
    failures++;
    say(`not ok - ${name} : ${oneLine(details)}`);
  }
}
function oneLine(x) {
  const s = typeof x === 'string' ? x : JSON.stringify(x);
  return s.replace(/\s*\n\s*/g, ' | ').slice(0, 1500);
}
/** Runs a check that returns a list of problems (empty: passed). */
async function check(name, fn) {
  try {
    const problems = await fn();
    const shown = problems.length > 6 ? [...problems.slice(0, 5), `and ${problems.length - 5} more`] : problems;
    report(name, problems.length === 0, shown.join('; '));
  } catch (e) {
    report(name, false, `threw: ${e?.message ?? e}`);
  }
}

// ---------------------------------------------------- in-page measurements
// Evaluated once in each loaded page: defines window.__dr with the helpers
// the checks call through page.evaluate.

const HELPERS = () => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  /** Any CSS colour (rgb(), oklch(), color(), names…) as [r, g, b, a 0..1]. */
  function rgba(css) {
    const m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$/.exec(css);
    if (m) {
      let a = m[4] === undefined ? 1 : m[4].endsWith('%') ? parseFloat(m[4]) / 100 : +m[4];
      return [+m[1], +m[2], +m[3], a];
    }
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = 'rgba(0, 0, 0, 0)';
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  }
  function over(top, bottom) {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1);
  }
  /** The colour behind `el`: its background and its ancestors', down to
   *  the first opaque one, or the canvas (the `Canvas` system colour in
   *  the root's colour scheme) when all are transparent. */
  function background(el) {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let base;
    if (!layers.length || layers[layers.length - 1][3] < 1) {
      const probe = document.createElement('div');
      probe.style.backgroundColor = 'Canvas';
      document.documentElement.appendChild(probe);
      base = rgba(getComputedStyle(probe).backgroundColor);
      probe.remove();
      if (base[3] < 1) base = [255, 255, 255, 1];
    } else {
      base = layers.pop();
    }
    while (layers.length) base = over(layers.pop(), base);
    return base;
  }
  function luminance([r, g, b]) {
    const f = (c) => {
      c /= 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  }
  function contrast(fg, bg) {
    const c = over(fg, bg);
    const [l1, l2] = [luminance(c), luminance(bg)].sort((a, b) => b - a);
    return (l1 + 0.05) / (l2 + 0.05);
  }
  const hex = (c) => '#' + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  /** How many line boxes the text inside `el` occupies: the distinct tops
   *  (within 3 px) of the client rects of its text, by a Range over each
   *  text node (so an inline box's padding cannot pass for a line). */
  function lines(el) {
    const tops = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n; (n = walker.nextNode()); ) {
      if (!n.data.trim()) continue;
      const r = document.createRange();
      r.selectNodeContents(n);
      for (const rect of r.getClientRects()) if (rect.width > 0) tops.push(Math.round(rect.top));
    }
    tops.sort((a, b) => a - b);
    let count = 0;
    let last = -Infinity;
    for (const t of tops) {
      if (t - last > 3) {
        count++;
        last = t;
      }
    }
    return count;
  }
  /** The right edge of the text `el` shows (not of its box). */
  function contentRight(el) {
    let right = -Infinity;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n; (n = walker.nextNode()); ) {
      if (!n.data.trim()) continue;
      const r = document.createRange();
      r.selectNodeContents(n);
      for (const rect of r.getClientRects()) if (rect.width > 0) right = Math.max(right, rect.right);
    }
    return right;
  }
  /** Where the text inside `el` wraps: for each line after the first, the
   *  character before the break and a little context. */
  function breaks(el) {
    const chars = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n; (n = walker.nextNode()); ) {
      for (let i = 0; i < n.data.length; i++) {
        const r = document.createRange();
        r.setStart(n, i);
        r.setEnd(n, i + 1);
        const rect = [...r.getClientRects()].find((x) => x.width > 0 || x.height > 0);
        chars.push({ ch: n.data[i], top: rect ? Math.round(rect.top) : null, right: rect?.right });
      }
    }
    const text = chars.map((c) => c.ch).join('');
    const found = [];
    let lastTop = null;
    let maxRight = 0;
    chars.forEach((c, i) => {
      if (c.top === null) return;
      maxRight = Math.max(maxRight, c.right);
      if (lastTop !== null && c.top > lastTop + 3) {
        found.push({ before: text[i - 1], at: i, context: text.slice(Math.max(0, i - 8), i) + '⏎' + text.slice(i, i + 8) });
      }
      lastTop = c.top;
    });
    return { text, breaks: found, maxRight };
  }
  window.__dr = { rgba, background, luminance, contrast, hex, lines, contentRight, breaks };
};

// -------------------------------------------------------------- the checks

/** A page shown in one combination: the Playwright page, the navigation's
 *  response, and what the page recorded. */
async function open(context, url, label) {
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', async (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  const response = await page.goto(url, { waitUntil: 'load' });
  const loadedAt = Date.now();
  await page.evaluate(HELPERS);
  return { page, response, dialogs, loadedAt, label, url };
}

async function close(shown, shots, name, width, scheme) {
  const { page, loadedAt } = shown;
  const wait = SETTLE_MS - (Date.now() - loadedAt);
  if (wait > 0) await page.waitForTimeout(wait);
  await page
    .screenshot({ path: path.join(shots, `${name}-${width}-${scheme}.png`), fullPage: true })
    .catch((e) => report(`${shown.label}: screenshot`, false, e.message));
  await page.close();
}

/** Checks every page gets: no sideways scroll, colours. */
async function commonChecks(shown, scheme) {
  const { page, label } = shown;
  await check(`${label}: no sideways scroll`, async () => {
    const { sw, iw } = await page.evaluate(() => ({
      sw: document.documentElement.scrollWidth,
      iw: window.innerWidth,
    }));
    if (sw <= iw) return [];
    const culprits = await page.evaluate(() =>
      [...document.querySelectorAll('body, body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
        .filter((e) => !e.parentElement || e.parentElement.getBoundingClientRect().right <= window.innerWidth + 0.5)
        .slice(0, 5)
        .map((e) => `<${e.localName}${e.className ? '.' + e.className : ''}> right=${Math.round(e.getBoundingClientRect().right)}`),
    );
    return [`scrollWidth ${sw} > innerWidth ${iw}; widest: ${culprits.join(', ')}`];
  });
  await check(`${label}: ${scheme} background and contrast`, async () => {
    const c = await page.evaluate(() => {
      const d = window.__dr;
      const bg = d.background(document.body);
      const text = d.rgba(getComputedStyle(document.body).color);
      // Every visible element that holds text of its own: links, muted
      // notes, table headings, code.
      const texts = [...document.querySelectorAll("body *")]
        .filter((e) => e.getClientRects().length)
        .filter((e) => [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()))
        .map((e) => {
          const lbg = d.background(e);
          const fg = d.rgba(getComputedStyle(e).color);
          return { text: `<${e.localName}> ${e.textContent.trim().slice(0, 30)}`, ratio: d.contrast(fg, lbg), fg: d.hex(fg), bg: d.hex(lbg) };
        });
      return {
        bg: d.hex(bg),
        lum: d.luminance(bg),
        text: d.hex(text),
        ratio: d.contrast(text, bg),
        texts,
      };
    });
    const problems = [];
    if (scheme === 'dark' && !(c.lum < 0.2))
      problems.push(`background ${c.bg} is not dark (luminance ${c.lum.toFixed(3)}, want < 0.2)`);
    if (scheme === 'light' && !(c.lum > 0.8))
      problems.push(`background ${c.bg} is not light (luminance ${c.lum.toFixed(3)}, want > 0.8)`);
    if (!(c.ratio >= 4.5)) problems.push(`body text ${c.text} on ${c.bg}: contrast ${c.ratio.toFixed(2)} < 4.5`);
    const seen = new Set();
    for (const l of c.texts) {
      const key = l.fg + l.bg;
      if (l.ratio < 4.5 && !seen.has(key)) {
        seen.add(key);
        problems.push(`text "${l.text}" ${l.fg} on ${l.bg}: contrast ${l.ratio.toFixed(2)} < 4.5`);
      }
    }
    return problems;
  });
}

/** Checks every generated page gets: status, icon, favicon, a11y, and the
 *  JSON alternative where there is one. */
async function generatedChecks(shown, { status, json }) {
  const { page, label, response } = shown;
  await check(`${label}: status ${status}`, async () =>
    response?.status() === status ? [] : [`got ${response?.status()}`],
  );
  await check(`${label}: inline icon that loads`, async () => {
    const r = await page.evaluate(async () => {
      const links = [...document.querySelectorAll('link[rel~=icon]')];
      if (!links.length) return { error: 'no <link rel=icon>' };
      const href = links[0].getAttribute('href') ?? '';
      if (!href.startsWith('data:')) return { error: `icon href is not a data: URL: ${href.slice(0, 60)}` };
      const img = new Image();
      img.src = links[0].href;
      try {
        await img.decode();
      } catch (e) {
        return { error: `the icon does not decode: ${e.message}` };
      }
      return { width: img.naturalWidth, height: img.naturalHeight };
    });
    if (r.error) return [r.error];
    return r.width > 0 ? [] : [`icon naturalWidth ${r.width}`];
  });
  await check(`${label}: accessibility basics`, async () => {
    const a = await page.evaluate(() => ({
      lang: document.documentElement.getAttribute('lang'),
      mains: document.querySelectorAll('main').length,
      noScope: [...document.querySelectorAll('th')]
        .filter((th) => !th.hasAttribute('scope'))
        .map((th) => th.textContent.trim().slice(0, 30)),
      title: document.title,
    }));
    const p = [];
    if (!a.lang?.trim()) p.push('html has no lang');
    if (a.mains !== 1) p.push(`${a.mains} <main> elements, want 1`);
    if (a.noScope.length) p.push(`${a.noScope.length} <th> without scope (${a.noScope.slice(0, 3).join(', ')})`);
    if (!a.title.trim()) p.push('empty <title>');
    return p;
  });
  await check(`${label}: time elements on one line`, async () => {
    const bad = await page.evaluate(() =>
      [...document.querySelectorAll('time')]
        .map((t) => ({ text: t.textContent, lines: window.__dr.lines(t) }))
        .filter((t) => t.lines !== 1),
    );
    return bad.map((t) => `"${t.text}" takes ${t.lines} lines`);
  });
  if (json) {
    await check(`${label}: JSON alternative`, async () => {
      const r = await page.evaluate(async () => {
        const want = location.origin + location.pathname + '?format=json';
        const alt = document.querySelector('link[rel=alternate][type="application/json"]');
        const link = [...document.querySelectorAll('a')].find((a) => a.textContent.trim() === 'JSON');
        const res = link ? await fetch(link.href) : null;
        return {
          want,
          alt: alt?.href ?? null,
          link: link?.href ?? null,
          type: res?.headers.get('content-type') ?? null,
          body: res ? await res.text() : null,
        };
      });
      const p = [];
      if (r.alt !== r.want) p.push(`<link rel=alternate type=application/json> resolves to ${r.alt}, want ${r.want}`);
      if (r.link !== r.want) p.push(`the "JSON" link resolves to ${r.link}, want ${r.want}`);
      if (r.type !== null && !r.type.startsWith('application/json')) p.push(`it is ${r.type}, not application/json`);
      if (r.body !== null) {
        try {
          shown.json = JSON.parse(r.body);
        } catch {
          p.push(`it is not JSON: ${r.body.slice(0, 80)}`);
        }
      }
      return p;
    });
  }
}

async function infoChecks(shown, width) {
  const { page, label } = shown;
  await check(`${label}: header names on one line`, async () => {
    const r = await page.evaluate(() => {
      const codes = [...document.querySelectorAll('table.pairs th code')];
      return {
        count: codes.length,
        bad: codes.map((c) => ({ t: c.textContent, n: window.__dr.lines(c) })).filter((c) => c.n !== 1),
        names: codes.map((c) => c.textContent),
      };
    });
    const p = r.bad.map((c) => `"${c.t}" takes ${c.n} lines`);
    if (r.count === 0) p.push('no <th><code> header names in a table.pairs');
    else if (!r.names.includes('x-docroot-a-rather-long-header-name')) p.push('the long header name is not shown');
    return p;
  });
  await check(`${label}: ${width < 600 ? 'name above value' : 'name beside value'} in every row`, async () => {
    const rows = await page.evaluate(() =>
      [...document.querySelectorAll('table.pairs tr')]
        .map((tr) => {
          const th = tr.querySelector('th');
          const td = tr.querySelector('td');
          if (!th || !td) return null;
          const a = th.getBoundingClientRect();
          const b = td.getBoundingClientRect();
          return { name: th.textContent.trim().slice(0, 30), th: { top: a.top, bottom: a.bottom, right: a.right }, td: { top: b.top, left: b.left } };
        })
        .filter(Boolean),
    );
    if (!rows.length) return ['no table.pairs rows with a th and a td'];
    const p = [];
    for (const r of rows) {
      if (width < 600) {
        if (!(r.th.bottom <= r.td.top + 1))
          p.push(`"${r.name}": th bottom ${r.th.bottom.toFixed(1)} > td top ${r.td.top.toFixed(1)}`);
      } else if (!(Math.abs(r.th.top - r.td.top) <= 1 && r.th.right <= r.td.left + 1)) {
        p.push(`"${r.name}": th (top ${r.th.top.toFixed(1)}, right ${r.th.right.toFixed(1)}) not beside td (top ${r.td.top.toFixed(1)}, left ${r.td.left.toFixed(1)})`);
      }
    }
    return p;
  });
  await check(`${label}: row headers scope=row`, async () => {
    const r = await page.evaluate(() => {
      const ths = [...document.querySelectorAll('table.pairs th')];
      return { count: ths.length, bad: ths.filter((th) => th.getAttribute('scope') !== 'row').map((th) => th.textContent.trim()) };
    });
    if (!r.count) return ['no table.pairs'];
    return r.bad.length ? [`${r.bad.length} without scope=row: ${r.bad.slice(0, 3).join(', ')}`] : [];
  });
  await check(`${label}: query arguments decoded`, async () => {
    const r = await page.evaluate(() => {
      const h = [...document.querySelectorAll('h2')].find((h) => /^Query arguments/.test(h.textContent.trim()));
      let table = h?.nextElementSibling;
      while (table && table.localName !== 'table') table = table.nextElementSibling;
      return {
        heading: h?.textContent.trim() ?? null,
        rows: table ? [...table.querySelectorAll('tr')].map((tr) => [tr.querySelector('th')?.textContent, tr.querySelector('td')?.textContent]) : null,
      };
    });
    const want = [['q', 'café'], ['empty', ''], ['a', '1'], ['a', '2']];
    const p = [];
    if (r.heading !== 'Query arguments (4)') p.push(`heading ${JSON.stringify(r.heading)}, want "Query arguments (4)"`);
    if (JSON.stringify(r.rows) !== JSON.stringify(want)) p.push(`rows ${JSON.stringify(r.rows)}, want ${JSON.stringify(want)}`);
    return p;
  });
  await check(`${label}: headers counted`, async () => {
    const r = await page.evaluate(() => {
      const h = [...document.querySelectorAll('h2')].find((h) => /^Headers/.test(h.textContent.trim()));
      const table = document.querySelector('table.pairs.headers');
      return { heading: h?.textContent.trim() ?? null, rows: table ? table.querySelectorAll('tbody tr').length : null };
    });
    if (r.rows === null) return ['no table.pairs.headers'];
    return r.heading === `Headers (${r.rows})` ? [] : [`heading ${JSON.stringify(r.heading)} but ${r.rows} rows`];
  });
}

async function listingChecks(shown, width, dir, want, longName) {
  const { page, label } = shown;
  const read = () =>
    page.evaluate(() => {
      const d = window.__dr;
      const rows = [...document.querySelectorAll('table.listing tbody tr')];
      return {
        table: !!document.querySelector('table'),
        head: [...document.querySelectorAll('table.listing thead th')].map((th) => ({
          text: th.textContent.trim(),
          scope: th.getAttribute('scope'),
        })),
        rows: rows.map((tr) => {
          const a = tr.querySelector('td.name a');
          const size = tr.querySelector('td.size');
          const date = tr.querySelector('td.date');
          const time = date?.querySelector('time');
          return {
            name: a?.textContent ?? null,
            href: a?.getAttribute('href') ?? null,
            size: size?.textContent.trim() ?? null,
            sizeTitle: size?.querySelector('[title]')?.getAttribute('title') ?? null,
            sizeAlign: size ? getComputedStyle(size).textAlign : null,
            sizeRight: size ? d.contentRight(size) : null,
            sizeLines: size ? d.lines(size) : null,
            date: date?.textContent.trim() ?? null,
            datetime: time?.getAttribute('datetime') ?? null,
            dateLines: date ? d.lines(date) : null,
          };
        }),
      };
    });
  const l = await read();
  const names = l.rows.map((r) => (r.name ?? '').replace(/\/$/, ''));

  if (want.names.length === 0) {
    await check(`${label}: empty directory says so`, async () => {
      const p = [];
      const msg = page.getByText('This directory is empty');
      if (!(await msg.count())) p.push('no "This directory is empty" text');
      else if (!(await msg.first().isVisible())) p.push('"This directory is empty" is not visible');
      if (l.table) p.push('there is a table');
      return p;
    });
  } else {
    await check(`${label}: column headers`, async () => {
      const p = [];
      if (l.head.length !== 3) p.push(`${l.head.length} header cells in table.listing thead, want 3`);
      const bad = l.head.filter((h) => h.scope !== 'col');
      if (bad.length) p.push(`without scope=col: ${bad.map((h) => h.text).join(', ')}`);
      return p;
    });
    await check(`${label}: names in natural order`, async () => {
      if (JSON.stringify(names) === JSON.stringify(want.names)) return [];
      return [`got ${JSON.stringify(names)}`, `want ${JSON.stringify(want.names)}`];
    });
    await check(`${label}: sizes right-aligned on one line`, async () => {
      const p = [];
      const sizes = l.rows.filter((r) => r.size !== null);
      if (sizes.length !== l.rows.length) p.push(`${l.rows.length - sizes.length} rows without td.size`);
      const align = [...new Set(sizes.map((r) => r.sizeAlign))];
      if (align.some((a) => a !== 'right' && a !== 'end')) p.push(`td.size text-align: ${align.join(', ')}`);
      const rights = sizes.map((r) => r.sizeRight);
      const spread = Math.max(...rights) - Math.min(...rights);
      if (spread > 1) p.push(`right edges of the sizes differ by ${spread.toFixed(1)} px`);
      for (const r of sizes) if (r.sizeLines !== 1) p.push(`size "${r.size}" of ${r.name} takes ${r.sizeLines} lines`);
      for (const [name, text] of Object.entries(want.sizes ?? {})) {
        const row = l.rows[names.indexOf(name)];
        if (!row) p.push(`no row for ${name}`);
        else if (row.size !== text) p.push(`${name}: size "${row.size}", want "${text}"`);
      }
      for (const [name, bytes] of Object.entries(want.bytes ?? {})) {
        const row = l.rows[names.indexOf(name)];
        if (row && row.sizeTitle !== `${bytes} bytes`) p.push(`${name}: size title ${JSON.stringify(row.sizeTitle)}, want "${bytes} bytes"`);
      }
      return p;
    });
    await check(`${label}: dates as UTC minutes on one line`, async () => {
      const p = [];
      for (const r of l.rows) {
        if (r.date === null) {
          p.push(`${r.name}: no td.date`);
          continue;
        }
        if (!/^\d{4}-\d\d-\d\d \d\d:\d\d$/.test(r.date)) p.push(`${r.name}: date "${r.date}" is not YYYY-MM-DD HH:MM`);
        if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z$/.test(r.datetime ?? ''))
          p.push(`${r.name}: datetime ${JSON.stringify(r.datetime)} is not ISO 8601 UTC`);
        else if (r.datetime.slice(0, 16).replace('T', ' ') !== r.date)
          p.push(`${r.name}: datetime ${r.datetime} does not agree with "${r.date}"`);
        if (r.dateLines !== 1) p.push(`${r.name}: date "${r.date}" takes ${r.dateLines} lines`);
        const wantDate = want.dates?.[(r.name ?? '').replace(/\/$/, '')];
        if (wantDate && r.date !== wantDate) p.push(`${r.name}: date "${r.date}", want "${wantDate}"`);
      }
      return p;
    });
    if (longName && names.includes(longName)) {
      await check(`${label}: long name wraps only after - _ . or space`, async () => {
        const r = await page.evaluate((name) => {
          const a = [...document.querySelectorAll('td.name a')].find((a) => a.textContent === name);
          return a ? window.__dr.breaks(a) : null;
        }, longName);
        if (!r) return ['the long name is not in the table'];
        const p = r.breaks.filter((b) => !'-_. '.includes(b.before)).map((b) => `breaks after "${b.before}": ${b.context}`);
        const iw = await page.evaluate(() => window.innerWidth);
        if (r.maxRight > iw + 0.5) p.push(`the name runs to x=${Math.round(r.maxRight)}, past the viewport (${iw})`);
        return p;
      });
    }
  }

  await check(`${label}: breadcrumb and parent link`, async () => {
    const p = [];
    const crumbs = await page.evaluate(() => {
      const nav = document.querySelector('nav[aria-label=Breadcrumb]');
      if (!nav) return null;
      return {
        links: [...nav.querySelectorAll('a')].map((a) => ({ text: a.textContent.trim(), href: a.href })),
        current: nav.querySelector('[aria-current=page]')?.textContent.trim() ?? null,
      };
    });
    const url = new URL(page.url());
    const ancestors = [];
    const segs = url.pathname.split('/').filter(Boolean);
    for (let i = 0; i < segs.length; i++) ancestors.push(url.origin + '/' + segs.slice(0, i).map((s) => s + '/').join(''));
    const lastName = segs.length ? decodeURIComponent(segs[segs.length - 1]) : 'Home';
    if (!crumbs) p.push('no nav[aria-label=Breadcrumb]');
    else {
      const hrefs = crumbs.links.map((c) => c.href);
      if (JSON.stringify(hrefs) !== JSON.stringify(ancestors)) p.push(`breadcrumb links ${JSON.stringify(hrefs)}, want ${JSON.stringify(ancestors)}`);
      if (crumbs.current !== lastName) p.push(`current breadcrumb ${JSON.stringify(crumbs.current)}, want ${JSON.stringify(lastName)}`);
    }
    const parent = page.getByRole('link', { name: /Parent directory/ });
    const n = await parent.count();
    if (segs.length === 0) {
      if (n !== 0) p.push('a "Parent directory" link at the root');
    } else if (n !== 1) {
      p.push(`${n} links named "Parent directory", want 1`);
    } else {
      const href = await parent.evaluate((a) => a.href);
      if (href !== ancestors[ancestors.length - 1]) p.push(`"Parent directory" resolves to ${href}, want ${ancestors[ancestors.length - 1]}`);
    }
    return p;
  });

  // The alternative as JSON: the same names in the same order.
  if (shown.json !== undefined) {
    await check(`${label}: JSON entries in the HTML's order`, async () => {
      const j = shown.json;
      const p = [];
      if (j?.path !== dir) p.push(`JSON path ${JSON.stringify(j?.path)}, want ${JSON.stringify(dir)}`);
      const jnames = Array.isArray(j?.entries) ? j.entries.map((e) => e.name) : null;
      if (JSON.stringify(jnames) !== JSON.stringify(names)) p.push(`JSON names ${JSON.stringify(jnames)}, HTML names ${JSON.stringify(names)}`);
      if (Array.isArray(j?.entries))
        for (const e of j.entries) {
          if (typeof e.modified_iso !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(e.modified_iso)) {
            p.push(`${e.name}: modified_iso ${JSON.stringify(e.modified_iso)}`);
            break;
          }
        }
      return p;
    });
  }

  // Last, as it leaves the page: each breadcrumb link lands on a listing.
  await check(`${label}: breadcrumb links lead to listings`, async () => {
    const hrefs = await page.evaluate(() =>
      [...document.querySelectorAll('nav[aria-label=Breadcrumb] a')].map((a) => a.href),
    );
    const here = page.url();
    const p = [];
    const depth = new URL(here).pathname.split('/').filter(Boolean).length;
    if (hrefs.length !== depth) p.push(`${hrefs.length} breadcrumb links, want ${depth}`);
    for (let i = 0; i < hrefs.length; i++) {
      const link = page.locator('nav[aria-label=Breadcrumb] a').nth(i);
      const landed = page.waitForResponse((r) => r.request().isNavigationRequest() && r.url() === hrefs[i], { timeout: 10_000 });
      await link.click();
      const res = await landed;
      await page.waitForLoadState('load');
      const h1 = await page.locator('h1').first().textContent().catch(() => null);
      const wantH1 = `Index of ${new URL(hrefs[i]).pathname}`;
      if (res.status() !== 200) p.push(`${hrefs[i]}: status ${res.status()}`);
      if (h1?.trim() !== wantH1) p.push(`${hrefs[i]}: h1 ${JSON.stringify(h1?.trim())}, want "${wantH1}"`);
      await page.goto(here, { waitUntil: 'load' });
    }
    return p;
  });
}

async function errorChecks(shown, shownPath) {
  const { page, label } = shown;
  await check(`${label}: shows the decoded path as text`, async () => {
    const r = await page.evaluate(() => ({
      path: document.querySelector('code.path')?.textContent ?? null,
      h1: document.querySelector('h1')?.textContent.trim() ?? null,
    }));
    const p = [];
    if (r.path !== shownPath) p.push(`code.path ${JSON.stringify(r.path)}, want ${JSON.stringify(shownPath)}`);
    if (r.h1 !== '404 Not Found') p.push(`h1 ${JSON.stringify(r.h1)}`);
    return p;
  });
  await check(`${label}: a link home, to the site's root`, async () => {
    const home = page.getByRole('link', { name: 'Home' });
    if ((await home.count()) !== 1) return [`${await home.count()} links named Home`];
    const href = await home.evaluate((a) => a.href);
    const root = new URL('/', page.url()).href;
    return href === root ? [] : [`Home leads to ${href}, want ${root}`];
  });
  await check(`${label}: no script ran`, async () => {
    await page.waitForTimeout(100);
    return shown.dialogs.map((d) => `a dialog opened: ${d}`);
  });
}

// ---------------------------------------------------------------- the runs

const SITE_PAGES = [
  { name: 'info', path: '/__info?q=caf%C3%A9&empty=&a=1&a=2', kind: 'info', status: 200, json: true },
  { name: 'listing-root', path: '/', kind: 'listing', dir: '/', status: 200, json: true },
  { name: 'listing-sub-dir', path: '/sub/dir/', kind: 'listing', dir: '/sub/dir/', status: 200, json: true },
  { name: 'listing-empty', path: '/empty/', kind: 'listing', dir: '/empty/', status: 200, json: true },
  { name: 'error-404', shown: '/no/such/日本語 file.txt', kind: 'error', status: 404 },
  { name: 'error-script', shown: '/<script>alert(1)</script>', kind: 'error', status: 404 },
  // A long path with no spaces, which must wrap rather than push the page sideways.
  {
    name: 'error-long',
    shown: '/a/' + 'really-long-segment_without_any_spaces.'.repeat(4) + '/' + '0123456789'.repeat(8),
    kind: 'error',
    status: 404,
  },
];
const DEMO_PAGES = [
  { name: 'demo-home', path: '/' },
  { name: 'demo-docs', path: '/docs/' },
];

async function combination(browser, width, scheme) {
  const context = await browser.newContext({
    viewport: { width, height: 900 },
    colorScheme: scheme,
    userAgent: USER_AGENT,
    extraHTTPHeaders: EXTRA_HEADERS,
  });
  try {
    if (opts.site) {
      for (const spec of SITE_PAGES) {
        const label = `${spec.name} ${width} ${scheme}`;
        // The browser percent-encodes what the path holds (space, <, >, UTF-8).
        const url = spec.path ? opts.site + spec.path : new URL(spec.shown, opts.site).href;
        let shown;
        try {
          shown = await open(context, url, label);
        } catch (e) {
          report(`${label}: loads`, false, e.message);
          continue;
        }
        await generatedChecks(shown, spec);
        await commonChecks(shown, scheme);
        if (spec.kind === 'info') await infoChecks(shown, width);
        if (spec.kind === 'listing')
          await listingChecks(shown, width, spec.dir, expected.listings[spec.dir], expected.long_name);
        if (spec.kind === 'error') await errorChecks(shown, spec.shown);
        await close(shown, opts.shots, spec.name, width, scheme);
      }
    }
    if (opts.demo) {
      for (const spec of DEMO_PAGES) {
        const label = `${spec.name} ${width} ${scheme}`;
        let shown;
        try {
          shown = await open(context, opts.demo + spec.path, label);
        } catch (e) {
          report(`${label}: loads`, false, e.message);
          continue;
        }
        await check(`${label}: status 200`, async () => (shown.response?.status() === 200 ? [] : [`got ${shown.response?.status()}`]));
        await commonChecks(shown, scheme);
        await close(shown, opts.shots, spec.name, width, scheme);
      }
    }
  } finally {
    await context.close();
  }
}

/** The control: a page with no icon at all, for which a browser that asks
 *  for /favicon.ico will ask. Whether it did is in the control server's
 *  access log, which tests/browser.rs reads. */
async function control(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const res = await page.goto(opts.control + (expected?.control ?? '/plain.html'), { waitUntil: 'load' });
  await page.waitForTimeout(SETTLE_MS * 2);
  const icons = await page.evaluate(() => document.querySelectorAll('link[rel~=icon]').length);
  report('control page without an icon: loads, and has no icon link', res?.status() === 200 && icons === 0, `status ${res?.status()}, ${icons} icon links`);
  await context.close();
}

/** A page whose HTML, stylesheet and script arrive coded by docroot: each
 *  must come br-coded (Chromium accepts br), the page must render with the
 *  style applied and the script run, and nothing may be logged as an error. */
async function coded(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  const encodings = {};
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', async (r) => {
    encodings[new URL(r.url()).pathname] = (await r.allHeaders())['content-encoding'] ?? 'none';
  });
  const res = await page.goto(opts.coded + '/coded/', { waitUntil: 'load' });
  await page.waitForTimeout(SETTLE_MS);
  report('coded page: status 200', res?.status() === 200, `status ${res?.status()}`);
  for (const name of ['/coded/', '/coded/style%20sheet.css', '/coded/app%20script.js']) {
    report(`coded page: ${name} arrives br-coded`, encodings[name] === 'br', JSON.stringify(encodings));
  }
  const state = await page.evaluate(() => ({
    ran: document.body.dataset.ran,
    items: document.querySelectorAll('#list li').length,
    color: getComputedStyle(document.querySelector('h1')).color,
    text: document.querySelector('h1').textContent,
  }));
  report('coded page: the script ran', state.ran === 'yes' && state.items === 200, JSON.stringify(state));
  report('coded page: the stylesheet applies', state.color === 'rgb(1, 2, 3)', state.color);
  report('coded page: the text decoded', state.text === 'Coded on the fly — été', state.text);
  report('coded page: nothing logged as an error', errors.length === 0, errors.join('; '));
  await page.screenshot({ path: path.join(opts.shots, 'coded-1280-light.png'), fullPage: true });
  await context.close();
}

const started = Date.now();
const browser = await chromium.launch({
  executablePath: opts.chromium,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  // Two combinations at a time: the machine this runs on may have 2 cores.
  const combos = WIDTHS.flatMap((w) => SCHEMES.map((s) => [w, s]));
  for (let i = 0; i < combos.length; i += 2) {
    const outputs = combos.slice(i, i + 2).map(() => []);
    await Promise.all(combos.slice(i, i + 2).map(([w, s], j) => sink.run(outputs[j], () => combination(browser, w, s))));
    for (const lines of outputs) for (const line of lines) console.log(line);
  }
  if (opts.control) await control(browser);
  if (opts.coded) await coded(browser);
} finally {
  await browser.close();
}
console.log(
  `# ${passes + failures} checks, ${passes} passed, ${failures} failed, in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
    `screenshots in ${opts.shots}`,
);
process.exit(failures ? 1 : 0);
