"""``personagen batch FILE``: an interview answered from a file of pre-written answers.

Formats (chosen by the file's extension, or ``--format``):

* JSON and YAML: a list of entries, or ``{"answers": [...]}``, or an object whose keys are
  categories or question ids and whose values are an answer or a list of answers. An entry is
  an answer string (used in order) or an object ``{"answer": ..., "question": "q3"}`` or
  ``{"answer": ..., "category": "goals"}``.
* Markdown: each ``## heading`` starts an entry; the heading is a question id (``## q3``), a
  category (``## goals``, ``## Current focus: work``), or anything else (used in order). Text
  before the first ``##`` heading (a ``#`` title, notes) is ignored.

Matching, for each question the interviewer asks: an unused entry with that question id;
else the first unused entry of the question's category; else the first unused entry with
neither; else a leftover: the first unused entry for a topic the interview already asked about
and moved on from (it would otherwise never be used). A question nothing matches is skipped,
and the interviewer turns to another topic; when every entry is used, the interview is
finished. Every problem names the file and line.

MI summaries (``summary.offered``) are not answered: a batch file cannot confirm or correct
them, so they stay open and the draft is what the answers say.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import json
import json.decoder
import json.scanner
import re
from pathlib import Path
from typing import Any

import anyio

from server.client import ClientError
from server.commands.backends import Backend
from server.commands.common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    Console,
    plural,
)
from server.commands.render import overall_percent, progress_inline
from server.commands.review import (
    ReviewOutcome,
    fetch_review,
    report_outcome,
    review_and_apply,
    show_review,
)
from server.commands.terminal import LineReader, interruptible
from server.commands.training import review_training
from server.config import ALL_CATEGORIES
from server.transcript import category_name

FORMATS = ("json", "yaml", "markdown")
_EXTENSIONS = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".md": "markdown",
    ".markdown": "markdown",
}
_QUESTION_ID = re.compile(r"q[0-9]{1,4}", re.ASCII)
_ENTRY_KEYS = ("answer", "question", "category")
_ALIASES = {"text": "answer", "id": "question", "question_id": "question"}
MAX_GENERATION_RETRIES = 3


@dataclasses.dataclass
class Entry:
    """One pre-written answer and where it came from."""

    line: int
    text: str
    question: str | None = None
    category: str | None = None
    used_by: str | None = None

    def __post_init__(self) -> None:
        self.text = str(self.text).strip()  # answers are sent trimmed

    @property
    def target(self) -> str:
        if self.question:
            return f"question {self.question}"
        if self.category:
            return f"category {self.category}"
        return "in order"


@dataclasses.dataclass(frozen=True)
class Problem:
    line: int
    message: str


class BatchFileError(CliError):
    """The file cannot be used; every problem is listed with its line."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = sorted(problems, key=lambda problem: problem.line)
        count = plural(len(self.problems), "problem")
        super().__init__(
            f"{path}: {count}; nothing was started\n"
            + "\n".join(f"  {path}:{p.line}: {p.message}" for p in self.problems),
            EXIT_USAGE,
        )


# -- reading ----------------------------------------------------------------------------------


class _Located:
    line: int = 0


class _Dict(dict[str, Any], _Located):
    pass


class _Str(str, _Located):
    pass


class _List(list[Any], _Located):
    lines: list[int]


def _item_line(container: Any, index: int, item: Any, default: int) -> int:
    """The line of ``container[index]``: recorded by the list, else the item's own."""
    if isinstance(container, _List) and index < len(container.lines):
        return container.lines[index]
    return _line_of(item, default)


def _line_of(value: Any, default: int) -> int:
    return value.line if isinstance(value, _Located) and value.line else default


