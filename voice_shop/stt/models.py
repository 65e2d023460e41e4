"""Speech models on the device: what is installed, and the explicit download of Vosk models.

Nothing here runs implicitly: ``voice-shop models download NAME`` is the only path that
touches the network. The archive is streamed to a temporary file inside the models folder,
its SHA-256 is checked, it is unpacked into a temporary folder, checked to be a Vosk model,
and only then renamed into place, so a failed or interrupted download never leaves a
half-installed model where the recogniser would find it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError
from .vosk_engine import is_vosk_model_dir


@dataclass(frozen=True)
class ModelSpec:
    """An official model archive."""

    name: str
    url: str
    sha256: str | None
    """Pinned digest of the archive; None means the caller must give one."""
    size_mb: int
    description: str


REGISTRY = {
    spec.name: spec for spec in (
        ModelSpec("vosk-model-small-en-us-0.15",
                  "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
                  "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498", 40,
                  "Vosk small US English (runtime vocabulary supported): for devices"),
        ModelSpec("vosk-model-en-us-0.22-lgraph",
                  "https://alphacephei.com/vosk/models/vosk-model-en-us-0.22-lgraph.zip",
                  None, 128, "Vosk US English, larger, runtime vocabulary supported"),
    )
}
Progress = Callable[[int, int | None], None]
"""Called with (bytes so far, total bytes or None)."""


def _download(url: str, target: Path, progress: Progress | None) -> str:
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, target.open("wb") as out:
            total = response.headers.get("Content-Length")
            size = int(total) if total and total.isdigit() else None
            done = 0
            while block := response.read(1 << 16):
                out.write(block)
                digest.update(block)
                done += len(block)
                if progress:
                    progress(done, size)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ModelError(f"download of {url} failed: {exc}", code="download_failed") from exc
    return digest.hexdigest()


def _unpack(archive: Path, into: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                resolved = (into / member).resolve()
                if not resolved.is_relative_to(into.resolve()):
                    raise ModelError(f"archive entry {member!r} escapes the model folder")
            zf.extractall(into)
    except zipfile.BadZipFile as exc:
        raise ModelError(f"the downloaded archive is not a zip file: {exc}") from exc
    if is_vosk_model_dir(into):
        return into
    subfolders = [p for p in into.iterdir() if p.is_dir()]
    if len(subfolders) == 1 and is_vosk_model_dir(subfolders[0]):
        return subfolders[0]
    raise ModelError("the archive does not hold a Vosk model (no am/final.mdl or "
                     "conf/model.conf)", code="not_a_model")


def install_model(name: str, models_dir: Path, *, url: str | None = None,
                  sha256: str | None = None, progress: Progress | None = None,
                  replace: bool = False) -> Path:
    """Download, verify and atomically install a model as ``models_dir/name``."""
    spec = REGISTRY.get(name)
    if spec is None and url is None:
        known = ", ".join(sorted(REGISTRY))
        raise ModelError(f"unknown model {name!r}; known: {known} (or give --url and --sha256)",
                         code="unknown_model")
    url = url or (spec.url if spec else "")
    expected = (sha256 or (spec.sha256 if spec else None) or "").lower()
    if not expected:
        raise ModelError(f"no checksum is pinned for {name}; pass --sha256 with the digest "
                         "published for the archive", code="no_checksum")
    destination = models_dir / name
    if destination.exists() and not replace:
        raise ModelError(f"{destination} already exists (use --replace to reinstall)",
                         code="exists")
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".download-") as tmp:
        archive = Path(tmp) / "model.zip"
        actual = _download(url, archive, progress)
        if actual != expected:
            raise ModelError(f"checksum mismatch for {name}: expected {expected}, got {actual}; "
                             "nothing was installed", code="checksum_mismatch")
        unpacked = _unpack(archive, Path(tmp) / "unpacked")
        staged = Path(tmp) / "staged"
        os.replace(unpacked, staged)
        if destination.exists():
            shutil.rmtree(destination)
        os.replace(staged, destination)
    return destination


def installed_models(models_dir: Path) -> list[Path]:
    if not models_dir.is_dir():
        return []
    return [p for p in sorted(models_dir.iterdir()) if is_vosk_model_dir(p)]
