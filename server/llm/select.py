"""Choosing the interviewer backend from the settings (``auto`` probes Ollama first)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import TYPE_CHECKING

import anyio

from server.interview.model import (
    ExtractionRequest,
    ExtractionResult,
    QuestionEvent,
    QuestionRequest,
)
from server.llm.base import BackendName, Interviewer
from server.llm.builtin import BuiltinInterviewer
from server.settings import Settings

if TYPE_CHECKING:
    from server.llm.ollama import OllamaInterviewer, OllamaStatus

log = logging.getLogger("personagen.backend")
# Seconds beyond the connect timeout that the auto backend waits for Ollama's answers.
AUTO_PROBE_GRACE = 2.0


@dataclasses.dataclass(frozen=True)
class Choice:
    interviewer: Interviewer
    reason: str


def make_ollama(settings: Settings) -> OllamaInterviewer:
    # Imported here: ollama and httpx take about 95 ms to import, which the builtin backend's
    # start-up does not need to pay.
    from server.llm.ollama import OllamaInterviewer

    return OllamaInterviewer(
        host=settings.ollama_host,
        model=settings.ollama_model,
        connect_timeout=settings.ollama_connect_timeout,
        read_timeout=settings.ollama_read_timeout,
        question_deadline=settings.ollama_question_deadline,
        num_ctx=settings.ollama_num_ctx,
        temperature=settings.ollama_temperature,
        max_streams=settings.max_generations,
    )


async def choose_interviewer(settings: Settings) -> Choice:
    """The interviewer the settings ask for, and a sentence saying why it was chosen."""
    if settings.backend == "builtin":
        return Choice(BuiltinInterviewer(pace=settings.builtin_pace), "backend set to builtin")
    ollama = make_ollama(settings)
    status = await ollama.probe()
    if settings.backend == "ollama":
        reason = "backend set to ollama"
        if not (status.reachable and status.model_present):
            reason += f" (warning: {status.detail})"
        return Choice(ollama, reason)
    if status.reachable and status.model_present:
        return Choice(ollama, f"Ollama at {settings.ollama_host} has {settings.ollama_model}")
    await ollama.aclose()
    return Choice(
        BuiltinInterviewer(pace=settings.builtin_pace),
        f"using the built-in question bank: {status.detail}",
    )


class AutoInterviewer:
    """The ``auto`` backend, decided in the background so the server never waits for Ollama.

    :meth:`decide` probes Ollama (run it in a task); until it has, a question or an extraction
    waits for the decision (at most the connect timeout plus :data:`AUTO_PROBE_GRACE`) and
    ``label`` says that the backend is still being chosen. Once decided, calls go straight to
    the chosen interviewer and ``on_decided`` is told the choice (e.g. to update the welcome).
    """

    def __init__(self, settings: Settings, on_decided: Callable[[Choice], None]) -> None:
        self._settings = settings
        self._ollama = make_ollama(settings)
        self._builtin = BuiltinInterviewer(pace=settings.builtin_pace)
        self._on_decided = on_decided
        self._chosen: Interviewer | None = None
        self._decided = anyio.Event()
        self.reason = f"checking Ollama at {settings.ollama_host} (started without waiting)"

    @property
    def current(self) -> Interviewer | None:
        """The chosen interviewer, or None while the probe runs."""
        return self._chosen

    @property
    def name(self) -> BackendName:
        return (self._chosen or self._builtin).name

    @property
    def label(self) -> str:
        if self._chosen is None:
            return f"{self._builtin.label} unless {self._ollama.label} answers"
        return self._chosen.label

    async def decide(self) -> Choice:
        # An Ollama that accepts connections but does not answer within a few seconds is not
        # one to interview with; waiting its read timeout (minutes) would hold up questions.
        patience = self._settings.ollama_connect_timeout + AUTO_PROBE_GRACE
        status = None
        with anyio.move_on_after(patience):
            status = await self._ollama.probe()
        if status is not None and status.ready:
            choice = Choice(
                self._ollama,
                f"Ollama at {self._settings.ollama_host} has {self._settings.ollama_model}",
            )
        else:
            detail = (
                status.detail
                if status is not None
                else f"Ollama at {self._settings.ollama_host} did not answer within {patience:g} s"
            )
            choice = Choice(self._builtin, f"using the built-in question bank: {detail}")
        self._chosen, self.reason = choice.interviewer, choice.reason
        self._decided.set()
        log.info("interviewer: %s (%s)", choice.interviewer.label, choice.reason)
        self._on_decided(choice)
        return choice

    async def _wait(self) -> Interviewer:
        await self._decided.wait()
        assert self._chosen is not None
        return self._chosen

    def stream_question(self, request: QuestionRequest) -> AsyncIterator[QuestionEvent]:
        if self._chosen is not None:
            return self._chosen.stream_question(request)  # no extra layer once decided
        return self._stream_after_decision(request)

    async def _stream_after_decision(
        self, request: QuestionRequest
    ) -> AsyncGenerator[QuestionEvent, None]:
        events = (await self._wait()).stream_question(request)
        try:
            async for event in events:
                yield event
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()

    async def extract(self, request: ExtractionRequest) -> ExtractionResult:
        return await (await self._wait()).extract(request)

    async def aclose(self) -> None:
        await self._ollama.aclose()
        await self._builtin.aclose()


async def ollama_status(interviewer: Interviewer) -> OllamaStatus | None:
    """Ollama's probe when Ollama interviews (directly or as the decided ``auto``), else None."""
    current = interviewer.current if isinstance(interviewer, AutoInterviewer) else interviewer
    if current is None or current.name != "ollama":
        return None
    from server.llm.ollama import OllamaInterviewer  # already loaded when Ollama interviews

    return await current.probe() if isinstance(current, OllamaInterviewer) else None
