"""End-of-speech detection: a small energy-based state machine over 20 ms frames.

The level of each frame is compared with a running estimate of the noise floor, so the same
settings work in a quiet kitchen and next to a fan. Speech starts after ``start_ms`` of loud
frames and ends after ``end_silence_ms`` of quiet ones, or at ``max_utterance_s``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from .audio import CHUNK_MS, AudioChunk


@dataclass(frozen=True)
class EndpointerSettings:
    """Load-time settings of the endpointer."""

    start_ms: int = 60
    """Loud audio needed before an utterance starts."""
    end_silence_ms: int = 600
    """Quiet audio that ends an utterance."""
    max_utterance_s: float = 10.0
    """An utterance is cut here whatever is heard."""
    threshold_db: float = 9.0
    """How far above the noise floor a frame must be to count as speech."""
    min_speech_dbfs: float = -50.0
    """Frames quieter than this are never speech."""


class EndpointKind(StrEnum):
    STARTED = "started"
    ENDED = "ended"


@dataclass(frozen=True)
class EndpointEvent:
    kind: EndpointKind
    t: float
    """Stream time in seconds of the start (STARTED) or end (ENDED) of speech."""
    is_cut: bool = False
    """True when the utterance hit the maximum length rather than falling silent."""


def level_dbfs(samples: np.ndarray) -> float:
    if len(samples) == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64)))))
    return 20.0 * np.log10(max(rms, 1e-3) / 32768.0)


class Endpointer:
    """Feed chunks in stream order; get STARTED/ENDED events."""

    def __init__(self, settings: EndpointerSettings | None = None) -> None:
        self.settings = settings or EndpointerSettings()
        self.noise_floor_dbfs: float | None = None
        self.in_speech = False
        self._loud_ms = 0
        self._quiet_ms = 0
        self._speech_start = 0.0

    def force_start(self, t: float) -> None:
        """Treat speech as already under way (the wake phrase was just heard)."""
        self.in_speech, self._speech_start, self._quiet_ms = True, t, 0

    def reset(self) -> None:
        self.in_speech, self._loud_ms, self._quiet_ms = False, 0, 0

    def _is_loud(self, level: float) -> bool:
        floor = self.noise_floor_dbfs
        if floor is None:
            self.noise_floor_dbfs = floor = level  # the room as the stream begins
        is_loud = level > max(floor + self.settings.threshold_db, self.settings.min_speech_dbfs)
        if level < floor:
            self.noise_floor_dbfs = 0.7 * floor + 0.3 * level
        elif not is_loud:
            self.noise_floor_dbfs = floor + 0.05 * (level - floor)
        else:
            self.noise_floor_dbfs = floor + 0.002 * (level - floor)
        return is_loud

    def feed(self, chunk: AudioChunk) -> EndpointEvent | None:
        is_loud = self._is_loud(level_dbfs(chunk.samples))
        end_t = chunk.start_s + chunk.duration_s
        if not self.in_speech:
            self._loud_ms = self._loud_ms + CHUNK_MS if is_loud else 0
            if self._loud_ms >= self.settings.start_ms:
                self.in_speech, self._quiet_ms = True, 0
                self._speech_start = end_t - self._loud_ms / 1000.0
                return EndpointEvent(EndpointKind.STARTED, self._speech_start)
            return None
        self._quiet_ms = 0 if is_loud else self._quiet_ms + CHUNK_MS
        if self._quiet_ms >= self.settings.end_silence_ms:
            self.reset()
            return EndpointEvent(EndpointKind.ENDED, end_t - self.settings.end_silence_ms / 1000)
        if end_t - self._speech_start >= self.settings.max_utterance_s:
            self.reset()
            return EndpointEvent(EndpointKind.ENDED, end_t, is_cut=True)
        return None
