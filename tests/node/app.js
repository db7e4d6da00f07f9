'use strict';
// A tiny Node app reporting through the real @sentry/node. Usage: node app.js error|logs|spans|spotlight
const Sentry = require('@sentry/node');

const mode = process.argv[2] || 'error';

Sentry.init({
  dsn: mode === 'spotlight' ? undefined : process.env.SENTRY_DSN,
  spotlight: mode === 'spotlight' ? process.env.SENTRY_SPOTLIGHT : undefined,
  release: 'shop-node@2.0.0',
  environment: 'development',
  tracesSampleRate: 1.0,
  enableLogs: true,
});
Sentry.setUser({ id: 'u-7', email: 'grace@example.com' });

class InventoryError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'InventoryError';
  }
}

function reserveStock(sku) {
  throw new InventoryError(`no stock left for ${sku}`, { cause: new Error('ECONNRESET') });
}

async function main() {
  if (mode === 'error' || mode === 'spotlight') {
    try {
      reserveStock('SKU-RED-MUG');
    } catch (err) {
      Sentry.captureException(err);
    }
  } else if (mode === 'logs') {
    Sentry.logger.info(Sentry.logger.fmt`Order ${'ord-1'} placed`);
    Sentry.logger.warn('Stock low', { sku: 'SKU-TEA' });
    Sentry.logger.error('Gateway timeout');
  } else if (mode === 'spans') {
    await Sentry.startSpan({ name: 'rebuild-index', op: 'task' }, async () => {
      await Sentry.startSpan({ name: 'SELECT * FROM stock', op: 'db.query' }, async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
      });
    });
  }
  await Sentry.flush(5000);
}

main();
