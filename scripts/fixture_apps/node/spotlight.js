'use strict';
// Spotlight without a DSN: `spotlight: true` plus $SENTRY_SPOTLIGHT picks the sidecar URL.
const telemetry = require('./lib/telemetry');

telemetry.initSentry({ dsn: undefined, spotlight: true });

const Sentry = require('@sentry/node');
const { handleCheckout } = require('./lib/app');

async function main() {
  handleCheckout('req-0007');
  Sentry.captureMessage('Spotlight says hello', 'info');
  await telemetry.shutdown();
}

main();
