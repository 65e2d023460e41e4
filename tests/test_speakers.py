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

from voice_shop.audio import read_audio, write_wav
from voice_shop.errors import AudioQualityError
from voice_shop.shop.engine import Shop
from voice_shop.shop.models import OrderStatus, Role
from voice_shop.speaker.cohort import cohort_names
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
              kid("yes, place the order", 3),  # a bare "yes" is a short answer: see README
              speech.piper("Okay Nabu, where is my order"), speech.piper("yes"),
              speech.piper("Okay Nabu, add three bags of rice"),
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
    assert "four three two one" not in result.stdout  # the spoken words are masked too


def test_the_speaker_is_identified_as_speech_stops_before_the_early_end_check(
        speech: SpeechMaker, demo_db: Path, tmp_path: Path) -> None:
    """Who spoke is asked in the pause, before the recogniser's check (time the device
    would idle away), on the speech heard until then, and the answer is not asked again."""
    from voice_shop.assistant import Assistant
    from voice_shop.audio import ArraySource, WavDirectorySink
    from voice_shop.config import AppSettings
    from voice_shop.pipeline import Pipeline
    from voice_shop.wake import WakeGate, WakeSettings, load_detector
    db = tmp_path / "quiet.db"
    with sqlite3.connect(demo_db) as source, sqlite3.connect(db) as copy:
        source.backup(copy)
    assistant = Assistant(AppSettings(db_path=db, models_dir=MODELS))
    assistant.speakers.enroll("dad", [read_audio(p) for p in _voices(speech, tmp_path)["dad"]])
    calls: list[str] = []

    def identify(samples: np.ndarray, expected: str | None) -> tuple[str | None, float]:
        calls.append("identify")
        found = assistant.speakers.identify(samples, expected)
        return found.speaker, found.score

    def is_complete(text: str) -> bool:
        calls.append("check")
        return assistant.is_complete(text)

    command = read_audio(speech.piper("Okay Nabu, add a pack of bacon"))
    silence = np.zeros(16000, np.int16)
    settings = WakeSettings()
    pipeline = Pipeline(assistant.stt, assistant.parser, assistant.dialog, assistant.tts,
                        WavDirectorySink(tmp_path / "replies"), WakeGate(settings),
                        identify=identify, wake=load_detector(settings),
                        is_complete=is_complete)
    events = list(pipeline.run(ArraySource(np.concatenate([silence, command, silence]))))
    assert [e.data["speaker"] for e in events if e.kind == "speaker"] == ["dad"], events
    assert [e.data["endpoint_wait_ms"] < 600 for e in events if e.kind == "reply"] == [True]
    assert calls[-2:] == ["identify", "check"], calls


# ---- real recorded voices (../shared/audio), skipped when the folder is absent -------------
REAL_AUDIO = Path(__file__).resolve().parents[1].parent / "shared" / "audio"
REAL_HOUSEHOLD = REAL_AUDIO / "librispeech-speakers"
REAL_STRANGERS = REAL_AUDIO / "librispeech-cohort"


def _real_household() -> dict[str, list[Path]]:
    if not (REAL_HOUSEHOLD / "speakers.tsv").exists() or not REAL_STRANGERS.is_dir():
        pytest.skip(f"no recorded voices at {REAL_AUDIO}")
    voices: dict[str, list[Path]] = {}
    for line in (REAL_HOUSEHOLD / "speakers.tsv").read_text().splitlines():
        rel, speaker = line.split("\t")[:2]
        voices.setdefault(speaker, []).append(REAL_HOUSEHOLD / rel)
    return voices


def _held_out_strangers(count: int) -> list[Path]:
    """Real voices outside the shipped S-norm cohort (so never its yardstick)."""
    shipped = set(cohort_names())
    held = [p for p in sorted(REAL_STRANGERS.glob("*.flac")) if p.stem not in shipped]
    assert len(held) >= count
    return held[:count]


@pytest.fixture(scope="module")
def real_identifier(tmp_path_factory: pytest.TempPathFactory,
                    encoder: SpeakerEncoder) -> SpeakerIdentifier:
    """Five real voices enrolled from three recordings each."""
    voices = _real_household()
    shop = Shop.open(tmp_path_factory.mktemp("real") / "shop.db", create=True)
    identifier = SpeakerIdentifier(shop, SpeakerSettings(models_dir=MODELS), encoder)
    for name, paths in voices.items():
        identifier.enroll(name, [read_audio(p) for p in paths[:3]],
                          labels=[str(p) for p in paths[:3]])
    return identifier


def test_real_voices_identified_and_real_strangers_rejected(
        real_identifier: SpeakerIdentifier) -> None:
    voices = _real_household()
    got = {name: real_identifier.identify(read_audio(paths[7])).speaker
           for name, paths in voices.items()}
    assert got == {name: name for name in voices}
    strangers = [real_identifier.identify(read_audio(p)) for p in _held_out_strangers(8)]
    assert [s.speaker for s in strangers] == [None] * 8, [round(s.score, 2) for s in strangers]


def test_white_noise_is_never_a_person(real_identifier: SpeakerIdentifier) -> None:
    rng = np.random.default_rng(3)
    ten_minutes = (rng.standard_normal(600 * 16000) * 3000).astype(np.int16)
    with pytest.raises(AudioQualityError) as caught:
        real_identifier.identify(ten_minutes, expected="1688", label="noise.wav")
    assert caught.value.code == "no_speech" and "noise.wav" in caught.value.message


