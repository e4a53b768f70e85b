"""The built-in interviewer's words, as data: ``server/data/question_bank.json``.

Questions, follow-ups, invitations and reflection templates live in that file so they can be
edited and reviewed without touching code. It is loaded once and validated strictly at import
(so a broken file stops the server at start-up, not mid-interview); every problem names its
entry, e.g. ``question_bank.json: follow_ups.values.people: ...``. Checks: every category has
its questions, follow-ups only use known cues, questions are open questions that pass the
privacy checks, templates hold exactly the placeholders their code fills in.
"""

from __future__ import annotations

import json
import string
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from server.config import ALL_CATEGORIES, Category
from server.interview.question_lint import check_question

FILE_NAME = "question_bank.json"
CUE_NAMES: tuple[str, ...] = (
    "people",
    "work",
    "worry",
    "pride",
    "change",
    "learning",
    "conflict",
    "place",
    "creativity",
    "helping",
    "time",
)
ACKNOWLEDGEMENT_KINDS: tuple[str, ...] = ("loss", "strain")


class BankDataError(ValueError):
    """The question bank file is unusable; the message names every bad entry."""


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _check_templates(values: list[str], *allowed: str) -> list[str]:
    if not values:
        raise ValueError("needs at least one template")
    for index, template in enumerate(values):
        found = _placeholders(template)
        if found != set(allowed):
            raise ValueError(
                f"template {index} ({template!r}) must use exactly {sorted(allowed)} as "
                f"placeholders; found {sorted(found)}"
            )
    return values


def _check_open_question(text: str) -> str:
    if not text.strip().endswith("?"):
        raise ValueError(f"{text!r} is not a question: it must end with '?'")
    problems = check_question(text, ())
    if problems:
        raise ValueError(f"{text!r} fails the question checks: {problems[0]}")
    return text


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Acknowledgements(_Strict):
    loss: list[str] = Field(min_length=1)
    strain: list[str] = Field(min_length=1)


class Reflections(_Strict):
    simple: list[str]
    double_sided: list[str]
    link: list[str]
    value: list[str]
    goal: list[str]
    focus: list[str]
    style: list[str]
    experience: list[str]
    feeling: dict[str, str]
    acknowledgements: Acknowledgements

    @field_validator("simple")
    @classmethod
    def _simple(cls, value: list[str]) -> list[str]:
        for index, template in enumerate(value):
            found = _placeholders(template)
            if found not in ({"clause"}, {"Clause"}):
                raise ValueError(
                    f"template {index} ({template!r}) must use {{clause}} or {{Clause}}"
                )
        return value

    @field_validator("double_sided")
    @classmethod
    def _double(cls, value: list[str]) -> list[str]:
        return _check_templates(value, "left", "right")

    @field_validator("link")
    @classmethod
    def _link(cls, value: list[str]) -> list[str]:
        return _check_templates(value, "clause")

    @field_validator("value", "goal", "focus", "style")
    @classmethod
    def _inferred(cls, value: list[str], info: Any) -> list[str]:
        return _check_templates(value, str(info.field_name))

    @field_validator("experience")
    @classmethod
    def _experience(cls, value: list[str]) -> list[str]:
        return _check_templates(value)

    @field_validator("feeling")
    @classmethod
    def _feeling(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(CUE_NAMES))
        if unknown:
            raise ValueError(f"unknown cues {unknown}; known cues are {list(CUE_NAMES)}")
        for cue, template in value.items():
            _check_templates([template])
            if not template.strip():
                raise ValueError(f"{cue}: empty template")
        return value


class BankData(_Strict):
    comment: str = Field(default="", alias="$comment")
    bank: dict[Category, list[str]]
    follow_ups: dict[Category, dict[str, str]]
    generic_follow_ups: dict[Category, list[str]]
    topics: dict[Category, str]
    invitations: list[str] = Field(min_length=1)
    angles: list[str] = Field(min_length=1)
    reflections: Reflections

    @field_validator("bank", "generic_follow_ups", "topics", "follow_ups")
    @classmethod
    def _every_category(cls, value: dict[Category, Any]) -> dict[Category, Any]:
        missing = [category for category in ALL_CATEGORIES if category not in value]
        if missing:
            raise ValueError(f"missing categories {missing}")
        return value

    @field_validator("bank", "generic_follow_ups")
    @classmethod
    def _questions(cls, value: dict[Category, list[str]]) -> dict[Category, list[str]]:
        for category, questions in value.items():
            if not questions:
                raise ValueError(f"{category}: needs at least one question")
            for index, question in enumerate(questions):
                try:
                    _check_open_question(question)
                except ValueError as exc:
                    raise ValueError(f"{category}.{index}: {exc}") from None
        return value

    @field_validator("follow_ups")
    @classmethod
    def _follow_ups(cls, value: dict[Category, dict[str, str]]) -> dict[Category, dict[str, str]]:
        for category, table in value.items():
            for cue, question in table.items():
                if cue not in CUE_NAMES:
                    raise ValueError(
                        f"{category}.{cue}: unknown cue; known cues are {list(CUE_NAMES)}"
                    )
                try:
                    _check_open_question(question)
                except ValueError as exc:
                    raise ValueError(f"{category}.{cue}: {exc}") from None
        return value

    @field_validator("invitations")
    @classmethod
    def _invitations(cls, value: list[str]) -> list[str]:
        return _check_templates(value, "topic")


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{FILE_NAME}: {where}: {message}")
    return "\n".join(lines)


def parse_bank(data: object) -> BankData:
    """Validate bank data (already parsed JSON). Raises BankDataError naming each entry."""
    try:
        return BankData.model_validate(data)
    except ValidationError as exc:
        raise BankDataError(_describe(exc)) from None


@cache
def load_bank() -> BankData:
    """The shipped question bank, validated (once per process)."""
    text = resources.files("server.data").joinpath(FILE_NAME).read_text("utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BankDataError(f"{FILE_NAME}: line {exc.lineno}: {exc.msg}") from None
    return parse_bank(data)
