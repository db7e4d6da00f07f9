'use strict';
// An error with a binary screenshot and a ~40 KB text log: bodies over 32 KiB are gzipped.
const telemetry = require('./lib/telemetry');

telemetry.initSentry();

const Sentry = require('@sentry/node');
const { handleCheckout } = require('./lib/app');

function fakeScreenshot() {
  // A PNG header followed by deterministic pseudo-random bytes (a tiny LCG).
  const header = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const body = Buffer.alloc(512);
  let state = 1234;
  for (let i = 0; i < body.length; i += 1) {
    state = (state * 1103515245 + 12345) % 2147483648;
    body[i] = state >> 16 & 0xff;
  }
  return new Uint8Array(Buffer.concat([header, body]));
}

function debugLog(lines) {
  const out = [];
  for (let i = 0; i < lines; i += 1) {
    out.push(`2026-01-01T12:00:00.${String(i).padStart(4, '0')}Z DEBUG checkout step ${i} ok`);
  }
  out.push('2026-01-01T12:00:05.0000Z ERROR gateway reset');
  return `${out.join('\n')}\n`;
}

async function main() {
  const scope = Sentry.getIsolationScope();
  scope.addAttachment({ filename: 'screenshot.png', data: fakeScreenshot(), contentType: 'image/png' });
  scope.addAttachment({ filename: 'checkout-debug.log', data: debugLog(800), contentType: 'text/plain' });
  handleCheckout('req-0004');
  await telemetry.shutdown();
}

main();
