"""Model download against a local HTTP server serving an archive the test builds, and the
Vosk engine's clear errors (no English Vosk model can be fetched on this machine)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from voice_shop.errors import ModelError, SpeechToTextError
from voice_shop.stt.domain import build_domain
from voice_shop.stt.models import install_model, installed_models
from voice_shop.stt.vosk_engine import VoskSTT, find_vosk_model, vosk_grammar

from .test_cli import run


def _model_zip(path: Path, *, top: str = "vosk-model-test", valid: bool = True) -> str:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{top}/README", "test model")
        if valid:
            zf.writestr(f"{top}/am/final.mdl", b"\0" * 1024)
            zf.writestr(f"{top}/conf/model.conf", "--sample-frequency=16000\n")
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()


def test_download_verifies_and_installs(server: tuple[str, Path], tmp_path: Path) -> None:
    url, root = server
    digest = _model_zip(root / "m.zip")
    models = tmp_path / "models"
    seen: list[int] = []
    path = install_model("vosk-model-test", models, url=f"{url}/m.zip", sha256=digest,
                         progress=lambda done, total: seen.append(done))
    assert path == models / "vosk-model-test"
    assert (path / "am" / "final.mdl").exists() and seen[-1] == (root / "m.zip").stat().st_size
    assert installed_models(models) == [path] and find_vosk_model(models) == path
    assert [p.name for p in models.iterdir()] == ["vosk-model-test"]  # no temp files left


def test_checksum_mismatch_installs_nothing(server: tuple[str, Path], tmp_path: Path) -> None:
    url, root = server
    _model_zip(root / "m.zip")
    models = tmp_path / "models"
    with pytest.raises(ModelError, match="checksum mismatch"):
        install_model("vosk-model-test", models, url=f"{url}/m.zip", sha256="0" * 64)
    assert list(models.iterdir()) == []


def test_archive_without_a_model_is_refused(server: tuple[str, Path], tmp_path: Path) -> None:
    url, root = server
    digest = _model_zip(root / "m.zip", valid=False)
    with pytest.raises(ModelError, match="does not hold a Vosk model"):
        install_model("x", tmp_path / "models", url=f"{url}/m.zip", sha256=digest)
    assert list((tmp_path / "models").iterdir()) == []


def test_download_errors_are_clear(server: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = server
    with pytest.raises(ModelError, match=r"download of .* failed"):
        install_model("x", tmp_path / "m", url=f"{url}/missing.zip", sha256="0" * 64)
    with pytest.raises(ModelError, match="no checksum is pinned"):
        install_model("vosk-model-en-us-0.22-lgraph", tmp_path / "m")
    with pytest.raises(ModelError, match="unknown model"):
        install_model("nonsense", tmp_path / "m")


def test_cli_download_then_list(server: tuple[str, Path], tmp_path: Path) -> None:
    url, root = server
    digest = _model_zip(root / "m.zip")
    models = tmp_path / "models"
    result = run("models", "download", "vosk-model-test", "--models-dir", str(models),
                 "--url", f"{url}/m.zip", "--sha256", digest)
    assert result.returncode == 0, result.stderr
    listed = [json.loads(line) for line in
              run("models", "list", "--models-dir", str(models), "--json").stdout.splitlines()]
    assert {"kind": "stt", "name": "vosk-model-test", "installed": True,
            "path": str(models / "vosk-model-test")} in listed
    again = run("models", "download", "vosk-model-test", "--models-dir", str(models),
                "--url", f"{url}/m.zip", "--sha256", digest)
    assert again.returncode != 0 and "already exists" in again.stderr


def test_vosk_refuses_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(SpeechToTextError, match="is not a Vosk model folder"):
        VoskSTT(tmp_path, None)


def test_vosk_reports_a_broken_model_clearly(tmp_path: Path) -> None:
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "final.mdl").write_bytes(b"garbage")
    with pytest.raises(SpeechToTextError, match="Vosk could not load the model"):
        VoskSTT(tmp_path, None)


def test_vosk_grammar_is_a_json_string_of_the_domain(demo_products: list) -> None:
    domain = build_domain(demo_products, "hey shop")
    words = json.loads(vosk_grammar(domain))
    assert words[-1] == "[unk]" and "bananas" in words and "kombucha" in words


def test_forcing_vosk_without_a_model_is_one_line(tmp_path: Path, demo_db: Path) -> None:
    wav = tmp_path / "x.wav"
    import numpy as np

    from voice_shop.audio import write_wav
    write_wav(wav, np.zeros(1600, np.int16))
    result = run("transcribe", "--engine", "vosk", "--models-dir", str(tmp_path / "none"),
                 "--db", str(demo_db), str(wav))
    assert result.returncode != 0 and "no Vosk model" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
