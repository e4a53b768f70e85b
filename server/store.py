"""The only code that touches profiles/: validated names, atomic writes, journal, backups.

The store keeps dicts and text; it knows nothing of interviews. Its layout under the profiles
root, one folder per user::

    <user>/persona/core.json                               the persona
    <user>/persona/archive/core-<UTC stamp>.json           backup written before every write
    <user>/persona/interviews/<session_id>.json            session snapshot (a JSON object)
    <user>/persona/interviews/<session_id>.jsonl           append-only journal, one object a line
    <user>/memory/training/persona/<session_id>.jsonl      training export

Rules this module keeps:

- Names are checked against strict patterns (:func:`validate_user`,
  :func:`validate_session_id`, backup names) before any path is built.
- Every whole-file write is atomic: a temp file in the same folder, written, fsynced, moved
  over the target with ``os.replace``, then the folder is fsynced. A reader sees the old or the
  new file, never a mix; a failed write removes its temp file and leaves the old file as it was.
- :meth:`ProfileStore.append_journal` returns only after the lines are fsynced, so anything
  acknowledged after it returns survives ``kill -9``. A crash mid-append can leave one torn
  last line *without* its newline; loading tolerates and reports it, the next append cuts it
  off. A last line that *has* its newline but does not parse was acknowledged and then
  damaged: it is never cut off. The journal is copied aside (``<id>.jsonl.damaged``), the
  session loads read-only (every later write raises :class:`~server.errors.CorruptFile`
  naming the file) until someone repairs the line.
- A file that exists but cannot be parsed raises :class:`~server.errors.CorruptFile`; it is
  never treated as empty and never overwritten by a read.
- ``OSError`` is translated here, and only here, into :class:`~server.errors.StorageError`.
  Messages name files by their path relative to the profiles root, never an absolute path.
- Blocking I/O runs in worker threads (``anyio.to_thread``). Writes to one file are serialized
  by one ``anyio.Lock`` per file within this process; use one ``ProfileStore`` per root.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from server.errors import (
    ConflictError,
    CorruptFile,
    InvalidName,
    NotFound,
    StorageError,
    ValidationError,
)

__all__ = [
    "ABSENT",
    "BackupInfo",
    "DamagedLine",
    "LoadedSession",
    "PersonaFile",
    "PersonaWrite",
    "ProfileStore",
    "TornTail",
    "digest_bytes",
    "digest_text",
    "new_session_id",
    "validate_backup_name",
    "validate_session_id",
    "validate_user",
]

JSONObject = dict[str, Any]
T = TypeVar("T")

log = logging.getLogger("personagen.store")

#: The digest of a persona file that does not exist.
ABSENT = "absent"

# re.ASCII: without it ``\d`` also matches digits of other scripts ("٣").
_USER_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}", re.ASCII)
_SESSION_ID_RE = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}", re.ASCII)
_BACKUP_RE = re.compile(r"core-(\d{8}T\d{12}Z)(?:-([1-9]\d{0,5}))?\.json", re.ASCII)
_SESSION_STAMP = "%Y%m%dT%H%M%SZ"
_BACKUP_STAMP = "%Y%m%dT%H%M%S%fZ"
_SHOWN_MAX = 40
_READ_CHUNK = 1 << 16


# --- names -------------------------------------------------------------------------------


def _shown(value: object) -> str:
    """``repr`` of what came, cut short so a huge or hostile value cannot flood a message."""
    text = repr(value)
    return text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 3] + "..."


def validate_user(name: str) -> str:
    """Return ``name`` if it is a valid user name, else raise :class:`InvalidName`."""
    if not isinstance(name, str) or _USER_RE.fullmatch(name) is None:
        raise InvalidName(
            "a user name must be 1 to 32 characters: a lowercase letter a-z, then lowercase "
            f"letters, digits, '_' or '-' (pattern ^[a-z][a-z0-9_-]{{0,31}}$); got {_shown(name)}"
        )
    return name


def validate_session_id(sid: str) -> str:
    """Return ``sid`` if it is a valid session id, else raise :class:`InvalidName`."""
    if not isinstance(sid, str) or _SESSION_ID_RE.fullmatch(sid) is None:
        raise InvalidName(
            "a session id must be a UTC stamp and 8 hex digits like 20250101T120000Z-0123abcd "
            f"(pattern ^\\d{{8}}T\\d{{6}}Z-[0-9a-f]{{8}}$); got {_shown(sid)}"
        )
    return sid


def validate_backup_name(name: str) -> str:
    """Return ``name`` if it is a valid backup file name, else raise :class:`InvalidName`."""
    if not isinstance(name, str) or _BACKUP_RE.fullmatch(name) is None:
        raise InvalidName(
            "a backup name must look like core-20250101T120000000000Z.json (optionally with "
            f"a -N suffix before .json); got {_shown(name)}"
        )
    return name


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {now!r}")
    return now.astimezone(UTC)


def new_session_id(now: datetime) -> str:
    """A fresh session id: the UTC stamp of ``now`` (timezone-aware) and 8 random hex digits."""
    return f"{_utc(now).strftime(_SESSION_STAMP)}-{secrets.token_hex(4)}"


def digest_bytes(data: bytes) -> str:
    """The digest :meth:`ProfileStore.read_persona` reports for a file holding ``data``."""
    return hashlib.sha256(data).hexdigest()


def digest_text(text: str) -> str:
    """The digest of ``text`` once written as UTF-8 (what :meth:`write_persona` returns)."""
    return digest_bytes(text.encode("utf-8"))


# --- results -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TornTail:
    """A last journal line without its newline: a crash stopped the append mid-write.

    ``line`` is 1-based; ``length`` is the byte length of the line, i.e. what the next append
    cuts off. It was never acknowledged (acknowledgement waits for the fsync of the newline).
    """

    line: int
    length: int
    reason: str


@dataclasses.dataclass(frozen=True)
class DamagedLine:
    """A newline-terminated last journal line that does not parse: an acknowledged record
    damaged after it was written. Nothing is cut off; ``kept_as`` names the copy made aside and
    ``message`` is the error every later write of the session raises."""

    line: int
    reason: str
    kept_as: str
    message: str


@dataclasses.dataclass(frozen=True)
class LoadedSession:
    snapshot: JSONObject
    records: list[JSONObject]
    torn_tail: TornTail | None = None
    damaged: DamagedLine | None = None


@dataclasses.dataclass(frozen=True)
class PersonaFile:
    """``core.json`` as read: ``data`` is None only when the file does not exist."""

    data: JSONObject | None
    digest: str


@dataclasses.dataclass(frozen=True)
class PersonaWrite:
    """What :meth:`ProfileStore.write_persona` did: the backup it made and the new digest."""

    backup: str | None
    digest: str


@dataclasses.dataclass(frozen=True)
class BackupInfo:
    name: str
    stamp: datetime
    size: int


# --- OSError translation -------------------------------------------------------------------

_ERRNO_TEXT: dict[int, str] = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EIO: "the disk reported an input/output error",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "a folder is in the way",
    errno.ENAMETOOLONG: "the path is too long",
}


def _reason(exc: OSError) -> str:
    """Why an OSError happened, without its file names (which are absolute)."""
    code = exc.errno
    if code is None:
        return type(exc).__name__
    text = _ERRNO_TEXT.get(code) or os.strerror(code)
    return f"{text} ({errno.errorcode.get(code, code)})"


def _storage_error(exc: OSError, what: str, consequence: str = "") -> StorageError:
    message = f"{what}: {_reason(exc)}"
    if consequence:
        message += f"; {consequence}"
    return StorageError(message)


# --- blocking helpers (run in worker threads) ----------------------------------------------


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_bytes(path: Path) -> bytes | None:
    """The whole file, or None if it does not exist."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        chunks: list[bytes] = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_dirs(path: Path) -> None:
    """``mkdir -p`` that fsyncs each parent that gained an entry, so new folders are durable."""
    missing: list[Path] = []
    probe = path
    while not probe.is_dir():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            continue
        _fsync_dir(folder.parent)


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


