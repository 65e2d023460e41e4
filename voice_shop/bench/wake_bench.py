"""Wake figures on real recordings: misses on real wake words, false wakes per hour on long
real speech without them (plus "TV" talk synthesised here), real-time factors; and the custom
phrase through the recogniser. ``phrase_run``: a custom phrase heard by the neural recogniser
(``wake.neural``) on real recordings of it, false wakes and CPU on real speech without it.

Every file is streamed in 20 ms chunks through the same ``WakeWordDetector`` the listen loop
uses (cutoff and refractory time included), reset between files, with half a second of
silence after each so a word at the very end can finish.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE_HZ, AudioChunk, chunks_of, read_audio
from ..errors import AudioInputError
from ..pipeline import PRE_ROLL_S, RECENT_S
from ..stt.base import SpeechToText
from ..tts import PiperSettings, PiperTTS
from ..vad import Endpointer, EndpointerSettings, EndpointKind, speech_span
from ..wake import WakeEngineName, WakeGate, WakeSettings, load_detector
from ..wake.neural import PhraseEar, PhrasePolicy, hear_phrase

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
            hits += says_phrase(gate, stt, audio)
            del voice
        false = sum(says_phrase(gate, stt, c.samples) for c in negatives)
        hours = _hours(negatives)
    yield (f"custom phrase {CUSTOM_PHRASE!r} through {stt.name}: detected {hits}/{said} "
           f"({100 * hits / max(said, 1):.0f}%) of synthesised commands (Piper 3 rates, "
           f"espeak-ng 3 voices; no real recordings of it); false wakes {false} in "
           f"{hours:.2f} h of real speech ({false / max(hours, 1e-9):.2f}/h)")


def says_phrase(gate: WakeGate, stt: SpeechToText, audio: np.ndarray) -> bool:
    """The listen loop's verdict on a recording: the phrase heard on the audio when the
    recogniser can score it (at each check until heard), else in the transcript."""
    ear = gate.ear_for(stt, 0.0)
    if ear is None:
        return gate.check(stt.transcribe(speech_span(audio)).text, 0.0).has_phrase
    return any(gate.hear(ear, head).has_phrase
               for checks in utterance_heads(audio, gate.policy) for head in checks)


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


# ---- a custom phrase heard by the neural recogniser ---------------------------------------
def utterance_heads(samples: np.ndarray, policy: PhrasePolicy,
                    settings: EndpointerSettings | None = None) -> list[list[np.ndarray]]:
    """The audio the listen loop checks for a custom phrase, for each utterance the
    endpointer finds: from the pre-roll before speech to each pause, to its end, and to
    ``policy.head_s``, until that much has been checked (as ``Pipeline._hear_phrase``; the
    loop also stops at the first check that hears the phrase)."""
    endpointer = Endpointer(settings)
    ring: deque[AudioChunk] = deque(maxlen=int(RECENT_S * 1000) // 20)
    utterances: list[list[np.ndarray]] = []
    held: list[np.ndarray] | None = None
    start_s = checked_t = 0.0
    head = int(policy.head_s * SAMPLE_RATE_HZ)
    tail = np.zeros(SAMPLE_RATE_HZ, np.int16)  # a second of quiet lets the last one end
    for chunk in chunks_of(np.concatenate([samples, tail])):
        event = endpointer.feed(chunk)
        end_s = chunk.start_s + chunk.duration_s
        if held is None:
            ring.append(chunk)
            if event is not None and event.kind is EndpointKind.STARTED:
                held = [c.samples for c in ring if c.start_s + c.duration_s / 2
                        >= event.t - PRE_ROLL_S]
                start_s, checked_t = event.t, -1.0
                utterances.append([])
                ring.clear()
            continue
        held.append(chunk.samples)
        checks = utterances[-1]
        is_settled = bool(checks) and len(checks[-1]) >= head
        if end_s - start_s >= policy.head_s:
            t: float | None = end_s
        elif event is not None and event.kind is not EndpointKind.QUIET:
            t = event.t
        else:
            t = None
        if t is not None and t != checked_t and not is_settled:
            checks.append(np.concatenate(held)[:head])
            checked_t = t
        if event is not None and event.kind is EndpointKind.ENDED:
            held = None
    return [checks for checks in utterances if checks]


@dataclass(frozen=True)
class Costs:
    per_clip: list[list[float]]
    """Per clip, the phrase's cost (nats) in each utterance: its lowest over the checks."""
    checks: int
    vad_cpu_s: float
    """CPU seconds of the endpointer."""
    check_cpu_s: float
    """CPU seconds of the neural checks."""


