"""``personagen interview``: an interview in the terminal, over protocol v1.

Questions are printed as they stream in; between questions the coverage of each topic is
shown. An answer may span several lines and is sent with an empty line (or Ctrl+D); every
finished line is saved as a draft, so a crash or Ctrl+C loses nothing typed. Ctrl+C pauses the
interview and says how to resume it; a dropped connection is resumed by the client itself.
When the interview is complete, the diff is shown and applied only after an explicit yes.
"""

from __future__ import annotations

from typing import Any

import anyio

from server.client import ClientError
from server.commands.backends import Backend
from server.commands.common import (
    EXIT_CONFLICT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CliError,
    Console,
    not_found,
    plural,
)
from server.commands.render import progress_lines, session_line
from server.commands.review import report_outcome, review_and_apply
from server.commands.terminal import LineReader, interruptible
from server.commands.training import review_training
from server.transcript import category_name

PROMPT = "> "
MAX_AUTOMATIC_RETRIES = 3

COMMANDS = (
    ("/skip", "skip this question"),
    ("/pause", "pause the interview; resume it later with `personagen interview --resume`"),
    ("/finish", "send what you typed, if anything, and end the interview now"),
    ("/progress", "show how far each topic is covered"),
    ("/clear", "throw away what you typed for this answer and start it over"),
    ("/help", "show this help"),
)


def help_lines(min_answers: int | None = None) -> list[str]:
    lines = [
        "Type your answer; it can span several lines. Send it with an empty line",
        "(or Ctrl+D). Commands, each on a line of its own:",
    ]
    for name, text in COMMANDS:
        lines.append(f"  {name:<10} {text}")
    if min_answers:
        lines.append(f"Finishing early needs at least {plural(min_answers, 'answer')}.")
    lines.append("Ctrl+C pauses at any moment. A line starting with // is sent as text.")
    return lines


