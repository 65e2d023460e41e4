"""Spoken-command accuracy, word error rate, real-time factors and rejection figures (wake
figures: ``wake_bench``).

Commands are generated from the live catalog with shopper phrasings, spoken by Piper (three
speaking rates, clean and with white noise at 20/10/5 dB) and by espeak-ng voices, and run
through ``understand`` exactly as the CLI does. A command counts as right when intent, skus,
quantities (an unsaid quantity and "a/one" both mean one) and options equal the parse of the
text it was made from; the text parser's own accuracy is measured by the test table.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE_HZ, read_audio
from ..intent.model import Intent
from ..intent.parser import IntentParser
from ..shop.models import Product
from ..stt.base import SpeechToText
from ..text import normalize
from ..tts import PiperSettings, PiperTTS
from ..understand import understand
from ..vad import speech_span

TEMPLATES = (
    "add {q} {n}", "add {q} {n} for me", "i'd like {q} {n} please", "can i get {q} {n}",
    "could you put {q} {n} in my cart", "add {q} {n} and {q2} {n2}", "i need {q} {n}",
    "remove the {n}", "take the {n} out", "how much is the {n}", "how much are the {n}",
    "do you have {n}", "please add {q} {n} to my cart", "get me {q} {n} and {q2} {n2}",
    "add {n} to my shopping list", "tell me about the {n}",
)
FIXED = ("what's in my cart", "check out", "yes", "no thanks", "undo that", "clear my cart",
         "any deals today", "my usual", "where is my order", "say that again",
         "what do you recommend", "cancel")
QUANTITIES = ("a", "two", "three", "four", "a couple of", "half a dozen", "five", "one", "six",
              "ten")
OUT_OF_DOMAIN = (
    "what's the weather like tomorrow", "I was thinking we could go to the park later",
    "turn off the lights in the kitchen", "the game starts at seven tonight",
    "call mom and tell her I'm running late", "this movie is really boring",
    "can you play some jazz music", "how tall is the eiffel tower",
    "we should paint the living room blue", "did you feed the dog this morning",
    "my meeting got moved to Thursday", "let's watch the news after dinner",
    "the traffic was terrible on the highway", "remind me to call the dentist",
    "who won the football match last night", "I can't find my car keys anywhere",
    "set a timer for ten minutes", "what time does the library open",
    "the kids need to finish their homework", "I think it's going to rain today",
)


@dataclass(frozen=True)
class Condition:
    name: str
    voice: str
    """"piper" or an espeak-ng voice name."""
    rate: float
    """Piper length scale, or espeak-ng words per minute."""
    snr_db: float | None = None


@dataclass(frozen=True)
class ConditionResult:
    condition: Condition
    commands: int
    correct: int
    word_errors: int
    words: int
    audio_s: float
    decode_s: float

    @property
    def accuracy(self) -> float:
        return self.correct / max(self.commands, 1)

    @property
    def wer(self) -> float:
        return self.word_errors / max(self.words, 1)

    def line(self) -> str:
        return (f"speech [{self.condition.name}] {self.commands} commands: intent+slots "
                f"{100 * self.accuracy:.1f}%, WER {100 * self.wer:.1f}%, recognition RTF "
                f"{self.decode_s / max(self.audio_s, 1e-9):.3f}")


def spoken_commands(products: Sequence[Product], count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    commands = list(FIXED)
    while len(commands) < count:
        a, b = rng.sample(list(products), 2)
        name = rng.choice([a.name, *a.aliases]).lower()
        commands.append(rng.choice(TEMPLATES).format(
            q=rng.choice(QUANTITIES), n=name, q2=rng.choice(QUANTITIES), n2=b.name.lower()))
    return commands[:count]


def intent_key(intent: Intent) -> tuple[object, ...]:
    return (str(intent.intent), intent.quantity, tuple(
        (i.sku, i.quantity or 1, tuple(sorted(i.options.items()))) for i in intent.items))


def word_errors(reference: str, hypothesis: str) -> int:
    ref, hyp = reference.split(), hypothesis.split()
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


class Voices:
    """Makes the audio for a condition (Piper loaded once per rate)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._piper: dict[float, PiperTTS] = {}
        self.synth_s = 0.0
        self.synth_audio_s = 0.0

    def speak(self, text: str, condition: Condition, index: int) -> np.ndarray:
        if condition.voice == "piper":
            tts = self._piper.get(condition.rate)
            if tts is None:
                tts = self._piper[condition.rate] = PiperTTS(
                    PiperSettings(length_scale=condition.rate))
            started = time.perf_counter()
            audio = tts.synthesize_all(text)
            self.synth_s += time.perf_counter() - started
            self.synth_audio_s += len(audio) / SAMPLE_RATE_HZ
        else:
            path = self.folder / f"espeak-{index}.wav"
            subprocess.run(["espeak-ng", "-v", condition.voice, "-s", str(int(condition.rate)),
                            "-w", str(path), text], check=True, capture_output=True)
            audio = read_audio(path)
        if condition.snr_db is not None:
            audio = add_noise(audio, condition.snr_db, index)
        return audio


