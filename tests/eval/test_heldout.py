"""The frozen held-out split: loaded as the headline when present, and verified unchanged."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from server.eval import profiles
from server.eval.profiles import load_heldout, load_splits

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "server" / "eval" / "data" / "heldout"


def _manifest_entries(manifest: Path) -> list[tuple[str, Path]]:
    """``sha256sum`` lines: (hex digest, the file it names, found beside the manifest or in
    the repository)."""
    entries = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        digest, name = line.split(maxsplit=1)
        name = name.lstrip("*").strip()
        candidates = [HELDOUT / name, ROOT / name, HELDOUT / "personas" / Path(name).name]
        found = next((path for path in candidates if path.is_file()), candidates[0])
        entries.append((digest.lower(), found))
    return entries


@pytest.mark.skipif(not HELDOUT.is_dir(), reason="no held-out split in this checkout")
def test_the_heldout_split_is_frozen() -> None:
    manifest = HELDOUT / "MANIFEST.sha256"
    assert manifest.is_file(), "the held-out split needs its MANIFEST.sha256"
    entries = _manifest_entries(manifest)
    listed = {path.resolve() for _, path in entries}
    for digest, path in entries:
        assert path.is_file(), f"{path} is listed in the manifest but missing"
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        assert actual == digest, f"{path.name} changed after it was frozen"
    for persona_file in (HELDOUT / "personas").glob("*.json"):
        assert persona_file.resolve() in listed, f"{persona_file.name} is not in the manifest"
    heldout = load_heldout()
    assert heldout is not None and len(heldout) >= 20


def test_splits_keep_tuning_and_dev_apart() -> None:
    splits = load_splits()
    assert len(splits["tuning"]) >= 16 and len(splits["dev"]) >= 3
    assert not {p.id for p in splits["tuning"]} & {p.id for p in splits["dev"]}
    assert all(p.dev for p in splits["dev"])


def test_a_missing_heldout_folder_reads_as_none_and_a_present_one_as_the_headline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profiles, "HELDOUT_FOLDER", ("data", "no-such-folder"))
    profiles.load_heldout.cache_clear()
    try:
        assert profiles.load_heldout() is None
        assert load_splits()["heldout"] == ()
    finally:
        profiles.load_heldout.cache_clear()


def test_a_bad_persona_file_is_named_in_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    eval_data = tmp_path / "data" / "heldout" / "personas"
    eval_data.mkdir(parents=True)
    (eval_data / "zed.json").write_text(json.dumps({"id": "zed"}), encoding="utf-8")

    class Folder:
        @staticmethod
        def joinpath(*parts: str) -> Path:
            return tmp_path.joinpath(*parts)

    monkeypatch.setattr("server.eval.profiles.resources.files", lambda _package: Folder())
    with pytest.raises(ValueError, match=r"zed\.json: not a valid persona"):
        profiles._read_folder(("data", "heldout", "personas"))