class TerminalInterview:
    """One interview session, driven from the terminal."""

    def __init__(
        self,
        backend: Backend,
        console: Console,
        reader: LineReader,
        session_id: str,
        *,
        verbose: bool = False,
    ) -> None:
        self.backend = backend
        self.console = console
        self.reader = reader
        self.session_id = session_id
        self.verbose = verbose
        self.state = "active"
        self.phase = "interview"  # then "review"
        self.pending: dict[str, Any] | None = None  # the asked, unanswered question
        # Questions answered or skipped. A snapshot queued before our own answer's ack (one
        # sent after a reconnect) can still show them open: they must not be asked again.
        self.closed: set[str] = set()
        self.printed: dict[str, str] = {}  # question id -> text shown so far
        self.streaming: str | None = None
        self.typed: list[str] = []  # lines of the answer being typed
        self.draft: dict[str, Any] | None = None  # {"question_id", "text", "rev"}
        self.draft_ok = True
        self.retries = 0
        self.progress: dict[str, Any] | None = None
        self.seen_reconnects = backend.reconnects
        self.shown_help = False
        self.shown_summaries: set[str] = set()

    # -- small helpers -----------------------------------------------------------------------

    @property
    def resume_command(self) -> str:
        return f"personagen interview --resume {self.session_id}"

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        reply = await self.backend.request(kind, session_id=self.session_id, **fields)
        self.notice_reconnects()
        return reply

    def notice_reconnects(self) -> None:
        if self.backend.reconnects > self.seen_reconnects:
            self.seen_reconnects = self.backend.reconnects
            self.console.print(self.console.dim("(the connection dropped and was resumed)"))

    def show_progress(self) -> None:
        if self.progress:
            for line in progress_lines(self.progress, self.console):
                self.console.print(line)

    def show_text(self, question_id: str, text: str) -> None:
        """Print what is missing of ``text`` for this question (deltas, or a catch-up)."""
        shown = self.printed.get(question_id, "")
        if text.startswith(shown):
            self.console.write(text[len(shown) :])
        else:
            self.console.write("\n" + text)
        self.printed[question_id] = text

    def header(self, number: int, category: str) -> None:
        self.console.print()
        self.console.print(self.console.bold(f"Question {number} · {category_name(category)}"))

    # -- opening -----------------------------------------------------------------------------

    async def begin(self, view: dict[str, Any]) -> str | None:
        """Act on the first snapshot. Returns an outcome, or None to go on interviewing."""
        self.take_view(view)
        state = self.state
        if state in ("completed", "finalized"):
            return "review"
        if state == "applied":
            self.console.print("This interview was already applied to core.json.")
            return "done"
        if state == "discarded":
            raise CliError(f"interview {self.session_id} was discarded", EXIT_CONFLICT)
        answered = int((self.progress or {}).get("answered", 0))
        if view.get("questions"):
            self.console.print(
                f"Resuming interview {self.session_id}: {plural(answered, 'answer')} so far."
            )
            self.show_progress()
        if state == "paused":
            if view.get("pause_reason") == "crisis":
                self.show_crisis(view.get("crisis_message"))
                go_on = await self.reader.readline("Continue the interview now? [y/N] ")
                if go_on is None or go_on.strip().lower() not in ("y", "yes"):
                    self.console.print(
                        f"The interview stays paused. Resume with: {self.resume_command}"
                    )
                    return "paused"
            await self.request("session.resume")
            self.state = "active"
        return await self.continue_from(view)

    def take_view(self, view: dict[str, Any]) -> None:
        self.state = str(view["state"])
        self.progress = view.get("progress")
        pending_id = view.get("pending_question_id")
        self.pending = None
        for question in view.get("questions") or []:
            if question.get("answer") is not None or question.get("skipped"):
                self.closed.add(question["id"])
            if question["id"] == pending_id and pending_id not in self.closed:
                self.pending = {**question, "number": view["questions"].index(question) + 1}
        draft = view.get("draft")
        if draft and self.pending and draft.get("question_id") == self.pending["id"]:
            self.draft = dict(draft)

    async def continue_from(self, view: dict[str, Any]) -> str | None:
        """After a snapshot of an active session: ask, keep streaming, or ask for a question."""
        if self.state != "active":
            return None
        if self.pending is not None:
            question = self.pending
            if question["id"] not in self.printed:
                self.header(question["number"], question["category"])
            self.show_text(question["id"], question["text"])
            self.console.print()
            return await self.ask(question["id"])
        generating = view.get("generating")
        if generating:
            question_id = generating["question_id"]
            if question_id not in self.printed:
                self.header(generating["number"], generating["category"])
                self.printed[question_id] = ""
            self.streaming = question_id
            self.show_text(question_id, generating.get("text") or "")
            return None
        await self.next_question()
        return None

    async def next_question(self) -> None:
        """Ask the server for the next question (after an error, a stop, or a held session)."""
        try:
            await self.request("question.next")
        except ClientError as exc:
            if exc.code != "invalid_state":  # completed or paused meanwhile: events follow
                raise

    def show_crisis(self, message: Any) -> None:
        self.console.print()
        text = str(message or "")
        for line in text.splitlines() or [""]:
            self.console.print(self.console.yellow(line))
        self.console.print()

    # -- the event loop ----------------------------------------------------------------------

    async def drive(self) -> str:
        """Handle events until the interview is complete, paused or closed."""
        while True:
            event = await self.backend.next_event()
            self.notice_reconnects()
            if event.get("session_id") != self.session_id:
                continue
            outcome = await self.on_event(event)
            if outcome is not None:
                return outcome

    async def on_event(self, event: dict[str, Any]) -> str | None:
        kind = event["type"]
        if kind == "session.snapshot":
            view = event["session"]
            self.take_view(view)
            if self.state in ("completed", "finalized"):
                return "review"
            if self.state in ("applied", "discarded", "paused"):
                return await self.on_state({"state": self.state, "reason": "", **view})
            return await self.continue_from(view)
        if kind == "question.start":
            self.header(int(event["number"]), str(event["category"]))
            self.printed[event["question_id"]] = ""
            self.streaming = event["question_id"]
        elif kind == "question.delta":
            question_id = event["question_id"]
            self.show_text(question_id, self.printed.get(question_id, "") + event["text"])
        elif kind == "question.reset":
            self.console.print()
            self.console.print(self.console.dim("(the interviewer is rephrasing the question)"))
            self.printed[event["question_id"]] = ""
        elif kind == "question.end":
            question_id = event["question_id"]
            self.show_text(question_id, event["text"])
            self.console.print()
            self.streaming = None
            self.retries = 0
            self.pending = {
                "id": question_id,
                "category": event.get("category"),
                "text": event["text"],
            }
            return await self.ask(question_id)
        elif kind == "generation.queued":
            self.console.print(self.console.dim("(waiting for the interviewer to be free…)"))
        elif kind == "generation.error":
            return await self.on_generation_error(event)
        elif kind == "generation.stopped":
            await self.next_question()
        elif kind == "answer.recorded":
            self.closed.add(event["question_id"])
            if not event.get("crisis"):  # a crisis answer is followed by the crisis message
                self.console.print(self.console.dim("Saved."))
        elif kind == "question.skipped":
            self.closed.add(event["question_id"])
            self.console.print(self.console.dim("Skipped."))
        elif kind == "progress":
            self.progress = event["progress"]
            self.show_progress()
        elif kind == "summary.offered":
            await self.on_summary(event)
        elif kind == "session.state":
            return await self.on_state(event)
        return None

    # -- summaries -------------------------------------------------------------------------------

    async def on_summary(self, summary: dict[str, Any]) -> None:
        """Show what the interviewer understood; in a terminal, let the person confirm or
        correct it (piped input is left for answers: the summary stays open)."""
        if summary.get("resolution") is not None or summary["summary_id"] in self.shown_summaries:
            return
        self.shown_summaries.add(summary["summary_id"])
        self.console.print()
        self.console.print(self.console.bold(f"Summary · {summary['text']}"))
        if not self.reader.interactive:
            self.console.print(
                self.console.dim(
                    "(left open: summaries are answered in a terminal or the web page)"
                )
            )
            return
        self.console.print(
            self.console.dim(
                "Press Enter if that is right, or type a correction and end it with an empty "
                "line (/skip leaves it open)."
            )
        )
        lines: list[str] = []
        while True:
            line = await self.reader.readline(PROMPT)
            if line is None or not line.strip():
                break
            if line.strip().lower() == "/skip" and not lines:
                self.console.print(self.console.dim("Left open."))
                return
            lines.append(line)
        correction = "\n".join(lines).strip()
        kind = "summary.correct" if correction else "summary.confirm"
        fields = {"text": correction} if correction else {}
        try:
            await self.request(kind, summary_id=summary["summary_id"], **fields)
        except ClientError as exc:
            self.console.print(self.console.red(f"Not saved: {exc.message}"))
            return
        self.console.print(self.console.dim("Correction saved." if correction else "Confirmed."))

    async def open_summaries(self) -> None:
        """Before the review: the summaries still open (the last one comes at the end)."""
        view = await self.backend.view(self.session_id)
        if view.get("state") != "completed":
            return
        for summary in view.get("summaries") or []:
            await self.on_summary(summary)

    async def on_state(self, event: dict[str, Any]) -> str | None:
        state = str(event["state"])
        self.state = state
        if state == "completed":
            self.console.print()
            self.console.print(self.console.bold("The interview is complete."))
            return "review"
        if state == "finalized":
            return "review"
        if state == "paused":
            if event.get("reason") == "crisis" or event.get("pause_reason") == "crisis":
                self.show_crisis(event.get("crisis_message"))
                self.console.print("The interview is paused; nothing more will be asked now.")
                self.console.print(f"When you want to go on: {self.resume_command}")
                return "crisis"
            self.console.print(f"The interview was paused. Resume with: {self.resume_command}")
            return "paused"
        if state == "applied":
            self.console.print("This interview was applied (from another window).")
            return "done"
        if state == "discarded":
            self.console.print("This interview was discarded (from another window).")
            return "done"
        return None

    async def on_generation_error(self, event: dict[str, Any]) -> str | None:
        message = event.get("message", "the interviewer failed")
        self.console.print()
        self.console.print(
            self.console.red(f"The interviewer could not write the next question: {message}")
        )
        if event.get("retryable") and self.retries < MAX_AUTOMATIC_RETRIES:
            self.retries += 1
            delay = 2**self.retries
            self.console.print(self.console.dim(f"Trying again in {delay}s…"))
            await anyio.sleep(delay)
        else:
            line = await self.reader.readline("Press Enter to try again, or type /pause: ")
            if line is None or line.strip().lower() in ("/pause", "/quit", "/exit"):
                return await self.pause()
            self.retries = 0
        await self.next_question()
        return None

    # -- answering -----------------------------------------------------------------------------

    async def ask(self, question_id: str) -> str | None:
        """Read an answer (or a command) for the open question and act on it."""
        self.typed = []
        if self.draft and self.draft.get("question_id") == question_id and self.draft.get("text"):
            self.typed = str(self.draft["text"]).splitlines()
            self.console.print(self.console.dim("You had started this answer:"))
            for typed in self.typed:
                self.console.print(self.console.dim(f"  {typed}"))
            self.console.print(
                self.console.dim(
                    "Keep typing to add to it, send an empty line to send it, or /clear."
                )
            )
        elif not self.shown_help:
            self.console.print(
                self.console.dim("(End your answer with an empty line. /help lists the commands.)")
            )
        self.shown_help = True
        while True:
            line = await self.reader.readline(PROMPT if self.reader.interactive else "")
            if line is None:  # Ctrl+D, or the end of piped input
                if self.typed:
                    result = await self.submit(question_id)
                    if result != "rejected":
                        return None
                    if self.reader.closed:
                        return await self.pause()
                    continue
                return await self.pause()
            command = line.strip()
            if command.startswith("/") and not command.startswith("//"):
                outcome = await self.command(question_id, command.lower())
                if outcome == "next":
                    return None
                if outcome is not None:
                    return outcome
                continue
            text = line.replace("//", "/", 1) if command.startswith("//") else line
            if not text.strip():
                if not self.typed:
                    self.console.print(
                        self.console.dim("(Type your answer first; /help lists the commands.)")
                    )
                    continue
                result = await self.submit(question_id)
                if result == "rejected":
                    self.console.print(
                        self.console.dim("Your text is kept: add to it, or /clear to start over.")
                    )
                    continue
                return None
            self.typed.append(text)
            await self.save_draft(question_id)

    async def command(self, question_id: str, command: str) -> str | None:
        """Run a slash command. Returns "next" when the question is closed, an outcome to stop,
        or None to keep reading."""
        if command == "/help":
            for line in help_lines((self.progress or {}).get("min_answers")):
                self.console.print(line)
        elif command == "/progress":
            self.show_progress()
        elif command == "/clear":
            self.typed = []
            await self.save_draft(question_id)
            self.console.print(self.console.dim("Cleared. Type your answer again."))
        elif command == "/skip":
            await self.request("answer.skip", question_id=question_id)
            self.closed.add(question_id)
            self.typed = []
            return "next"
        elif command in ("/pause", "/quit", "/exit"):
            return await self.pause()
        elif command == "/finish":
            if self.typed:
                result = await self.submit(question_id)
                if result == "rejected":
                    return None
            try:
                await self.request("session.finish")
            except ClientError as exc:
                if exc.code != "invalid_state":
                    raise
                self.console.print(self.console.red(f"Cannot finish yet: {exc.message}"))
                return "next" if self.pending is None else None
            return "next"
        else:
            self.console.print(f"Unknown command {command}; /help lists the commands.")
        return None

    async def submit(self, question_id: str) -> str:
        """Send the typed answer: "sent", "rejected" (say why, keep the text) or "closed"."""
        text = "\n".join(self.typed).strip()
        limit = int(self.backend.config.get("max_answer_length") or 0)
        if limit and len(text) > limit:  # say so here: a huge frame would cost the connection
            self.console.print(
                self.console.red(
                    f"Not sent: answers may have at most {limit} characters; this one has "
                    f"{len(text)}"
                )
            )
            return "rejected"
        try:
            await self.request("answer.submit", question_id=question_id, text=text)
        except ClientError as exc:
            if exc.code in ("answer_rejected", "invalid_message", "invalid_input"):
                self.console.print(self.console.red(f"Not sent: {exc.message}"))
                return "rejected"
            if exc.code in ("conflict", "invalid_state", "not_found"):
                self.console.print(self.console.dim(f"Not sent: {exc.message}"))
                self.typed = []
                return "closed"
            raise
        self.closed.add(question_id)
        self.typed = []
        self.draft = None
        self.pending = None
        return "sent"

    async def save_draft(self, question_id: str) -> None:
        """Keep the lines typed so far as the question's draft (best effort)."""
        if not self.draft_ok:
            return
        rev = 0
        if self.draft and self.draft.get("question_id") == question_id:
            rev = int(self.draft.get("rev") or 0)
        text = "\n".join(self.typed)
        try:
            ack = await self.request(
                "draft.update", question_id=question_id, text=text, base_rev=rev
            )
        except ClientError:
            self.draft_ok = False  # another window is writing this draft; leave it alone
            return
        self.draft = {"question_id": question_id, "text": text, "rev": ack.get("rev", rev)}

    async def pause(self) -> str:
        """Pause (the typed lines stay as a draft) and say how to come back."""
        try:
            await self.request("session.pause")
        except ClientError as exc:
            if exc.code != "invalid_state":
                raise
            self.console.print(self.console.dim(f"({exc.message})"))
        self.console.print()
        kept = " What you typed for this question is kept as a draft." if self.typed else ""
        self.console.print(f"Paused. Everything you sent is saved.{kept}")
        self.console.print(f"Resume with: {self.resume_command}")
        return "paused"


