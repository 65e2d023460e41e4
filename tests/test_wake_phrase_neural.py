"""A custom wake phrase heard by the neural recogniser (Moonshine) on the audio itself: the
real engine and the real gate, on synthesised commands and on real recordings of the phrase;
and the transcript gate of PocketSphinx, which stays as it was."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest

from voice_shop.assistant import Assistant
from voice_shop.audio import SAMPLE_RATE_HZ, read_audio, write_wav
from voice_shop.bench.wake_bench import utterance_heads
from voice_shop.config import AppSettings, SpeechSettings
from voice_shop.shop.engine import Shop
from voice_shop.stt.base import Transcript
from voice_shop.stt.moonshine import MoonshineSTT, PhraseScore
from voice_shop.wake import WakeGate, WakeSettings
from voice_shop.wake.neural import PhraseHeard

from .speech import SpeechMaker
from .test_wake import AUDIO, _copy_db, _kinds, _listen

PHRASE = WakeSettings(word="", phrase="alexa")
REAL_CLIPS = ("18.flac", "206.flac", "278.flac", "250.flac")
"""Real people saying "alexa": Moonshine writes the first three "lexa", "i like so" and
"alexo", so a transcript that must begin with the phrase misses them."""
REAL_OTHER = ("librispeech-speakers", "librispeech-cohort")


@pytest.fixture(scope="module")
def ear(tmp_path_factory: pytest.TempPathFactory) -> MoonshineSTT:
    db = tmp_path_factory.mktemp("ear") / "shop.db"
    Shop.open(db, create=True)
    stt = Assistant(AppSettings(db_path=db, wake=PHRASE)).stt
    assert isinstance(stt, MoonshineSTT)  # the default recogniser
    return stt


def _heard(gate: WakeGate, ear: MoonshineSTT, path: Path) -> list[PhraseHeard]:
    """The gate's verdict on each utterance of the file, cut and checked as the listen loop
    does it (at each pause until the phrase is heard)."""
    assert gate.ear_for(ear, 0.0) is ear
    verdicts = []
    for checks in utterance_heads(read_audio(path), gate.policy):
        heard = [gate.hear(ear, head) for head in checks]
        verdicts.append(next((h for h in heard if h.has_phrase), heard[-1]))
    return verdicts


def _woke(gate: WakeGate, ear: MoonshineSTT, path: Path) -> list[bool]:
    return [heard.has_phrase for heard in _heard(gate, ear, path)]


@pytest.mark.slow
@pytest.mark.parametrize("voice", ["piper", "en-gb"])
def test_the_phrase_is_heard_on_the_audio(speech: SpeechMaker, ear: MoonshineSTT,
                                          voice: str) -> None:
    """(espeak-ng's en-us voices are left out: Moonshine itself writes nothing for their
    "Alexa, add two bananas", so no gate on its decoding can hear them.)"""
    say = speech.piper if voice == "piper" else partial(speech.espeak, voice=voice)
    gate = WakeGate(PHRASE)
    assert _woke(gate, ear, say("Alexa, add two bananas")) == [True]
    assert _woke(gate, ear, say("Alexa add a pack of bacon")) == [True]  # in one breath
    assert _woke(gate, ear, say("Add two bananas to my cart")) == [False]
    assert _woke(gate, ear, say("I told Alex to add two bananas")) == [False]


@pytest.mark.slow
def test_listen_decodes_only_what_follows_the_phrase(speech: SpeechMaker, demo_db: Path,
                                                    tmp_path: Path) -> None:
    db = _copy_db(demo_db, "neural-phrase")
    files = [speech.piper("Alexa, add two bananas"), speech.piper("add a pack of bacon")]
    code, events = _listen(db, tmp_path, *files, options=["--wake-phrase", "alexa"])
    assert code == 0
    assert [(e["event"], e.get("phrase"), e["file"]) for e in events
            if e["event"] == "wake"] == [("wake", "alexa", str(files[0]))]
    # The other sentence is never decoded: no transcript, no order.
    assert not any(e["file"] == str(files[1]) for e in events)
    assert [(line.sku, line.quantity) for line in Shop.open(db).cart().lines] == [("P101", 2)]


@pytest.mark.slow
def test_pocketsphinx_still_hears_the_phrase_in_its_transcript(
        speech: SpeechMaker, demo_db: Path, tmp_path: Path) -> None:
    db = _copy_db(demo_db, "sphinx-phrase")
    stt = Assistant(AppSettings(db_path=db, wake=WakeSettings(word="", phrase="computer"),
                                speech=SpeechSettings(engine="pocketsphinx"))).stt
    assert WakeGate(WakeSettings(word="", phrase="computer")).ear_for(stt, 0.0) is None
    files = [speech.piper("computer, add a pack of bacon"), speech.piper("add two bags of rice")]
    code, events = _listen(db, tmp_path, *files,
                           options=["--wake-phrase", "computer", "--engine", "pocketsphinx"])
    assert code == 0
    assert [(e["event"], e.get("phrase")) for e in events if e["event"] == "wake"] == [
        ("wake", "computer")]
    assert [line.sku for line in Shop.open(db).cart().lines] == ["M108"]


needs_real = pytest.mark.skipif(
    not all((AUDIO / "wake-alexa" / name).is_file() for name in REAL_CLIPS)
    or not all(any((AUDIO / d).rglob("*.flac")) for d in REAL_OTHER),
    reason="no real recordings in ../shared/audio/wake-alexa and librispeech-*")


@pytest.mark.slow
@needs_real
def test_real_people_saying_the_phrase_wake_the_loop(demo_db: Path, tmp_path: Path,
                                                     ear: MoonshineSTT) -> None:
    clips = [AUDIO / "wake-alexa" / name for name in REAL_CLIPS]
    other = [sorted((AUDIO / d).rglob("*.flac"))[0] for d in REAL_OTHER]
    # The free decoding alone misses some of them: forced decoding is what hears them.
    checks = [heard for c in clips for heard in _heard(WakeGate(PHRASE), ear, c)]
    assert [c.has_phrase for c in checks] == [True] * len(clips)
    assert sum(c.score.heard.startswith("alexa") for c in checks) < len(clips)
    # After each "Yes?" the next words are the answer, wake phrase or not: a quiet longer
    # than that follow-up window comes between the recordings.
    gap = tmp_path / "quiet.wav"
    write_wav(gap, np.zeros(int((PHRASE.follow_up_s + 1) * SAMPLE_RATE_HZ), np.int16))
    code, events = _listen(_copy_db(demo_db, "real-phrase"), tmp_path / "replies",
                           *[f for c in clips for f in (c, gap)], *other,
                           options=["--wake-phrase", "alexa"])
    assert code == 0
    woken = [e["file"] for e in events if e["event"] == "wake"]
    # Real voices: the bench misses about 1 in 70 (docs/measurements.md); one of these four
    # sits near the cutoff, where a score moves a little with the sentences scored beside it.
    assert set(woken) <= set(map(str, clips)) and len(woken) >= len(clips) - 1, woken
    assert not any(e["file"] in map(str, other) for e in events)
    assert _kinds(events).count("reply") == len(woken)  # "Yes?" to each


def test_the_command_keeps_every_sentence_and_its_score() -> None:
    """The words the phrase stood for are cut from each sentence that begins with them;
    none is dropped, so the model's scores still belong to their sentences."""
    gate = WakeGate(PHRASE)
    heard = PhraseHeard(True, PhraseScore("alexis add two", -3.0, -4.0, 1), 1.2, 1.0)
    transcript = Transcript(text="alexis add two bananas", is_in_domain=True,
                            confidence=0.0, duration_s=2.0, decode_s=0.1,
                            alternatives=("alexa add two bananas", "add to bananas"),
                            log_likelihoods=(-5.0, -6.0, -9.0))
    command = gate.command(transcript, heard)
    assert (command.text, command.alternatives) == (
        "add two bananas", ("add two bananas", "add to bananas"))
    assert command.log_likelihoods == transcript.log_likelihoods
    assert gate.check(transcript.text, 0.0, heard).command == "add two bananas"
    assert not gate.check("alexis add two bananas", 0.0, PhraseHeard(
        False, PhraseScore("alexis add two", -3.0, -9.0, 1), 3.0, 6.0)).is_awake
