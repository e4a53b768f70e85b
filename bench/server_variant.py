"""``personagen serve`` with one relay setting changed, for before/after comparisons.

    python -m bench.server_variant legacy     # the delta batcher as first shipped (b62a7b0)
    python -m bench.server_variant interval=0.05,chars=512

The benchmarks start this instead of ``python -m server serve`` when given
``--server-variant``, so that the server as it was and the server as it is can be measured in
the same run on the same machine. Nothing is changed on disk: the variant patches the
imported modules, then runs the ordinary ``serve`` command (same settings, same uvicorn
options).

* ``legacy``: ``DeltaBatcher`` waits a full interval after the first buffered piece (trailing
  window) and the interval is 50 ms, as in the first release of the server.
* ``interval=S``: the current batcher with ``Limits.delta_interval`` = S seconds.
* ``chars=N``: ``Limits.delta_chars`` = N (a frame is sent at once when it holds N characters).
* ``before16``: the relay before issue 16 (see :mod:`bench.before16`): per-chunk deadline
  scopes, runaway replies read to the end, the 25 ms window batcher, httpx's default pool and
  no ``sniffio``.
* ``gccensus``: at the first slow full collections, print the commonest object types.
* ``gclog``: print garbage-collector pauses over 20 ms to the server log.
* ``current``: nothing changed.

Parts combine with commas.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import anyio

import server.app
import server.manager
from bench import before16
from server.cli import main as cli_main


class LegacyDeltaBatcher:
    """The batcher of the first release: one frame ``interval`` after the first piece."""

    def __init__(
        self, publish: Callable[[str], None], interval: float, max_chars: int, **_: Any
    ) -> None:
        self.publish = publish
        self.interval = interval
        self.max_chars = max_chars
        self.buffer = ""
        self._wake = anyio.Event()

    def add(self, text: str) -> None:
        self.buffer += text
        if len(self.buffer) >= self.max_chars:
            self.flush()
        else:
            self._wake.set()

    def flush(self) -> None:
        if self.buffer:
            text, self.buffer = self.buffer, ""
            self.publish(text)

    def drop(self) -> None:
        self.buffer = ""

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            await anyio.sleep(self.interval)
            self.flush()


def _log_gc_pauses(threshold: float = 0.02) -> None:
    """Print every garbage-collector pause longer than ``threshold`` seconds to stderr."""
    import gc
    import time

    started: dict[str, float] = {}

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started["t"] = time.perf_counter()
            return
        pause = time.perf_counter() - started.get("t", time.perf_counter())
        if pause >= threshold:
            print(
                f"gc pause {pause * 1000:.0f} ms: generation {info['generation']}, "
                f"collected {info['collected']}, objects {len(gc.get_objects())}",
                file=sys.stderr,
                flush=True,
            )

    gc.callbacks.append(callback)


def _census_at_slow_collections(threshold: float = 0.05, times: int = 3) -> None:
    """At the first ``times`` full collections over ``threshold`` s, print the commonest types."""
    import collections
    import gc
    import time

    started: dict[str, float] = {}
    printed: list[int] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started["t"] = time.perf_counter()
            return
        pause = time.perf_counter() - started.get("t", time.perf_counter())
        if info["generation"] == 2 and pause >= threshold and len(printed) < times:
            printed.append(1)
            objects = gc.get_objects()
            counts = collections.Counter(type(obj).__qualname__ for obj in objects)
            top = ", ".join(f"{name} {count}" for name, count in counts.most_common(20))
            print(
                f"gc census after a {pause * 1000:.0f} ms full collection: "
                f"{len(objects)} tracked objects; {top}",
                file=sys.stderr,
                flush=True,
            )

    gc.callbacks.append(callback)


def apply(variant: str) -> None:
    """Patch the imported server modules for ``variant`` (see the module docstring)."""
    changes: dict[str, Any] = {}
    for part in variant.split(","):
        if part == "legacy":
            setattr(server.manager, "DeltaBatcher", LegacyDeltaBatcher)  # noqa: B010
            changes["delta_interval"] = 0.05
            changes["delta_chars"] = 64
        elif part.startswith("interval="):
            changes["delta_interval"] = float(part.split("=", 1)[1])
        elif part.startswith("chars="):
            changes["delta_chars"] = int(part.split("=", 1)[1])
        elif part == "before16":
            changes.update(before16.install())
        elif part == "gclog":
            _log_gc_pauses()
        elif part == "gccensus":
            _census_at_slow_collections()
        elif part == "current":
            pass
        else:
            raise SystemExit(f"unknown variant {part!r}")
    limits = functools.partial(server.manager.Limits, **changes)
    setattr(server.app, "Limits", limits)  # noqa: B010 - create_app looks the name up here


def main() -> int:
    apply(sys.argv[1])
    return cli_main(["serve", *sys.argv[2:]])


if __name__ == "__main__":
    sys.exit(main())
