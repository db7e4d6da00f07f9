'use strict';
// Sentry setup shared by the scenarios: fixed release, environment, host and user.
const Sentry = require('@sentry/node');

const RELEASE = 'demo@1.2.3';
const ENVIRONMENT = 'development';

const DEMO_USER = { id: '42', username: 'ada', email: 'ada@example.com', ip_address: '127.0.0.1' };

function initSentry(options = {}) {
  Sentry.init({
    dsn: process.env.SENTRY_DSN,
    release: RELEASE,
    environment: ENVIRONMENT,
    serverName: 'demo-host',
    ...options,
  });
  Sentry.setUser(DEMO_USER);
  Sentry.setTag('service', 'checkout');
  Sentry.setTag('region', 'eu-west-1');
}

async function shutdown() {
  // Wait for queued envelopes; the SDK's own beforeExit hook may still send a session update.
  await Sentry.flush(5000);
}

module.exports = { DEMO_USER, ENVIRONMENT, RELEASE, initSentry, shutdown };
