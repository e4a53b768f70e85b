"""The relay as it was before issue 16, kept runnable for side-by-side runs.

``python -m bench.server_variant before16`` patches these into the imported server, so that a
benchmark measures the old and the new relay in the same run on the same machine:

* the Ollama read loop with a ``fail_after`` scope, an error-translating context and a
  formatted timeout message per chunk, reading a runaway reply to its end and running every
  content check over it (:func:`old_next_chunk`, :func:`old_stream_attempt`,
  :func:`old_problems`);
* the delta batcher that sent at most one frame per 25 ms, counted from the previous frame,
  or one per 64 characters (:class:`WindowDeltaBatcher`);
* httpx's default connection pool (100 connections, 20 kept alive) whatever
  ``max_generations`` says (:func:`default_pool_ollama`);
* ``sniffio`` unfindable, as when it was not installed (:func:`hide_sniffio`): every import
  attempt searches ``sys.path`` and fails.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Sequence
from types import ModuleType
from typing import Any

import anyio
import httpx
import ollama

from server.errors import LLMStreamError, LLMUnavailable
from server.interview.model import QuestionRequest
from server.interview.prompts import QUESTION_MAX_TOKENS, Message
from server.interview.question_lint import check_question
from server.llm.ollama import OllamaInterviewer, _Attempt
from server.settings import Settings


class WindowDeltaBatcher:
    """At most one frame per ``interval`` counted from the previous frame, or per ``max_chars``."""

    def __init__(
        self,
        publish: Callable[[str], None],
        interval: float,
        max_chars: int,
        watchers: Callable[[], Iterable[object]] = tuple,
    ) -> None:
        self.publish = publish
        self.interval = interval
        self.max_chars = max_chars
        self.buffer = ""
        self._sent_at = float("-inf")
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
            self._sent_at = anyio.current_time()
            self.publish(text)

    def drop(self) -> None:
        self.buffer = ""

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            wait = self._sent_at + self.interval - anyio.current_time()
            if wait > 0:
                await anyio.sleep(wait)
            self.flush()


async def old_next_chunk(
    self: OllamaInterviewer, chunks: AsyncIterator[ollama.ChatResponse], deadline: float
) -> ollama.ChatResponse | None:
    timed_out = LLMUnavailable(
        f"Ollama at {self.host} did not finish the question: timed out after "
        f"{self.question_deadline:g} s"
    )
    remaining = deadline - anyio.current_time()
    if remaining <= 0:
        raise timed_out
    try:
        with anyio.fail_after(remaining):
            with self._door("streaming a question"):
                return await anext(chunks)
    except StopAsyncIteration:
        return None
    except TimeoutError as exc:
        raise timed_out from exc


async def old_stream_attempt(
    self: OllamaInterviewer, messages: list[Message], deadline: float, attempt: _Attempt
) -> AsyncGenerator[str, None]:
    with self._door("streaming a question"):
        stream = await self._client.chat(
            model=self.model,
            messages=messages,
            stream=True,
            think=False,
            keep_alive=self.keep_alive,
            options=self._question_options(),
        )
    assert isinstance(stream, AsyncGenerator)
    held = ""
    async with contextlib.aclosing(stream) as chunks:
        while (chunk := await old_next_chunk(self, chunks, deadline)) is not None:
            if chunk.done_reason == "load":
                continue
            text = held + (chunk.message.content or "")
            if not attempt.text:
                text = text.lstrip()
            body = text.rstrip()
            held = text[len(body) :]
            if body:
                attempt.text += body
                yield body
            if chunk.done:
                attempt.done = chunk
    if attempt.done is None:
        raise LLMStreamError(f"Ollama at {self.host} ended the stream without its final chunk")
    if note := self._overflow_note(messages, attempt.done):
        attempt.notes.append(note)


def old_problems(self: OllamaInterviewer, attempt: _Attempt, request: QuestionRequest) -> Any:
    reasons: list[str] = []
    if attempt.done is not None and attempt.done.done_reason == "length":
        reasons.append(
            f"the question was cut off at the length limit of {QUESTION_MAX_TOKENS} tokens"
        )
    for problem in check_question(attempt.text, request.asked_questions):
        reasons.append(problem.detail or problem.kind)
    return "; ".join(reasons) or None


def default_pool_ollama(make: Callable[[Settings], OllamaInterviewer]) -> Any:
    """``make_ollama`` with httpx's default pool instead of one sized from the setting."""

    def make_with_default_pool(settings: Settings) -> OllamaInterviewer:
        return OllamaInterviewer(
            host=settings.ollama_host,
            model=settings.ollama_model,
            connect_timeout=settings.ollama_connect_timeout,
            read_timeout=settings.ollama_read_timeout,
            question_deadline=settings.ollama_question_deadline,
            num_ctx=settings.ollama_num_ctx,
            temperature=settings.ollama_temperature,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    return make_with_default_pool


class _HideSniffio(importlib.abc.MetaPathFinder):
    """Make ``import sniffio`` fail after the same ``sys.path`` search as a missing package."""

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != "sniffio":
            return None
        importlib.machinery.PathFinder.find_spec("sniffio_is_not_installed", path)
        raise ModuleNotFoundError("No module named 'sniffio'", name=name)


def hide_sniffio() -> None:
    sys.modules.pop("sniffio", None)
    sys.meta_path.insert(0, _HideSniffio())


def install() -> dict[str, Any]:
    """Patch the imported server back to its pre-issue-16 relay; returns ``Limits`` changes."""
    import server.llm.select
    import server.manager

    setattr(OllamaInterviewer, "_stream_attempt", old_stream_attempt)  # noqa: B010
    setattr(OllamaInterviewer, "_problems", old_problems)  # noqa: B010
    setattr(server.manager, "DeltaBatcher", WindowDeltaBatcher)  # noqa: B010
    old_make = default_pool_ollama(server.llm.select.make_ollama)
    setattr(server.llm.select, "make_ollama", old_make)  # noqa: B010
    hide_sniffio()
    return {"delta_interval": 0.025, "delta_chars": 64}