def test_enrollment_refuses_a_recording_of_someone_else(encoder: SpeakerEncoder,
                                                        shop: Shop) -> None:
    voices = _real_household()
    identifier = SpeakerIdentifier(shop, SpeakerSettings(models_dir=MODELS), encoder)
    paths = [*voices["1688"][:2], voices["2609"][0]]
    with pytest.raises(AudioQualityError) as caught:
        identifier.enroll("dad", [read_audio(p) for p in paths], labels=["a.wav", "b.wav",
                                                                         "c.wav"])
    assert caught.value.code == "inconsistent_voice"
    assert caught.value.message.startswith("c.wav does not sound like the other recordings")
    assert shop.voiceprints() == {}


def test_identify_cli_says_no_speech_and_goes_on(demo_db: Path, tmp_path: Path) -> None:
    voices = _real_household()
    db = tmp_path / "s.db"
    with sqlite3.connect(demo_db) as source, sqlite3.connect(db) as copy:
        source.backup(copy)
    common = ["--db", str(db), "--models-dir", str(MODELS)]
    assert run("speakers", "enroll", "mum", *map(str, voices["2033"][:3]),
               *common).returncode == 0
    silence, noise = tmp_path / "silence.wav", tmp_path / "noise.wav"
    write_wav(silence, np.zeros(3 * 16000, np.int16))
    write_wav(noise, (np.random.default_rng(5).standard_normal(5 * 16000) * 4000
                      ).astype(np.int16))
    result = run("speakers", "identify", str(silence), str(noise), str(voices["2033"][5]),
                 *common)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1
    assert [(r.get("code"), r.get("speaker")) for r in rows] == [
        ("no_speech", None), ("no_speech", None), (None, "mum")]
    assert rows[0]["file"] == str(silence) and "no speech" in rows[1]["message"]
    assert "score" not in rows[0] and "score" not in rows[1]
    assert len(result.stderr.strip().splitlines()) == 2


def test_enroll_cli_refuses_clipping_in_one_line(demo_db: Path, tmp_path: Path) -> None:
    voices = _real_household()
    db = tmp_path / "e.db"
    with sqlite3.connect(demo_db) as source, sqlite3.connect(db) as copy:
        source.backup(copy)
    clipped = tmp_path / "clipped.wav"
    loud = read_audio(voices["1998"][1]).astype(np.float32) * 10
    write_wav(clipped, loud.clip(-32768, 32767).astype(np.int16))
    result = run("speakers", "enroll", "dad", str(voices["1998"][0]), str(clipped),
                 "--db", str(db), "--models-dir", str(MODELS))
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"error [clipped]: {clipped}: the recording is clipped")


def test_bench_reads_a_folder_of_speaker_folders(tmp_path: Path) -> None:
    voices = _real_household()
    root = tmp_path / "voices"
    for name in ("1688", "2033", "2609"):
        (root / name).mkdir(parents=True)
        for path in voices[name][:4]:
            (root / name / path.name).symlink_to(path)
    (root / "strangers").mkdir()
    for path in _held_out_strangers(3):
        (root / "strangers" / path.name).symlink_to(path)
    result = run("bench", "--speakers", str(root), "--models-dir", str(MODELS))
    assert result.returncode == 0, result.stderr
    assert "3 voices" in result.stdout and "6 test utterances" in result.stdout
    assert "identified 100.0%" in result.stdout
    assert "strangers alone rejected 100.0% of 6" in result.stdout
    assert "equal error rate 0.0%" in result.stdout
    assert "ms per utterance" in result.stdout


def test_strangers_the_raw_cosine_took_for_household_members(encoder: SpeakerEncoder,
                                                             shop: Shop) -> None:
    """Held-out real voices whose raw cosine passed the old fixed bar (0.77) against another
    voice's print: cohort normalisation must reject them and still know the enrolled ones."""
    _real_household()
    identifier = SpeakerIdentifier(shop, SpeakerSettings(models_dir=MODELS), encoder)
    halves = {}
    for stem in ("4397-15666-0000", "4051-10927-0000", "2514-149482-0000", "2836-5354-0000"):
        audio = read_audio(REAL_STRANGERS / f"{stem}.flac")
        assert stem not in cohort_names()
        halves[stem] = (audio[:len(audio) // 2], audio[len(audio) // 2:])
    identifier.enroll("neighbour", [halves["4397-15666-0000"][0]])
    identifier.enroll("lodger", [halves["4051-10927-0000"][0]])
    prints = {n: np.frombuffer(b[0], np.float32) for n, b in shop.voiceprints().items()}
    for stranger, lookalike in (("2514-149482-0000", "neighbour"),
                                ("2836-5354-0000", "lodger")):
        embedding = encoder.embed(halves[stranger][1])
        assert float(embedding @ prints[lookalike]) >= 0.77  # the old rule accepted it
        assert identifier.identify(halves[stranger][1]).speaker is None
    assert identifier.identify(halves["4397-15666-0000"][1]).speaker == "neighbour"
    assert identifier.identify(halves["4051-10927-0000"][1]).speaker == "lodger"
