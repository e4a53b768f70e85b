"""The storage adapter, against real folders: atomicity, journal durability, backups, names."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import pytest

from server import store as store_module
from server.errors import (
    ConflictError,
    CorruptFile,
    InvalidName,
    NotFound,
    StorageError,
    ValidationError,
)
from server.store import (
    ABSENT,
    ProfileStore,
    TornTail,
    digest_text,
    new_session_id,
    validate_backup_name,
    validate_session_id,
    validate_user,
)

SID = "20250101T120000Z-0123abcd"
SID2 = "20250102T080000Z-89abcdef"
NOW = datetime(2025, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
PROJECT_ROOT = Path(__file__).resolve().parents[1]

BAD_USERS = [
    "../../etc",
    "a/b",
    "..",
    ".",
    "",
    "A",
    "Alice",
    "1alice",
    "_alice",
    "x" * 33,
    "x" * 100,
    "alice\x00",
    "alice\n",
    "\nalice",
    "al ice",
    "alicé",
    "/etc",
    "alice/",
]
BAD_SIDS = [
    "",
    "..",
    "../20250101T120000Z-0123abcd",
    "20250101T120000Z-0123abcd\n",
    "20250101T120000Z-0123ABCD",
    "20250101T120000Z-0123abc",
    "20250101T120000-0123abcd",
    "2025010T120000Z-0123abcd",
    "\u0662\u0660\u0662\u0665\u0660\u0661\u0660\u0661T120000Z-0123abcd",  # \d without re.ASCII
    "20250101T120000Z-0123abcd.json",
    "x" * 200,
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "profiles"


@pytest.fixture
def store(root: Path) -> ProfileStore:
    return ProfileStore(root)


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def _temp_files(folder: Path) -> list[str]:
    return [name for name in _files(folder) if name.endswith(".tmp")]


async def _session(store: ProfileStore, sid: str = SID, user: str = "alice") -> None:
    await store.create_session(user, sid, {"id": sid, "state": "asking"})


def _fail_with(code: int) -> Callable[..., Any]:
    def fail(*args: object, **kwargs: object) -> Any:
        raise OSError(code, os.strerror(code), str(args[0]) if args else None)

    return fail


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "alice", "bob-2", "c_d", "z" + "9" * 31])
def test_valid_user_names_pass(name: str) -> None:
    assert validate_user(name) == name


@pytest.mark.parametrize("name", BAD_USERS)
def test_bad_user_names_are_rejected(name: str) -> None:
    with pytest.raises(InvalidName) as info:
        validate_user(name)
    message = info.value.message
    assert "user name" in message and "lowercase letter" in message
    assert "got " in message and len(message) < 250  # what came, cut short


def test_invalid_name_message_shows_truncated_repr() -> None:
    with pytest.raises(InvalidName) as info:
        validate_user("x" * 100)
    assert "got 'xxxxxxxxx" in info.value.message and "..." in info.value.message
    with pytest.raises(InvalidName, match=r"got 'alice\\n'"):
        validate_user("alice\n")
    with pytest.raises(InvalidName, match="got 42"):
        validate_user(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("sid", BAD_SIDS)
def test_bad_session_ids_are_rejected(sid: str) -> None:
    with pytest.raises(InvalidName, match="session id"):
        validate_session_id(sid)


@pytest.mark.parametrize(
    "name", ["../core.json", "core.json", "core-20250101T120000Z.json", "core-x.json"]
)
def test_bad_backup_names_are_rejected(name: str) -> None:
    with pytest.raises(InvalidName, match="backup name"):
        validate_backup_name(name)


def test_new_session_id_is_a_valid_utc_stamp() -> None:
    east = timezone(timedelta(hours=2))
    sid = new_session_id(datetime(2025, 3, 4, 7, 8, 9, tzinfo=east))
    assert validate_session_id(sid) == sid
    assert sid.startswith("20250304T050809Z-")
    assert new_session_id(NOW) != new_session_id(NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        new_session_id(datetime(2025, 1, 1))


@pytest.mark.parametrize("user", BAD_USERS)
async def test_bad_user_is_rejected_before_touching_disk(
    store: ProfileStore, root: Path, tmp_path: Path, user: str
) -> None:
    calls = [
        store.create_session(user, SID, {}),
        store.write_snapshot(user, SID, {}),
        store.append_journal(user, SID, [{"a": 1}]),
        store.load_session(user, SID),
        store.list_session_ids(user),
        store.delete_session(user, SID),
        store.read_persona(user),
        store.write_persona(user, "{}", expected_digest=ABSENT, now=NOW),
        store.list_backups(user),
        store.read_backup(user, "core-20250101T120000000000Z.json"),
        store.write_training(user, SID, ""),
        store.ensure_user(user),
    ]
    for call in calls:
        with pytest.raises(InvalidName):
            await call
    assert _listing(tmp_path) == []  # not even the profiles root was created


@pytest.mark.parametrize("sid", BAD_SIDS)
async def test_bad_session_id_is_rejected_before_touching_disk(
    store: ProfileStore, root: Path, sid: str
) -> None:
    calls = [
        store.create_session("alice", sid, {}),
        store.write_snapshot("alice", sid, {}),
        store.append_journal("alice", sid, [{"a": 1}]),
        store.load_session("alice", sid),
        store.delete_session("alice", sid),
        store.write_training("alice", sid, ""),
    ]
    for call in calls:
        with pytest.raises(InvalidName):
            await call
    assert _listing(root.parent) == []


async def test_bad_backup_name_is_rejected(store: ProfileStore, root: Path) -> None:
    with pytest.raises(InvalidName):
        await store.read_backup("alice", "../persona/core.json")
    assert _listing(root.parent) == []


# --- sessions ----------------------------------------------------------------------------


async def test_create_and_load_session(store: ProfileStore, root: Path) -> None:
    await store.create_session("alice", SID, {"id": SID, "name": "Zoë 🙂"})
    loaded = await store.load_session("alice", SID)
    assert loaded.snapshot == {"id": SID, "name": "Zoë 🙂"}
    assert loaded.records == [] and loaded.torn_tail is None
    assert _files(root) == [f"alice/persona/interviews/{SID}.json"]
    with pytest.raises(ConflictError, match="already exists"):
        await store.create_session("alice", SID, {})


async def test_missing_session(store: ProfileStore) -> None:
    with pytest.raises(NotFound):
        await store.load_session("alice", SID)
    with pytest.raises(NotFound):
        await store.write_snapshot("alice", SID, {})
    with pytest.raises(NotFound):
        await store.append_journal("alice", SID, [{"a": 1}])
    with pytest.raises(NotFound):
        await store.write_training("alice", SID, "")
    with pytest.raises(NotFound):
        await store.delete_session("alice", SID)


async def test_atomic_writes_leave_no_temp_files(store: ProfileStore, root: Path) -> None:
    await _session(store)
    for n in range(5):
        await store.write_snapshot("alice", SID, {"n": n, "text": "ä" * n})
        await store.write_persona(
            "alice",
            json.dumps({"n": n}),
            expected_digest=(await store.read_persona("alice")).digest,
            now=NOW + timedelta(seconds=n),
        )
    await store.write_training("alice", SID, '{"a":1}\n')
    assert _temp_files(root) == []
    assert (await store.load_session("alice", SID)).snapshot == {"n": 4, "text": "ääää"}
    assert len(await store.list_backups("alice")) == 4


async def test_journal_append_and_reload(store: ProfileStore, root: Path) -> None:
    await _session(store)
    first = [{"type": "answer", "n": 1, "text": "line one\nline two"}]
    second = [{"type": "answer", "n": 2, "text": "日本語 \u2028 🙂"}, {"type": "edit", "n": 3}]
    await store.append_journal("alice", SID, first)
    await store.append_journal("alice", SID, second)
    await store.append_journal("alice", SID, [])
    loaded = await store.load_session("alice", SID)
    assert loaded.records == first + second
    assert loaded.torn_tail is None
    raw = (root / f"alice/persona/interviews/{SID}.jsonl").read_bytes()
    assert raw.count(b"\n") == 3 and raw.endswith(b"\n")
    assert b'{"type":"edit","n":3}\n' in raw  # compact lines, non-ASCII kept
    assert "日本語".encode() in raw


async def test_torn_last_line_is_tolerated_reported_and_repaired(
    store: ProfileStore, root: Path
) -> None:
    await _session(store)
    await store.append_journal("alice", SID, [{"n": 1}, {"n": 2}])
    journal = root / f"alice/persona/interviews/{SID}.jsonl"
    torn = b'{"n": 3, "text": "half wri'
    with journal.open("ab") as f:
        f.write(torn)  # a crash mid-append
    loaded = await store.load_session("alice", SID)
    assert loaded.records == [{"n": 1}, {"n": 2}]
    assert loaded.torn_tail == TornTail(
        line=3, length=len(torn), reason="line 1, column 18: Unterminated string starting at"
    )
    await store.append_journal("alice", SID, [{"n": 4}])
    loaded = await store.load_session("alice", SID)
    assert loaded.records == [{"n": 1}, {"n": 2}, {"n": 4}]
    assert loaded.torn_tail is None
    assert journal.read_bytes() == b'{"n":1}\n{"n":2}\n{"n":4}\n'


async def test_unterminated_but_parseable_last_line_counts_as_torn(
    store: ProfileStore, root: Path
) -> None:
    await _session(store)
    journal = root / f"alice/persona/interviews/{SID}.jsonl"
    journal.write_bytes(b'{"n":1}\n{"n":2}')  # the write stopped just before its newline
    loaded = await store.load_session("alice", SID)
    assert loaded.records == [{"n": 1}]
    assert loaded.torn_tail is not None
    assert (loaded.torn_tail.line, loaded.torn_tail.length) == (2, 7)
    await store.append_journal("alice", SID, [{"n": 3}])
    assert journal.read_bytes() == b'{"n":1}\n{"n":3}\n'


DAMAGED_LAST_LINES = [b"\x00\x00\x00", b'{"n": 2, "text": "bit-flipped\xff"}', b'{"n": 2,']


@pytest.mark.parametrize("bad_line", DAMAGED_LAST_LINES, ids=repr)
async def test_a_damaged_acknowledged_last_line_is_kept_reported_and_read_only(
    store: ProfileStore, root: Path, bad_line: bytes
) -> None:
    await _session(store)
    journal = root / f"alice/persona/interviews/{SID}.jsonl"
    damaged = b'{"n":1}\n' + bad_line + b"\n"  # the newline was written: it was acknowledged
    journal.write_bytes(damaged)
    loaded = await store.load_session("alice", SID)
    assert loaded.records == [{"n": 1}] and loaded.torn_tail is None
    assert loaded.damaged is not None and loaded.damaged.line == 2
    rel = f"alice/persona/interviews/{SID}.jsonl"
    assert loaded.damaged.kept_as == rel + ".damaged"
    assert (root / loaded.damaged.kept_as).read_bytes() == damaged
    with pytest.raises(CorruptFile) as info:
        await store.append_journal("alice", SID, [{"n": 3}])
    assert f"{rel} line 2" in info.value.message and "read-only" in info.value.message
    with pytest.raises(CorruptFile):
        await store.write_snapshot("alice", SID, {"id": SID, "state": "asking"})
    assert journal.read_bytes() == damaged  # nothing cut off, nothing added
    assert await store.list_session_ids("alice") == [SID]  # the copy is not another session


async def test_damage_is_found_by_an_append_without_a_load(root: Path) -> None:
    await _session(ProfileStore(root))
    journal = root / f"alice/persona/interviews/{SID}.jsonl"
    journal.write_bytes(b'{"n":1}\n{"n":2,"te\n')
    fresh = ProfileStore(root)  # a restarted server appending before it ever loaded
    with pytest.raises(CorruptFile, match="line 2 held an acknowledged record"):
        await fresh.append_journal("alice", SID, [{"n": 3}])
    assert journal.read_bytes() == b'{"n":1}\n{"n":2,"te\n'


async def test_a_repaired_journal_is_writable_again(store: ProfileStore, root: Path) -> None:
    await _session(store)
    journal = root / f"alice/persona/interviews/{SID}.jsonl"
    journal.write_bytes(b'{"n":1}\n{"n":2 broken}\n')
    assert (await store.load_session("alice", SID)).damaged is not None
    journal.write_bytes(b'{"n":1}\n{"n":2}\n')  # the operator fixed the line
    loaded = await store.load_session("alice", SID)
    assert loaded.damaged is None and loaded.records == [{"n": 1}, {"n": 2}]
    await store.append_journal("alice", SID, [{"n": 3}])
    assert journal.read_bytes() == b'{"n":1}\n{"n":2}\n{"n":3}\n'


async def test_appends_read_the_last_line_only_after_an_outside_change(
    store: ProfileStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspected: list[int] = []
    real = store_module._inspect_tail

    def counting(fd: int, size: int) -> Any:
        inspected.append(size)
        return real(fd, size)

    monkeypatch.setattr(store_module, "_inspect_tail", counting)
    await _session(store)
    for n in range(5):
        await store.append_journal("alice", SID, [{"n": n}])
    assert len(inspected) == 1  # the first append of this process checks how the file ends
    journal = root / f"alice/persona/interviews/{SID}.jsonl"
    with journal.open("ab") as f:
        f.write(b'{"n": 5, "to')  # another writer crashed mid-line
    await store.append_journal("alice", SID, [{"n": 6}])
    assert len(inspected) == 2  # the size changed behind our back: checked, torn tail cut
    assert [r["n"] for r in (await store.load_session("alice", SID)).records] == [0, 1, 2, 3, 4, 6]


async def test_torn_only_line(store: ProfileStore, root: Path) -> None:
    await _session(store)
    journal = root / f"alice/persona/interviews/{SID}.jsonl"
    journal.write_bytes(b'{"n"')
    loaded = await store.load_session("alice", SID)
    assert loaded.records == [] and loaded.torn_tail is not None
    assert loaded.torn_tail.line == 1
    await store.append_journal("alice", SID, [{"n": 1}])
    assert journal.read_bytes() == b'{"n":1}\n'


async def test_long_torn_tail_spanning_read_chunks(store: ProfileStore, root: Path) -> None:
    await _session(store)
    await store.append_journal("alice", SID, [{"n": 1, "pad": "p" * 200_000}])
    journal = root / f"alice/persona/interviews/{SID}.jsonl"
    with journal.open("ab") as f:
        f.write(b'{"n":2,"pad":"' + b"q" * 150_000)
    await store.append_journal("alice", SID, [{"n": 3}])
    records = (await store.load_session("alice", SID)).records
    assert [r["n"] for r in records] == [1, 3]


@pytest.mark.parametrize(
    "bad_line", [b"{not json}", b"[1, 2]", b"", b"\xff\xfe", b'{"n": 2'], ids=repr
)
async def test_corrupt_middle_line_raises(
    store: ProfileStore, root: Path, tmp_path: Path, bad_line: bytes
) -> None:
    await _session(store)
    journal = root / f"alice/persona/interviews/{SID}.jsonl"
    content = b'{"n":1}\n' + bad_line + b'\n{"n":3}\n'
    journal.write_bytes(content)
    with pytest.raises(CorruptFile) as info:
        await store.load_session("alice", SID)
    message = info.value.message
    assert f"alice/persona/interviews/{SID}.jsonl line 2" in message
    assert str(tmp_path) not in message
    assert journal.read_bytes() == content


async def test_corrupt_snapshot_raises(store: ProfileStore, root: Path, tmp_path: Path) -> None:
    await _session(store)
    snapshot = root / f"alice/persona/interviews/{SID}.json"
    snapshot.write_bytes(b'{"id": ')
    with pytest.raises(CorruptFile, match=rf"alice/persona/interviews/{SID}\.json") as info:
        await store.load_session("alice", SID)
    assert str(tmp_path) not in info.value.message
    snapshot.write_bytes(b"[]")
    with pytest.raises(CorruptFile, match="not an object"):
        await store.load_session("alice", SID)


async def test_journal_without_snapshot_is_corrupt(store: ProfileStore, root: Path) -> None:
    await _session(store)
    await store.append_journal("alice", SID, [{"n": 1}])
    (root / f"alice/persona/interviews/{SID}.json").unlink()
    with pytest.raises(CorruptFile, match="missing"):
        await store.load_session("alice", SID)
    assert await store.list_session_ids("alice") == [SID]


async def test_list_session_ids_scans_the_folder(store: ProfileStore, root: Path) -> None:
    assert await store.list_session_ids("alice") == []
    await _session(store, SID2)
    await _session(store, SID)
    folder = root / "alice/persona/interviews"
    for junk in ["index.json", "notes.txt", f".{SID}.json.0123abcd.tmp", "x.jsonl", SID + ".bak"]:
        (folder / junk).write_text("junk")
    (folder / "20250101T120000Z-ffffffff.jsonl").write_text("")  # a journal alone counts
    ids = await store.list_session_ids("alice")
    assert ids == [SID, "20250101T120000Z-ffffffff", SID2]
    assert await store.list_session_ids("bob") == []


async def test_delete_session_removes_everything(store: ProfileStore, root: Path) -> None:
    await _session(store)
    await _session(store, SID2)
    await store.append_journal("alice", SID, [{"n": 1}])
    path = await store.write_training("alice", SID, '{"messages":[]}\n')
    assert path == f"alice/memory/training/persona/{SID}.jsonl"
    stray = root / f"alice/persona/interviews/.{SID}.json.deadbeef.tmp"
    stray.write_text("left by a crash")
    removed = await store.delete_session("alice", SID)
    assert sorted(removed) == sorted(
        [
            f"alice/persona/interviews/{SID}.json",
            f"alice/persona/interviews/.{SID}.json.deadbeef.tmp",
            f"alice/persona/interviews/{SID}.jsonl",
            f"alice/memory/training/persona/{SID}.jsonl",
        ]
    )
    assert await store.list_session_ids("alice") == [SID2]
    assert _files(root) == [f"alice/persona/interviews/{SID2}.json"]
    with pytest.raises(NotFound):
        await store.delete_session("alice", SID)


async def test_delete_training_only(store: ProfileStore, root: Path) -> None:
    await _session(store)
    rel = await store.write_training("alice", SID, "x\n")
    assert await store.delete_training("alice", SID) == rel
    assert await store.delete_training("alice", SID) is None  # idempotent
    assert _files(root) == [f"alice/persona/interviews/{SID}.json"]
    with pytest.raises(InvalidName):
        await store.delete_training("alice", "../" + SID)


async def test_write_training(store: ProfileStore, root: Path) -> None:
    await _session(store)
    text = '{"messages":[{"role":"assistant","content":"Zażółć"}]}\n'
    rel = await store.write_training("alice", SID, text)
    assert (root / rel).read_text(encoding="utf-8") == text
    await store.write_training("alice", SID, "")
    assert (root / rel).read_bytes() == b""


# --- persona -----------------------------------------------------------------------------


async def test_persona_absent_then_written(store: ProfileStore, root: Path) -> None:
    absent = await store.read_persona("alice")
    assert absent.data is None and absent.digest == ABSENT
    text = json.dumps({"identity": {"name": "Zoë"}}, ensure_ascii=False)
    result = await store.write_persona("alice", text, expected_digest=ABSENT, now=NOW)
    assert result.backup is None and result.digest == digest_text(text)
    persona = await store.read_persona("alice")
    assert persona.data == {"identity": {"name": "Zoë"}} and persona.digest == result.digest
    assert (root / "alice/persona/core.json").read_text(encoding="utf-8") == text


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{\n  "a": 1,\n  "b": 2\n  "c": 3\n}', "(line 4, column 3: Expecting ','"),
        (b"", "line 1, column 1"),
        (b"[]", "not an object"),
        (b"null", "not an object"),
        (b'{"a": "\xff"}', "UTF-8"),
    ],
    ids=["syntax", "empty", "list", "null", "bytes"],
)
async def test_corrupt_persona_is_an_error_and_untouched(
    store: ProfileStore, root: Path, tmp_path: Path, content: bytes, fragment: str
) -> None:
    core = root / "alice/persona/core.json"
    core.parent.mkdir(parents=True)
    core.write_bytes(content)
    with pytest.raises(CorruptFile) as info:
        await store.read_persona("alice")
    message = info.value.message
    assert message.startswith("alice/persona/core.json is not valid JSON (")
    assert fragment in message
    assert "left unchanged" in message and "restore a backup" in message
    assert str(tmp_path) not in message
    assert core.read_bytes() == content
    # A write against any other digest (e.g. that of an empty persona) is refused.
    with pytest.raises(ConflictError):
        await store.write_persona("alice", "{}", expected_digest=ABSENT, now=NOW)
    assert core.read_bytes() == content


async def test_backup_before_every_write(store: ProfileStore, root: Path) -> None:
    versions = [json.dumps({"v": n}) for n in range(4)]
    digest = ABSENT
    backups = []
    for n, text in enumerate(versions):
        result = await store.write_persona(
            "alice", text, expected_digest=digest, now=NOW + timedelta(minutes=n)
        )
        digest = result.digest
        backups.append(result.backup)
    assert backups[0] is None
    assert backups[1:] == [
        "alice/persona/archive/core-20250101T120100123456Z.json",
        "alice/persona/archive/core-20250101T120200123456Z.json",
        "alice/persona/archive/core-20250101T120300123456Z.json",
    ]
    for n, backup in enumerate(backups[1:]):
        assert backup is not None
        assert (root / backup).read_text() == versions[n]
    listed = await store.list_backups("alice")
    assert [b.name for b in listed] == [
        "core-20250101T120300123456Z.json",
        "core-20250101T120200123456Z.json",
        "core-20250101T120100123456Z.json",
    ]
    assert listed[0].stamp == NOW + timedelta(minutes=3)
    assert listed[0].size == len(versions[2])
    assert await store.read_backup("alice", listed[0].name) == versions[2]


async def test_backup_never_overwritten_on_same_stamp(store: ProfileStore) -> None:
    digest = ABSENT
    backups = []
    for n in range(4):
        result = await store.write_persona(
            "alice", json.dumps({"v": n}), expected_digest=digest, now=NOW
        )
        digest = result.digest
        backups.append(result.backup)
    stamp = "core-20250101T120000123456Z"
    assert backups[1:] == [
        f"alice/persona/archive/{stamp}.json",
        f"alice/persona/archive/{stamp}-1.json",
        f"alice/persona/archive/{stamp}-2.json",
    ]
    listed = [b.name for b in await store.list_backups("alice")]
    assert listed == [f"{stamp}-2.json", f"{stamp}-1.json", f"{stamp}.json"]
    assert await store.read_backup("alice", f"{stamp}-1.json") == '{"v": 1}'


async def test_backups_of_missing_user_and_missing_backup(store: ProfileStore) -> None:
    assert await store.list_backups("alice") == []
    with pytest.raises(NotFound):
        await store.read_backup("alice", "core-20250101T120000000000Z.json")


async def test_stale_digest_is_a_conflict(store: ProfileStore, root: Path) -> None:
    first = await store.write_persona("alice", '{"v": 1}', expected_digest=ABSENT, now=NOW)
    preview = await store.read_persona("alice")
    # Someone else changes core.json after the preview.
    (root / "alice/persona/core.json").write_text('{"v": "edited by hand"}')
    with pytest.raises(ConflictError, match="changed since it was previewed"):
        await store.write_persona(
            "alice", '{"v": 2}', expected_digest=preview.digest, now=NOW + timedelta(seconds=1)
        )
    assert (root / "alice/persona/core.json").read_text() == '{"v": "edited by hand"}'
    assert await store.list_backups("alice") == []
    assert preview.digest == first.digest


async def test_concurrent_writers_one_wins(store: ProfileStore) -> None:
    base = await store.write_persona("alice", "{}", expected_digest=ABSENT, now=NOW)
    outcomes: list[str] = []

    async def writer(n: int) -> None:
        try:
            await store.write_persona(
                "alice", json.dumps({"w": n}), expected_digest=base.digest, now=NOW
            )
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")

    async with anyio.create_task_group() as tg:
        for n in range(8):
            tg.start_soon(writer, n)
    assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]
    assert len(await store.list_backups("alice")) == 1


async def test_new_persona_text_must_be_an_object(store: ProfileStore, root: Path) -> None:
    with pytest.raises(ValidationError, match="not a JSON object"):
        await store.write_persona("alice", "[1]", expected_digest=ABSENT, now=NOW)
    with pytest.raises(ValidationError, match="not a JSON object"):
        await store.write_persona("alice", "{", expected_digest=ABSENT, now=NOW)
    assert _listing(root.parent) == []


# --- users -------------------------------------------------------------------------------


async def test_users_are_scanned(store: ProfileStore, root: Path) -> None:
    assert await store.list_users() == []
    await store.ensure_user("bob")
    await store.ensure_user("alice")
    await store.ensure_user("alice")
    (root / "Not-A-User").mkdir()
    (root / "README.md").write_text("profiles")
    (root / "carol").write_text("a file, not a folder")
    assert await store.list_users() == ["alice", "bob"]
    assert (root / "alice/persona/interviews").is_dir()
    assert (root / "alice/persona/archive").is_dir()
    assert (root / "alice/memory/training/persona").is_dir()


# --- disk errors -------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["replace", "fsync"])
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO, errno.EACCES])
async def test_failed_persona_write_keeps_old_file(
    store: ProfileStore,
    root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    code: int,
) -> None:
    old = await store.write_persona("alice", '{"v": "old"}', expected_digest=ABSENT, now=NOW)
    before = _files(root)
    monkeypatch.setattr(f"server.store.os.{target}", _fail_with(code))
    with pytest.raises(StorageError) as info:
        await store.write_persona("alice", '{"v": "new"}', expected_digest=old.digest, now=NOW)
    monkeypatch.undo()
    message = info.value.message
    assert not isinstance(info.value, CorruptFile)
    assert message.startswith("could not save alice/persona/core.json: ")
    assert errno.errorcode[code] in message and "left unchanged" in message
    assert str(tmp_path) not in message
    assert (root / "alice/persona/core.json").read_text() == '{"v": "old"}'
    assert _temp_files(root) == []
    assert _files(root) == before  # not even a backup was left half-made
    assert (await store.read_persona("alice")).digest == old.digest


@pytest.mark.parametrize("target", ["replace", "fsync"])
async def test_failed_snapshot_write_keeps_old_file(
    store: ProfileStore, root: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    await store.create_session("alice", SID, {"v": "old"})
    monkeypatch.setattr(f"server.store.os.{target}", _fail_with(errno.ENOSPC))
    with pytest.raises(StorageError, match="disk is full"):
        await store.write_snapshot("alice", SID, {"v": "new"})
    with pytest.raises(StorageError, match="ENOSPC"):
        await store.write_training("alice", SID, "x\n")
    monkeypatch.undo()
    assert (await store.load_session("alice", SID)).snapshot == {"v": "old"}
    assert _temp_files(root) == []
    assert _files(root) == [f"alice/persona/interviews/{SID}.json"]


async def test_failed_folder_sync_after_replace_says_so(
    store: ProfileStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _session(store)
    real_fsync_dir = store_module._fsync_dir
    monkeypatch.setattr(store_module, "_fsync_dir", _fail_with(errno.EIO))
    with pytest.raises(StorageError, match="may not survive a power loss"):
        await store.write_snapshot("alice", SID, {"v": "new"})
    monkeypatch.setattr(store_module, "_fsync_dir", real_fsync_dir)
    assert _temp_files(root) == []


async def test_failed_append_cuts_back_the_partial_write(
    store: ProfileStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _session(store)
    await store.append_journal("alice", SID, [{"n": 1}])
    journal = root / f"alice/persona/interviews/{SID}.jsonl"
    real_write_all = store_module._write_all

    def half_then_full(fd: int, data: bytes) -> None:
        real_write_all(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device", str(journal))

    monkeypatch.setattr(store_module, "_write_all", half_then_full)
    with pytest.raises(StorageError) as info:
        await store.append_journal("alice", SID, [{"n": 2, "text": "x" * 100}])
    monkeypatch.undo()
    assert "could not append to alice/persona/interviews/" in info.value.message
    assert "ENOSPC" in info.value.message and str(root) not in info.value.message
    assert journal.read_bytes() == b'{"n":1}\n'
    await store.append_journal("alice", SID, [{"n": 3}])
    loaded = await store.load_session("alice", SID)
    assert loaded.records == [{"n": 1}, {"n": 3}] and loaded.torn_tail is None


async def test_failed_append_fsync_is_an_error(
    store: ProfileStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _session(store)
    await store.append_journal("alice", SID, [{"n": 1}])
    monkeypatch.setattr("server.store.os.fsync", _fail_with(errno.EIO))
    with pytest.raises(StorageError, match="EIO"):
        await store.append_journal("alice", SID, [{"n": 2}])
    monkeypatch.undo()
    assert (await store.load_session("alice", SID)).records == [{"n": 1}]


async def test_unreadable_file_is_a_storage_error(
    store: ProfileStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.write_persona("alice", "{}", expected_digest=ABSENT, now=NOW)
    monkeypatch.setattr(store_module, "_read_bytes", _fail_with(errno.EACCES))
    with pytest.raises(StorageError) as info:
        await store.read_persona("alice")
    assert info.value.message == (
        "could not read alice/persona/core.json: permission denied (EACCES)"
    )
    assert info.value.retryable and isinstance(info.value.__cause__, PermissionError)


# --- concurrency and crashes ---------------------------------------------------------------


async def test_concurrent_appends_are_serialized(store: ProfileStore) -> None:
    await _session(store)

    async def writer(w: int) -> None:
        for n in range(10):
            await store.append_journal("alice", SID, [{"w": w, "n": n, "pad": "z" * 5000}])

    async with anyio.create_task_group() as tg:
        for w in range(6):
            tg.start_soon(writer, w)
    loaded = await store.load_session("alice", SID)
    assert loaded.torn_tail is None and len(loaded.records) == 60
    for w in range(6):
        assert [r["n"] for r in loaded.records if r["w"] == w] == list(range(10))


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import anyio

    from server.store import ProfileStore


    async def main() -> None:
        store = ProfileStore(Path(sys.argv[1]))
        sid, run = sys.argv[2], int(sys.argv[3])
        n = 0
        while True:
            record = {"run": run, "n": n, "pad": "é" * (n * 7919 % 40000)}
            await store.append_journal("alice", sid, [record])
            print(n, flush=True)  # the ack: only after append_journal returned
            n += 1


    anyio.run(main)
    """
)


