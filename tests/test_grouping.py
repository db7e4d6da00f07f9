"""Grouping, title and culprit the Sentry way, on hand-made and real SDK events."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devsentry.model import Event, Transaction, decode_item
from devsentry.process.grouping import Grouping, group_event, hash_values, title_for
from devsentry.process.message import (
    _PARAMETERS,
    _PARAMETERS_COMMON,
    _placeholder,
    normalize_message,
)
from devsentry.process.naming import culprit_for
from devsentry.protocol import envelope

FIXTURES = Path(__file__).parent.parent / "fixtures"


def event(**payload: Any) -> Event:
    """An event decoded from JSON, exactly as it would come off the wire."""
    return msgspec.json.decode(msgspec.json.encode(payload), type=Event)


def frame(
    function: str,
    *,
    module: str | None = "shop.orders",
    lineno: int = 10,
    context: str | None = "total = compute(cart)",
    in_app: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "function": function,
        "module": module,
        "filename": f"{(module or 'x').replace('.', '/')}.py",
        "abs_path": f"/srv/app/{(module or 'x').replace('.', '/')}.py",
        "lineno": lineno,
        "context_line": context,
        "in_app": in_app,
        **extra,
    }


def error(
    *frames: dict[str, Any],
    type: str = "ValueError",
    value: str = "bad cart",
    platform: str = "python",
    **payload: Any,
) -> Event:
    exc: dict[str, Any] = {"type": type, "value": value, "mechanism": {"type": "generic"}}
    if frames:
        exc["stacktrace"] = {"frames": list(frames)}
    return event(platform=platform, exception={"values": [exc]}, **payload)


LIBRARY = frame("send", module="requests.api", context="return session.request()", in_app=False)
CHECKOUT = frame("checkout", module="shop.views", context="order = place_order(cart)")
PLACE = frame("place_order", context="total = compute(cart)")


def test_hash_is_md5_of_the_components_concatenated() -> None:
    grouping = group_event(error(CHECKOUT, PLACE))
    expected = hashlib.md5("".join(grouping.components).encode()).hexdigest()
    assert grouping.hash == expected == hash_values(grouping.components)
    assert grouping.components == (
        "shop.views",
        "checkout",
        "order = place_order(cart)",
        "shop.orders",
        "place_order",
        "total = compute(cart)",
        "ValueError",
    )


def test_line_numbers_never_count() -> None:
    moved = {**PLACE, "lineno": 99, "pre_context": ["# a comment was added"]}
    assert group_event(error(CHECKOUT, PLACE)).hash == group_event(error(CHECKOUT, moved)).hash


def test_context_line_counts_for_python_but_not_for_other_platforms() -> None:
    edited = {**PLACE, "context_line": "total = compute(cart, discount)"}
    assert group_event(error(CHECKOUT, PLACE)).hash != group_event(error(CHECKOUT, edited)).hash
    go = {"platform": "go"}
    assert (
        group_event(error(CHECKOUT, PLACE, **go)).hash
        == group_event(error(CHECKOUT, edited, **go)).hash
    )


def test_context_line_whitespace_collapses_and_long_lines_are_ignored() -> None:
    spaced = {**PLACE, "context_line": "\ttotal  =   compute(cart)  "}
    assert group_event(error(spaced)).hash == group_event(error(PLACE)).hash
    long_a = {**PLACE, "context_line": "x = " + "a" * 130}
    long_b = {**PLACE, "context_line": "x = " + "b" * 130}
    assert group_event(error(long_a)).hash == group_event(error(long_b)).hash
    assert group_event(error(long_a)).components == ("shop.orders", "place_order", "ValueError")


def test_exception_type_counts() -> None:
    assert (
        group_event(error(PLACE, type="ValueError")).hash
        != group_event(error(PLACE, type="KeyError")).hash
    )


def test_value_is_ignored_when_frames_contribute() -> None:
    a = group_event(error(CHECKOUT, PLACE, value="user 123 not found"))
    b = group_event(error(CHECKOUT, PLACE, value="cart is empty"))
    assert a.hash == b.hash
    assert a.basis == "app"


def test_value_is_normalized_when_no_frame_contributes() -> None:
    a = group_event(error(type="LookupError", value="user 123 not found"))
    b = group_event(error(type="LookupError", value="user 456 not found"))
    c = group_event(error(type="LookupError", value="order 123 not found"))
    assert a.hash == b.hash != c.hash
    assert a.basis == "exception"
    assert a.components == ("LookupError", "user <int> not found")


def test_library_frames_do_not_matter_when_in_app_frames_exist() -> None:
    other_library = {**LIBRARY, "function": "urlopen", "module": "urllib3.pool"}
    a = group_event(error(CHECKOUT, PLACE, LIBRARY))
    b = group_event(error(CHECKOUT, other_library, PLACE))
    assert a.hash == b.hash
    assert a.basis == "app"
    assert "requests.api" not in a.components


def test_without_in_app_frames_all_frames_count() -> None:
    lib1 = {**LIBRARY, "function": "get"}
    a = group_event(error(lib1, LIBRARY))
    b = group_event(error(LIBRARY))
    assert a.basis == b.basis == "system"
    assert a.hash != b.hash
    assert a.components[:3] == ("requests.api", "get", "return session.request()")


def test_chain_mixes_variants_per_exception() -> None:
    # The cause has only library frames: in the app variant it contributes type and value.
    cause = {
        "type": "ConnectionError",
        "value": "timeout after 30 seconds",
        "stacktrace": {"frames": [LIBRARY]},
    }
    outer = {"type": "CheckoutError", "value": "failed", "stacktrace": {"frames": [PLACE]}}
    grouping = group_event(event(platform="python", exception={"values": [cause, outer]}))
    assert grouping.basis == "app"
    assert grouping.components == (
        "ConnectionError",
        "timeout after <int> seconds",
        "shop.orders",
        "place_order",
        "total = compute(cart)",
        "CheckoutError",
    )


def test_recursion_frames_are_skipped() -> None:
    recursive = frame("walk", module="shop.tree", context="return walk(node.parent)")
    once = group_event(error(CHECKOUT, recursive))
    thrice = group_event(error(CHECKOUT, recursive, recursive, recursive))
    assert once.hash == thrice.hash
    # Same function and line but another column is not recursion.
    shifted = {**recursive, "colno": 7}
    assert group_event(error(CHECKOUT, recursive, shifted)).hash != once.hash


def test_synthetic_exception_type_is_ignored() -> None:
    def synthetic(type: str) -> Event:
        return event(
            platform="python",
            exception=[
                {
                    "type": type,
                    "value": "x",
                    "mechanism": {"type": "signalhandler", "synthetic": True},
                    "stacktrace": {"frames": [CHECKOUT, PLACE]},
                }
            ],
        )

    a, b = group_event(synthetic("SIGSEGV")), group_event(synthetic("EXC_BAD_ACCESS"))
    assert a.hash == b.hash
    assert a.type is None
    assert a.title == "place_order"
    assert a.culprit is None


def linked(
    type: str,
    value: str,
    exception_id: int | None,
    parent_id: int | None = None,
    *frames: dict[str, Any],
    group: bool = False,
) -> dict[str, Any]:
    """An exception as SDKs send members of a chain or group (the ids link them)."""
    mechanism: dict[str, Any] = {"type": "chained" if parent_id is not None else "generic"}
    if exception_id is not None:
        mechanism["exception_id"] = exception_id
    if parent_id is not None:
        mechanism["parent_id"] = parent_id
    if group:
        mechanism["is_exception_group"] = True
    return {
        "type": type,
        "value": value,
        "mechanism": mechanism,
        "stacktrace": {"frames": list(frames)},
    }


TASK = frame("run_task", module="shop.tasks", context="raise ValueError(f'bad {i}')")
GATHER = frame("gather", module="shop.tasks", context="async with TaskGroup() as tg:")


def test_exception_group_with_one_kind_of_leaf_groups_and_titles_as_that_leaf() -> None:
    # As sentry-python 2.75 sends `ExceptionGroup("one", [ValueError("bad 2")])`.
    grouped = event(
        platform="python",
        exception=[
            linked("ValueError", "bad 2", 1, 0, TASK),
            linked("ExceptionGroup", "one (1 sub-exception)", 0, None, GATHER, group=True),
        ],
    )
    plain = error(TASK, type="ValueError", value="bad 3")
    grouping = group_event(grouped)
    assert grouping.title == "ValueError: bad 2"
    assert grouping.type == "ValueError"
    assert title_for(grouped) == grouping.title
    assert grouping.hash == group_event(plain).hash
    # Two identical leaves are one kind of leaf.
    twice = event(
        platform="python",
        exception=[
            linked("ValueError", "bad 1", 2, 0, TASK),
            linked("ValueError", "bad 2", 1, 0, TASK),
            linked("ExceptionGroup", "two", 0, None, GATHER, group=True),
        ],
    )
    assert group_event(twice).hash == grouping.hash


def test_exception_group_with_distinct_leaves_keeps_each_leaf_and_the_group() -> None:
    grouped = event(
        platform="python",
        exception=[
            linked("KeyError", "'k'", 2, 0, PLACE),
            linked("ValueError", "bad 1", 1, 0, TASK),
            linked("ExceptionGroup", "many", 0, None, GATHER, group=True),
        ],
    )
    grouping = group_event(grouped)
    assert grouping.title == "ExceptionGroup: many"
    types = [c for c in grouping.components if c.endswith(("Error", "Group"))]
    assert types == ["ValueError", "KeyError", "ExceptionGroup"]  # leaves by type, then root


def test_linked_errors_group_newest_first_and_broken_ids_keep_the_chain() -> None:
    # @sentry/node sends the cause first with exception_id 1 and parent_id 0.
    cause = linked("Error", "ECONNRESET", 1, 0, CHECKOUT)
    root = linked("InventoryError", "no stock", 0, None, PLACE)
    grouping = group_event(event(platform="python", exception=[cause, root]))
    assert grouping.title == "InventoryError: no stock"
    assert grouping.components[3] == "InventoryError"
    assert grouping.components[-1] == "Error"
    duplicate_ids = {**cause, "mechanism": {"exception_id": 0}}
    as_sent = group_event(event(platform="python", exception=[duplicate_ids, root]))
    assert as_sent.components[3] == "Error"
    assert as_sent.components[-1] == "InventoryError"


def js_frame(function: str | None, filename: str, **extra: Any) -> dict[str, Any]:
    return {
        "function": function,
        "filename": filename,
        "abs_path": extra.pop("abs_path", filename),
        "lineno": 3,
        "colno": 9,
        "in_app": True,
        **extra,
    }


def test_javascript_function_and_filename_normalization() -> None:
    def js(*frames: dict[str, Any]) -> Grouping:
        return group_event(error(*frames, type="TypeError", platform="javascript"))

    a = js(js_frame("Object.handleClick", "/App/Button.JS"))
    assert a.components == ("button.js", "handleClick", "TypeError")
    assert js(js_frame("Button.handleClick", "/other/button.js")).hash == a.hash
    # Unknown names, URL origins and native code do not contribute.
    assert js(js_frame("?", "/app/button.js")).components == ("button.js", "TypeError")
    remote = js(js_frame("f", "app.js", abs_path="https://cdn.example.com/app.js"))
    assert remote.components == ("f", "TypeError")
    native = js(js_frame("forEach", "[native code]"), js_frame("run", "/app/main.js"))
    assert native.components == ("main.js", "run", "TypeError")


def test_single_thread_then_top_level_stacktrace_then_message() -> None:
    threads = event(
        platform="python",
        message="boom",
        threads={"values": [{"id": 1, "stacktrace": {"frames": [CHECKOUT]}}]},
    )
    top = event(platform="python", message="boom", stacktrace={"frames": [CHECKOUT]})
    assert group_event(threads).basis == group_event(top).basis == "app"
    assert group_event(threads).hash == group_event(top).hash
    two_threads = event(
        platform="python",
        message="boom 42",
        threads=[{"stacktrace": {"frames": [CHECKOUT]}}, {"stacktrace": {"frames": [PLACE]}}],
    )
    grouping = group_event(two_threads)
    assert grouping.basis == "message"
    assert grouping.components == ("boom <int>",)


def test_message_groups_by_template_before_params() -> None:
    a = event(
        logentry={"message": "Failed %s", "params": ["to sync"], "formatted": "Failed to sync"}
    )
    b = event(logentry={"message": "Failed %s", "params": ["to pay"]})
    assert group_event(a).hash == group_event(b).hash == hash_values(["Failed %s"])
    assert group_event(event(message="user 1 left")).hash == hash_values(["user <int> left"])


def test_fallback_when_nothing_contributes() -> None:
    grouping = group_event(event(platform="python"))
    assert grouping.basis == "fallback"
    assert grouping.hash == hashlib.md5(b"").hexdigest()
    assert grouping.title == "<unlabeled event>"
    assert grouping.culprit is None


# -- Fingerprints ---------------------------------------------------------------------------


def test_custom_fingerprint_replaces_default_grouping() -> None:
    a = group_event(error(CHECKOUT, type="A", fingerprint=["checkout", "payment"]))
    b = group_event(error(PLACE, type="B", fingerprint=["checkout", "payment"]))
    assert a.hash == b.hash == hashlib.md5(b"checkoutpayment").hexdigest()
    assert a.basis == "custom"
    assert a.components == ("checkout", "payment")


@pytest.mark.parametrize("entry", ["{{ default }}", "{{default}}", "{{  default\t}}"])
def test_default_variable_alone_is_default_grouping(entry: str) -> None:
    plain = group_event(error(CHECKOUT, PLACE))
    fingerprinted = group_event(error(CHECKOUT, PLACE, fingerprint=[entry]))
    assert fingerprinted == plain
    assert fingerprinted.basis == "app"


def test_hybrid_fingerprint_splices_default_components() -> None:
    default = group_event(error(CHECKOUT, PLACE)).components
    hybrid = group_event(error(CHECKOUT, PLACE, fingerprint=["tenant-a", "{{ default }}"]))
    assert hybrid.basis == "custom"
    assert hybrid.components == ("tenant-a", *default)
    assert hybrid.hash == hash_values(["tenant-a", *default])
    other_tenant = group_event(error(CHECKOUT, PLACE, fingerprint=["tenant-b", "{{ default }}"]))
    assert other_tenant.hash != hybrid.hash
    # Hybrids still split by the default grouping.
    elsewhere = group_event(error(CHECKOUT, fingerprint=["tenant-a", "{{ default }}"]))
    assert elsewhere.hash != hybrid.hash


def test_fingerprint_variables() -> None:
    base = error(
        CHECKOUT,
        PLACE,
        LIBRARY,
        type="KeyError",
        value="'sku'",
        transaction="POST /checkout",
        tags={"foo": "bar"},
        level="warning",
        logger="shop",
        environment="dev",
    )
    fingerprint = [
        "{{ transaction }}",
        "{{tags.foo}}",
        "{{ type }}",
        "{{ error.value }}",
        "{{ function }}",
        "{{ module }}",
        "{{ stack.filename }}",
        "{{ level }}",
        "{{ logger }}",
        "{{ message }}",
        "{{ tags.environment }}",
        "{{ release }}",
        "literal",
    ]
    resolved = group_event(msgspec.structs.replace(base, fingerprint=fingerprint)).components
    assert resolved == (
        "POST /checkout",
        "bar",
        "KeyError",
        "'sku'",
        "place_order",  # the crash frame is the newest in-app frame
        "shop.orders",
        "shop/orders.py",
        "warning",
        "shop",
        "'sku'",  # no logentry: the last exception's value
        "dev",  # derived from the event's environment, as Sentry tags it
        "{{ release }}",  # not a fingerprint variable: kept as written
        "literal",
    )


def test_fingerprint_placeholders_for_missing_values() -> None:
    fingerprint = [
        "{{ transaction }}",
        "{{ tags.foo }}",
        "{{ function }}",
        "{{ type }}",
        "{{ logger }}",
    ]
    components = group_event(event(message="hi", fingerprint=fingerprint)).components
    assert components == (
        "<no-transaction>",
        "<no-value-for-tag-foo>",
        "<no-function>",
        "<no-type>",
        "<no-logger>",
    )


def test_fingerprint_transaction_splits_groups() -> None:
    def at(transaction: str) -> str:
        fp = ["{{ transaction }}", "{{ default }}"]
        return group_event(error(PLACE, transaction=transaction, fingerprint=fp)).hash

    assert at("GET /a") != at("GET /b")
    assert at("GET /a") == at("GET /a")


# -- Message normalization ------------------------------------------------------------------

NORMALIZED = {
    "mail from jane.doe+x@example.co.uk failed": "mail from <email> failed",
    "GET https://api.example.com/v1/users?id=7 failed": "GET <url> failed",
    "ws://localhost:8000/socket closed": "<url> closed",
    "connect to 192.168.0.12 refused": "connect to <ip> refused",
    "connect to 2001:db8:85a3::8a2e:370:7334 refused": "connect to <ip> refused",
    "bind [::1]:80 and fe80::1 failed": "bind [<ip>]:<int> and <ip> failed",
    "row 2001:0db8:0000:0000:0000:ff00:0042:8329 gone": "row <ip> gone",
    "std::vector overflow": "std::vector overflow",
    "order 3fa85f64-5717-4562-b3fc-2c963f66afa6 missing": "order <uuid> missing",
    "commit 8f14e45fceea167a5a36dedd4bea2543f8f1b1e0 bad": "commit <sha1> bad",
    "etag d41d8cd98f00b204e9800998ecf8427e stale": "etag <md5> stale",
    "expired at 2026-11-24T19:37:41.819245Z": "expired at <date>",
    "expired on 2026-11-24": "expired on <date>",
    "sent Tue, 24 Nov 2026 19:37:41 +0000 ok": "sent <date> ok",
    "at Tue Nov 24 2026 19:37:41 GMT+0100 (CET)": "at <date>",
    "at 19:37:41 sharp": "at <date> sharp",
    "segfault at 0x7ffd5f3c": "segfault at <hex>",
    "request 4bf92f35 failed": "request <hex> failed",
    "took 1.25 seconds, limit -0.5": "took <float> seconds, limit <float>",
    "user 123 not found (code -4)": "user <int> not found (code <int>)",
    "v2 api, SKU-TEA-250G": "v2 api, SKU-TEA-250G",
    "could not charge 31.02 EUR to visa *4242": "could not charge <float> EUR to visa *<int>",
    "no numbers here": "no numbers here",
}


@pytest.mark.parametrize("text", list(NORMALIZED))
def test_normalize_message(text: str) -> None:
    assert normalize_message(text) == NORMALIZED[text]


def test_normalize_message_keeps_two_non_empty_lines() -> None:
    assert normalize_message("first 1\n\n  \nsecond 2\nthird 3") == "first <int>\nsecond <int>..."
    assert normalize_message("one\ntwo") == "one\ntwo"
    assert normalize_message("only\n") == "only..."


# -- Title and culprit ----------------------------------------------------------------------


def chained(**payload: Any) -> Event:
    return event(
        platform="python",
        exception={
            "values": [
                {
                    "type": "ConnectionResetError",
                    "value": "reset",
                    "stacktrace": {"frames": [LIBRARY]},
                },
                {
                    "type": "RuntimeError",
                    "value": "checkout failed\nTraceback details",
                    "module": "shop.errors",
                    "stacktrace": {"frames": [CHECKOUT, PLACE, LIBRARY]},
                },
            ]
        },
        **payload,
    )


def test_python_chained_title_and_culprit_use_the_last_exception() -> None:
    grouping = group_event(chained())
    assert grouping.title == "RuntimeError: checkout failed"
    assert grouping.type == "RuntimeError"
    assert grouping.value == "checkout failed\nTraceback details"
    assert grouping.culprit == "shop.orders in place_order"  # newest in-app frame
    assert (grouping.function, grouping.filename) == ("place_order", "shop/orders.py")
    assert title_for(chained()) == grouping.title
    assert culprit_for(chained()) == grouping.culprit


def test_culprit_precedence_and_fallbacks() -> None:
    # As in Sentry's get_culprit: a transaction wins over the frames.
    with_transaction = group_event(chained(transaction="POST /checkout"))
    assert with_transaction.culprit == "POST /checkout"
    assert with_transaction.title == "RuntimeError: checkout failed"
    assert culprit_for(chained(culprit="sent by sdk", transaction="x")) == "sent by sdk"
    # Only library frames: the newest frame; no frames at all: the request URL.
    assert culprit_for(error(CHECKOUT | {"in_app": False}, LIBRARY)) == "requests.api in send"
    assert culprit_for(error(request={"url": "http://shop.test/cart"})) == "http://shop.test/cart"
    assert culprit_for(error(transaction="t" * 300)) == "t" * 197 + "..."


def test_javascript_culprit_and_native_culprit() -> None:
    js = error(
        js_frame("Object.handleClick", "/app/button.js", module="app:button"),
        js_frame("vendor", "/app/node_modules/lib.js", in_app=False),
        type="TypeError",
        value="x is undefined",
        platform="node",
    )
    assert culprit_for(js) == "Object.handleClick(app:button)"
    no_module = error(js_frame(None, "/app/button.js"), platform="javascript")
    assert culprit_for(no_module) == "?(/app/button.js)"
    native = error({"function": "crash_now", "in_app": True}, platform="native")
    assert culprit_for(native) == "crash_now"


def test_error_titles() -> None:
    assert title_for(error(PLACE, type="KeyError", value="")) == "KeyError"
    untyped = event(exception=[{"value": "something broke"}])
    assert title_for(untyped) == "Error: something broke"
    long_value = title_for(error(PLACE, value="x" * 300))
    assert long_value == "ValueError: " + "x" * 97 + "..."
    assert group_event(error(PLACE, value="y" * 2000)).value == "y" * 1021 + "..."


def test_message_event_title() -> None:
    logged = event(logentry={"message": "Failed %s", "params": ["to sync\nsecond line"]})
    assert title_for(logged) == "Failed to sync"
    assert title_for(event(message="  " + "m" * 200)) == "m" * 97 + "..."
    assert title_for(event(level="info")) == "<unlabeled event>"


def test_transaction_title() -> None:
    tx = msgspec.json.decode(
        msgspec.json.encode({"type": "transaction", "transaction": "GET /api/items/{id}"}),
        type=Transaction,
    )
    assert title_for(tx) == "GET /api/items/{id}"
    assert culprit_for(tx) == "GET /api/items/{id}"


# -- Real SDK fixtures ----------------------------------------------------------------------


def fixture_event(path: Path) -> Event:
    assert path.is_file(), f"{path} is missing: re-record with scripts/record_fixtures.py"
    items = [i for i in envelope.parse(path.read_bytes()).items if i.type == "event"]
    decoded = decode_item(items[0])
    assert isinstance(decoded, Event)
    return decoded


def test_python_chained_fixture() -> None:
    real = fixture_event(FIXTURES / "python" / "error_chained.envelope")
    grouping = group_event(real)
    assert grouping.basis == "app"
    last = real.exceptions[-1]
    assert len(real.exceptions) == 2
    assert grouping.title == f"{last.type}: {last.value}"
    assert grouping.title == "PaymentError: could not charge 31.02 EUR to visa *4242"
    assert grouping.culprit == "demoshop.payments in charge"
    assert [e.type for e in real.exceptions] == ["ConnectionResetError", "PaymentError"]
    assert grouping.components[-1] == "PaymentError"
    # The plain recording is the same error raised by the same code: same issue.
    plain = fixture_event(FIXTURES / "python" / "error_plain.envelope")
    assert group_event(plain).hash == grouping.hash


def test_node_error_fixture() -> None:
    real = fixture_event(FIXTURES / "node" / "error-1.envelope")
    grouping = group_event(real)
    assert grouping.basis == "app"
    assert grouping.title.startswith(f"{real.exceptions[-1].type}: ")
    assert grouping.culprit == "Object.charge(lib:payments)"


@settings(max_examples=300)
@given(st.text(alphabet="0123456789abcdefxAFMTW:.-/ \n", max_size=60))
def test_skipping_email_and_url_patterns_changes_nothing(text: str) -> None:
    # normalize_message leaves out the email and URL patterns when there is no "@" or "://".
    full = _PARAMETERS.sub(_placeholder, text)
    assert _PARAMETERS_COMMON.sub(_placeholder, text) == full


ids = st.none() | st.integers(min_value=0, max_value=3)


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B"]), ids, ids, st.booleans(), st.booleans()),
        max_size=5,
    )
)
def test_any_exception_tree_groups_without_error(
    shapes: list[tuple[str, int | None, int | None, bool, bool]],
) -> None:
    # Malformed trees (cycles, duplicate ids, missing root) happen; ingest must not fail.
    exceptions = [
        linked(t, "v", exception_id, parent_id, *([PLACE] if with_frames else []), group=group)
        for t, exception_id, parent_id, group, with_frames in shapes
    ]
    grouping = group_event(event(platform="python", exception=exceptions))
    assert grouping.title
    assert len(grouping.hash) == 32