def _temp_files(path: Path) -> list[Path]:
    """Temp files an interrupted atomic write of ``path`` may have left behind."""
    prefix = f".{path.name}."
    try:
        names = os.listdir(path.parent)
    except FileNotFoundError:
        return []
    return [
        path.parent / name
        for name in names
        if name.startswith(prefix) and name.endswith(".tmp") and len(name) == len(prefix) + 12
    ]


def _decode_object(data: bytes) -> tuple[JSONObject | None, str]:
    """Parse ``data`` as one JSON object; on failure return None and what was wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not valid UTF-8 at byte {exc.start}"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except RecursionError:
        return None, "nested too deeply"
    if not isinstance(value, dict):
        return None, f"a JSON {type(value).__name__}, not an object"
    return value, ""


def _last_line_start(fd: int, end: int) -> int:
    """Offset just after the last newline before ``end`` (0 if there is none)."""
    pos = end
    while pos > 0:
        low = max(0, pos - _READ_CHUNK)
        chunk = os.pread(fd, pos - low, low)
        found = chunk.rfind(b"\n")
        if found >= 0:
            return low + found + 1
        pos = low
    return 0


@dataclasses.dataclass(frozen=True)
class _Tail:
    """How a journal ends: ``keep`` bytes are sound; past them lies a torn tail or damage."""

    keep: int
    damaged_line: int = 0  # 1-based number of a terminated, unparseable last line; 0 if none
    reason: str = ""


def _inspect_tail(fd: int, size: int) -> _Tail:
    """Same rule as :func:`_parse_journal`, reading only the last line.

    An unterminated last line is torn (``keep`` is where it starts); a terminated one that does
    not parse is damage (``keep`` is the whole file: nothing may be cut).
    """
    if size == 0:
        return _Tail(0)
    if os.pread(fd, 1, size - 1) != b"\n":
        return _Tail(_last_line_start(fd, size))
    start = _last_line_start(fd, size - 1)
    record, problem = _decode_object(os.pread(fd, size - 1 - start, start))
    if record is not None:
        return _Tail(size)
    line = 1
    pos = 0
    while pos < start:  # count lines only on this rare path
        chunk = os.pread(fd, min(_READ_CHUNK, start - pos), pos)
        line += chunk.count(b"\n")
        pos += len(chunk)
    return _Tail(size, damaged_line=line, reason=problem)


def _parse_journal(
    data: bytes, rel: str
) -> tuple[list[JSONObject], TornTail | None, tuple[int, str] | None]:
    """Records, a torn tail (unterminated last line), and (line, reason) of a damaged last line."""
    if not data:
        return [], None, None
    terminated = data.endswith(b"\n")
    lines = data.split(b"\n")
    if terminated:
        lines.pop()
    records: list[JSONObject] = []
    last = len(lines) - 1
    for index, line in enumerate(lines):
        record, problem = _decode_object(line)
        if index == last and not terminated:
            reason = problem if record is None else "no newline at the end"
            return records, TornTail(line=index + 1, length=len(line), reason=reason), None
        if index == last and record is None:
            return records, None, (index + 1, problem)
        if record is None:
            raise CorruptFile(
                f"{rel} line {index + 1} is not a valid journal record ({problem}); only the "
                "last line can be torn by a crash, so the file was damaged and was left "
                "unchanged — repair or remove that line"
            )
        records.append(record)
    return records, None, None


def _dump_object(value: JSONObject, *, indent: int | None = None) -> bytes:
    if not isinstance(value, dict):
        raise TypeError(f"expected a dict, got {type(value).__name__}")
    separators = (",", ": ") if indent else (",", ":")
    text = json.dumps(
        value, ensure_ascii=False, allow_nan=False, indent=indent, separators=separators
    )
    return text.encode("utf-8")


# --- per-file locks --------------------------------------------------------------------------


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = anyio.Lock()
        self.users = 0


class _FileLocks:
    """One ``anyio.Lock`` per file key, dropped again when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    @contextlib.asynccontextmanager
    async def hold(self, *keys: str) -> AsyncIterator[None]:
        ordered = sorted(set(keys))  # one global order: no deadlock between multi-file holders
        entries = []
        for key in ordered:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry()
            entry.users += 1
            entries.append(entry)
        try:
            async with contextlib.AsyncExitStack() as stack:
                for entry in entries:
                    await stack.enter_async_context(entry.lock)
                yield
        finally:
            for key, entry in zip(ordered, entries, strict=True):
                entry.users -= 1
                if entry.users == 0:
                    del self._entries[key]