async def test_acknowledged_appends_survive_sigkill(store: ProfileStore, root: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    await _session(store)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    for run in range(5):
        argv = [sys.executable, "-c", CHILD, str(root), SID, str(run)]
        async with await anyio.open_process(argv, env=env, cwd=PROJECT_ROOT) as proc:
            assert proc.stdout is not None
            target = rng.randint(1, 30)
            buffer = b""
            acked = -1
            while acked < target:
                chunk = await proc.stdout.receive()
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                if lines:
                    acked = int(lines[-1])
                # The parent reads while the child writes: never a corrupt middle line.
                loaded = await store.load_session("alice", SID)
                assert len([r for r in loaded.records if r["run"] == run]) > acked
            await anyio.sleep(rng.uniform(0, 0.004))
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            async for chunk in proc.stdout:  # acks printed before the kill
                buffer += chunk
            for line in buffer.split(b"\n"):
                if line.strip():
                    acked = max(acked, int(line))
        assert proc.returncode == -signal.SIGKILL
        loaded = await store.load_session("alice", SID)
        got = [r["n"] for r in loaded.records if r["run"] == run]
        assert got == list(range(len(got))), f"seed={seed} run={run}"
        assert len(got) > acked, f"seed={seed} run={run}: acked {acked}, kept {len(got)}"
    await store.append_journal("alice", SID, [{"run": "parent", "n": 0}])
    loaded = await store.load_session("alice", SID)
    assert loaded.torn_tail is None and loaded.records[-1] == {"run": "parent", "n": 0}
    assert next(r["n"] for r in loaded.records if r["run"] == 0) == 0
