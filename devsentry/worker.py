"""The worker process: processing, the index and every sink, beside the ingest process.

`devsentry serve` and `intercept` answer SDKs from one process and do everything after the
commit — decoding, normalization, grouping, the index, the live console, forwarding — in a
second one, so ingest has a core of its own. The store is how they share work: the ingest
process commits raw envelopes, the worker reads what is not indexed yet (`Store.unindexed`)
and writes the index, recording how far it got in the same transaction.

The other link is a pipe, the worker's standard input. After commits the ingest process
writes a byte to it (at most one per loop iteration, never blocking: a full pipe already holds
a wake-up), so the worker starts at once instead of polling; when the ingest process wants to
hear back (`serve`'s MCP endpoint waits for new items), a second pipe carries a byte the other
way after each index commit. The first pipe's end tells the worker to stop: it indexes what
is left, drains its sinks and exits. That happens when the ingest process stops (after
committing everything in flight) and also when it dies, however it dies. Ctrl-C reaches both
processes (one terminal, one process group); the worker ignores it and waits for its pipe. A
worker that exits on its own is started again and catches up from the store: an envelope is
indexed (and printed) once, since its index rows and the progress mark commit together. The
worker runs at a lower priority (`nice`), so on a machine with few cores a flood is answered
first and indexed after.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from devsentry.ingest.forward import ForwardPolicy
from devsentry.process.sourcemaps.policy import SourceMapPolicy
from devsentry.sinks.alerts import AlertPolicy
from devsentry.tasks import run_loop, spawn

if TYPE_CHECKING:
    from rich.console import Console

    from devsentry.ingest.pipeline import Committed

__all__ = ["Work", "WorkerProcess", "main"]

log = logging.getLogger(__name__)

_BATCH = 32  # envelopes per index transaction: the write lock is held for about 3 ms
_RESTART_FIRST = 0.5  # seconds before a stopped worker is started again, doubling…
_RESTART_MAX = 10.0  # … up to this, and back to the first once a worker ran a minute
#: The worker's niceness: when both processes want the CPU (a flood on a machine with few
#: cores) the scheduler favours the one that answers SDKs; the index catches up after.
_NICE = 10
_STOP_TIMEOUT = 120.0  # seconds a stopping worker may take to index what is left


class Work(msgspec.Struct, frozen=True):
    """What the worker runs besides the indexer: the live console on serve's standard output
    (False: quiet), the alerts it raises and where JavaScript frames' source maps may come
    from."""

    console: bool = True
    alerts: AlertPolicy | None = None
    sourcemaps: SourceMapPolicy | None = None


class _Spec(msgspec.Struct, frozen=True):
    """The worker's command line: the store, its work, and the forward policy whose outbox
    it delivers."""

    store: str
    work: Work
    forward: ForwardPolicy | None = None


class WorkerProcess:
    """The ingest process's side: starts the worker, wakes it after commits, starts it
    again when it stops, and stops it last."""

    def __init__(
        self,
        store: Path,
        work: Work,
        *,
        forward: ForwardPolicy | None = None,
        console: Console | None = None,
        on_indexed: Callable[[], None] | None = None,
    ) -> None:
        self._on_indexed = on_indexed
        self._back: int | None = None  # the read end of the worker's "indexed" pipe
        self._spec = msgspec.json.encode(
            _Spec(str(store), work, forward), enc_hook=_encode
        ).decode()
        self._console = console
        self._proc: asyncio.subprocess.Process | None = None
        self._pipe: int | None = None  # the write end of the worker's standard input
        self._poke_due = False
        self._stopping = False
        self._watcher: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def start(self) -> None:
        await self._spawn()
        self._watcher = spawn(self._watch(), name="devsentry worker watcher")

    def committed(self, committed: Committed) -> None:
        """The pipeline's listener: wake the worker, once per loop iteration however many
        envelopes were committed in it."""
        if not self._poke_due:
            self._poke_due = True
            asyncio.get_running_loop().call_soon(self._poke)

    def _poke(self) -> None:
        self._poke_due = False
        if self._pipe is None:
            return
        with contextlib.suppress(BlockingIOError, BrokenPipeError):
            # Full: the worker has wake-ups enough. Broken: it died; the watcher restarts it.
            os.write(self._pipe, b"\x01")

    async def stop(self) -> None:
        """Close the pipe and wait for the worker to index what is left and exit."""
        self._stopping = True
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        self._close_pipe()
        proc = self._proc
        try:
            if proc is None or proc.returncode is not None:
                return
            try:
                await asyncio.wait_for(proc.wait(), _STOP_TIMEOUT)
            except TimeoutError:
                log.warning("the worker did not finish indexing in time; the next start does")
                proc.kill()
                await proc.wait()
        finally:
            self._stop_listening()

    async def _spawn(self) -> None:
        read, write = os.pipe()
        told: tuple[int, int] | None = os.pipe() if self._on_indexed is not None else None
        args = [] if told is None else [str(told[1])]
        try:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "devsentry.worker",
                self._spec,
                *args,
                stdin=read,
                pass_fds=() if told is None else (told[1],),
            )
        except BaseException:
            os.close(write)
            if told is not None:
                os.close(told[0])
            raise
        finally:
            os.close(read)
            if told is not None:
                os.close(told[1])
        os.set_blocking(write, False)
        self._pipe = write
        if told is not None:
            self._listen(told[0])

    def _listen(self, fd: int) -> None:
        """Tell `on_indexed` whenever the worker says it indexed something (a byte on the
        pipe it was given; its end when the worker exits)."""
        self._stop_listening()
        self._back = fd
        os.set_blocking(fd, False)
        asyncio.get_running_loop().add_reader(fd, self._told)

    def _told(self) -> None:
        if self._back is None:
            return
        try:
            data = os.read(self._back, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._stop_listening()
        if self._on_indexed is not None:
            self._on_indexed()

    def _stop_listening(self) -> None:
        if self._back is not None:
            asyncio.get_running_loop().remove_reader(self._back)
            os.close(self._back)
            self._back = None

    def _close_pipe(self) -> None:
        if self._pipe is not None:
            with contextlib.suppress(OSError):
                os.close(self._pipe)
            self._pipe = None

    async def _watch(self) -> None:
        delay = _RESTART_FIRST
        while True:
            assert self._proc is not None
            started = time.monotonic()
            code = await self._proc.wait()
            if self._stopping:
                return
            self._close_pipe()
            self._say(code)
            if time.monotonic() - started > 60:
                delay = _RESTART_FIRST
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RESTART_MAX)
            await self._spawn()

    def _say(self, code: int) -> None:
        how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        message = (
            f"devsentry's worker stopped ({how}); starting it again: it catches up from the store"
        )
        if self._console is not None:
            from rich.text import Text

            self._console.print(Text("✖ " + message, style="bold red"))
        else:
            log.warning("%s", message)


def _encode(value: object) -> object:
    """Paths (`--sourcemaps DIR`) on the worker's command line, as strings."""
    if isinstance(value, Path):
        return str(value)
    raise NotImplementedError(f"{type(value).__name__} is not for the worker's command line")


