"""Reading what a person types, from a terminal or a pipe, without blocking the event loop;
and turning Ctrl+C into a clean stop instead of a traceback.

:class:`LineReader` reads one line at a time on request, in a daemon thread, so questions keep
streaming and the connection keeps reconnecting while nobody types, and a pending read never
keeps the process alive at exit. On a terminal it uses :func:`input` with ``readline`` (line
editing, history); the terminal's settings are restored on exit whatever happened.
"""

from __future__ import annotations

import collections
import contextlib
import queue
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TextIO, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel

T = TypeVar("T")


def is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class LineReader:
    """Lines from ``stream`` on demand; ``None`` means end of input (Ctrl+D or a closed pipe).

    On a terminal, end of input is not final: the next read waits for typing again.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        prompts: TextIO | None = None,
        *,
        interactive: bool | None = None,
    ) -> None:
        self.stream = stream or sys.stdin
        self.prompts = prompts or sys.stdout
        self.interactive = (
            is_terminal(self.stream) and is_terminal(self.prompts)
            if interactive is None
            else interactive
        )
        self.closed = False  # a pipe reached its end
        self._requests: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._results: collections.deque[str | None] = collections.deque()
        self._arrived: anyio.Event | None = None
        self._outstanding = False
        self._thread: threading.Thread | None = None
        self._token: Any = None
        if self.interactive:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401  (line editing and history for input())

    async def readline(self, prompt: str = "") -> str | None:
        """The next line without its line break, or None at the end of input."""
        if self._results:
            return self._results.popleft()
        if self.closed:
            return None
        if self._thread is None:
            self._token = anyio.lowlevel.current_token()
            self._thread = threading.Thread(target=self._run, name="personagen-stdin", daemon=True)
            self._thread.start()
        if not self._outstanding:
            self._outstanding = True
            self._requests.put(prompt)
        while not self._results:
            self._arrived = anyio.Event()
            await self._arrived.wait()
        return self._results.popleft()

    @property
    def waiting(self) -> bool:
        """A read was requested and no line came yet (e.g. when it was cancelled)."""
        return self._outstanding

    def _run(self) -> None:
        while True:
            prompt = self._requests.get()
            line: str | None
            try:
                if self.interactive:
                    line = input(prompt)
                else:
                    raw = self.stream.readline()
                    line = raw.rstrip("\r\n") if raw else None
                    if prompt:  # show the question and what the pipe answered, for the log
                        self.prompts.write(f"{prompt}{line if line is not None else ''}\n")
                        self.prompts.flush()
            except EOFError:
                line = None
            except (OSError, ValueError, UnicodeDecodeError):
                line = None
            try:
                anyio.from_thread.run_sync(self._deliver, line, token=self._token)
            except RuntimeError:
                return  # the event loop is gone

    def _deliver(self, line: str | None) -> None:
        self._outstanding = False
        if line is None and not self.interactive:
            self.closed = True
        self._results.append(line)
        if self._arrived is not None:
            self._arrived.set()


@contextlib.contextmanager
def terminal_restored(stream: TextIO | None = None) -> Iterator[None]:
    """Put the terminal's settings back on exit (``readline`` may be mid-edit when we leave)."""
    stream = stream or sys.stdin
    saved: Any = None
    fd = -1
    if is_terminal(stream):
        with contextlib.suppress(ImportError, OSError, ValueError):
            import termios

            fd = stream.fileno()
            saved = termios.tcgetattr(fd)
    try:
        yield
    finally:
        if saved is not None:
            with contextlib.suppress(ImportError, OSError, ValueError):
                import termios

                termios.tcsetattr(fd, termios.TCSADRAIN, saved)


async def interruptible(body: Callable[[], Awaitable[T]]) -> tuple[T | None, bool]:
    """Run ``body``; Ctrl+C (SIGINT) cancels it. Returns (its result, whether interrupted).

    After an interrupt the caller is free to do async clean-up (pause the interview, say how
    to resume); a second Ctrl+C during that clean-up stops at once.
    """
    result: T | None = None
    interrupted = False

    async def watch(scope: anyio.CancelScope) -> None:
        nonlocal interrupted
        with anyio.open_signal_receiver(signal.SIGINT) as signals:
            async for _ in signals:
                interrupted = True
                scope.cancel()
                return

    async with anyio.create_task_group() as group:
        group.start_soon(watch, group.cancel_scope)
        try:
            result = await body()
        finally:
            group.cancel_scope.cancel()
    return result, interrupted


def unwrap(error: BaseException) -> BaseException:
    """The one exception inside (nested) single-member exception groups."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error
