'use strict';
// Drives the shop page (tests/browser/) in the system's headless Chromium via playwright-core.
//
//   node browser.js <chromium executable>
//
// Launches Chromium once and writes {"ok": true, "version": "<Chromium version>"}, then reads
// one job per line on stdin (JSON):
//   {"url": "http://127.0.0.1:<port>/index.html", "config": {"dsn": ..., "release": ...},
//    "click": "#checkout", "ingest": "http://127.0.0.1:<devsentry port>/", "timeout": 10000}
// For each job it opens the page in a fresh browser context with `config` injected as
// window.SHOP_CONFIG, clicks the button, waits until the SDK flushed (window.shop.flush), and
// writes one result line (JSON) to stdout:
//   {"ok": true, "flushed": true, "user_agent": "...", "ingest": [{url, status, headers}],
//    "page_errors": [...], "console": [...]}
// or {"ok": false, "error": "..."}. Exits when stdin closes.
const readline = require('node:readline');
const { chromium } = require('playwright-core');

const FLAGS = [
  '--headless=new',
  '--no-sandbox', // running as root in CI containers
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking', // no update checks, no safe browsing: loopback only
  '--no-first-run',
];

async function runJob(browser, job) {
  const context = await browser.newContext();
  await context.addInitScript((config) => {
    window.SHOP_CONFIG = config;
  }, job.config || {});
  const page = await context.newPage();
  const timeout = job.timeout || 10000;
  page.setDefaultTimeout(timeout);
  const pageErrors = [];
  const consoleLines = [];
  const ingest = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (msg) => consoleLines.push(`${msg.type()}: ${msg.text()}`));
  page.on('request', (request) => {
    if (job.ingest && request.url().startsWith(job.ingest)) ingest.push(request);
  });
  try {
    await page.goto(job.url);
    await page.waitForFunction(() => window.shop !== undefined);
    if (job.click) await page.click(job.click);
    const flushed = await page.evaluate((ms) => window.shop.flush(ms), timeout / 2);
    const userAgent = await page.evaluate(() => navigator.userAgent);
    // The headers Chromium really put on the wire (allHeaders includes the client hints).
    const sent = [];
    for (const request of ingest) {
      const response = await request.response();
      sent.push({
        url: request.url(),
        method: request.method(),
        status: response ? response.status() : null,
        headers: await request.allHeaders(),
      });
    }
    return {
      ok: true,
      flushed,
      user_agent: userAgent,
      ingest: sent,
      page_errors: pageErrors,
      console: consoleLines,
    };
  } finally {
    await context.close();
  }
}

async function main() {
  const executablePath = process.argv[2];
  const browser = await chromium.launch({ executablePath, headless: true, args: FLAGS });
  process.stdout.write(JSON.stringify({ ok: true, version: browser.version() }) + '\n');
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let result;
    try {
      result = await runJob(browser, JSON.parse(line));
    } catch (err) {
      result = { ok: false, error: String(err && err.stack ? err.stack : err) };
    }
    process.stdout.write(JSON.stringify(result) + '\n');
  }
  await browser.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
