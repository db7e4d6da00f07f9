"""The acknowledgement path: a transport's `Request` through `Pipeline` to a committed envelope,
and the routes and answers every transport shares."""

from devsentry.ingest.forward import ForwardPolicy
from devsentry.ingest.pipeline import Committed, Listener, Pipeline
from devsentry.ingest.request import Refused, Request

__all__ = ["Committed", "ForwardPolicy", "Listener", "Pipeline", "Refused", "Request"]
