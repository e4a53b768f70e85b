"""Offline evaluation of interview quality: simulated interviewees, MI metrics, extraction scores.

Nothing in the server imports this package; only the command line does (``personagen eval``).
It drives whole interviews through :class:`server.runner.InterviewRunner` with either
interviewer backend, scores them and writes a scorecard (see ``docs/quality.md``).

Modules, bottom up:

* :mod:`server.eval.text`: tokens, crude stems and the word-matching rule every metric shares;
* :mod:`server.eval.profiles`: the ground-truth personas (data in ``data/personas/``);
* :mod:`server.eval.interviewee`: a deterministic scripted interviewee per persona;
* :mod:`server.eval.coder`: a rule-based MI coder of interviewer utterances, with its
  hand-labelled examples in ``data/coder_examples.json``;
* :mod:`server.eval.harness`: runs the interviews with the real runner;
* :mod:`server.eval.metrics`: interviewer, extraction and safety metrics;
* :mod:`server.eval.scorecard`: thresholds, pass/fail, Markdown and JSON;
* :mod:`server.eval.cli`: the entry point.
"""
