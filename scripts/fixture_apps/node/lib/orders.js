'use strict';
// Orders: carts, totals and the checkout flow.
const Sentry = require('@sentry/node');
const inventory = require('./inventory');
const payments = require('./payments');

function sampleCart() {
  return {
    cartId: 'cart-7f3a',
    coupon: 'WELCOME10',
    items: [
      { sku: 'SKU-RED-MUG', quantity: 2, unitPriceCents: 1299 },
      { sku: 'SKU-TEA-250G', quantity: 1, unitPriceCents: 849 },
    ],
  };
}

function totalCents(cart) {
  let total = cart.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
  if (cart.coupon === 'WELCOME10') {
    total = Math.floor((total * 90) / 100);
  }
  return total;
}

function placeOrder(cart, card) {
  Sentry.addBreadcrumb({
    category: 'checkout',
    message: `placing order for ${cart.cartId}`,
    level: 'info',
    data: { items: cart.items.length, coupon: cart.coupon },
  });
  inventory.reserve(cart);
  const amount = totalCents(cart);
  console.log(`charging ${amount} cents for ${cart.cartId}`);
  return payments.charge(card, amount);
}

module.exports = { placeOrder, sampleCart, totalCents };
