// The React shop page, set up as Sentry's React guide does: Sentry.init before rendering, and
// an ErrorBoundary around the app. Bundled minified with external source maps by esbuild.
import * as Sentry from '@sentry/react';
import React, { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { CartTotal } from './Cart.jsx';

const config = window.SHOP_CONFIG || {};
Sentry.init({ dsn: config.dsn, release: config.release });

function Checkout() {
  const [checkedOut, setCheckedOut] = useState(false);
  return (
    <div>
      <button id="checkout" onClick={() => setCheckedOut(true)}>Pay</button>
      {checkedOut && <CartTotal items={[]} />}
    </div>
  );
}

function App() {
  return (
    <Sentry.ErrorBoundary fallback={<p id="failed">Something went wrong</p>}>
      <Checkout />
    </Sentry.ErrorBoundary>
  );
}

window.shop = { flush: (ms) => Sentry.flush(ms) };
createRoot(document.getElementById('root')).render(<App />);
