"""The interview configuration: MetaHuman OS's ``etc/persona-generator.json`` shape.

The shipped default lives in ``server/data/persona-generator.json``. A user's own file of the
same shape is accepted; every key is validated when it is loaded (at start-up) and every key
has an effect somewhere (see the README's "Interview configuration" section). Unknown keys are
refused so that a typo never silently falls back to a default.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Self

import pydantic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.errors import ConfigError

Category = Literal["values", "goals", "style", "biography", "current_focus"]
ALL_CATEGORIES: tuple[Category, ...] = ("values", "goals", "style", "biography", "current_focus")

# Hard ceiling on any answer, whatever a config says: keeps prompts and files bounded.
ABSOLUTE_MAX_ANSWER_LENGTH = 16_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BaselineQuestion(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    category: Category
    prompt: str = Field(min_length=5, max_length=500)


class InterviewerStyle(_Strict):
    core_philosophy: str = Field(
        default=(
            "Evoke insight through curiosity rather than interrogation. Create psychological "
            "safety that supports authentic self-disclosure."
        ),
        alias="corePhilosophy",
        max_length=2000,
    )
    tone: str = Field(
        default="Warm, curious, professional, clear, and free of clinical jargon",
        max_length=500,
    )


class InterviewingTechniques(_Strict):
    motivational_interviewing: bool = Field(default=True, alias="motivationalInterviewing")
    open_ended_questions: bool = Field(default=True, alias="openEndedQuestions")
    reflective_listening: bool = Field(default=True, alias="reflectiveListening")
    avoid_judgment: bool = Field(default=True, alias="avoidJudgment")
    respect_autonomy: bool = Field(default=True, alias="respectAutonomy")


class SessionDefaults(_Strict):
    min_answer_length: int = Field(default=20, ge=1, alias="minAnswerLength")
    max_answer_length: int = Field(
        default=2000, ge=1, le=ABSOLUTE_MAX_ANSWER_LENGTH, alias="maxAnswerLength"
    )
    target_category_completion_percentage: int = Field(
        default=80, ge=1, le=100, alias="targetCategoryCompletionPercentage"
    )
    allow_resume: bool = Field(default=True, alias="allowResume")
    # Milliseconds, as in MetaHuman's file.
    auto_save_interval: int = Field(default=30_000, ge=1000, le=3_600_000, alias="autoSaveInterval")

    @model_validator(mode="after")
    def _min_below_max(self) -> Self:
        if self.min_answer_length > self.max_answer_length:
            raise ValueError(
                f"minAnswerLength ({self.min_answer_length}) must not exceed "
                f"maxAnswerLength ({self.max_answer_length})"
            )
        return self


class InterviewConfig(_Strict):
    """A validated interview configuration. Build it with :func:`load_config`."""

    version: str = "1.1.0"
    description: str = ""
    max_questions_per_session: int = Field(default=15, ge=1, le=200, alias="maxQuestionsPerSession")
    require_minimum_answers: int = Field(default=7, ge=1, le=200, alias="requireMinimumAnswers")
    categories: tuple[Category, ...] = ALL_CATEGORIES
    category_descriptions: dict[Category, str] = Field(
        default_factory=dict, alias="categoryDescriptions"
    )
    baseline_questions: tuple[BaselineQuestion, ...] = Field(default=(), alias="baselineQuestions")
    interviewer: InterviewerStyle = InterviewerStyle()
    privacy_guidelines: tuple[str, ...] = Field(default=(), alias="privacyGuidelines")
    interviewing_techniques: InterviewingTechniques = Field(
        default=InterviewingTechniques(), alias="interviewingTechniques"
    )
    session_defaults: SessionDefaults = Field(default=SessionDefaults(), alias="sessionDefaults")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.categories:
            raise ValueError("categories must name at least one category")
        if len(set(self.categories)) != len(self.categories):
            raise ValueError(f"categories must not repeat a name, found {list(self.categories)}")
        if self.require_minimum_answers > self.max_questions_per_session:
            raise ValueError(
                f"requireMinimumAnswers ({self.require_minimum_answers}) must not exceed "
                f"maxQuestionsPerSession ({self.max_questions_per_session})"
            )
        for name in self.category_descriptions:
            if name not in self.categories:
                raise ValueError(
                    f"categoryDescriptions names {name!r}, which is not in categories "
                    f"{list(self.categories)}"
                )
        seen: set[str] = set()
        for question in self.baseline_questions:
            if question.category not in self.categories:
                raise ValueError(
                    f"baselineQuestions {question.id!r} has category {question.category!r}; "
                    f"expected one of {list(self.categories)}"
                )
            if question.id in seen:
                raise ValueError(f"baselineQuestions repeats the id {question.id!r}")
            seen.add(question.id)
        return self

    def description_of(self, category: Category) -> str:
        return self.category_descriptions.get(category, category.replace("_", " "))

    def to_json_dict(self) -> dict[str, Any]:
        """The config in MetaHuman's camelCase shape, as a user would write it."""
        return self.model_dump(mode="json", by_alias=True)


def _format_errors(source: str, exc: pydantic.ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        found = error.get("input")
        if error["type"] == "extra_forbidden":
            problems.append(f"unknown key {key!r} (found {found!r}); remove it or fix its spelling")
        elif error["type"] == "missing":
            problems.append(f"key {key!r} is required but missing")
        else:
            shown = repr(found)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            problems.append(f"key {key!r}: {error['msg']}; found {shown}")
    return f"{source}: " + "; ".join(problems)


def parse_config(data: object, source: str = "interview config") -> InterviewConfig:
    """Validate already-parsed JSON. Raises ConfigError naming key, expectation and value."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a JSON object, found {type(data).__name__}")
    try:
        return InterviewConfig.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigError(_format_errors(source, exc)) from None


def default_config() -> InterviewConfig:
    """The shipped MetaHuman-compatible default."""
    text = resources.files("server.data").joinpath("persona-generator.json").read_text("utf-8")
    return parse_config(json.loads(text), "built-in persona-generator.json")


def load_config(path: Path | None) -> InterviewConfig:
    """Load and validate a user's config file, or the default when ``path`` is None."""
    if path is None:
        return default_config()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read interview config {str(path)!r}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: expected JSON, found a syntax error at line {exc.lineno} "
            f"column {exc.colno}: {exc.msg}"
        ) from None
    return parse_config(data, str(path))
