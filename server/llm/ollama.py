"""The Ollama interviewer: official AsyncClient, streamed questions, schema-checked extraction.

This is the one module that touches ``ollama`` and ``httpx``. Their errors are translated
here, the original kept as ``__cause__``:

* ``ConnectionError`` (non-streaming calls to a closed port), ``httpx.TransportError``
  (streaming calls to a closed port, resets, an abrupt close mid-body) ->
  :class:`LLMUnavailable` naming the host.
* ``httpx.TimeoutException`` (connect/read timeout) and the question deadline ->
  :class:`LLMUnavailable` saying it timed out.
* ``ollama.ResponseError`` 404 -> :class:`ModelNotFound` with "run `ollama pull <model>`";
  503 -> :class:`LLMBusy`; -1 (an ``{"error"}`` line mid-stream) -> :class:`LLMStreamError`;
  any other status -> :class:`LLMError` with the status and Ollama's message.
* A malformed reply line -> :class:`LLMStreamError`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from typing import Any

import anyio
import httpx
import ollama

from server.errors import (
    LLMBadOutput,
    LLMBusy,
    LLMError,
    LLMStreamError,
    LLMUnavailable,
    ModelNotFound,
)
from server.interview.crisis_check import (
    CRISIS_CHECK_SCHEMA,
    crisis_check_messages,
    parse_crisis_check,
)
from server.interview.crisis_frames import Level
from server.interview.echo import echoed_sensitive
from server.interview.extract_rules import extract_persona
from server.interview.model import (
    ExtractionRequest,
    ExtractionResult,
    ExtractionSource,
    QuestionDelta,
    QuestionEvent,
    QuestionFinal,
    QuestionRequest,
    QuestionRestart,
    Usage,
)
from server.interview.prompts import (
    EXTRACTION_MAX_TOKENS,
    QUESTION_MAX_TOKENS,
    Message,
    estimate_tokens,
    extraction_messages,
    extraction_schema,
    extraction_turns,
    parse_extraction,
    question_messages,
)
from server.interview.question_bank import fallback_question
from server.interview.question_lint import MAX_QUESTION_LENGTH, check_question
from server.llm.base import BackendName
from server.persona.draft import PersonaDraft

EXTRACTION_TEMPERATURE = 0.2
# Below this share of our estimate, Ollama's prompt_eval_count means it dropped part of the
# prompt (it truncates silently: ollama/ollama #3839, #17427).
_FAR_BELOW = 0.6
# Connections beyond the streamed questions: extractions, warm-ups and probes.
SPARE_CONNECTIONS = 2
# Idle connections kept open for reuse, at most. httpcore 1.0 walks every connection for every
# idle one on each request event (quadratic) and polls each idle socket: with 100 kept alive
# that cost a saturated server half its CPU per token (docs/benchmarks.md), far more than
# reconnecting to Ollama over loopback.
MAX_KEPT_ALIVE = 20


@dataclasses.dataclass(frozen=True)
class OllamaStatus:
    """What :meth:`OllamaInterviewer.probe` found; ``detail`` is a sentence for people."""

    reachable: bool
    model_present: bool
    detail: str
    version: str | None = None
    models: tuple[str, ...] = ()
    """The models Ollama has pulled (empty when it could not be asked)."""

    @property
    def ready(self) -> bool:
        return self.reachable and self.model_present


@dataclasses.dataclass
class _Attempt:
    """What one streamed attempt produced, filled in while it streams."""

    text: str = ""
    done: ollama.ChatResponse | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    # Set when the reply ran past the question length limit and was cut off unread.
    runaway: str | None = None


def _canonical_model(name: str) -> str:
    """Ollama's name for a model: a bare name means its ``latest`` tag."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _usage(done: ollama.ChatResponse) -> Usage:
    def ms(nanoseconds: int | None) -> float:
        return (nanoseconds or 0) / 1_000_000

    return Usage(
        prompt_eval_count=done.prompt_eval_count or 0,
        eval_count=done.eval_count or 0,
        eval_duration_ms=ms(done.eval_duration),
        load_duration_ms=ms(done.load_duration),
        total_duration_ms=ms(done.total_duration),
    )