def _costs(ear: PhraseEar, phrase: str, clips: Sequence[Clip], policy: PhrasePolicy) -> Costs:
    costs: list[list[float]] = []
    vad_cpu = check_cpu = 0.0
    checks = 0
    for clip in clips:
        started = time.process_time()
        utterances = utterance_heads(clip.samples, policy)
        checked = time.process_time()
        costs.append([min(hear_phrase(ear, head, phrase, policy).cost_nats
                          for head in heads) for heads in utterances])
        checks += sum(len(heads) for heads in utterances)
        vad_cpu += checked - started
        check_cpu += time.process_time() - checked
    return Costs(costs, checks, vad_cpu, check_cpu)


def choose_cost(costs: Sequence[float]) -> float:
    """The phrase's cutoff from the tuning clips: the smallest that hears every one of
    them, rounded up to half a nat."""
    return float(np.ceil(max(max(costs, default=0.0), 0.0) * 2) / 2)


def phrase_run(wake_dir: Path, audio_root: Path, phrase: str, models_dir: Path,
               negative_step: int = 1) -> Iterator[str]:
    """Misses on real recordings of the phrase (the cutoff chosen on the clips at even
    indices, sorted by name; reported on both halves), false wakes and CPU on real speech
    without it (every ``negative_step``-th clip)."""
    from ..stt.moonshine import MoonshineSettings, MoonshineSTT
    positives, bad = _clips([wake_dir])
    negatives, bad_neg = _clips([audio_root / d for d in NEGATIVE_DIRS
                                 if (audio_root / d).is_dir()])
    negatives = negatives[::negative_step]
    hours = _hours(negatives)
    yield (f"wake phrase {phrase!r} (Moonshine): {len(positives)} clips in {wake_dir} ({bad} "
           f"undecodable); {len(negatives)} clips without it, {hours:.3f} h"
           f"{f' (one in {negative_step})' if negative_step > 1 else ''} ({bad_neg} "
           f"undecodable) from {', '.join(NEGATIVE_DIRS)}")
    ear = MoonshineSTT(None, MoonshineSettings(models_dir))
    policy = PhrasePolicy()
    found = _costs(ear, phrase, positives, policy)
    best = [min(c, default=float("inf")) for c in found.per_clip]
    tuning, held_out = best[0::2], best[1::2]
    chosen = choose_cost(tuning)
    measured = _costs(ear, phrase, negatives, policy)
    heard = measured.per_clip

    def misses(half: Sequence[float], cutoff: float) -> str:
        missed = sum(c > cutoff for c in half)
        return f"{missed}/{len(half)} ({100 * missed / max(len(half), 1):.1f}%)"

    def false_wakes(cutoff: float) -> str:
        false = sum(c <= cutoff for clip in heard for c in clip)
        return f"{false} ({false / max(hours, 1e-9):.2f}/h)"

    for cutoff in sorted({1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, chosen, policy.max_cost_nats}):
        yield (f"  cost <= {cutoff:.1f} nats: missed {misses(tuning, cutoff)} tuning half, "
               f"{misses(held_out, cutoff)} other half; false wakes {false_wakes(cutoff)}")
    cutoff = policy.max_cost_nats
    yield (f"wake phrase {phrase!r}, cutoff {cutoff:.1f} nats (chosen on the even half: "
           f"{chosen:.1f}, every clip heard): missed "
           f"{misses(tuning, cutoff)} on the half it was chosen on, {misses(held_out, cutoff)} "
           f"on the other; false wakes {false_wakes(cutoff)} in {hours:.3f} h of real speech")
    per_hour = 1 / max(hours, 1e-9)
    yield (f"wake phrase CPU while idle with speech around: {sum(map(len, heard))} "
           f"utterances, {measured.checks} checks, {measured.check_cpu_s * per_hour:.0f} s of "
           f"CPU per hour of speech for the checks "
           f"({measured.check_cpu_s / max(measured.checks, 1):.2f} s each) + "
           f"{measured.vad_cpu_s * per_hour:.0f} s for the endpointer")
