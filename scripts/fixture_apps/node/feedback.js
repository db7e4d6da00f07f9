'use strict';
// User feedback for a captured error, with Sentry.captureFeedback().
const telemetry = require('./lib/telemetry');

telemetry.initSentry();

const Sentry = require('@sentry/node');
const { handleCheckout } = require('./lib/app');

async function main() {
  const eventId = handleCheckout('req-0006');
  Sentry.captureFeedback({
    message: "I clicked 'Pay' and got an error page; my card was not charged.",
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    url: 'https://shop.example.test/checkout',
    associatedEventId: eventId,
  });
  await telemetry.shutdown();
}

main();
