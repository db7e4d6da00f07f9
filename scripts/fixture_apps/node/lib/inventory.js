'use strict';
// Inventory: stock lookups that take a little real time.
const crypto = require('node:crypto');
const Sentry = require('@sentry/node');

const STOCK = { 'SKU-RED-MUG': 14, 'SKU-TEA-250G': 3, 'SKU-GIFT-CARD': 999 };

function reserve(cart) {
  for (const item of cart.items) {
    Sentry.addBreadcrumb({
      category: 'inventory',
      message: `reserved ${item.quantity} x ${item.sku}`,
      data: { available: STOCK[item.sku] ?? 0 },
    });
  }
}

function checksumCatalog(rounds) {
  let digest = Buffer.from('catalog');
  for (let i = 0; i < rounds; i += 1) {
    digest = crypto.createHash('sha256').update(digest).digest();
  }
  return digest.toString('hex');
}

async function loadCatalog(delayMs) {
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  return { ...STOCK };
}

module.exports = { STOCK, checksumCatalog, loadCatalog, reserve };