def _pieces(text: str) -> list[str]:
    """Word-sized pieces whose concatenation is ``text``."""
    return re.findall(r"\S+\s*", text)


class OllamaInterviewer:
    """Interviews through an Ollama server with one shared ``ollama.AsyncClient``.

    Questions are streamed and checked; a question that fails the checks is retried once with
    the problem fed back, then replaced by the baseline or a question-bank question.
    Extraction is a non-streamed call constrained by a JSON schema, validated, repaired once,
    and replaced by the rule-based extractor when it still fails. ``client_kwargs`` go to
    ``httpx.AsyncClient`` (e.g. ``transport=``).

    The HTTP pool holds ``max_streams`` (the server's ``max_generations``) plus
    :data:`SPARE_CONNECTIONS` connections, up to :data:`MAX_KEPT_ALIVE` of them kept alive
    between questions: the server's own limiter queues generations beyond that, so no request
    ever waits inside httpx (whose pool rescans every waiting request on every change and
    times them out after 5 s).
    """

    def __init__(
        self,
        *,
        host: str,
        model: str,
        connect_timeout: float = 3,
        read_timeout: float = 120,
        question_deadline: float = 180,
        num_ctx: int = 8192,
        temperature: float = 0.7,
        keep_alive: str = "30m",
        seed: int | None = None,
        stop: Sequence[str] = (),
        max_streams: int = 1,
        **client_kwargs: Any,
    ) -> None:
        self.model = model
        self.num_ctx = num_ctx
        self.temperature = temperature
        self.keep_alive = keep_alive
        self.seed = seed
        self.stop = tuple(stop)
        self.question_deadline = question_deadline
        pool_size = max_streams + SPARE_CONNECTIONS
        kept_alive = min(pool_size, MAX_KEPT_ALIVE)
        client_kwargs.setdefault(
            "limits", httpx.Limits(max_connections=pool_size, max_keepalive_connections=kept_alive)
        )
        self._client = ollama.AsyncClient(
            host=host,
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=10, pool=5),
            **client_kwargs,
        )
        # The client keeps its httpx client private; /api/version has no client method.
        http = self._client._client
        if not isinstance(http, httpx.AsyncClient):  # pragma: no cover - ollama internals
            raise TypeError(f"expected ollama to wrap httpx.AsyncClient, found {type(http)!r}")
        self._http = http
        self.host = str(http.base_url).rstrip("/")

    @property
    def name(self) -> BackendName:
        return "ollama"

    @property
    def label(self) -> str:
        return f"Ollama model {self.model}"

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- errors -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _door(self, action: str, *, about_model: bool = True) -> Iterator[None]:
        """Translate ollama/httpx errors raised inside into :class:`LLMError` subclasses."""
        where = f"Ollama at {self.host}"
        try:
            yield
        except ollama.ResponseError as exc:
            status, error = exc.status_code, exc.error
            if status == 404 and about_model:
                raise ModelNotFound(
                    f"{where} has no model {self.model!r} ({error}); run `ollama pull {self.model}`"
                ) from exc
            if status == 503:
                raise LLMBusy(f"{where} is busy while {action}: {error}") from exc
            if status == -1:
                raise LLMStreamError(f"{where} reported an error while {action}: {error}") from exc
            raise LLMError(f"{where} answered HTTP {status} while {action}: {error}") from exc
        except httpx.TimeoutException as exc:
            raise LLMUnavailable(
                f"{where} timed out while {action} ({type(exc).__name__})"
            ) from exc
        except (ConnectionError, httpx.TransportError) as exc:
            reason = str(exc) or type(exc).__name__
            raise LLMUnavailable(f"cannot reach {where} while {action}: {reason}") from exc
        except ollama.RequestError as exc:
            raise LLMError(f"invalid request to {where} while {action}: {exc.error}") from exc
        except ValueError as exc:
            # json.JSONDecodeError or pydantic.ValidationError on a reply line.
            raise LLMStreamError(
                f"{where} sent a malformed reply while {action}: {str(exc)[:200]}"
            ) from exc

    def _overflow_note(self, messages: Sequence[Message], done: ollama.ChatResponse) -> str | None:
        estimate = estimate_tokens(messages)
        seen = done.prompt_eval_count
        if not seen or seen >= estimate:
            return None
        # Far below the estimate, or the signature of a truncated prompt (~num_ctx/2 + 2).
        half_window = self.num_ctx // 2
        truncated = estimate > half_window and seen <= half_window + 8
        if seen >= estimate * _FAR_BELOW and not truncated:
            return None
        return (
            f"Ollama evaluated only {seen} prompt tokens of about {estimate} sent "
            f"(num_ctx {self.num_ctx}); it may have silently dropped the start of the prompt"
        )

    # -- health -------------------------------------------------------------------------------

    async def probe(self) -> OllamaStatus:
        """Is Ollama reachable and the model pulled? Never raises: failures become ``detail``."""
        where = f"Ollama at {self.host}"
        version: str | None = None
        names: set[str] = set()
        try:
            with self._door("asking its version", about_model=False):
                response = await self._http.get("/api/version")
            if response.is_success:
                found = response.json().get("version")
                version = found if isinstance(found, str) else None
            with self._door("listing models", about_model=False):
                listed = await self._client.list()
            wanted = _canonical_model(self.model)
            names = {_canonical_model(entry.model) for entry in listed.models if entry.model}
            if wanted not in names:
                with self._door("looking up the model"):
                    await self._client.show(self.model)
        except ModelNotFound as exc:
            return OllamaStatus(True, False, exc.message, version, tuple(sorted(names)))
        except LLMUnavailable as exc:
            return OllamaStatus(False, False, exc.message, version)
        except LLMError as exc:
            return OllamaStatus(True, False, exc.message, version)
        except Exception as exc:  # A probe reports; it never raises.
            detail = f"unexpected reply from {where}: {type(exc).__name__}: {exc}"
            return OllamaStatus(True, False, detail, version)
        shown = f"Ollama {version}" if version else "Ollama"
        detail = f"{shown} at {self.host} has model {self.model!r}"
        return OllamaStatus(True, True, detail, version, tuple(sorted(names)))

    async def warm(self) -> None:
        """Load the model now (an empty chat; Ollama answers ``done_reason: "load"``).

        Raises:
            LLMError: as for any call; see the module docstring.
        """
        with self._door("loading the model"):
            await self._client.chat(
                model=self.model, messages=[], stream=False, keep_alive=self.keep_alive
            )

    # -- questions ----------------------------------------------------------------------------

    def _question_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "temperature": self.temperature,
            "num_ctx": self.num_ctx,
            "num_predict": QUESTION_MAX_TOKENS,
        }
        if self.seed is not None:
            options["seed"] = self.seed
        if self.stop:
            options["stop"] = list(self.stop)
        return options

    def _timed_out(self) -> LLMUnavailable:
        return LLMUnavailable(
            f"Ollama at {self.host} did not finish the question: timed out after "
            f"{self.question_deadline:g} s"
        )

    async def _read_chunks(
        self, chunks: AsyncIterator[ollama.ChatResponse], deadline: float
    ) -> AsyncGenerator[ollama.ChatResponse, None]:
        """The stream's chunks until it ends or the question deadline passes.

        Per chunk this costs a clock comparison and one cancel scope around the read itself,
        never around a yield: the consumer's code runs between our yields and must not be
        cancelled by our deadline. The scope only matters when a read waits; a buffered
        chunk never suspends, so the clock check is what catches a deadline passed meanwhile.
        """
        while True:
            if anyio.current_time() >= deadline:
                raise self._timed_out()
            with anyio.CancelScope(deadline=deadline) as scope:
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    return
            if scope.cancelled_caught:
                raise self._timed_out()
            yield chunk

    async def _stream_attempt(
        self, messages: list[Message], deadline: float, attempt: _Attempt
    ) -> AsyncGenerator[str, None]:
        """Yield the question's text pieces as they arrive; fill in ``attempt``.

        Leading whitespace is dropped and trailing whitespace is held back until more text
        follows, so the pieces always concatenate to the final (stripped) text. A reply that
        runs past :data:`MAX_QUESTION_LENGTH` is rejected whatever follows, so reading stops
        there and the upstream request is closed (Ollama stops generating).
        """
        with self._door("streaming a question"):
            stream = await self._client.chat(
                model=self.model,
                messages=messages,
                stream=True,
                think=False,
                keep_alive=self.keep_alive,
                options=self._question_options(),
            )
        if not isinstance(stream, AsyncGenerator):  # pragma: no cover - ollama internals
            raise TypeError(f"expected an async generator from ollama, found {type(stream)!r}")
        held = ""
        # One error translation for the whole loop: only our reads raise ollama/httpx errors.
        with self._door("streaming a question"):
            async with (
                contextlib.aclosing(stream) as chunks,
                contextlib.aclosing(self._read_chunks(chunks, deadline)) as reads,
            ):
                async for chunk in reads:
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
                    elif len(attempt.text) > MAX_QUESTION_LENGTH:
                        attempt.runaway = (
                            f"the question ran past {MAX_QUESTION_LENGTH} characters and was "
                            "cut off there; keep it short and easy to read"
                        )
                        return
        if attempt.done is None:
            raise LLMStreamError(
                f"Ollama at {self.host} ended the stream without its final chunk after "
                f"{len(attempt.text)} characters"
            )
        if note := self._overflow_note(messages, attempt.done):
            attempt.notes.append(note)

    def _problems(self, attempt: _Attempt, request: QuestionRequest) -> str | None:
        if attempt.runaway is not None:
            return attempt.runaway  # already rejected: the content checks would be wasted work
        reasons: list[str] = []
        if attempt.done is not None and attempt.done.done_reason == "length":
            reasons.append(
                f"the question was cut off at the length limit of {QUESTION_MAX_TOKENS} tokens"
            )
        for problem in check_question(attempt.text, request.asked_questions):
            reasons.append(problem.detail or problem.kind)
        answers = [turn.answer for turn in request.turns if turn.answer]
        if echo := echoed_sensitive(attempt.text, answers):
            reasons.append(echo)  # never say back a name, a health detail or a number
        return "; ".join(reasons) or None

    async def stream_question(
        self, request: QuestionRequest
    ) -> AsyncGenerator[QuestionEvent, None]:
        """Stream one question; see :class:`~server.llm.base.Interviewer`.

        Raises:
            LLMError: when the first attempt fails (unreachable, timed out, model missing,
                busy, error mid-stream). A failed *retry* falls back instead of raising.
        """
        deadline = anyio.current_time() + self.question_deadline
        reasons: list[str] = []
        for number in (1, 2):
            attempt = _Attempt()
            messages = question_messages(
                request, num_ctx=self.num_ctx, problem=reasons[-1] if reasons else None
            )
            try:
                async with contextlib.aclosing(
                    self._stream_attempt(messages, deadline, attempt)
                ) as pieces:
                    async for piece in pieces:
                        yield QuestionDelta(piece)
            except LLMError as exc:
                if number == 1:
                    raise
                reasons.append(f"the retry failed: {exc.message}")
                yield QuestionRestart(reasons[-1])
                break
            problem = self._problems(attempt, request)
            if problem is None and attempt.done is not None and attempt.runaway is None:
                yield QuestionFinal(
                    attempt.text,
                    source="ollama",
                    done_reason="stop",
                    usage=_usage(attempt.done),
                    notes=(*reasons, *attempt.notes),
                )
                return
            reasons.append(problem or "the question failed the checks")
            yield QuestionRestart(reasons[-1])

        if request.baseline is not None:
            text = request.baseline.prompt.strip()
        else:
            text = fallback_question(request.category, request.asked_questions).strip()
        for piece in _pieces(text):
            yield QuestionDelta(piece)
        yield QuestionFinal(text, source="fallback", done_reason="fallback", notes=tuple(reasons))

    # -- extraction ---------------------------------------------------------------------------

    async def _chat_json(self, messages: list[Message]) -> ollama.ChatResponse:
        options: dict[str, Any] = {
            "temperature": EXTRACTION_TEMPERATURE,
            "num_ctx": self.num_ctx,
            "num_predict": EXTRACTION_MAX_TOKENS,
        }
        if self.seed is not None:
            options["seed"] = self.seed
        with self._door("extracting the persona"):
            return await self._client.chat(
                model=self.model,
                messages=messages,
                stream=False,
                think=False,
                format=extraction_schema(),
                keep_alive=self.keep_alive,
                options=options,
            )

    # -- crisis second opinion ------------------------------------------------------------------

    async def classify_crisis(self, text: str) -> Level | None:
        """The model's crisis verdict on one answer; None when it cannot give one.

        See :class:`~server.llm.base.CrisisClassifier`: never raises, so a model failure
        leaves the rule verdict to decide alone.
        """
        options: dict[str, Any] = {"temperature": 0, "num_ctx": self.num_ctx, "num_predict": 120}
        if self.seed is not None:
            options["seed"] = self.seed
        try:
            with self._door("screening an answer for crisis content"):
                reply = await self._client.chat(
                    model=self.model,
                    messages=crisis_check_messages(text),
                    stream=False,
                    think=False,
                    format=CRISIS_CHECK_SCHEMA,
                    keep_alive=self.keep_alive,
                    options=options,
                )
        except LLMError:
            return None
        return parse_crisis_check(reply.message.content or "")

    def _fallback(
        self,
        request: ExtractionRequest,
        notes: list[str],
        why: str,
        draft: PersonaDraft | None = None,
    ) -> ExtractionResult:
        if draft is None:
            draft = extract_persona(request).keep_evidenced_by(request.answered_ids)
        notes.append(f"{why}; used the built-in rule-based extractor instead")
        return ExtractionResult(
            draft.model_copy(update={"source": "builtin-fallback"}),
            "builtin-fallback",
            tuple(notes),
        )

    async def extract(self, request: ExtractionRequest) -> ExtractionResult:
        """Extract a draft with the model; see :class:`~server.llm.base.Interviewer`.

        Never raises for bad output or an unreachable Ollama: both end in the rule-based
        extractor, with a note saying why.
        """
        notes: list[str] = []
        omitted = len(request.answered_ids) - len(extraction_turns(request, num_ctx=self.num_ctx))
        if omitted > 0:
            notes.append(
                f"{omitted} of the oldest answers did not fit the model's context window "
                f"(num_ctx {self.num_ctx}) and were left out of its extraction"
            )
        messages = extraction_messages(request, num_ctx=self.num_ctx)
        try:
            reply = await self._chat_json(messages)
        except LLMError as exc:
            return self._fallback(request, notes, f"Ollama could not extract ({exc.code}): {exc}")
        if note := self._overflow_note(messages, reply):
            notes.append(note)
        output = reply.message.content or ""
        source: ExtractionSource = "ollama"
        unevidenced: list[str] = []
        try:
            draft = parse_extraction(output, request, unevidenced)
        except LLMBadOutput as exc:
            notes.append(f"the model's first reply was rejected: {exc.message}")
            repair = extraction_messages(
                request, num_ctx=self.num_ctx, previous_output=output, error=exc.message
            )
            try:
                repaired = await self._chat_json(repair)
                unevidenced.clear()
                draft = parse_extraction(repaired.message.content or "", request, unevidenced)
            except LLMBadOutput as again:
                return self._fallback(
                    request, notes, f"the repaired reply was rejected too: {again.message}"
                )
            except LLMError as failed:
                return self._fallback(
                    request, notes, f"the repair request failed ({failed.code}): {failed}"
                )
            source = "ollama-repaired"
        if unevidenced:
            notes.append(
                f"dropped {len(unevidenced)} item(s) whose quote is not in a cited answer: "
                + "; ".join(unevidenced[:5])
            )
        if draft.is_empty() and request.answered_ids:
            builtin = extract_persona(request).keep_evidenced_by(request.answered_ids)
            if not builtin.is_empty():
                why = "the model's draft held no item citing an answered question"
                return self._fallback(request, notes, why, builtin)
        return ExtractionResult(draft.model_copy(update={"source": source}), source, tuple(notes))