async def choose_session(
    backend: Backend, console: Console, reader: LineReader, resume: str | None, new: bool
) -> str | None:
    """The session to resume (None: start a new one), asking when there is a choice."""
    if resume is not None:
        if resume.lower() in ("latest", "last"):
            incomplete = backend.welcome.get("incomplete_sessions") or []
            if not incomplete:
                raise not_found(
                    "there is no unfinished interview to resume",
                    hint="start a new one with `personagen interview`",
                )
            return str(incomplete[0]["session_id"])
        return str((await backend.resolve_session(resume))["session_id"])
    if new:
        return None
    incomplete = [
        item for item in backend.welcome.get("incomplete_sessions") or [] if "state" in item
    ]
    if not incomplete:
        return None
    if len(incomplete) == 1:
        console.print("You have an unfinished interview:")
    else:
        console.print(f"You have {len(incomplete)} unfinished interviews:")
    for index, item in enumerate(incomplete, 1):
        console.print(f"  {index}. {session_line(item)}")
    while True:
        if len(incomplete) == 1:
            line = await reader.readline("Resume it? [Y/n] ")
        else:
            line = await reader.readline(
                f"Resume which one? [1-{len(incomplete)}, Enter = 1, n = start a new interview] "
            )
        answer = "" if line is None else line.strip().lower()
        if answer in ("", "y", "yes"):
            return str(incomplete[0]["session_id"])
        if answer in ("n", "no", "new"):
            return None
        if answer.isdigit() and 1 <= int(answer) <= len(incomplete):
            return str(incomplete[int(answer) - 1]["session_id"])
        console.print("Please answer with a number, Enter, or n.")


