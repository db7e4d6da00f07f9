"""The request interface as Relay normalizes it (`normalize_request` in
`relay-event-normalization/src/normalize/request.rs`; the `Headers`, `Query` and `Cookies`
types of `relay-event-schema/src/protocol/request.rs`).

Headers become `[name, value]` pairs with title-cased names, sorted when the SDK sent an object
(a list keeps its order); the method is upper-cased and must look like one; the query string and
fragment are split off the URL into their fields (fields the SDK set win); cookies come out of
the `Cookie` header; a JSON body given as a string is parsed.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from devsentry.process.normalize.fields import Notes, brief, lenient_str, title_case_header

__all__ = ["normalize_request"]

_METHOD = re.compile(r"[A-Z\-_]{3,32}")


def normalize_request(event: dict[str, Any], notes: Notes) -> None:
    """Headers as title-cased pairs (sorted when sent as an object), the method upper-cased, the
    query string and fragment split off the URL, cookies out of the `Cookie` header and a JSON
    body parsed (`normalize_request`)."""
    request = event.get("request")
    if request is None:
        return
    if not isinstance(request, dict):
        del event["request"]
        notes.removed("request", "not an object")
        return
    if "headers" in request:
        request["headers"] = _headers(request["headers"], notes)
    method = request.get("method")
    if method is not None:
        if isinstance(method, str) and _METHOD.fullmatch(method.upper()):
            request["method"] = method.upper()
        else:
            del request["method"]
            notes.removed("request.method", f"{brief(method)} is not an HTTP method")
    _url(request)
    if isinstance(request.get("query_string"), str | dict):
        request["query_string"] = _query(request["query_string"])
    _cookies(request)
    data = request.get("data")
    if isinstance(data, str) and data[:1] in ("{", "["):
        try:
            request["data"] = json.loads(data)
            request["inferred_content_type"] = "application/json"
        except (ValueError, RecursionError):
            pass


def _headers(raw: object, notes: Notes) -> list[list[str]] | None:
    if isinstance(raw, dict):
        items: Any = sorted(((title_case_header(k), v) for k, v in raw.items()), key=_name)
    elif isinstance(raw, list):
        items = raw
    else:
        if raw is not None:
            notes.removed("request.headers", "neither an object nor a list of pairs")
        return None
    out = []
    for i, pair in enumerate(items):
        if isinstance(pair, tuple):  # from the object form, already title-cased
            name, value = pair
        elif isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str):
            name, value = title_case_header(pair[0]), pair[1]
        else:
            notes.removed(f"request.headers.{i}", "not a [name, value] pair")
            continue
        if isinstance(value, list):  # repeated headers (Node): Relay joins them
            text: str | None = ",".join(t for v in value if (t := lenient_str(v)) is not None)
        else:
            text = lenient_str(value)
        if text is None and value is not None:
            notes.removed(f"request.headers.{i}", "the value is not text")
            continue
        out.append([name, text])
    return out


def _name(pair: tuple[str, Any]) -> str:
    return pair[0]


def _url(request: dict[str, Any]) -> None:
    url = request.get("url")
    if not isinstance(url, str):
        return
    if url.endswith("\u2026"):  # old JavaScript SDKs marked truncated URLs with an ellipsis
        url = url[:-1] + "..."
    base, _, fragment = url.partition("#")
    base, sep, query = base.partition("?")
    if fragment and request.get("fragment") is None:
        request["fragment"] = fragment
    if sep and query and request.get("query_string") is None:
        request["query_string"] = _query(query)
    request["url"] = base


def _query(raw: str | dict[str, Any]) -> list[list[Any]]:
    if isinstance(raw, dict):
        return [[k, raw[k]] for k in sorted(raw)]
    return [[k, v] for k, v in parse_qsl(raw.removeprefix("?"), keep_blank_values=True)]


def _cookies(request: dict[str, Any]) -> None:
    """Cookies as pairs (an object's sorted), from the `Cookie` header when the SDK sent none;
    the header goes either way."""
    cookies = request.get("cookies")
    if isinstance(cookies, dict):
        request["cookies"] = [[k, cookies[k]] for k in sorted(cookies)]
    elif isinstance(cookies, str):
        request["cookies"] = _parse_cookies(cookies)
    headers = request.get("headers")
    if not isinstance(headers, list):
        return
    index = next((i for i, p in enumerate(headers) if p[0] == "Cookie"), None)
    if index is None:
        return
    if request.get("cookies") is None:
        request["cookies"] = _parse_cookies(headers[index][1] or "")
    del headers[index]


def _parse_cookies(text: str) -> list[list[str]]:
    return [
        [name.strip(), value.strip()]
        for part in text.split(";")
        for name, _, value in [part.partition("=")]
        if name.strip()
    ]
