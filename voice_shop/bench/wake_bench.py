"""Wake figures on real recordings: misses on real wake words, false wakes per hour on long
real speech without them (plus "TV" talk synthesised here), real-time factors; and the custom
phrase through the recogniser.

Every file is streamed in 20 ms chunks through the same ``WakeWordDetector`` the listen loop
uses (cutoff and refractory time included), reset between files, with half a second of
silence after each so a word at the very end can finish.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE_HZ, chunks_of, read_audio
from ..errors import AudioInputError
from ..tts import PiperSettings, PiperTTS
from ..vad import speech_span
from ..wake import WakeEngineName, WakeGate, WakeSettings, load_detector

NEGATIVE_DIRS = ("librispeech-speakers", "librispeech-cohort", "coffee-orders/clips")
TV_TALK = (
    "Good evening, here are tonight's top stories from around the country.",
    "Temperatures will drop overnight, with a chance of showers by the morning.",
    "Stay with us, after the break we will look at the weekend's football results.",
    "Now you can save up to forty percent on all our mattresses, this week only.",
    "Add a little olive oil to the pan and fry the onions until they are golden.",
    "The minister said the new budget would help families with the cost of living.",
    "Okay, so the next thing we are going to do is sand down the old paint.",
    "Call now and get a second set of knives absolutely free.",
    "Scientists have found a new species of frog in the rain forest.",
    "Hey, are you coming to the party on Saturday? Bring some snacks.",
    "In the final minute he scored again, and the crowd went wild.",
    "Our special guest tonight has just released a new album.",
    "Traffic is heavy on the bridge, so leave a few minutes early.",
    "Add the flour, a pinch of salt, and mix until smooth.",
    "Order today and we will deliver it to your door by tomorrow.",
    "That's all for now, thanks for watching and see you next week.",
)
CUSTOM_PHRASE = "computer"
PHRASE_COMMANDS = ("add two bags of rice", "what's in my cart", "add a pack of bacon",
                   "how much are the strawberries", "clear my cart", "add a dozen eggs",
                   "any deals today", "remove the paper towels")


@dataclass(frozen=True)
class Clip:
    name: str
    samples: np.ndarray


def _clips(folders: Sequence[Path]) -> tuple[list[Clip], int]:
    clips, bad = [], 0
    for folder in folders:
        for path in sorted(folder.glob("*.flac")) + sorted(folder.glob("*.wav")):
            try:
                clips.append(Clip(path.name, read_audio(path)))
            except AudioInputError:
                bad += 1  # an undecodable file is counted, never a crash
    return clips, bad


def _hours(clips: Sequence[Clip]) -> float:
    return sum(len(c.samples) for c in clips) / SAMPLE_RATE_HZ / 3600


def _wakes(settings: WakeSettings, clips: Sequence[Clip]) -> tuple[list[int], float]:
    """Detections per clip and the real-time factor."""
    detector = load_detector(settings)
    tail = np.zeros(SAMPLE_RATE_HZ // 2, np.int16)
    counts, started = [], time.perf_counter()
    for clip in clips:
        detector.reset()
        audio = np.concatenate([clip.samples, tail])
        counts.append(sum(detector.feed(c.samples, c.start_s) is not None
                          for c in chunks_of(audio)))
    elapsed = time.perf_counter() - started
    return counts, elapsed / max(_hours(clips) * 3600, 1e-9)


def tv_talk(folder: Path, minutes: float) -> list[Clip]:
    """Piper (several speaking rates, sampled noise) and espeak-ng voices reading TV-like
    lines until ``minutes`` of speech exist."""
    clips: list[Clip] = []
    pipers = [PiperTTS(PiperSettings(length_scale=s)) for s in (0.85, 1.0, 1.2)]
    voices = ("en-us", "en-us+f3", "en-gb", "en-us+m3")
    n = 0
    while _hours(clips) * 60 < minutes:
        text = TV_TALK[n % len(TV_TALK)]
        if n % 2 == 0:
            samples = pipers[(n // 2) % len(pipers)].synthesize_all(text)
        else:
            path = folder / f"tv{n}.wav"
            subprocess.run(["espeak-ng", "-v", voices[(n // 2) % len(voices)], "-w", str(path),
                            text], check=True, capture_output=True)
            samples = read_audio(path)
        clips.append(Clip(f"tv{n}", samples))
        n += 1
    return clips


def _engine_lines(name: str, settings: WakeSettings, positives: Sequence[Clip],
                  negatives: Sequence[Clip], what: str) -> Iterator[str]:
    found, rtf_pos = _wakes(settings, positives) if positives else ([], 0.0)
    false, rtf_neg = _wakes(settings, negatives)
    hours = _hours(negatives)
    detector = load_detector(settings)
    miss = (f"missed {sum(c == 0 for c in found)}/{len(found)} "
            f"({100 * sum(c == 0 for c in found) / max(len(found), 1):.1f}%), "
            if positives else "")
    yield (f"wake [{name}, cutoff {detector.cutoff:.2f}]: {miss}false wakes "
           f"{sum(false)} in {hours:.2f} h of {what} ({sum(false) / hours:.2f}/h), RTF "
           f"{max(rtf_pos, rtf_neg):.3f}")


def run(wake_dir: Path, audio_root: Path, tv_minutes: float = 12.0,
        open_subset: int = 3) -> Iterator[str]:
    positives, bad = _clips([wake_dir])
    real, bad_neg = _clips([audio_root / d for d in NEGATIVE_DIRS
                            if (audio_root / d).is_dir()])
    yield (f"wake data: {len(positives)} real wake-word clips in {wake_dir} ({bad} "
           f"undecodable); {len(real)} real clips without it, {_hours(real):.2f} h "
           f"({bad_neg} undecodable)")
    with tempfile.TemporaryDirectory() as tmp:
        tv = tv_talk(Path(tmp), tv_minutes)
    yield f"TV talk synthesised here: {len(tv)} lines, {_hours(tv) * 60:.1f} min"
    negatives = [*real, *tv]
    what = "real speech + TV talk"
    for word in ("okay_nabu", "hey_jarvis", "hey_mycroft"):
        yield from _engine_lines(f"micro {word}", WakeSettings(word=word), [], negatives, what)
    yield from _engine_lines("micro alexa", WakeSettings(word="alexa"), positives, negatives,
                             what)
    yield from _engine_lines("micro alexa, shipped cutoff", WakeSettings(
        word="alexa", probability_cutoff=0.9), positives, negatives, what)
    subset = negatives[::open_subset]
    for word in ("alexa", "okay_nabu"):
        yield from _engine_lines(f"open {word}", WakeSettings(
            word=word, engine=WakeEngineName.OPEN), positives if word == "alexa" else [],
            subset, f"{what}, one clip in {open_subset}")
    yield from phrase_lines(real[::open_subset])


def phrase_lines(negatives: Sequence[Clip]) -> Iterator[str]:
    """The custom phrase through the shop-biased recogniser: detection on synthesised voices
    (no real recordings of it exist here) and false wakes on real speech."""
    from ..assistant import Assistant
    from ..config import AppSettings
    from ..shop.demo import load_demo
    from ..shop.engine import Shop
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        load_demo(Shop.open(db, create=True))
        settings = WakeSettings(word="", phrase=CUSTOM_PHRASE)
        assistant = Assistant(AppSettings(db_path=db, wake=settings))
        stt, gate = assistant.stt, WakeGate(settings)
        said = 0
        hits = 0
        for voice, audio in _phrase_voices(Path(tmp)):
            said += 1
            hits += gate.check(stt.transcribe(speech_span(audio)).text, 0.0).has_phrase
            del voice
        false = sum(gate.check(stt.transcribe(speech_span(c.samples)).text, 0.0).has_phrase
                    for c in negatives)
        hours = _hours(negatives)
    yield (f"custom phrase {CUSTOM_PHRASE!r} through the recogniser: detected {hits}/{said} "
           f"({100 * hits / max(said, 1):.0f}%) of synthesised commands (Piper 3 rates, "
           f"espeak-ng 3 voices; no real recordings of it); false wakes {false} in "
           f"{hours:.2f} h of real speech ({false / max(hours, 1e-9):.2f}/h)")


def _phrase_voices(folder: Path) -> Iterator[tuple[str, np.ndarray]]:
    for scale in (0.9, 1.0, 1.15):
        tts = PiperTTS(PiperSettings(length_scale=scale))
        for command in PHRASE_COMMANDS:
            yield f"piper{scale}", tts.synthesize_all(f"{CUSTOM_PHRASE}, {command}")
    for voice in ("en-us", "en-us+f3", "en-gb"):
        for n, command in enumerate(PHRASE_COMMANDS):
            path = folder / f"{voice}-{n}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(path),
                            f"{CUSTOM_PHRASE}, {command}"], check=True, capture_output=True)
            yield voice, read_audio(path)
