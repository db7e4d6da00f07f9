'use strict';
// Tracing with @sentry/node 11's default traceLifecycle 'stream': spans go out as span v2 items.
const telemetry = require('./lib/telemetry');

telemetry.initSentry({ tracesSampleRate: 1.0 });

const Sentry = require('@sentry/node');
const inventory = require('./lib/inventory');

async function rebuildIndex() {
  const catalog = await Sentry.startSpan(
    { name: 'SELECT sku, stock FROM inventory', op: 'db.query', attributes: { 'db.system': 'postgresql' } },
    () => inventory.loadCatalog(30),
  );
  const digest = Sentry.startSpan({ name: 'checksumCatalog', op: 'function' }, () =>
    inventory.checksumCatalog(20000),
  );
  await Sentry.startSpan({ name: 'catalog:index', op: 'cache.put' }, () => inventory.loadCatalog(10));
  return `${Object.keys(catalog).length}:${digest.slice(0, 8)}`;
}

async function main() {
  await Sentry.startSpan({ name: 'rebuild-catalog-index', op: 'task' }, async (span) => {
    span.setAttribute('catalog.source', 'postgres');
    await rebuildIndex();
  });
  await telemetry.shutdown();
}

main();
