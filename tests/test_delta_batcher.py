"""The delta sending rule: at once to an idle socket, joined only while a write is pending."""

from __future__ import annotations

import json

import anyio
import anyio.lowlevel

from server.manager import DeltaBatcher, Outbox


def _texts(frames: list[str]) -> list[str]:
    return [json.loads(frame)["text"] for frame in frames]


async def test_a_piece_goes_out_at_once_when_the_writer_is_idle() -> None:
    outbox = Outbox(limit=100)
    written: list[str] = []
    batcher = DeltaBatcher(
        lambda text: outbox.put({"type": "question.delta", "text": text}),
        interval=10.0,  # far longer than the test: only the idle rule can send
        max_chars=1024,
        watchers=lambda: [outbox],
    )

    async def writer() -> None:
        while (frame := await outbox.get()) is not None:
            written.append(frame)

    async with anyio.create_task_group() as group:
        group.start_soon(writer)
        group.start_soon(batcher.run)
        await anyio.wait_all_tasks_blocked()
        for piece in ["What ", "do ", "you "]:
            batcher.add(piece)
            await anyio.wait_all_tasks_blocked()
            assert _texts(written)[-1] == piece  # each one written before the next came
        group.cancel_scope.cancel()
    assert _texts(written) == ["What ", "do ", "you "]


async def test_pieces_are_joined_while_a_write_is_pending() -> None:
    outbox = Outbox(limit=100)
    written: list[str] = []
    release = anyio.Event()
    batcher = DeltaBatcher(
        lambda text: outbox.put({"type": "question.delta", "text": text}),
        interval=10.0,
        max_chars=1024,
        watchers=lambda: [outbox],
    )

    async def slow_writer() -> None:
        while (frame := await outbox.get()) is not None:
            await release.wait()  # the socket write is still in progress
            written.append(frame)

    async with anyio.create_task_group() as group:
        group.start_soon(slow_writer)
        group.start_soon(batcher.run)
        await anyio.wait_all_tasks_blocked()
        batcher.add("What ")
        await anyio.wait_all_tasks_blocked()  # sent at once: the writer was idle
        for piece in ["do ", "you ", "value?"]:
            batcher.add(piece)
            await anyio.wait_all_tasks_blocked()
        assert written == [] and len(outbox) == 0  # held back, not queued frame by frame
        release.set()
        await anyio.wait_all_tasks_blocked()
        group.cancel_scope.cancel()
    assert _texts(written) == ["What ", "do you value?"]


async def test_with_nobody_watching_pieces_are_joined_for_the_interval() -> None:
    sent: list[str] = []
    batcher = DeltaBatcher(sent.append, interval=0.05, max_chars=1024)
    async with anyio.create_task_group() as group:
        group.start_soon(batcher.run)
        batcher.add("a")
        batcher.add("b")
        for _ in range(10):  # several turns of the event loop, far less than the interval
            await anyio.lowlevel.checkpoint()
        assert sent == []
        await anyio.sleep(0.2)
        assert sent == ["ab"]
        group.cancel_scope.cancel()


async def test_a_closed_connection_does_not_hold_back_the_others() -> None:
    gone = Outbox(limit=10)
    gone.put({"type": "question.delta", "text": "never read"})
    gone.close()
    assert gone.idle
    waited = anyio.Event()
    gone.notify_when_idle(waited)
    assert waited.is_set()
