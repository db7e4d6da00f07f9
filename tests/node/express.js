'use strict';
// The shop's API on Express, reporting through the real @sentry/node.
//
//   SENTRY_DSN=... node --import ./instrument.js express.js
//
// Listens on 127.0.0.1 and an ephemeral port, and prints {"port": N} once it does. Routes:
//   GET /checkout  throws (an unhandled error event, see the error handlers below)
//   GET /refresh   Sentry.captureMessage("cache miss storm")
// A request's X-Shop-User header (`id` or `id:email`) becomes the event's user. On SIGTERM
// the server closes and the SDK flushes before the process exits.
const Sentry = require('@sentry/node');
const express = require('express');

class PaymentDeclined extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'PaymentDeclined';
  }
}

function charge(orderId, amount) {
  const cause = new Error('ECONNRESET');
  throw new PaymentDeclined(`card declined for order ${orderId} (${amount} EUR)`, { cause });
}

const app = express();

app.use((req, res, next) => {
  const header = req.get('x-shop-user');
  if (header) {
    const [id, email] = header.split(':');
    Sentry.setUser({ id, email });
  }
  next();
});

app.get('/checkout', () => {
  charge('ord-1001', 250);
});

app.get('/refresh', (req, res) => {
  Sentry.captureMessage('cache miss storm');
  res.json({ status: 'refreshed' });
});

// After all routes, before any other error middleware.
Sentry.setupExpressErrorHandler(app);

// The app's own error handler (four parameters make it one for Express). With --import the SDK
// has already reported the error from Express's diagnostics channel (mechanism
// auto.http.express), so setupExpressErrorHandler passes it on without a second event.
app.use((err, req, res, next) => {
  res.status(500).json({ error: err.name });
});

const server = app.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }));
});

process.on('SIGTERM', async () => {
  server.close();
  await Sentry.close(5000);
  process.exit(0);
});