# --- the store -------------------------------------------------------------------------------


class ProfileStore:
    """Async access to one profiles root. All I/O methods are async and run in threads."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._locks = _FileLocks()
        # Journal path -> its size when this process last saw it end cleanly; an append whose
        # file still has that size skips re-reading the last line (only a crash, or another
        # writer, can have changed how it ends).
        self._clean_ends: dict[str, int] = {}
        # Journal path -> the damage found in it; the session is read-only until it is repaired.
        self._damaged: dict[str, DamagedLine] = {}

    # paths: every one is built from validated names only

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _user_dir(self, user: str) -> Path:
        return self.root / validate_user(user)

    def _core(self, user: str) -> Path:
        return self._user_dir(user) / "persona" / "core.json"

    def _archive(self, user: str) -> Path:
        return self._user_dir(user) / "persona" / "archive"

    def _interviews(self, user: str) -> Path:
        return self._user_dir(user) / "persona" / "interviews"

    def _training_dir(self, user: str) -> Path:
        return self._user_dir(user) / "memory" / "training" / "persona"

    def _snapshot(self, user: str, sid: str) -> Path:
        return self._interviews(user) / f"{validate_session_id(sid)}.json"

    def _journal(self, user: str, sid: str) -> Path:
        return self._interviews(user) / f"{validate_session_id(sid)}.jsonl"

    def _training(self, user: str, sid: str) -> Path:
        return self._training_dir(user) / f"{validate_session_id(sid)}.jsonl"

    # running blocking work

    async def _io(self, fn: Callable[[], T], what: str, consequence: str = "") -> T:
        try:
            return await anyio.to_thread.run_sync(fn)
        except OSError as exc:
            raise _storage_error(exc, what, consequence) from exc

    def _write_atomic(self, path: Path, data: bytes) -> None:
        """Temp file in the same folder, write, fsync, ``os.replace``, fsync the folder."""
        tmp = _temp_name(path)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        try:
            _fsync_dir(path.parent)
        except OSError as exc:
            raise _storage_error(
                exc,
                f"{self._rel(path)} was written but its folder could not be synced",
                "the new version may not survive a power loss",
            ) from exc

    def _require_session(self, user: str, sid: str) -> None:
        if not self._snapshot(user, sid).exists():
            raise NotFound(f"no session {sid} for user {user}")

    # users

    async def list_users(self) -> list[str]:
        """Valid user names with a folder under the root, sorted (derived by scanning)."""

        def scan() -> list[str]:
            try:
                entries = list(os.scandir(self.root))
            except FileNotFoundError:
                return []
            return sorted(
                e.name for e in entries if _USER_RE.fullmatch(e.name) is not None and e.is_dir()
            )

        return await self._io(scan, "could not list the profiles folder")

    async def rename_user(self, old: str, new: str) -> None:
        """Move a user's whole folder to a new name, atomically (one ``rename`` in the root).

        NotFound when ``old`` has no folder; ConflictError when ``new`` already has one.
        """
        source, target = self._user_dir(old), self._user_dir(new)

        def move() -> None:
            if not source.is_dir():
                raise NotFound(f"no user {old!r} in {self.root}")
            if target.exists():
                raise ConflictError(f"{new!r} is taken: {target} already exists")
            os.rename(source, target)
            _fsync_dir(self.root)

        await self._io(move, f"could not rename {old} to {new}")

    async def ensure_user(self, user: str) -> None:
        """Create the user's folders (idempotent)."""
        folders = [
            self._interviews(user),
            self._archive(user),
            self._training_dir(user),
        ]

        def make() -> None:
            for folder in folders:
                _make_dirs(folder)

        await self._io(make, f"could not create the folders of {user}")

    # sessions

    async def create_session(self, user: str, sid: str, snapshot: JSONObject) -> None:
        """Write the first snapshot of a new session; :class:`ConflictError` if it exists."""
        snapshot_path, journal = self._snapshot(user, sid), self._journal(user, sid)
        data = _dump_object(snapshot, indent=2) + b"\n"

        def create() -> None:
            if snapshot_path.exists() or journal.exists():
                raise ConflictError(f"session {sid} of user {user} already exists")
            _make_dirs(snapshot_path.parent)
            self._write_atomic(snapshot_path, data)

        async with self._locks.hold(str(snapshot_path), str(journal)):
            await self._io(create, f"could not create {self._rel(snapshot_path)}")

    async def write_snapshot(self, user: str, sid: str, snapshot: JSONObject) -> None:
        """Atomically replace the snapshot of an existing session."""
        path = self._snapshot(user, sid)
        data = _dump_object(snapshot, indent=2) + b"\n"

        def write() -> None:
            self._require_session(user, sid)
            self._refuse_if_damaged(str(self._journal(user, sid)))
            self._write_atomic(path, data)

        async with self._locks.hold(str(path)):
            await self._io(
                write,
                f"could not save {self._rel(path)}",
                "the snapshot saved before was left unchanged",
            )

    async def append_journal(self, user: str, sid: str, records: Sequence[JSONObject]) -> None:
        """Append one compact JSON line per record; returns only once they are fsynced.

        A torn last line left by a crash mid-append (it was never acknowledged) is cut off
        first. A damaged acknowledged line is never cut: :class:`CorruptFile` instead. On
        failure the journal is cut back to where it was: nothing is half-written.
        """
        path = self._journal(user, sid)
        key = str(path)
        data = b"".join(_dump_object(record) + b"\n" for record in records)
        if not data:
            return

        def append() -> None:
            self._require_session(user, sid)
            self._refuse_if_damaged(key)
            created = not path.exists()
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                size = os.fstat(fd).st_size
                keep = size if self._clean_ends.get(key) == size else self._sound_end(fd, path)
                self._clean_ends.pop(key, None)
                if keep < size:
                    os.ftruncate(fd, keep)
                try:
                    _write_all(fd, data)
                    os.fsync(fd)
                except OSError:
                    with contextlib.suppress(OSError):
                        os.ftruncate(fd, keep)
                        os.fsync(fd)
                    raise
                self._clean_ends[key] = keep + len(data)
            finally:
                os.close(fd)
            if created:
                _fsync_dir(path.parent)

        async with self._locks.hold(key):
            await self._io(
                append,
                f"could not append to {self._rel(path)}",
                "records saved before are intact, these were not saved",
            )

    def _sound_end(self, fd: int, path: Path) -> int:
        """Where the next append may write: past a torn tail, or raise for damage."""
        tail = _inspect_tail(fd, os.fstat(fd).st_size)
        if tail.damaged_line:
            self._note_damage(path, tail.damaged_line, tail.reason)
            self._refuse_if_damaged(str(path))
        return tail.keep

    def _note_damage(self, path: Path, line: int, reason: str) -> DamagedLine:
        """Copy a damaged journal aside (once) and remember it; the original stays untouched."""
        copy = path.with_name(path.name + ".damaged")
        if not copy.exists():
            data = _read_bytes(path)
            if data is not None:
                self._write_atomic(copy, data)
        rel, kept = self._rel(path), self._rel(copy)
        damaged = DamagedLine(
            line=line,
            reason=reason,
            kept_as=kept,
            message=f"{rel} line {line} held an acknowledged record and is damaged ({reason}); "
            f"a copy is kept as {kept} and nothing was cut off. The session is read-only until "
            "that line is repaired or removed",
        )
        if self._damaged.get(str(path)) != damaged:
            log.error("%s", damaged.message)
        self._damaged[str(path)] = damaged
        return damaged

    def _refuse_if_damaged(self, key: str) -> None:
        damaged = self._damaged.get(key)
        if damaged is not None:
            raise CorruptFile(damaged.message)

    async def load_session(self, user: str, sid: str) -> LoadedSession:
        """The snapshot and every journal record; a torn last line is left out and reported."""
        snapshot_path, journal = self._snapshot(user, sid), self._journal(user, sid)
        snapshot_rel, journal_rel = self._rel(snapshot_path), self._rel(journal)

        def load() -> LoadedSession:
            snapshot_data = _read_bytes(snapshot_path)
            journal_data = _read_bytes(journal)
            if snapshot_data is None:
                if journal_data is None:
                    raise NotFound(f"no session {sid} for user {user}")
                raise CorruptFile(
                    f"{snapshot_rel} is missing but its journal {journal_rel} exists; "
                    "the session cannot be loaded — delete it or restore the snapshot"
                )
            snapshot, problem = _decode_object(snapshot_data)
            if snapshot is None:
                raise CorruptFile(
                    f"{snapshot_rel} is not valid JSON ({problem}); it was left unchanged"
                )
            records, torn, damage = _parse_journal(journal_data or b"", journal_rel)
            key = str(journal)
            self._damaged.pop(key, None)  # repaired by hand since, perhaps: judge afresh
            self._clean_ends.pop(key, None)
            damaged = None
            if damage is not None:
                damaged = self._note_damage(journal, *damage)
            elif torn is None and journal_data is not None:
                self._clean_ends[key] = len(journal_data)
            return LoadedSession(
                snapshot=snapshot, records=records, torn_tail=torn, damaged=damaged
            )

        async with self._locks.hold(str(snapshot_path), str(journal)):
            return await self._io(load, f"could not read session {sid} of {user}")

    async def list_session_ids(self, user: str) -> list[str]:
        """Ids of the user's sessions (snapshot or journal present), sorted; from a scan."""
        folder = self._interviews(user)

        def scan() -> list[str]:
            try:
                names = os.listdir(folder)
            except FileNotFoundError:
                return []
            ids: set[str] = set()
            for name in names:
                stem, dot, ext = name.partition(".")
                if dot and ext in ("json", "jsonl") and _SESSION_ID_RE.fullmatch(stem):
                    ids.add(stem)
            return sorted(ids)

        return await self._io(scan, f"could not list {self._rel(folder)}")

    async def delete_session(self, user: str, sid: str) -> list[str]:
        """Remove the snapshot, journal and training export (and stray temp files of them).

        Returns the relative paths removed; :class:`NotFound` if there was nothing.
        """
        paths = [self._snapshot(user, sid), self._journal(user, sid), self._training(user, sid)]

        def delete() -> list[str]:
            removed: list[str] = []
            folders: set[Path] = set()
            for path in paths:
                for victim in [path, *_temp_files(path)]:
                    try:
                        os.unlink(victim)
                    except FileNotFoundError:
                        continue
                    removed.append(self._rel(victim))
                    folders.add(victim.parent)
            for folder in sorted(folders):
                _fsync_dir(folder)
            for path in paths:
                self._clean_ends.pop(str(path), None)
                self._damaged.pop(str(path), None)
            if not removed:
                raise NotFound(f"no session {sid} for user {user}")
            return removed

        async with self._locks.hold(*(str(path) for path in paths)):
            return await self._io(delete, f"could not delete session {sid} of {user}")

    async def write_training(self, user: str, sid: str, text: str) -> str:
        """Atomically write the session's training export; returns its relative path."""
        path = self._training(user, sid)
        data = text.encode("utf-8")

        def write() -> None:
            self._require_session(user, sid)
            _make_dirs(path.parent)
            self._write_atomic(path, data)

        async with self._locks.hold(str(path)):
            await self._io(
                write,
                f"could not save {self._rel(path)}",
                "the export saved before, if any, was left unchanged",
            )
        return self._rel(path)

    async def read_training(self, user: str, sid: str) -> str | None:
        """The session's training export, or None when none was written."""
        path = self._training(user, sid)

        def read() -> str | None:
            try:
                return path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return None

        return await self._io(read, f"could not read {self._rel(path)}")

    async def delete_training(self, user: str, sid: str) -> str | None:
        """Remove the session's training export (and stray temp files of it), if any.

        Idempotent: returns the relative path removed, or None when there was no export.
        """
        path = self._training(user, sid)

        def delete() -> str | None:
            removed = None
            for victim in [path, *_temp_files(path)]:
                try:
                    os.unlink(victim)
                except FileNotFoundError:
                    continue
                if victim == path:
                    removed = self._rel(path)
            if removed is not None:
                _fsync_dir(path.parent)
            return removed

        async with self._locks.hold(str(path)):
            return await self._io(delete, f"could not delete {self._rel(path)}")

    # persona

    async def read_persona(self, user: str) -> PersonaFile:
        """``core.json`` parsed, with the sha256 of its bytes; :class:`CorruptFile` if bad."""
        path = self._core(user)
        rel = self._rel(path)

        def read() -> PersonaFile:
            data = _read_bytes(path)
            if data is None:
                return PersonaFile(data=None, digest=ABSENT)
            value, problem = _decode_object(data)
            if value is None:
                raise CorruptFile(
                    f"{rel} is not valid JSON ({problem}); it was left unchanged — fix it or "
                    "restore a backup"
                )
            return PersonaFile(data=value, digest=digest_bytes(data))

        return await self._io(read, f"could not read {rel}")

    async def write_persona(
        self, user: str, text: str, *, expected_digest: str, now: datetime
    ) -> PersonaWrite:
        """Back up the current ``core.json``, then atomically replace it with ``text``.

        ``expected_digest`` is the digest the caller previewed against (:data:`ABSENT` if
        there was no file); if ``core.json`` changed since, :class:`ConflictError`.
        """
        path, archive = self._core(user), self._archive(user)
        rel = self._rel(path)
        stamp = _utc(now).strftime(_BACKUP_STAMP)
        data = text.encode("utf-8")
        parsed, problem = _decode_object(data)
        if parsed is None:
            raise ValidationError(
                f"the new persona is not a JSON object ({problem}); {rel} was left unchanged"
            )

        def write() -> PersonaWrite:
            current = _read_bytes(path)
            digest = ABSENT if current is None else digest_bytes(current)
            if digest != expected_digest:
                raise ConflictError(
                    f"{rel} changed since it was previewed (expected {expected_digest[:12]}, "
                    f"found {digest[:12]}); review the changes again"
                )
            backup: str | None = None
            if current is not None:
                _make_dirs(archive)
                target = archive / f"core-{stamp}.json"
                suffix = 0
                while target.exists():  # never overwrite a backup
                    suffix += 1
                    target = archive / f"core-{stamp}-{suffix}.json"
                self._write_atomic(target, current)
                backup = self._rel(target)
            else:
                _make_dirs(path.parent)
            self._write_atomic(path, data)
            return PersonaWrite(backup=backup, digest=digest_bytes(data))

        async with self._locks.hold(str(path)):
            return await self._io(write, f"could not save {rel}", f"{rel} was left unchanged")

    async def list_backups(self, user: str) -> list[BackupInfo]:
        """Backups of ``core.json``, newest first."""
        archive = self._archive(user)

        def scan() -> list[tuple[BackupInfo, int]]:
            try:
                entries = list(os.scandir(archive))
            except FileNotFoundError:
                return []
            found = []
            for entry in entries:
                match = _BACKUP_RE.fullmatch(entry.name)
                if match is None or not entry.is_file():
                    continue
                stamp = datetime.strptime(match[1], _BACKUP_STAMP).replace(tzinfo=UTC)
                info = BackupInfo(name=entry.name, stamp=stamp, size=entry.stat().st_size)
                found.append((info, int(match[2] or 0)))
            return found

        found = await self._io(scan, f"could not list {self._rel(archive)}")
        found.sort(key=lambda item: (item[0].stamp, item[1]), reverse=True)
        return [info for info, _ in found]

    async def read_backup(self, user: str, name: str) -> str:
        """The text of one backup, by the name :meth:`list_backups` gave."""
        path = self._archive(user) / validate_backup_name(name)
        rel = self._rel(path)

        def read() -> str:
            data = _read_bytes(path)
            if data is None:
                raise NotFound(f"no backup {name} for user {user}")
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CorruptFile(f"{rel} is not valid UTF-8 (byte {exc.start})") from exc

        return await self._io(read, f"could not read {rel}")

    # credentials: hashed tokens per user, and the server's cookie-signing key

    def _auth(self, user: str) -> Path:
        return self._user_dir(user) / "auth.json"

    async def read_auth(self, user: str) -> JSONObject | None:
        """The user's credential record (hashes only), or None when the user has none."""
        path = self._auth(user)
        rel = self._rel(path)

        def read() -> JSONObject | None:
            data = _read_bytes(path)
            if data is None:
                return None
            value, problem = _decode_object(data)
            if value is None:
                raise CorruptFile(f"{rel} is not valid JSON ({problem})")
            return value

        return await self._io(read, f"could not read {rel}")

    @contextlib.asynccontextmanager
    async def auth_locked(self, user: str) -> AsyncIterator[None]:
        """Hold the user's credential record for a read-check-write.

        An in-process lock orders this server's own requests; an exclusive ``flock`` on
        ``<user>/.auth.lock`` orders them against other processes (``personagen users …`` run
        beside a server). Without both, two redemptions of one ticket could both succeed, and a
        redemption could write back the token hash a rotation had just replaced.
        """
        path = self._user_dir(user) / ".auth.lock"
        async with self._locks.hold(str(path)):

            def acquire() -> int:
                try:  # never creates the user's folder: a guessed name must leave no trace
                    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                except FileNotFoundError:
                    raise NotFound(f"no user {user!r}") from None
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                return fd

            fd = await self._io(acquire, f"could not lock the credentials of {user}")
            try:
                yield
            finally:
                os.close(fd)  # closing releases the flock

    async def write_auth(self, user: str, record: JSONObject) -> None:
        """Atomically replace the user's credential record (mode 0600)."""
        path = self._auth(user)
        data = _dump_object(record, indent=2) + b"\n"

        def write() -> None:
            _make_dirs(path.parent)
            self._write_atomic(path, data)

        async with self._locks.hold(str(path)):
            await self._io(write, f"could not save {self._rel(path)}")

    async def server_secret(self) -> bytes:
        """The key that signs login cookies; created once (0600) so logins survive restarts."""
        path = self.root / ".personagen-secret"

        def read_or_create() -> bytes:
            existing = _read_bytes(path)
            if existing is not None and len(existing) >= 32:
                return existing
            _make_dirs(self.root)
            self._write_atomic(path, secrets.token_bytes(32))
            data = _read_bytes(path)
            assert data is not None
            return data

        async with self._locks.hold(str(path)):
            return await self._io(read_or_create, "could not read or create the server secret")
