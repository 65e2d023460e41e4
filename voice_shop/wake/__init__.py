"""The wake stage: a trained wake-word engine on the raw audio (microWakeWord by default,
openWakeWord as the alternative, each in its own module), or, for a custom phrase, the gate
in ``phrase``: heard on the audio by the neural recogniser (``neural``), or at the start of
the transcript with a recogniser that cannot score it (PocketSphinx, Vosk)."""

from __future__ import annotations

from .base import (
    DEFAULT_WAKE_WORD,
    MODEL_CUTOFFS,
    WAKE_WORDS,
    WakeDetection,
    WakeEngineName,
    WakeSettings,
    WakeWordDetector,
    WakeWordEngine,
)
from .phrase import WakeGate, WakeResult

__all__ = [
    "DEFAULT_WAKE_WORD",
    "MODEL_CUTOFFS",
    "WAKE_WORDS",
    "WakeDetection",
    "WakeEngineName",
    "WakeGate",
    "WakeResult",
    "WakeSettings",
    "WakeWordDetector",
    "WakeWordEngine",
    "load_detector",
    "load_engine",
]


def load_engine(settings: WakeSettings) -> WakeWordEngine:
    """The backend named in the settings, with its model loaded."""
    if settings.engine is WakeEngineName.OPEN:
        from .openww import OpenWakeWordEngine
        return OpenWakeWordEngine(settings.word)
    from .micro import MicroWakeWordEngine
    return MicroWakeWordEngine(settings.word)


def load_detector(settings: WakeSettings) -> WakeWordDetector:
    engine = load_engine(settings)
    if settings.probability_cutoff is None:
        measured = MODEL_CUTOFFS.get((settings.engine, engine.word))
        if measured is not None:
            from dataclasses import replace
            settings = replace(settings, probability_cutoff=measured)
    return WakeWordDetector(engine, settings)
