"""The fake Ollama speaks Ollama's wire format, so tests of our client mean something."""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
import httpx
import ollama
import pytest

from tests.fake_ollama import (
    DEFAULT_MODEL,
    DEFAULT_REPLY,
    QUEUE_FULL,
    AbruptClose,
    FakeOllama,
    Reply,
    split_tokens,
    unused_port,
)

TIMINGS = (
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
)
HI = [{"role": "user", "content": "hi"}]


def chat_body(**changes: Any) -> dict[str, Any]:
    return {"model": DEFAULT_MODEL, "messages": HI, **changes}


async def post_lines(fake: FakeOllama, body: dict[str, Any]) -> tuple[httpx.Response, list[Any]]:
    async with httpx.AsyncClient(base_url=fake.url, timeout=2) as client:
        response = await client.post("/api/chat", json=body)
    return response, [json.loads(line) for line in response.text.splitlines()]


def test_split_tokens_concatenates_back() -> None:
    text = "  Hello, world! What's next?\n"
    pieces = split_tokens(text)
    assert "".join(pieces) == text
    assert pieces[:3] == ["  Hello", ",", " world"]


async def test_liveness_version_tags_show_and_ps(fake_ollama: FakeOllama) -> None:
    async with httpx.AsyncClient(base_url=fake_ollama.url, timeout=2) as client:
        root = await client.get("/")
        head = await client.head("/")
        version = await client.get("/api/version")
        tags = await client.get("/api/tags")
        show = await client.post("/api/show", json={"model": DEFAULT_MODEL})
        unknown = await client.post("/api/show", json={"model": "nope:1b"})
        nameless = await client.post("/api/show", json={})
        before = await client.get("/api/ps")
        await client.post("/api/chat", json=chat_body(messages=[]))
        after = await client.get("/api/ps")
    assert (root.status_code, root.text) == (200, "Ollama is running")
    assert head.status_code == 200 and head.text == ""
    assert version.json() == {"version": fake_ollama.version}
    assert [m["name"] for m in tags.json()["models"]] == [DEFAULT_MODEL]
    assert show.json()["details"]["family"] == "llama" and "model_info" in show.json()
    assert (unknown.status_code, unknown.json()) == (404, {"error": "model 'nope:1b' not found"})
    assert (nameless.status_code, nameless.json()) == (400, {"error": "model is required"})
    assert before.json() == {"models": []}
    assert [m["model"] for m in after.json()["models"]] == [DEFAULT_MODEL]


async def test_chat_streams_ndjson_by_default(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("Hello there, friend?")
    response, lines = await post_lines(fake_ollama, chat_body())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    *chunks, final = lines
    assert "".join(c["message"]["content"] for c in chunks) == "Hello there, friend?"
    for chunk in chunks:
        assert set(chunk) == {"model", "created_at", "message", "done"}
        assert chunk["done"] is False and chunk["message"]["role"] == "assistant"
        assert chunk["created_at"].endswith("Z")
    assert final["done"] is True and final["done_reason"] == "stop"
    assert final["message"] == {"role": "assistant", "content": ""}
    assert all(isinstance(final[key], int) and final[key] > 0 for key in TIMINGS)
    assert final["eval_count"] == len(chunks)


async def test_chat_without_stream_returns_one_object(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("One reply?", done_reason="length")
    response, lines = await post_lines(fake_ollama, chat_body(stream=False))
    assert response.headers["content-type"].startswith("application/json")
    [reply] = lines
    assert reply["message"]["content"] == "One reply?"
    assert reply["done"] is True and reply["done_reason"] == "length"
    assert all(key in reply for key in TIMINGS)


async def test_empty_messages_load_and_unload_without_consuming_the_script(
    fake_ollama: FakeOllama,
) -> None:
    fake_ollama.reply("scripted")
    _, [load] = await post_lines(fake_ollama, chat_body(messages=[]))
    _, [unload] = await post_lines(fake_ollama, chat_body(messages=[], keep_alive=0))
    assert (load["done"], load["done_reason"]) == (True, "load")
    assert unload["done_reason"] == "unload"
    assert fake_ollama.pending == 1


async def test_unknown_and_missing_model(fake_ollama: FakeOllama) -> None:
    unknown, _ = await post_lines(fake_ollama, chat_body(model="ghost:7b"))
    missing, _ = await post_lines(fake_ollama, {"messages": HI})
    assert (unknown.status_code, unknown.json()) == (404, {"error": "model 'ghost:7b' not found"})
    assert (missing.status_code, missing.json()) == (400, {"error": "model is required"})


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (404, None, f"model '{DEFAULT_MODEL}' not found"),
        (400, None, "model is required"),
        (503, None, QUEUE_FULL),
        (500, "boom", "boom"),
    ],
)
async def test_scripted_http_errors(
    fake_ollama: FakeOllama, status: int, message: str | None, expected: str
) -> None:
    fake_ollama.fail(status, message)
    response, _ = await post_lines(fake_ollama, chat_body())
    assert (response.status_code, response.json()) == (status, {"error": expected})


