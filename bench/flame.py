"""Summarize py-spy's collapsed stacks (``--format raw``): where the server spends its time.

    BENCH_PYSPY=/tmp/prof python -m bench relay      # py-spy must be installed separately
    python -m bench.flame /tmp/prof.<pid>.txt [--top 40] [--filter server/]

Prints the functions with the most samples *inclusive* (anywhere on the stack) and *self*
(at the top of the stack), as a share of all samples, idle included: a process asleep in
``select``/``epoll`` shows as idle.
"""

from __future__ import annotations

import argparse
import collections
import sys
from collections.abc import Sequence

IDLE_MARKERS = ("select (selectors.py", "run_forever", "_run_once")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.flame")
    parser.add_argument("path")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--filter", default="", help="only frames whose text contains this")
    args = parser.parse_args(argv)
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    with open(args.path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            stack, _, count_text = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            count = int(count_text)
            total += count
            frames = stack.split(";")
            for frame in set(frames):
                if args.filter in frame:
                    inclusive[frame] += count
            if frames and args.filter in frames[-1]:
                own[frames[-1]] += count
    print(f"{total} samples")
    for title, counter in (("inclusive", inclusive), ("self", own)):
        print(f"\n-- {title} --")
        for frame, count in counter.most_common(args.top):
            print(f"{100 * count / max(1, total):6.2f}%  {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