async def run_interview(
    backend: Backend,
    console: Console,
    reader: LineReader,
    *,
    resume: str | None,
    new: bool,
    verbose: bool = False,
) -> int:
    # A session to resume that does not exist is an error on its own, before any banner.
    chosen = None if resume is None else await choose_session(backend, console, reader, resume, new)
    backend_info = backend.welcome.get("backend") or {}
    where = backend.where + (f" as {backend.user}" if backend.user else "")
    console.print(
        console.bold("Personagen")
        + f" · interviewer: {backend_info.get('label', 'unknown')} · {where}"
    )
    if backend_info.get("reason"):
        console.print(console.dim(f"({backend_info['reason']})"))
    ui: TerminalInterview | None = None

    async def body() -> str:
        nonlocal ui
        session_id = (
            chosen
            if resume is not None
            else await choose_session(backend, console, reader, resume, new)
        )
        if session_id is None:
            session_id = await backend.start()
            console.print(f"Started interview {session_id}.")
        else:
            await backend.open(session_id)
        ui = TerminalInterview(backend, console, reader, session_id, verbose=verbose)
        snapshot = await backend.next_event("session.snapshot")
        outcome = await ui.begin(snapshot["session"])
        if outcome is None:
            outcome = await ui.drive()
        if outcome != "review":
            return outcome
        await ui.open_summaries()
        ui.phase = "review"
        result = await review_and_apply(backend, session_id, console, reader, verbose=verbose)
        console.print()
        report_outcome(result, session_id, console)
        if result.applied:  # then the training data, shown before anything is written
            console.print()
            await review_training(backend, session_id, console, reader)
        return "applied" if result.applied else "reviewed"

    outcome, interrupted = await interruptible(body)
    if interrupted:
        console.print()
        if ui is None:
            console.print("Interrupted.")
        elif ui.phase == "review":
            console.print("Interrupted: nothing was applied.")
            console.print(f"Review it later with: {ui.resume_command}")
        else:
            with anyio.fail_after(15):
                await ui.pause()
        return EXIT_INTERRUPTED
    del outcome
    return EXIT_OK