def _json_with_lines(text: str) -> Any:
    """``json.loads`` that remembers the line where each object and string starts."""
    starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def line_at(index: int) -> int:
        return bisect.bisect_right(starts, index)

    decoder = json.JSONDecoder()
    opened: list[list[int]] = []  # per open array or object: the lines of its values

    def scan(string: str, index: int) -> tuple[Any, int]:
        if opened:
            opened[-1].append(line_at(index))
        value, end = base(string, index)
        if isinstance(value, str) and not isinstance(value, _Str):
            located = _Str(value)
            located.line = line_at(index)
            return located, end
        return value, end

    def parse_object(
        s_and_end: tuple[str, int],
        strict: bool,
        _scan: Any,
        object_hook: Any,
        object_pairs_hook: Any,
        memo: dict[str, str] | None = None,
    ) -> tuple[Any, int]:
        _string, end = s_and_end
        opened.append([])
        try:
            value, new_end = json.decoder.JSONObject(  # type: ignore[attr-defined]
                s_and_end, strict, scan, object_hook, object_pairs_hook, memo if memo else {}
            )
        finally:
            opened.pop()
        located = _Dict(value)
        located.line = line_at(end - 1)
        return located, new_end

    def parse_array(s_and_end: tuple[str, int], _scan: Any) -> tuple[Any, int]:
        opened.append([])
        try:
            values, end = json.decoder.JSONArray(s_and_end, scan)  # type: ignore[attr-defined]
        finally:
            lines = opened.pop()
        located = _List(values)
        located.line = line_at(s_and_end[1] - 1)
        located.lines = lines
        return located, end

    # The pure-Python scanner reads these hooks from the decoder (the C one cannot be hooked).
    setattr(decoder, "parse_object", parse_object)  # noqa: B010
    setattr(decoder, "parse_array", parse_array)  # noqa: B010
    base = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    setattr(decoder, "scan_once", scan)  # noqa: B010
    return decoder.decode(text)


def _yaml_with_lines(text: str) -> Any:
    import yaml  # PyYAML; only batch files need it

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _Dict:
        located = _Dict(loader.construct_mapping(node, deep=True))  # type: ignore[arg-type]
        located.line = node.start_mark.line + 1
        return located

    def sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> _List:
        located = _List(loader.construct_sequence(node, deep=True))
        located.line = node.start_mark.line + 1
        located.lines = [child.start_mark.line + 1 for child in node.value]
        return located

    def string(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> _Str:
        located = _Str(loader.construct_scalar(node))
        located.line = node.start_mark.line + 1
        return located

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    Loader.add_constructor("tag:yaml.org,2002:str", string)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, sequence)
    return yaml.load(text, Loader=Loader)  # a SafeLoader subclass: no arbitrary objects


def detect_format(path: Path, given: str | None) -> str:
    if given:
        return given
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise CliError(
            f"cannot tell the format of {path} from its extension; use .json, .yaml, .yml, "
            ".md, or pass --format json|yaml|markdown",
            EXIT_USAGE,
        )
    return found


def read_entries(path: Path, fmt: str | None = None) -> list[Entry]:
    """The entries of a batch file; :class:`BatchFileError` lists every problem by line."""
    kind = detect_format(path, fmt)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"no such file: {path}", 3) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}", EXIT_USAGE) from None
    problems: list[Problem] = []
    if kind == "markdown":
        entries = _markdown_entries(text, problems)
    else:
        data = _parse_structured(text, kind, path)
        entries = _structured_entries(data, problems)
    if not entries and not problems:
        problems.append(Problem(1, "no answers found in the file"))
    if problems:
        raise BatchFileError(path, problems)
    return entries


