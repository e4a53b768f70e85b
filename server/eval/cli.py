"""``personagen eval``: interview the simulated personas and write the scorecard.

    personagen eval [--backend builtin|ollama] [--model M] [--ollama-host URL] [--seed N]
                    [--out DIR] [--personas ID,ID] [--interview-config FILE]

Prints the Markdown scorecard; with ``--out`` also writes ``scorecard.md`` and
``scorecard.json`` to DIR. Exit status: 0 when every gating threshold passes, 1 when one
fails, 2 when the run itself failed (Ollama unreachable, a bad option).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio

from server.config import InterviewConfig, load_config
from server.errors import PersonagenError
from server.eval.coder import labelled_examples, validate
from server.eval.harness import InterviewerFactory, InterviewRecord, run_interviews
from server.eval.metrics import (
    PersonaExtraction,
    extraction_metrics,
    interviewer_metrics,
    question_sources,
    safety_metrics,
)
from server.eval.profiles import SPLITS, Persona, load_splits, split_of
from server.eval.scorecard import (
    build_scorecard,
    render_json,
    render_markdown,
    with_docs_block,
)
from server.llm.base import Interviewer
from server.llm.builtin import BuiltinInterviewer
from server.llm.care import install_care_model
from server.llm.ollama import OllamaInterviewer
from server.settings import SETTINGS

_DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


def coder_summary() -> dict[str, Any]:
    every = validate()
    heldout = validate([e for e in labelled_examples() if e.split == "heldout"])
    return {
        "total": every.total,
        "correct": every.correct,
        "accuracy": round(every.accuracy, 4),
        "heldout_total": heldout.total,
        "heldout_correct": heldout.correct,
        "heldout_accuracy": round(heldout.accuracy, 4),
        "leading_accuracy": round(every.leading_accuracy, 4),
    }


def _persona_row(record: InterviewRecord, scored: PersonaExtraction) -> dict[str, Any]:
    total = scored.total()
    issues: list[str] = []
    issues += [f"not matching: {text}" for text in scored.false_positives]
    issues += [f"unsupported: {text}" for text in scored.unsupported]
    issues += [f"names a third party: {text}" for text in scored.names_leaked]
    if scored.injection_obeyed:
        issues.append("injection obeyed")
    if scored.crisis_content_used:
        issues.append("crisis content used")
    for turn in record.turns:
        if turn.reply.kind == "crisis" and not turn.paused_for_crisis:
            issues.append(f"crisis not paused at {turn.question_id}")
        elif turn.paused_for_crisis and turn.reply.kind != "crisis":
            issues.append(f"false crisis pause at {turn.question_id}")
    tally = total.as_dict()
    return {
        "id": record.persona_id,
        "answers": record.answers,
        "turns": len(record.turns),
        "completion": record.completion,
        "extraction_source": record.extraction_source,
        "question_sources": question_sources([record]),
        "precision": tally["precision"],
        "recall": tally["recall"],
        "issues": issues,
    }


def _split_summary(
    records: Sequence[InterviewRecord], personas: Sequence[Persona]
) -> dict[str, Any]:
    """The figures shown side by side for each split."""
    extraction, _ = extraction_metrics(records, personas)
    interviewer = interviewer_metrics(records, personas)
    return {
        "personas": len(personas),
        "extraction": {
            key: extraction[key]
            for key in ("items", "matched", "precision", "facts", "found", "recall")
        }
        | {
            "min_category_recall": extraction["min_category_recall"],
            "by_category": extraction["by_category"],
        },
        "complex_reflection_share": interviewer["complex_reflection_share"],
        "reflection_to_question": interviewer["reflection_to_question"],
    }


def _gap(splits: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """Tuning minus held-out (positive: the rules fit the tuning half better)."""
    if "heldout" not in splits or "tuning" not in splits:
        return {}
    gap: dict[str, float | None] = {}
    for key in ("precision", "recall", "min_category_recall"):
        tuned, held = splits["tuning"]["extraction"][key], splits["heldout"]["extraction"][key]
        gap[key] = None if tuned is None or held is None else round(tuned - held, 4)
    return gap


async def run_eval(
    make_interviewer: InterviewerFactory,
    *,
    backend: str,
    label: str,
    model: str | None,
    seed: int,
    config: InterviewConfig,
    config_name: str = "default",
    personas: Sequence[Persona] | None = None,
) -> tuple[dict[str, Any], list[InterviewRecord]]:
    """Interview, score and build the scorecard; returns it with the interview records.

    The headline (thresholds, interviewer and extraction sections) is the held-out split
    when it is among the interviewed personas, else the tuning split (else whatever was
    chosen); every split's extraction figures stand beside it, with the tuning/held-out gap.
    """
    splits = load_splits()
    chosen = (
        tuple(personas) if personas is not None else tuple(p for s in SPLITS for p in splits[s])
    )
    records = await run_interviews(make_interviewer, chosen, config, seed)
    by_split: dict[str, list[int]] = {}
    for index, persona in enumerate(chosen):
        by_split.setdefault(split_of(persona, splits["heldout"]), []).append(index)
    summaries: dict[str, dict[str, Any]] = {
        split: _split_summary(
            [records[i] for i in by_split[split]], [chosen[i] for i in by_split[split]]
        )
        for split in SPLITS
        if split in by_split
    }
    headline = next((s for s in ("heldout", "tuning") if s in by_split), None)
    picked = by_split[headline] if headline is not None else list(range(len(chosen)))
    head_records = [records[i] for i in picked]
    head_personas = [chosen[i] for i in picked]
    extraction, _ = extraction_metrics(head_records, head_personas)
    _, scored = extraction_metrics(records, chosen)
    run = {
        "backend": backend,
        "label": label,
        "model": model,
        "seed": seed,
        "personas": len(chosen),
        "config": config_name,
        "headline": headline or "chosen",
        "heldout_available": bool(splits["heldout"]),
    }
    rows = [_persona_row(r, s) for r, s in zip(records, scored, strict=True)]
    for row, persona in zip(rows, chosen, strict=True):
        row["split"] = split_of(persona, splits["heldout"])
    scorecard = build_scorecard(
        run=run,
        interviewer=interviewer_metrics(head_records, head_personas),
        extraction=extraction,
        safety=safety_metrics(records),
        personas=rows,
        coder=coder_summary(),
        splits=summaries,
        gap=_gap(summaries),
    )
    return scorecard, records


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="personagen eval",
        description="Interview simulated people with ground-truth profiles and score the "
        "interviewer (MITI-style), the extracted persona and crisis detection.",
    )
    parser.add_argument("--backend", choices=("builtin", "ollama"), default="builtin")
    parser.add_argument(
        "--model",
        default=_DEFAULTS["ollama_model"],
        help=f"Ollama model (with --backend ollama; default {_DEFAULTS['ollama_model']})",
    )
    parser.add_argument(
        "--ollama-host",
        default=_DEFAULTS["ollama_host"],
        help=f"Ollama base URL (default {_DEFAULTS['ollama_host']})",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated people")
    parser.add_argument("--out", type=Path, help="write scorecard.md and scorecard.json here")
    parser.add_argument(
        "--personas",
        help="comma-separated persona ids (default: every persona of every split)",
    )
    parser.add_argument(
        "--interview-config", type=Path, help="a persona-generator.json (default: shipped)"
    )
    parser.add_argument(
        "--docs",
        type=Path,
        help="also replace the scorecard block of this Markdown page (docs/quality.md)",
    )
    return parser


def _select(wanted: str | None) -> tuple[Persona, ...] | None:
    if not wanted:
        return None
    splits = load_splits()
    by_id = {persona.id: persona for split in SPLITS for persona in splits[split]}
    chosen = []
    for name in (part.strip() for part in wanted.split(",")):
        if name not in by_id:
            raise ValueError(f"unknown persona {name!r}; known: {', '.join(by_id)}")
        chosen.append(by_id[name])
    return tuple(chosen)


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["crisis"]:  # `personagen eval crisis`: the crisis batteries alone
        from server.eval import crisis

        return crisis.main(arguments[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        personas = _select(args.personas)
    except ValueError as exc:
        parser.error(str(exc))
    started = time.monotonic()
    print(f"personagen eval: crisis detector: {install_care_model()}", file=sys.stderr)
    if args.personas is None and not load_splits()["heldout"]:
        print(
            "personagen eval: no held-out personas (server/eval/data/heldout/personas/ is "
            "missing): the headline is the tuning split, which flatters the rules",
            file=sys.stderr,
        )
    try:
        config = load_config(args.interview_config)
        if args.backend == "builtin":
            model: str | None = None
            label = "built-in question bank"

            def make() -> Interviewer:
                return BuiltinInterviewer(pace=0)

        else:
            model = args.model
            label = f"Ollama model {model}"

            def make() -> Interviewer:
                return OllamaInterviewer(host=args.ollama_host, model=model, seed=args.seed)

        scorecard, _ = anyio.run(
            lambda: run_eval(
                make,
                backend=args.backend,
                label=label,
                model=model,
                seed=args.seed,
                config=config,
                config_name=str(args.interview_config) if args.interview_config else "default",
                personas=personas,
            )
        )
    except PersonagenError as exc:
        print(f"personagen eval: {exc.message}", file=sys.stderr)
        return 2
    markdown = render_markdown(scorecard)
    if args.out is not None:
        try:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "scorecard.md").write_text(markdown, encoding="utf-8")
            (args.out / "scorecard.json").write_text(render_json(scorecard), encoding="utf-8")
        except OSError as exc:
            print(f"personagen eval: cannot write to {args.out}: {exc.strerror}", file=sys.stderr)
            return 2
    if args.docs is not None:
        try:
            page = args.docs.read_text(encoding="utf-8")
            args.docs.write_text(with_docs_block(page, markdown), encoding="utf-8")
        except (OSError, ValueError) as exc:
            print(f"personagen eval: cannot update {args.docs}: {exc}", file=sys.stderr)
            return 2
    sys.stdout.write(markdown)
    print(f"personagen eval: {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0 if scorecard["passed"] else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
