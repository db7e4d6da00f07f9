"""What consumes indexed envelopes, off the ingest path: the live console and the forwarder."""
