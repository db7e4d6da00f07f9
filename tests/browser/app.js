// The shop's front end, reporting through the real @sentry/browser. esbuild bundles this file
// (tests/sdk_apps.py); the test driver (tests/node/browser.js) injects the configuration
// before the page loads, so the page's URL stays plain:
//   window.SHOP_CONFIG = {dsn, release, user: {id, email}, tags: {name: value}, api}
// With `api` (the URL of the shop's backend), the page traces: a pageload transaction with
// the Web Vitals the SDK measures, and fetches to the API that continue the trace there.
import * as Sentry from '@sentry/browser';

const config = window.SHOP_CONFIG || {};

Sentry.init({
  dsn: config.dsn,
  release: config.release || undefined,
  environment: 'development',
  ...(config.api
    ? {
        integrations: [Sentry.browserTracingIntegration()],
        tracesSampleRate: 1.0,
        tracePropagationTargets: [config.api],
      }
    : {}),
});
if (config.user && config.user.id) Sentry.setUser(config.user);
Sentry.setTag('page', 'checkout');
for (const [name, value] of Object.entries(config.tags || {})) Sentry.setTag(name, value);

class PaymentDeclined extends Error {
  constructor(message) {
    super(message);
    this.name = 'PaymentDeclined';
  }
}

function chargeCard(orderId) {
  throw new PaymentDeclined(`card declined for order ${orderId}`);
}

function applyCoupon(code) {
  const coupons = {};
  return coupons[code].discount; // TypeError: the coupon does not exist
}

// "error": a handled error, reported with captureException from a click handler.
document.getElementById('checkout').addEventListener('click', () => {
  try {
    chargeCard('ord-1001');
  } catch (err) {
    Sentry.captureException(err);
  }
});

// "throw": an uncaught error. An `onclick` property (not addEventListener, which the SDK
// wraps) lets it reach window.onerror, where the SDK's global handler reports it.
document.getElementById('coupon').onclick = () => applyCoupon('SPRING');

// "message": a plain message event.
document.getElementById('refresh').addEventListener('click', () => {
  Sentry.captureMessage('cache miss storm');
});

// "prices": fetch the prices from the API during the pageload (the call is a span of the
// pageload and carries sentry-trace and baggage), then end the pageload so it is sent.
let pending = Promise.resolve();
document.getElementById('prices').addEventListener('click', () => {
  pending = (async () => {
    const response = await fetch(`${config.api}/balance?account=2`);
    await response.text();
    // The SDK ends the fetch's span in its own handler of the response: let that run before
    // the pageload ends, or the span ends after its segment was sent and may never be.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const active = Sentry.getActiveSpan();
    if (active) Sentry.getRootSpan(active).end();
  })();
});

// What the driver (tests/node/browser.js) waits for: flush resolves once the SDK's transport
// has sent everything it queued (true), or after the timeout (false).
window.shop = {
  flush: async (timeout) => {
    await pending;
    return Sentry.flush(timeout);
  },
};
