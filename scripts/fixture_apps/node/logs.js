'use strict';
// Structured logs: enableLogs with Sentry.logger.* and Sentry.logger.fmt.
const telemetry = require('./lib/telemetry');

telemetry.initSentry({
  enableLogs: true,
  integrations: (defaults) => [...defaults, require('@sentry/node').consoleLoggingIntegration({ levels: ['warn'] })],
});

const Sentry = require('@sentry/node');

function processOrder(orderId, amountCents) {
  Sentry.logger.info(Sentry.logger.fmt`Order ${orderId} placed by ${'ada'} for ${amountCents} cents`);
  if (amountCents > 2000) {
    Sentry.logger.warn('Order needs a fraud check', {
      'order.id': orderId,
      'fraud.score': 0.87,
      'fraud.checked': false,
      'payment.provider': 'example-pay',
    });
  }
  Sentry.logger.error(Sentry.logger.fmt`Gateway timeout after ${2500} ms`);
  // consoleLoggingIntegration forwards console.warn calls as logs too.
  console.warn('retrying order %s in %d s', orderId, 30);
}

async function main() {
  Sentry.setTag('request_id', 'req-0005');
  processOrder('ord-1001', 3447);
  await telemetry.shutdown();
}

main();