def _parse_structured(text: str, kind: str, path: Path) -> Any:
    if kind == "json":
        try:
            return _json_with_lines(text)
        except json.JSONDecodeError as exc:
            raise BatchFileError(
                path, [Problem(exc.lineno, f"not valid JSON (column {exc.colno}): {exc.msg}")]
            ) from None
        except RecursionError:
            raise BatchFileError(path, [Problem(1, "nested too deeply")]) from None
    import yaml

    try:
        return _yaml_with_lines(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        last = max(1, len(text.splitlines()))
        line = min(last, mark.line + 1) if mark else 1
        reason = exc.problem or exc.context or "syntax error"
        if exc.context and exc.context_mark and exc.problem:
            reason += f" ({exc.context} at line {exc.context_mark.line + 1})"
        raise BatchFileError(path, [Problem(line, f"not valid YAML: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise BatchFileError(path, [Problem(1, f"not valid YAML: {exc}")]) from None


def _target_of_key(key: str) -> tuple[str | None, str | None]:
    """A key or heading as (question id, category); (None, None) when it is neither."""
    word = key.strip().lower()
    if _QUESTION_ID.fullmatch(word):
        return word, None
    category = re.sub(r"[\s-]+", "_", word)
    if category in ALL_CATEGORIES:
        return None, category
    return None, None


def _structured_entries(data: Any, problems: list[Problem]) -> list[Entry]:
    line = _line_of(data, 1)
    if isinstance(data, dict) and set(data) == {"answers"}:
        data = data["answers"]
    if isinstance(data, list):
        entries = []
        for index, item in enumerate(data):
            item_line = _item_line(data, index, item, line)
            entry = _entry(item, item_line, problems, f"answer {index + 1}")
            if entry is not None:
                entries.append(entry)
        return entries
    if isinstance(data, dict):
        entries = []
        for key, value in data.items():
            key_line = _line_of(key, _line_of(value, line))
            question, category = _target_of_key(str(key))
            if question is None and category is None:
                problems.append(
                    Problem(
                        key_line,
                        f"unknown key {str(key)!r}: expected 'answers', a category "
                        f"({', '.join(ALL_CATEGORIES)}) or a question id such as q3",
                    )
                )
                continue
            values = value if isinstance(value, list) else [value]
            for index, item in enumerate(values):
                item_line = _item_line(values, index, item, key_line)
                if not isinstance(item, str):
                    hint = ""
                    if isinstance(item, dict):
                        hint = " (in YAML, ': ' inside unquoted text starts a key: quote the text)"
                    problems.append(
                        Problem(item_line, f"expected an answer text under {str(key)!r}{hint}")
                    )
                    continue
                entries.append(Entry(item_line, item, question, category))
        return entries
    problems.append(
        Problem(
            line,
            "expected a list of answers, an object with an 'answers' list, or an object of "
            f"categories and question ids; found {type(data).__name__}",
        )
    )
    return []


def _entry(item: Any, line: int, problems: list[Problem], name: str) -> Entry | None:
    if isinstance(item, str):
        return Entry(line, item)
    if not isinstance(item, dict):
        problems.append(
            Problem(line, f"{name}: expected an answer text or an object, found {item!r}")
        )
        return None
    fields: dict[str, Any] = {}
    for key, value in item.items():
        canonical = _ALIASES.get(str(key), str(key))
        if canonical not in _ENTRY_KEYS:
            problems.append(
                Problem(
                    _line_of(key, line),
                    f"unknown key {str(key)!r}; an entry has 'answer' and optionally "
                    "'question' (an id such as q3) or 'category'",
                )
            )
            continue
        fields[canonical] = value
    answer = fields.get("answer")
    if not isinstance(answer, str):
        problems.append(Problem(line, f"{name}: the entry has no 'answer' text"))
        return None
    question = fields.get("question")
    if question is not None:
        question = str(question).strip().lower()
        if not _QUESTION_ID.fullmatch(question):
            problems.append(
                Problem(line, f"question {fields['question']!r} is not a question id like q3")
            )
            return None
    category = fields.get("category")
    if category is not None:
        _, category = _target_of_key(str(category))
        if category is None:
            problems.append(
                Problem(
                    line,
                    f"unknown category {fields['category']!r}; expected one of "
                    f"{', '.join(ALL_CATEGORIES)}",
                )
            )
            return None
    return Entry(line, answer, question, category)


def _unwrap_paragraphs(lines: list[str]) -> str:
    """Markdown's reading of a body: lines of a paragraph joined, paragraphs kept apart."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join(" ".join(words) for words in paragraphs if words)


def _markdown_entries(text: str, problems: list[Problem]) -> list[Entry]:
    entries: list[Entry] = []
    current: tuple[int, str, list[str]] | None = None
    fence: str | None = None  # inside a fenced code block, headings are text

    def close() -> None:
        if current is None:
            return
        line, heading, body = current
        answer = _unwrap_paragraphs(body)
        if not answer:
            problems.append(Problem(line, f"the heading {heading!r} has no answer under it"))
            return
        question, category = _target_of_key(
            re.split(r"\s*[·:(\u2013\u2014]\s*|\s+-\s+", heading)[0]
        )
        entries.append(Entry(line, answer, question, category))

    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith(("```", "~~~")):
            fence = None if fence and stripped.startswith(fence) else (fence or stripped[:3])
        elif fence is None and (heading := re.match(r"^(#{1,2})\s+(.*?)\s*#*\s*$", raw)):
            close()
            current = (number, heading[2], []) if heading[1] == "##" else None
            continue
        if current is not None:
            current[2].append(raw)
    close()
    return entries


def check_entries(
    entries: list[Entry], config: dict[str, Any], path: Path, *, lenient: bool
) -> list[Entry]:
    """Check entries against the interview's limits; returns the usable ones.

    Problems stop the run before anything starts, unless ``lenient`` (then they are warnings
    and the entries are left out).
    """
    problems: list[Problem] = []
    categories = list(config.get("categories") or ALL_CATEGORIES)
    low = int(config.get("min_answer_length") or 1)
    high = int(config.get("max_answer_length") or 16_000)
    limit = int(config.get("max_questions") or 9999)
    seen: dict[str, int] = {}
    usable = []
    for entry in entries:
        size = len(entry.text.strip())
        problem = None
        if entry.category is not None and entry.category not in categories:
            problem = (
                f"category {entry.category!r} is not part of this interview "
                f"(it asks about {', '.join(categories)})"
            )
        elif entry.question is not None and int(entry.question[1:]) > limit:
            problem = f"{entry.question} is never asked: an interview has at most {limit} questions"
        elif entry.question is not None and entry.question in seen:
            problem = f"{entry.question} already has an answer at line {seen[entry.question]}"
        elif size > high:
            problem = (
                f"the answer is too long: {size} characters, at most {high} are accepted "
                "(maxAnswerLength)"
            )
        elif size < low:
            problem = (
                f"the answer is too short: {size} characters, at least {low} are needed "
                "(minAnswerLength)"
            )
        if problem is not None:
            problems.append(Problem(entry.line, problem))
            continue
        if entry.question is not None:
            seen[entry.question] = entry.line
        usable.append(entry)
    if problems and not lenient:
        raise BatchFileError(path, problems)
    return usable


def match_entry(
    entries: list[Entry],
    question_id: str,
    category: str | None,
    asked_before: frozenset[str] = frozenset(),
) -> Entry | None:
    """The entry that answers this question (see the module docstring), or None.

    ``asked_before`` holds the topics of earlier questions: their leftover entries are offered
    to this question when nothing else matches.
    """
    unused = [entry for entry in entries if entry.used_by is None]
    for rule in (
        lambda entry: entry.question == question_id,
        lambda entry: (
            entry.question is None and category is not None and entry.category == category
        ),
        lambda entry: entry.question is None and entry.category is None,
        lambda entry: (
            entry.question is None and entry.category in asked_before and entry.category != category
        ),
    ):
        for entry in unused:
            if rule(entry):
                return entry
    return None


def unmatched_reason(entry: Entry) -> str:
    if entry.question:
        return f"not used: the interview never asked {entry.question}"
    if entry.category:
        return (
            f"not used: the interview asked no further question about "
            f"{category_name(entry.category)}"
        )
    return "not used: the interview ended before this answer was needed"


# -- running ----------------------------------------------------------------------------------


class BatchRun:
    def __init__(
        self, backend: Backend, console: Console, entries: list[Entry], path: Path
    ) -> None:
        self.backend = backend
        self.console = console
        self.entries = entries
        self.path = path
        self.session_id = ""
        self.handled: set[str] = set()
        self.skipped: list[dict[str, Any]] = []
        self.answered: list[dict[str, Any]] = []
        self.retries = 0
        self.finishing = False
        self.state = "active"
        self.asked_categories: set[str] = set()

    def note(self, text: str) -> None:
        if not self.console.json_mode:
            self.console.note(text)

    @property
    def unused(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.used_by is None]

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        return await self.backend.request(kind, session_id=self.session_id, **fields)

    async def run(self) -> None:
        self.session_id = await self.backend.start()
        self.note(
            f"Started interview {self.session_id} with {self.backend.backend_label}; "
            f"{plural(len(self.entries), 'answer')} from {self.path}."
        )
        while True:
            event = await self.backend.next_event()
            if event.get("session_id") != self.session_id:
                continue
            if await self.on_event(event):
                return

    async def on_event(self, event: dict[str, Any]) -> bool:
        """Handle one event; True once the interview is complete."""
        kind = event["type"]
        if kind == "session.snapshot":
            view = event["session"]
            self.state = str(view["state"])
            if self.state in ("completed", "finalized"):
                return True
            pending = view.get("pending_question_id")
            for question in view.get("questions") or []:
                if question["id"] == pending and pending not in self.handled:
                    await self.answer(question["id"], question.get("category"))
            if self.state == "paused" and view.get("pause_reason") != "crisis":
                with contextlib.suppress(ClientError):  # a stale snapshot: already resumed
                    await self.request("session.resume")
        elif kind == "question.end":
            if event["question_id"] not in self.handled:
                await self.answer(event["question_id"], event.get("category"))
        elif kind == "progress":
            progress = event["progress"]
            self.note(f"      {progress_inline(progress)} ({overall_percent(progress)}% covered)")
        elif kind == "generation.error":
            await self.on_generation_error(event)
        elif kind == "generation.stopped" and not self.finishing:
            await self.next_question()
        elif kind == "session.state":
            self.state = str(event["state"])
            if self.state == "completed":
                self.note(f"Interview complete ({event.get('reason') or 'done'}).")
                return True
            if self.state == "paused" and event.get("reason") == "crisis":
                last = self.answered[-1] if self.answered else None
                where = f"{self.path}:{last['line']}: " if last else ""
                raise CliError(
                    f"{where}this answer suggests you may be in danger, so the interview "
                    f"paused.\n\n{event.get('crisis_message') or ''}",
                    EXIT_ERROR,
                    hint="the interview stays paused; when you want to go on: "
                    f"personagen interview --resume {self.session_id}",
                )
            if self.state in ("discarded", "applied"):
                raise CliError(f"the interview was {self.state} from elsewhere")
        return False

    async def on_generation_error(self, event: dict[str, Any]) -> None:
        message = event.get("message", "the interviewer failed")
        if not event.get("retryable") or self.retries >= MAX_GENERATION_RETRIES:
            await self.pause_quietly()
            raise CliError(
                f"the interviewer could not write question {event.get('question_id')}: {message}",
                hint=f"the interview is paused; retry later: personagen interview --resume "
                f"{self.session_id}",
            )
        self.retries += 1
        delay = 2**self.retries
        self.note(f"  the interviewer failed ({message}); trying again in {delay}s")
        await anyio.sleep(delay)
        await self.next_question()

    async def next_question(self) -> None:
        try:
            await self.request("question.next")
        except ClientError as exc:
            if exc.code != "invalid_state":  # completed meanwhile: its event follows
                raise

    async def answer(self, question_id: str, category: str | None) -> None:
        self.handled.add(question_id)
        self.retries = 0
        label = f"  {question_id:<4} {category_name(category or '?'):<14}"
        entry = match_entry(self.entries, question_id, category, frozenset(self.asked_categories))
        if category is not None:
            self.asked_categories.add(category)
        if entry is None:
            if not self.unused:
                await self.finish()
                return
            await self.request("answer.skip", question_id=question_id)
            self.skipped.append({"question_id": question_id, "category": category})
            self.note(f"{label} skipped: no answer for this topic left in the file")
            return
        try:
            await self.request("answer.submit", question_id=question_id, text=entry.text.strip())
        except ClientError as exc:
            if exc.code != "answer_rejected":
                raise
            await self.pause_quietly()
            raise CliError(
                f"{self.path}:{entry.line}: the server refused this answer: {exc.message}",
                EXIT_USAGE,
                hint=f"the interview is paused: personagen interview --resume {self.session_id}",
            ) from None
        entry.used_by = question_id
        self.answered.append({"question_id": question_id, "category": category, "line": entry.line})
        target = entry.target
        if entry.category is not None and entry.category != category:
            target += ", a leftover"
        self.note(f"{label} answered with line {entry.line} ({target})")
        if not self.unused:
            await self.finish()

    async def finish(self) -> None:
        """Every answer is used: end the interview (it needs enough answers for that)."""
        self.finishing = True
        try:
            await self.request("session.finish")
        except ClientError as exc:
            if exc.code != "invalid_state":
                raise
            await self.pause_quietly()
            raise CliError(
                f"{self.path}: every usable answer is used, but the interview cannot finish "
                f"yet: {exc.message}",
                EXIT_USAGE,
                hint="add answers to the file, or go on by hand: personagen interview "
                f"--resume {self.session_id}",
            ) from None
        self.note("All answers used; finishing the interview.")

    async def pause_quietly(self) -> None:
        with contextlib.suppress(ClientError):
            await self.request("session.pause")


async def run_batch(
    backend: Backend,
    console: Console,
    reader: LineReader,
    entries: list[Entry],
    path: Path,
    *,
    apply: str | None,
    dry_run: bool,
    keep: bool,
    verbose: bool,
) -> int:
    run = BatchRun(backend, console, entries, path)
    interrupted = False

    async def body() -> ReviewOutcome | None:
        await run.run()
        if dry_run:
            ready = await fetch_review(backend, run.session_id, apply or "merge", console)
            return ReviewOutcome(ready)
        return await review_and_apply(
            backend,
            run.session_id,
            console,
            reader,
            strategy=apply,
            assume_yes=apply is not None,
            verbose=verbose,
            show=not console.json_mode,
        )

    try:
        outcome, interrupted = await interruptible(body)
    except Exception:
        # A dry run that fails leaves no trial behind either (unless --keep asked for it).
        if dry_run and not keep and run.session_id:
            await _drop_trial(backend, run.session_id)
        raise
    if interrupted:
        if run.session_id and run.state == "active":
            with anyio.fail_after(15):
                await run.pause_quietly()
            console.note(
                f"\nInterrupted: the interview is paused. Go on by hand with: "
                f"personagen interview --resume {run.session_id}"
            )
        else:
            console.note("\nInterrupted: nothing was applied.")
        return EXIT_INTERRUPTED
    assert outcome is not None
    discarded = False
    removed: list[str] = []
    if dry_run:
        if not console.json_mode:
            show_review(outcome.ready, console, verbose=verbose)
        if not keep:
            # Leave no trace: discard (stops everything), then delete its files when the
            # backend can (a server needs DELETE /api/sessions/{id} for that).
            await backend.request("session.discard", session_id=run.session_id)
            discarded = True
            with contextlib.suppress(CliError):
                removed = await backend.purge(run.session_id)
    unmatched = [{"line": entry.line, "reason": unmatched_reason(entry)} for entry in run.unused]
    if console.json_mode:
        console.emit_json(
            {
                "session_id": run.session_id,
                "file": str(path),
                "answered": run.answered,
                "skipped": run.skipped,
                "unmatched": unmatched,
                "dry_run": dry_run,
                "discarded": discarded,
                "removed": removed,
                "strategy": outcome.strategy or outcome.ready.get("strategy"),
                "base_digest": outcome.ready.get("base_digest"),
                "changes": outcome.ready.get("changes") or [],
                "applied": outcome.applied,
                "backup": outcome.backup,
            }
        )
    for item in unmatched:
        console.warn(f"{path}:{item['line']}: {item['reason']}")
    if console.json_mode:
        return EXIT_OK
    console.print()
    if dry_run:
        console.print("Dry run: core.json was not changed.")
        if removed:
            console.print(
                f"The trial interview {run.session_id} was deleted again (--keep keeps it "
                "for `personagen persona apply`)."
            )
        elif discarded:
            console.print(
                f"The trial interview {run.session_id} was discarded (--keep keeps it for "
                "`personagen persona apply`)."
            )
        else:
            console.print(
                f"Apply it with: personagen persona apply {run.session_id} --strategy merge"
            )
        return EXIT_OK
    report_outcome(outcome, run.session_id, console)
    if outcome.applied and apply is None:  # asked interactively: the training step too
        console.print()
        await review_training(backend, run.session_id, console, reader)
    elif outcome.applied:  # scripted: the training data waits until a person has seen it
        console.print(f"Review the training data with: personagen training export {run.session_id}")
    return EXIT_OK


async def _drop_trial(backend: Backend, session_id: str) -> None:
    """Discard and delete a dry run's trial interview, as far as the backend still can."""
    with contextlib.suppress(CliError):
        await backend.request("session.discard", session_id=session_id)
    with contextlib.suppress(CliError):
        await backend.purge(session_id)
