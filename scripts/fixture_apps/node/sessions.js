'use strict';
// Release health in server mode: an HTTP server whose requests become `sessions` aggregates.
const telemetry = require('./lib/telemetry');

telemetry.initSentry();

const http = require('node:http');
const Sentry = require('@sentry/node');
const { handleCheckout } = require('./lib/app');

function createServer() {
  return http.createServer((req, res) => {
    if (req.url === '/api/checkout') {
      handleCheckout('req-0200');
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"error":"payment failed"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
}

function get(port, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      })
      .on('error', reject);
  });
}

async function main() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  for (const path of ['/api/products', '/api/cart', '/api/checkout', '/api/products']) {
    await get(port, path);
  }
  await new Promise((resolve) => server.close(resolve));
  // Flushing the client also flushes the pending request-session aggregates.
  await Sentry.flush(5000);
  await telemetry.shutdown();
}

main();
