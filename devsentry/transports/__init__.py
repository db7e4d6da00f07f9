"""How envelopes arrive: the aiohttp ingest server, the mitmproxy addon, and `intercept`."""