def add_noise(audio: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    speech = audio.astype(np.float64)
    loud = np.abs(speech) > 100
    power = float(np.mean(speech[loud] ** 2)) if loud.any() else 1.0
    noise = np.random.default_rng(seed).normal(0, np.sqrt(power / 10 ** (snr_db / 10)),
                                               len(speech))
    return np.clip(speech + noise, -32768, 32767).astype(np.int16)


def _strip_wake(text: str, wake: str) -> str:
    return text[len(wake):].strip() if wake and text.startswith(wake + " ") else text


def run_condition(stt: SpeechToText, parser: IntentParser, voices: Voices,
                  condition: Condition, commands: Sequence[str], wake: str = "hey shop",
                  ) -> ConditionResult:
    phrase = tuple(wake.split())
    correct = errors = words = 0
    audio_s = decode_s = 0.0
    for index, text in enumerate(commands):
        audio = voices.speak(text, condition, index)
        started = time.perf_counter()
        transcript = stt.transcribe(speech_span(audio))
        decode_s += time.perf_counter() - started
        audio_s += len(audio) / SAMPLE_RATE_HZ
        if transcript.text.split()[:len(phrase)] == list(phrase):
            transcript = transcript.without_wake(phrase)
        reference = _strip_wake(normalize(text), wake)
        result = understand(transcript, parser)
        correct += intent_key(result.intent) == intent_key(parser.parse(reference))
        errors += word_errors(reference, transcript.text)
        words += len(reference.split())
    return ConditionResult(condition, len(commands), correct, errors, words, audio_s, decode_s)


def conditions(quick: bool) -> list[Condition]:
    found = [Condition("piper clean", "piper", 1.0),
             Condition("piper fast (0.85)", "piper", 0.85),
             Condition("piper slow (1.2)", "piper", 1.2),
             Condition("piper + noise 20 dB", "piper", 1.0, 20.0),
             Condition("piper + noise 10 dB", "piper", 1.0, 10.0),
             Condition("piper + noise 5 dB", "piper", 1.0, 5.0),
             Condition("espeak en-us 160 wpm", "en-us", 160),
             Condition("espeak en-us+f3 160 wpm", "en-us+f3", 160),
             Condition("espeak en-us 200 wpm", "en-us", 200)]
    return found[:1] + found[4:5] + found[6:7] if quick else found


def rejection(stt: SpeechToText, parser: IntentParser, voices: Voices) -> str:
    condition = Condition("piper", "piper", 1.0)
    rejected = 0
    for index, text in enumerate(OUT_OF_DOMAIN):
        audio = speech_span(voices.speak(text, condition, 9000 + index))
        result = understand(stt.transcribe(audio), parser)
        rejected += not result.is_understood
    return (f"out-of-domain speech (Piper, {len(OUT_OF_DOMAIN)} sentences): "
            f"{rejected} rejected as not understood ({100 * rejected / len(OUT_OF_DOMAIN):.0f}%)")


def run(make_stt: Callable[[bool], SpeechToText], parser: IntentParser,
        products: Sequence[Product], count: int, quick: bool) -> Iterator[str]:
    commands = spoken_commands(products, count)
    with tempfile.TemporaryDirectory() as tmp:
        voices = Voices(Path(tmp))
        stt = make_stt(True)
        results = []
        for condition in conditions(quick):
            result = run_condition(stt, parser, voices, condition, commands)
            results.append(result)
            yield result.line()
        general = run_condition(make_stt(False), parser, voices,
                                Condition("piper clean, GENERAL LM", "piper", 1.0),
                                commands[:min(count, 60)])
        yield general.line()
        yield (f"domain biasing: WER {100 * results[0].wer:.1f}% vs general "
               f"{100 * general.wer:.1f}% ({general.wer / max(results[0].wer, 1e-9):.1f}x)")
        yield rejection(stt, parser, voices)
        yield (f"synthesis RTF (Piper, {voices.synth_audio_s:.0f} s of audio): "
               f"{voices.synth_s / max(voices.synth_audio_s, 1e-9):.3f}")
        clean = [r.accuracy for r in results if r.condition.snr_db is None]
        yield (f"mean clean-speech intent+slots accuracy over voices: "
               f"{100 * statistics.mean(clean):.1f}%")
