"""Fuzz a real ``personagen serve`` with mutated protocol frames, lone surrogates included.

    python -m bench.fuzz_frames                      # 100,000 frames (about two minutes)
    python -m bench.fuzz_frames --frames 5000        # a quick run

Many users, five connections each, every connection under the server's message rate (so the
frames are parsed, not rate-limited); one frame in a hundred is instead the *first* frame of a
fresh connection, before any login. Prints how every connection closed, how many closed with
1011, and how many tracebacks the server logged. The answer the issue asks for is "0 and 0".
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import copy
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.server_process import ServerProcess, create_user

SESSION = "20250101T120000Z-0123abcd"
TEMPLATES: list[dict[str, Any]] = [
    {"type": "hello", "v": 1, "token": "pg.alice.x"},
    {"type": "ping", "t": 12.5},
    {"type": "session.open", "id": "r2", "session_id": SESSION, "epoch": "e", "last_seq": 0},
    {"type": "sessions.list", "id": "r3"},
    {"type": "answer.submit", "id": "r4", "session_id": SESSION, "question_id": "q1", "text": "a"},
    {"type": "answer.skip", "id": "r6", "session_id": SESSION, "question_id": "q3"},
    {"type": "draft.update", "id": "r7", "session_id": SESSION, "question_id": "q1", "text": "c"},
    {"type": "session.pause", "id": "r8", "session_id": SESSION},
    {"type": "review.request", "id": "r14", "session_id": SESSION, "strategy": "append"},
    {"type": "generation.stop", "id": "r13", "session_id": SESSION},
]
FIELDS = ["type", "id", "v", "t", "token", "session_id", "question_id", "text", "epoch", "x"]
SURROGATES = ["\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\ud83d"]
ODD_VALUES: list[Any] = [None, True, -1, 2**70, 1.5, "", "q99999", "../../etc", "a" * 80, [], {}]


def mutated(rng: random.Random) -> str:
    """One frame's text: a template mutated, often with a lone surrogate escape somewhere."""
    frame = copy.deepcopy(rng.choice(TEMPLATES))
    for _ in range(rng.randint(0, 3)):
        action = rng.random()
        if action < 0.3 and frame:
            frame.pop(rng.choice(sorted(frame)))
        elif action < 0.8:
            frame[rng.choice(FIELDS)] = rng.choice(ODD_VALUES)
        else:
            frame["type"] = rng.choice(["Ping", "", "welcome", "hello", "sessions.list"])
    text = json.dumps(frame)
    if rng.random() < 0.5:  # put a lone surrogate just inside a random string (key or value)
        quotes = [at for at, char in enumerate(text) if char == '"'][::2]
        if quotes:
            at = rng.choice(quotes) + 1
            text = text[:at] + rng.choice(SURROGATES) + text[at:]
    elif rng.random() < 0.3:  # or cut and splice characters
        at = rng.randrange(len(text) + 1)
        text = text[:at] + rng.choice(['"', "{", "\\", ",", "\\u", "]"]) + text[at + 1 :]
    return text


class Tally:
    def __init__(self) -> None:
        self.sent = 0
        self.closes: collections.Counter[str] = collections.Counter()
        self.errors: collections.Counter[str] = collections.Counter()


async def drain(ws: ClientConnection, tally: Tally) -> None:
    try:
        async for message in ws:
            frame = json.loads(message)
            if frame.get("type") == "error":
                tally.errors[str(frame.get("code"))] += 1
    except ConnectionClosed:
        pass


def close_code(ws: ClientConnection) -> str:
    return str(ws.close_code) if ws.close_code is not None else "none"


async def logged_in(url: str, token: str, frames: int, seed: int, tally: Tally) -> None:
    rng = random.Random(seed)
    async with connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "hello", "v": 1, "token": token}))
        await ws.recv()
        reader = asyncio.create_task(drain(ws, tally))
        for _ in range(frames):
            try:
                await ws.send(mutated(rng))
            except ConnectionClosed:
                break
            tally.sent += 1
            await asyncio.sleep(0.105)  # under 10 messages a second: parsed, not rate-limited
        await asyncio.sleep(1.0)
        await ws.close()
        await reader
    tally.closes[close_code(ws)] += 1


async def before_login(url: str, frames: int, seed: int, tally: Tally) -> None:
    rng = random.Random(seed)
    for _ in range(frames):
        async with connect(url) as ws:
            await ws.send(mutated(rng))
            tally.sent += 1
            await drain(ws, tally)
        tally.closes[close_code(ws)] += 1


async def run(url: str, tokens: list[str], frames: int, tally: Tally) -> None:
    early = frames // 100
    per_connection = (frames - early) // (len(tokens) * 5)
    jobs = [
        logged_in(url, token, per_connection, seed=n * 10 + c, tally=tally)
        for n, token in enumerate(tokens)
        for c in range(5)
    ]
    jobs += [before_login(url, early // 10, seed=10_000 + n, tally=tally) for n in range(10)]
    await asyncio.gather(*jobs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        profiles = Path(folder) / "profiles"
        profiles.mkdir()
        tokens = [create_user(profiles, f"fuzz{n}") for n in range(args.users)]
        tally = Tally()
        started = time.monotonic()
        with ServerProcess(profiles) as server:
            asyncio.run(run(server.ws_url, tokens, args.frames, tally))
        log = server.log_path.read_text(encoding="utf-8", errors="replace")
    print(f"command: python -m bench.fuzz_frames --frames {args.frames} --users {args.users}")
    print(f"frames sent: {tally.sent} in {time.monotonic() - started:.0f} s")
    print(f"connections by close code: {dict(sorted(tally.closes.items()))}")
    print(f"error frames by code: {dict(sorted(tally.errors.items()))}")
    print(f"closed with 1011: {tally.closes.get('1011', 0)}")
    print(f"tracebacks in the server log: {log.count('Traceback')}")
    return 0 if tally.closes.get("1011", 0) == 0 and "Traceback" not in log else 1


if __name__ == "__main__":
    sys.exit(main())
