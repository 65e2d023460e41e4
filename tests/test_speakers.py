"""Who is speaking: the numpy GE2E encoder, profiles, identification and rejection, and the
household's safety rules end to end through ``listen --wav``."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from voice_shop.audio import read_audio
from voice_shop.shop.engine import Shop
from voice_shop.shop.models import OrderStatus, Role
from voice_shop.speaker.encoder import SpeakerEncoder, mel_filterbank, partial_slices
from voice_shop.speaker.identify import SpeakerIdentifier, SpeakerSettings

from .speech import ENROLL_SENTENCES, SpeechMaker, pitched
from .test_cli import run

MODELS = Path(__file__).resolve().parents[1] / "models"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def encoder() -> SpeakerEncoder:
    return SpeakerEncoder(MODELS)


def test_weights_load_without_torch() -> None:
    code = ("import sys; from pathlib import Path; "
            "from voice_shop.speaker.encoder import SpeakerEncoder; "
            f"SpeakerEncoder(Path({str(MODELS)!r})); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


def test_front_end_shapes() -> None:
    bank = mel_filterbank()
    assert bank.shape == (40, 201) and np.all(bank >= 0)
    assert [(s.start, s.stop) for s in partial_slices(16000 * 3)] == [(0, 160), (77, 237),
                                                                     (154, 314)]
    assert len(partial_slices(8000)) == 1


def test_embedding_is_unit_length_and_repeatable(encoder: SpeakerEncoder,
                                                 speech: SpeechMaker) -> None:
    audio = read_audio(speech.piper(ENROLL_SENTENCES[0]))
    first, second = encoder.embed(audio), encoder.embed(audio)
    assert first.shape == (256,) and abs(float(np.linalg.norm(first)) - 1) < 1e-5
    assert np.array_equal(first, second)


def _voices(speech: SpeechMaker, folder: Path) -> dict[str, list[Path]]:
    """Three household voices and one stranger, each saying the enrollment sentences."""
    adult = [speech.piper(t) for t in ENROLL_SENTENCES]
    return {
        "dad": adult,
        "kid": [pitched(p, 500, folder / f"kid-{i}.wav") for i, p in enumerate(adult)],
        "mum": [speech.espeak(t, "en-us+f3") for t in ENROLL_SENTENCES],
        "stranger": [speech.espeak(t, "en-us") for t in ENROLL_SENTENCES],
    }


def test_identifies_household_and_rejects_a_stranger(encoder: SpeakerEncoder,
                                                     speech: SpeechMaker, shop: Shop,
                                                     tmp_path: Path) -> None:
    voices = _voices(speech, tmp_path)
    identifier = SpeakerIdentifier(shop, SpeakerSettings(models_dir=MODELS), encoder)
    for name in ("dad", "kid", "mum"):
        identifier.enroll(name, [read_audio(p) for p in voices[name]],
                          Role.CHILD if name == "kid" else Role.ADULT)
    commands = ["Okay Nabu, add two bags of rice", "Okay Nabu, what's in my cart",
                "Okay Nabu, any deals today"]
    tests = {"dad": [speech.piper(c) for c in commands],
             "kid": [pitched(speech.piper(c), 500, tmp_path / f"kt{i}.wav")
                     for i, c in enumerate(commands)],
             "mum": [speech.espeak(c, "en-us+f3") for c in commands],
             "stranger": [speech.espeak(c, "en-us") for c in commands]}
    got = {name: [identifier.identify(read_audio(p)).speaker for p in paths]
           for name, paths in tests.items()}
    assert got == {"dad": ["dad"] * 3, "kid": ["kid"] * 3, "mum": ["mum"] * 3,
                   "stranger": [None] * 3}


def test_speakers_cli(speech: SpeechMaker, demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with sqlite3.connect(demo_db) as source, sqlite3.connect(db) as copy:
        source.backup(copy)
    voices = _voices(speech, tmp_path)
    common = ["--db", str(db), "--models-dir", str(MODELS)]
    result = run("speakers", "enroll", "dad", *map(str, voices["dad"]), *common, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["utterances"] == 3
    run("speakers", "enroll", "kid", *map(str, voices["kid"]), "--role", "child", *common)
    listed = [json.loads(line) for line in
              run("speakers", "list", "--db", str(db), "--json").stdout.splitlines()]
    assert [(p["name"], p["role"], p["voiceprints"]) for p in listed] == [
        ("dad", "adult", 3), ("kid", "child", 3)]
    out = run("speakers", "identify", str(speech.piper("hey shop, check out")),
              str(voices["stranger"][0]), *common)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["speaker"] for r in rows] == ["dad", None]
    assert rows[0]["score"] > rows[1]["score"]
    run("speakers", "remove", "kid", "--db", str(db))
    assert [p.name for p in Shop.open(db).profiles()] == ["dad"]


def test_household_rules_through_listen(speech: SpeechMaker, demo_db: Path,
                                        tmp_path: Path) -> None:
    """A child's order waits for an adult, a PIN guards the adult's checkout, and "my
    usual" is each person's own."""
    db = tmp_path / "h.db"
    with sqlite3.connect(demo_db) as source, sqlite3.connect(db) as copy:
        source.backup(copy)
    voices = _voices(speech, tmp_path)
    common = ["--db", str(db), "--models-dir", str(MODELS)]
    run("speakers", "enroll", "dad", *map(str, voices["dad"]), *common)
    run("speakers", "enroll", "kid", *map(str, voices["kid"]), "--role", "child", *common)
    Shop.open(db).set_pin("dad", "4321")

    def kid(text: str, n: int) -> Path:
        return pitched(speech.piper(text), 500, tmp_path / f"kid-say-{n}.wav")

    script = [kid("Okay Nabu, add a box of pop tarts", 1),
              kid("Okay Nabu, I'm ready to check out", 2),
              kid("yes", 3),
              speech.piper("Okay Nabu, where is my order"), speech.piper("yes"),
              speech.piper("Okay Nabu, add two bags of rice"),
              speech.piper("Okay Nabu, I'm ready to check out"),
              speech.piper("four three two one"),
              kid("Okay Nabu, same as last time", 4)]
    result = run("listen", *common, "--json", "--reply-dir", str(tmp_path / "replies"),
                 *[arg for f in script for arg in ("--wav", str(f))])
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    (tmp_path / "events.jsonl").write_text(result.stdout)  # kept for reading a failure
    speakers = [e["speaker"] for e in events if e["event"] == "speaker"]
    story = [(e["event"], e.get("text") or e.get("speaker")) for e in events
             if e["event"] in ("speaker", "reply", "transcript")]
    assert speakers == ["kid", "kid", "kid", "dad", "dad", "dad", "dad", "dad", "kid"], story
    shop = Shop.open(db)
    first, second = sorted(shop.orders(), key=lambda o: o.id)
    assert (first.placed_by, first.status, first.approved_by) == ("kid", OrderStatus.PLACED,
                                                                  "dad")
    assert [(ln.sku, ln.quantity) for ln in first.lines] == [("K114", 1)]
    assert (second.placed_by, second.status) == ("dad", OrderStatus.PLACED)
    assert [(ln.sku, ln.quantity, ln.added_by) for ln in shop.cart().lines] == [
        ("K114", 1, "kid")]
    assert "4321" not in json.dumps(shop.events(500)) and "4321" not in result.stdout
