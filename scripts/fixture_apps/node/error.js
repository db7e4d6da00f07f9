'use strict';
// A PaymentError with an ECONNRESET `cause`, captured with Sentry.captureException().
const telemetry = require('./lib/telemetry');

telemetry.initSentry();

const { handleCheckout } = require('./lib/app');

async function main() {
  handleCheckout('req-0001');
  await telemetry.shutdown();
}

main();
