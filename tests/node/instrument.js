'use strict';
// Sentry.init for the Express app, loaded before it with `node --import ./instrument.js` as
// Sentry's Express guide says (https://docs.sentry.io/platforms/javascript/guides/express/):
// the SDK must be set up before express is loaded so that it can instrument it. (@sentry/node
// 11 warns that `--require` is no longer supported and asks for `--import`.)
const Sentry = require('@sentry/node');

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  release: process.env.SENTRY_RELEASE || 'shop-node@2.0.0',
  environment: 'development',
  tracesSampleRate: 1.0,
  sendDefaultPii: true,
});
