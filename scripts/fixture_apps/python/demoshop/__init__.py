"""demoshop: a tiny pretend web shop used to produce realistic Sentry fixtures.

Every scenario in `scripts/fixture_apps/python/` imports from here, so the frames Sentry
records are in-app frames in real modules, with source context around them.
"""
