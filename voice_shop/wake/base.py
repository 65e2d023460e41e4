"""The wake-word interface: settings, the detection message, and the engine Protocol.

An engine turns a stream of pipeline audio into wake-word probabilities, one per window it
completes; ``WakeWordDetector`` turns those into detections with a probability cutoff and a
refractory time, the same way for every backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np

from ..audio import SAMPLE_RATE_HZ
from ..errors import WakeError


class WakeEngineName(StrEnum):
    MICRO = "micro"
    """microWakeWord (pymicro-wakeword): small streaming models, the default."""
    OPEN = "open"
    """openWakeWord (pyopen-wakeword): melspectrogram + embedding + a small classifier."""


DEFAULT_WAKE_WORD = "okay_nabu"
"""Chosen by measurement (docs/measurements.md): no false wake in 1.15 h of real read speech
and coffee orders even at half its cutoff, and Piper's voice triggers it every time."""

WAKE_WORDS: dict[WakeEngineName, tuple[str, ...]] = {
    WakeEngineName.MICRO: ("okay_nabu", "hey_jarvis", "hey_mycroft", "alexa"),
    WakeEngineName.OPEN: ("okay_nabu", "hey_jarvis", "hey_mycroft", "alexa", "hey_rhasspy"),
}
"""The models each engine ships in its wheel."""


@dataclass(frozen=True)
class WakeSettings:
    """Load-time settings of the wake stage."""

    word: str = DEFAULT_WAKE_WORD
    """A shipped model name (see WAKE_WORDS) or a model file path (.tflite, or microWakeWord's
    .json). Empty means no wake-word engine: a custom ``phrase`` or no wake at all."""
    engine: WakeEngineName = WakeEngineName.MICRO
    phrase: str = ""
    """A custom wake phrase, heard at the start of each utterance by the neural recogniser
    (``neural``; others: at the start of its transcript); used only when ``word`` is empty.
    Both empty: every utterance is a command (push-to-talk testing)."""
    probability_cutoff: float | None = None
    """A detection needs a probability above this; None: the model's own (see MODEL_CUTOFFS)."""
    refractory_s: float = 2.0
    """After a detection, further detections within this time are the same wake word."""
    follow_up_s: float = 8.0
    """After a question, how long an answer is accepted without the wake word."""
    command_wait_s: float = 3.0
    """After a wake word, how long the device waits for the command to begin."""

    @property
    def uses_engine(self) -> bool:
        return bool(self.word)

    @property
    def recogniser_phrase(self) -> str:
        """The phrase the recogniser's language must contain (only for a custom phrase)."""
        return "" if self.word else self.phrase


MODEL_CUTOFFS: dict[tuple[WakeEngineName, str], float] = {
    (WakeEngineName.MICRO, "alexa"): 0.95,
    (WakeEngineName.OPEN, "okay_nabu"): 0.5, (WakeEngineName.OPEN, "hey_jarvis"): 0.5,
    (WakeEngineName.OPEN, "hey_mycroft"): 0.5, (WakeEngineName.OPEN, "alexa"): 0.5,
    (WakeEngineName.OPEN, "hey_rhasspy"): 0.5,
}
"""Cutoffs measured here where they differ from the model's own: microWakeWord "alexa" at its
shipped 0.9 woke on 2 files of 1.15 h of real speech, at 0.95 on none (143/145 detected)."""


def unknown_word(engine: WakeEngineName, word: str, file_hint: str) -> WakeError:
    return WakeError(f"unknown wake word {word!r}: choose one of "
                     f"{', '.join(WAKE_WORDS[engine])}, or give {file_hint}",
                     code="unknown_wake_word")


def unloadable(word: str, exc: Exception) -> WakeError:
    return WakeError(f"cannot load the wake-word model {word!r}: {exc}", code="bad_wake_model")


@dataclass(frozen=True)
class WakeDetection:
    """The wake word was heard."""

    t: float
    """Stream time in seconds at which the engine decided (just after the word ended)."""
    probability: float
    """The engine's probability that crossed the cutoff, 0..1."""
    word: str
    """Model name."""


class WakeWordEngine(Protocol):
    """One backend: streaming probabilities over 16 kHz int16 mono audio."""

    word: str
    default_cutoff: float

    def process(self, samples: np.ndarray) -> list[float]:
        """Probabilities of the windows these samples complete (often none)."""
        ...

    def reset(self) -> None:
        """Forget all audio heard (between unrelated recordings)."""
        ...


class WakeWordDetector:
    """Cutoff and refractory time on top of any engine; feed chunks in stream order."""

    def __init__(self, engine: WakeWordEngine, settings: WakeSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.cutoff = (settings.probability_cutoff if settings.probability_cutoff is not None
                       else engine.default_cutoff)
        self._last_s = -1e9

    def feed(self, samples: np.ndarray, start_s: float) -> WakeDetection | None:
        probabilities = self.engine.process(samples)
        if not probabilities:
            return None
        best = max(probabilities)
        now_s = start_s + len(samples) / SAMPLE_RATE_HZ
        if best <= self.cutoff or now_s - self._last_s < self.settings.refractory_s:
            return None
        self._last_s = now_s
        return WakeDetection(now_s, best, self.engine.word)

    def reset(self) -> None:
        self.engine.reset()
        self._last_s = -1e9
