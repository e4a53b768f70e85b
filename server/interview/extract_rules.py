"""The rule-based persona extractor: every item cites the answer it came from."""

from __future__ import annotations

from server.interview.model import ExtractionRequest
from server.persona.draft import PersonaDraft


def extract_persona(request: ExtractionRequest) -> PersonaDraft:
    raise NotImplementedError
