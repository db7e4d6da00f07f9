"""An error carrying two attachments: a binary screenshot and a text log file."""

import random
import tempfile
from pathlib import Path

import sentry_sdk
from demoshop import app, telemetry

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def fake_screenshot() -> bytes:
    # A PNG header followed by seeded random bytes (newlines included, on purpose).
    return PNG_SIGNATURE + b"\x00\x00\x00\rIHDR" + random.Random(1234).randbytes(512)


def write_debug_log(directory: Path) -> Path:
    path = directory / "checkout-debug.log"
    lines = [f"2026-01-01T12:00:0{i}Z DEBUG step {i} ok\n" for i in range(5)]
    path.write_text("".join(lines) + "2026-01-01T12:00:05Z ERROR gateway reset\n")
    return path


def main() -> None:
    app.configure_logging()
    telemetry.init_sentry()
    with tempfile.TemporaryDirectory() as tmp:
        scope = sentry_sdk.get_isolation_scope()
        scope.add_attachment(
            bytes=fake_screenshot(), filename="screenshot.png", content_type="image/png"
        )
        scope.add_attachment(path=str(write_debug_log(Path(tmp))), content_type="text/plain")
        app.handle_checkout("req-0004")
        telemetry.shutdown()


if __name__ == "__main__":
    main()
