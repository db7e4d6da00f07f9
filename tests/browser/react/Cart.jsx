// A component that throws while rendering once the cart is checked out with no items:
// the bug the React test makes devsentry show through the source map.
import React from 'react';

export function CartTotal({ items }) {
  if (items.length === 0) {
    throw new Error('Cannot total an empty cart');
  }
  const total = items.reduce((sum, item) => sum + item.price, 0);
  return <p id="total">Total: {total.toFixed(2)}</p>;
}
