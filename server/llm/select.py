"""Choosing the interviewer backend from the settings (``auto`` probes Ollama first)."""

from __future__ import annotations

import dataclasses

from server.llm.base import Interviewer
from server.llm.builtin import BuiltinInterviewer
from server.llm.ollama import OllamaInterviewer
from server.settings import Settings


@dataclasses.dataclass(frozen=True)
class Choice:
    interviewer: Interviewer
    reason: str


def make_ollama(settings: Settings) -> OllamaInterviewer:
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
