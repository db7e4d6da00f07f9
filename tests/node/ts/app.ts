// A TypeScript Node app bundled by esbuild with a source map (tests/test_sourcemaps.py): the
// error's frames point into dist/app.js until devsentry resolves them back to this file.
import * as Sentry from '@sentry/node';

interface LineItem {
  sku: string;
  quantity: number;
}

Sentry.init({ dsn: process.env.SENTRY_DSN, release: process.env.SENTRY_RELEASE });

function reserveStock(items: LineItem[]): number {
  const missing = items.filter((item) => item.quantity > 3);
  if (missing.length > 0) {
    throw new RangeError(`not enough stock for ${missing.map((item) => item.sku).join(', ')}`);
  }
  return items.length;
}

async function main(): Promise<void> {
  try {
    reserveStock([{ sku: 'tea', quantity: 9 }]);
  } catch (err) {
    Sentry.captureException(err);
  }
  await Sentry.flush(5000);
}

main();