def _decode(kind: type, value: object) -> object:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError(f"{kind} from the worker's command line")


def main(argv: list[str]) -> None:
    """`python -m devsentry.worker SPEC`, started by `WorkerProcess` with the pipe as stdin."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the ingest process, then us
    niceness = os.environ.get("DEVSENTRY_WORKER_NICE", str(_NICE))
    with contextlib.suppress(OSError, ValueError):
        os.nice(int(niceness))
    spec = msgspec.json.decode(argv[1], type=_Spec, dec_hook=_decode)
    run_loop(_work(spec, int(argv[2]) if len(argv) > 2 else None))


class _Tell:
    """A sink that tells the ingest process the index moved (a byte on `fd`, at most one
    per loop iteration): how `serve`'s MCP endpoint hears of new items without polling."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._due = False

    async def start(self) -> None:
        os.set_blocking(self.fd, False)

    def publish(self, captured: object) -> None:
        if not self._due:
            self._due = True
            asyncio.get_running_loop().call_soon(self._write)

    def _write(self) -> None:
        self._due = False
        with contextlib.suppress(BlockingIOError, BrokenPipeError):
            os.write(self.fd, b"\x01")

    async def stop(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


async def _work(spec: _Spec, tell: int | None = None) -> None:
    from devsentry.render.console import make_console
    from devsentry.service import make_sinks, processing
    from devsentry.store.indexing import IndexWriter

    work = spec.work
    console = make_console() if work.console else None
    writer = IndexWriter(Path(spec.store))
    loop = asyncio.get_running_loop()
    ended = asyncio.Event()
    try:
        async with processing(
            writer,
            sinks=[*make_sinks(console), *([] if tell is None else [_Tell(tell)])],
            forward=spec.forward,
            alerts=work.alerts,
            sourcemaps=work.sourcemaps,
            batch=_BATCH,
        ) as after:

            def readable() -> None:
                try:
                    data = os.read(0, 65536)
                except BlockingIOError:
                    return
                except OSError:
                    data = b""
                if data:
                    after.poke()
                else:  # the ingest process stopped (or died): finish and exit
                    loop.remove_reader(0)
                    ended.set()

            os.set_blocking(0, False)
            loop.add_reader(0, readable)
            after.poke()  # what was committed before this worker started
            await ended.wait()
    finally:
        writer.close()


if __name__ == "__main__":
    main(sys.argv)
