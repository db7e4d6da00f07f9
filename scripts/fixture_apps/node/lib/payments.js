'use strict';
// Payment gateway client: the place where things go wrong.

class PaymentError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'PaymentError';
  }
}

class GatewayClient {
  constructor(endpoint, timeoutMs = 2500) {
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
    this.attempts = 0;
  }

  authorize(card, amountCents, currency) {
    this.attempts += 1;
    const error = new Error(`socket hang up while authorizing ${amountCents} ${currency}`);
    error.code = 'ECONNRESET';
    throw error;
  }
}

function charge(card, amountCents, currency = 'EUR') {
  const client = new GatewayClient('https://pay.example.test/v2/authorize');
  try {
    return client.authorize(card, amountCents, currency);
  } catch (cause) {
    const amount = (amountCents / 100).toFixed(2);
    throw new PaymentError(`could not charge ${amount} ${currency} to ${card.brand} *${card.last4}`, {
      cause,
    });
  }
}

module.exports = { GatewayClient, PaymentError, charge };
