"""The one exception tree of Personagen.

Every error a user or client can see carries a stable ``code`` (what clients switch on),
a human ``message`` (what people read: it names what was expected and what came) and
``retryable`` (whether the same request may succeed later)::

    PersonagenError
    ├── ConfigError                 invalid interview config or server setting
    ├── ValidationError             bad input from a person or client (length, shape, id)
    │   ├── InvalidName             a user name or session id that fails its pattern
    │   └── AnswerRejected          an answer outside the configured length limits
    ├── InvalidTransition           an action the session's current state does not allow
    ├── ConflictError               a stale revision or a persona changed since preview
    ├── NotFound                    no such user, session, question or backup
    ├── StorageError                the disk refused a read or write
    │   └── CorruptFile             a file exists but cannot be parsed; never treated as empty
    └── LLMError                    the language model failed
        ├── LLMUnavailable          Ollama unreachable or timed out          (retryable)
        ├── ModelNotFound           the model is not pulled                  (not retryable)
        ├── LLMBusy                 Ollama queue full (HTTP 503)             (retryable)
        ├── LLMStreamError          an error line arrived mid-stream         (retryable)
        └── LLMBadOutput            output failed validation after retries

Foreign exceptions are translated at the door: only ``server.store`` catches ``OSError``
and only ``server.llm.ollama`` catches ``ollama``/``httpx`` errors.
"""

from __future__ import annotations

from typing import ClassVar


class PersonagenError(Exception):
    """Base of every error Personagen raises on purpose."""

    code: ClassVar[str] = "internal_error"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, object]:
        """The shape clients receive: stable code, human message, retry hint."""
        return {"code": self.code, "message": self.message, "retryable": self.retryable}


class ConfigError(PersonagenError):
    code = "invalid_config"


class ValidationError(PersonagenError):
    code = "invalid_input"


class InvalidName(ValidationError):
    code = "invalid_name"


class AnswerRejected(ValidationError):
    code = "answer_rejected"


class InvalidTransition(PersonagenError):
    code = "invalid_state"


class ConflictError(PersonagenError):
    code = "conflict"


class NotFound(PersonagenError):
    code = "not_found"


class StorageError(PersonagenError):
    code = "storage_error"
    retryable = True


class CorruptFile(StorageError):
    code = "corrupt_file"
    retryable = False


class LLMError(PersonagenError):
    code = "llm_error"
    retryable = True


class LLMUnavailable(LLMError):
    code = "ollama_unavailable"


class ModelNotFound(LLMError):
    code = "model_not_available"
    retryable = False


class LLMBusy(LLMError):
    code = "ollama_busy"


class LLMStreamError(LLMError):
    code = "ollama_stream_error"


class LLMBadOutput(LLMError):
    code = "llm_bad_output"
