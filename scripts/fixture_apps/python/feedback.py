"""User feedback for a captured error.

sentry-python 2.75 has no `capture_feedback` API, so this sends the deprecated `user_report`
item, built with the SDK's own envelope classes and sent through the SDK's transport.
"""

from demoshop import app, telemetry
from sentry_sdk import get_client
from sentry_sdk.envelope import Envelope, Item, PayloadRef


def send_user_report(event_id: str, name: str, email: str, comments: str) -> None:
    report = {"event_id": event_id, "name": name, "email": email, "comments": comments}
    envelope = Envelope(headers={"event_id": event_id})
    envelope.add_item(Item(payload=PayloadRef(json=report), type="user_report"))
    transport = get_client().transport
    if transport is not None:
        transport.capture_envelope(envelope)


def main() -> None:
    app.configure_logging()
    telemetry.init_sentry()
    event_id = app.handle_checkout("req-0006")
    if event_id:
        send_user_report(
            event_id,
            name="Ada Lovelace",
            email="ada@example.com",
            comments="I clicked 'Pay' and got an error page; my card was not charged.",
        )
    telemetry.shutdown()


if __name__ == "__main__":
    main()
