'use strict';
// A cron job reporting in_progress, then ok, with an upserted monitor config.
const telemetry = require('./lib/telemetry');

telemetry.initSentry();

const Sentry = require('@sentry/node');
const inventory = require('./lib/inventory');

const MONITOR_CONFIG = {
  schedule: { type: 'crontab', value: '0 * * * *' },
  timezone: 'Europe/Vienna',
  checkinMargin: 5,
  maxRuntime: 30,
  failureIssueThreshold: 2,
  recoveryThreshold: 1,
};

async function nightlyStockReport() {
  const started = Date.now();
  const checkInId = Sentry.captureCheckIn(
    { monitorSlug: 'nightly-stock-report', status: 'in_progress' },
    MONITOR_CONFIG,
  );
  await inventory.loadCatalog(50);
  Sentry.captureCheckIn(
    {
      checkInId,
      monitorSlug: 'nightly-stock-report',
      status: 'ok',
      duration: (Date.now() - started) / 1000,
    },
    MONITOR_CONFIG,
  );
}

async function main() {
  await nightlyStockReport();
  await telemetry.shutdown();
}

main();
