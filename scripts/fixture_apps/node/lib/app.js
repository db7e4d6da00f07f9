'use strict';
// The request handlers of the demo shop.
const Sentry = require('@sentry/node');
const orders = require('./orders');
const payments = require('./payments');

function handleCheckout(requestId) {
  Sentry.setTag('request_id', requestId);
  Sentry.setContext('order', { cart_id: 'cart-7f3a', payment_method: 'card', items: 3, express: false });
  Sentry.addBreadcrumb({
    type: 'http',
    category: 'http',
    data: { method: 'POST', url: '/api/checkout', status_code: 502 },
  });
  const cart = orders.sampleCart();
  const card = { brand: 'visa', last4: '4242', expires: '12/29' };
  try {
    return orders.placeOrder(cart, card);
  } catch (error) {
    if (!(error instanceof payments.PaymentError)) {
      throw error;
    }
    return Sentry.captureException(error);
  }
}

module.exports = { handleCheckout };
