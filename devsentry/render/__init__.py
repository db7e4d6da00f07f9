"""Terminal views of envelopes, items and issues (rich). Payload strings go through `safe`."""