async def test_mid_stream_error_line_keeps_status_200(fake_ollama: FakeOllama) -> None:
    fake_ollama.error_mid_stream("runner crashed", after=2)
    response, lines = await post_lines(fake_ollama, chat_body())
    assert response.status_code == 200
    assert len(lines) == 3
    assert lines[-1] == {"error": "runner crashed"}


async def test_the_official_client_sees_each_failure_as_ollama_would_raise_it(
    fake_ollama: FakeOllama,
) -> None:
    client = ollama.AsyncClient(host=fake_ollama.url, timeout=httpx.Timeout(2))
    fake_ollama.error_mid_stream("runner crashed")
    with pytest.raises(ollama.ResponseError) as caught:
        async for _ in await client.chat(DEFAULT_MODEL, HI, stream=True):
            pass
    assert caught.value.status_code == -1
    fake_ollama.close_abruptly(after=2)
    with pytest.raises(httpx.RemoteProtocolError):
        async for _ in await client.chat(DEFAULT_MODEL, HI, stream=True):
            pass
    fake_ollama.script(AbruptClose())
    with pytest.raises(httpx.RemoteProtocolError):
        await client.chat(DEFAULT_MODEL, HI)
    await client.close()  # type: ignore[no-untyped-call]


@pytest.mark.timeout(10)
async def test_stall_sends_headers_then_nothing_and_records_the_disconnect(
    fake_ollama: FakeOllama,
) -> None:
    fake_ollama.stall(5, after=1)
    client = httpx.AsyncClient(base_url=fake_ollama.url, timeout=httpx.Timeout(0.3))
    async with client, client.stream("POST", "/api/chat", json=chat_body()) as response:
        assert response.status_code == 200
        lines = response.aiter_lines()
        first = json.loads(await anext(lines))
        assert first["done"] is False
        with pytest.raises(httpx.ReadTimeout):
            await anext(lines)
    [disconnect] = await fake_ollama.wait_for_disconnects(1)
    assert (disconnect.path, disconnect.chunks_sent) == ("/api/chat", 1)


async def test_delays_pace_the_tokens(fake_ollama: FakeOllama) -> None:
    fake_ollama.script(Reply("a b c d", first_token_delay=0.2, token_delay=0.05))
    async with httpx.AsyncClient(base_url=fake_ollama.url, timeout=2) as client:
        started = time.monotonic()
        async with client.stream("POST", "/api/chat", json=chat_body()) as response:
            arrivals = [time.monotonic() - started async for _ in response.aiter_lines()]
    assert arrivals[0] >= 0.2
    assert arrivals[-1] - arrivals[0] >= 0.15


async def test_closing_a_stream_early_is_recorded(fake_ollama: FakeOllama) -> None:
    fake_ollama.script(Reply("one two three four five six", token_delay=0.05))
    client = httpx.AsyncClient(base_url=fake_ollama.url, timeout=2)
    async with client, client.stream("POST", "/api/chat", json=chat_body()) as response:
        await anext(response.aiter_lines())
    [disconnect] = await fake_ollama.wait_for_disconnects(1)
    assert disconnect.request_index == 0
    assert disconnect.chunks_sent < 7


async def test_a_complete_stream_is_not_a_disconnect(fake_ollama: FakeOllama) -> None:
    await post_lines(fake_ollama, chat_body())
    await anyio.sleep(0.05)
    assert fake_ollama.disconnects == []


async def test_script_is_consumed_in_order_then_the_default_reply(
    fake_ollama: FakeOllama,
) -> None:
    fake_ollama.reply("first?")
    fake_ollama.reply_json({"values": []})
    replies = []
    for _ in range(3):
        _, [reply] = await post_lines(fake_ollama, chat_body(stream=False))
        replies.append(reply["message"]["content"])
    assert replies == ["first?", '{"values": []}', DEFAULT_REPLY]


async def test_every_request_is_recorded_with_its_json_body(fake_ollama: FakeOllama) -> None:
    body = chat_body(options={"num_ctx": 2048}, keep_alive="5m", think=False)
    await post_lines(fake_ollama, body)
    async with httpx.AsyncClient(base_url=fake_ollama.url, timeout=2) as client:
        await client.get("/api/tags")
    assert [(r.method, r.path) for r in fake_ollama.requests] == [
        ("POST", "/api/chat"),
        ("GET", "/api/tags"),
    ]
    assert fake_ollama.chat_requests == [body]
    assert fake_ollama.requests[1].body is None


async def test_prompt_eval_count_can_be_scripted(fake_ollama: FakeOllama) -> None:
    fake_ollama.script(Reply("x?", prompt_eval_count=7))
    _, [reply] = await post_lines(fake_ollama, chat_body(stream=False))
    assert reply["prompt_eval_count"] == 7


async def test_unused_port_refuses_connections() -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{unused_port()}/")


@pytest.mark.timeout(10)
def test_stops_promptly_even_mid_stall() -> None:
    fake = FakeOllama().start()
    fake.stall(30)
    client = httpx.Client(base_url=fake.url, timeout=httpx.Timeout(5))
    with client.stream("POST", "/api/chat", json=chat_body()) as response:
        assert response.status_code == 200
        started = time.monotonic()
        fake.stop()
        with pytest.raises(httpx.RemoteProtocolError):
            response.read()
    client.close()
    assert time.monotonic() - started < 3
