"""Where other code imports the rule-based extractor from; it lives in
:mod:`server.interview.extract` (one module per category)."""

from __future__ import annotations

from server.interview.extract import (
    SECTION_CATEGORY,
    extract_persona,
    horizon_of,
    understood_keys,
)

__all__ = ["SECTION_CATEGORY", "extract_persona", "horizon_of", "understood_keys"]
