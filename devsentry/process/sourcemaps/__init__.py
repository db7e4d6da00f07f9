"""JavaScript frames resolved through source maps, as Sentry's JavaScript processing does
(`src/sentry/lang/javascript/processor_smcache.py`): where a map is found (`locate`, `local`,
`fetch`), how a frame is rewritten (`frames`), and the `Resolver` that ties them to the
processing stage (`resolver`)."""

from devsentry.process.sourcemaps.policy import SourceMapPolicy
from devsentry.process.sourcemaps.resolver import Resolver

__all__ = ["Resolver", "SourceMapPolicy"]
