'use strict';
// Trace metrics (Sentry.metrics): a counter, a gauge and a distribution.
const telemetry = require('./lib/telemetry');

telemetry.initSentry();

const Sentry = require('@sentry/node');

function recordCheckout(amountCents, durationMs) {
  Sentry.metrics.count('checkout.completed', 1, { attributes: { 'payment.provider': 'example-pay' } });
  Sentry.metrics.gauge('inventory.low_stock_skus', 3);
  Sentry.metrics.distribution('checkout.duration', durationMs, { unit: 'millisecond' });
  Sentry.metrics.distribution('checkout.amount', amountCents / 100, { attributes: { currency: 'EUR' } });
}

async function main() {
  recordCheckout(3447, 182.5);
  await telemetry.shutdown();
}

main();
