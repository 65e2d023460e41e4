"""The endpointer state machine on PCM built in the test."""

from __future__ import annotations

import numpy as np

from voice_shop.audio import SAMPLE_RATE_HZ, chunks_of
from voice_shop.vad import Endpointer, EndpointerSettings, EndpointKind


def _tone(seconds: float, amplitude: int = 8000) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.int16)


def _noise(seconds: float, level: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.normal(0, level, int(seconds * SAMPLE_RATE_HZ)).astype(np.int16)


def _events(samples: np.ndarray, settings: EndpointerSettings | None = None) -> list:
    endpointer = Endpointer(settings)
    return [(e.kind, round(e.t, 2), e.is_cut) for c in chunks_of(samples)
            if (e := endpointer.feed(c)) is not None]


def test_speech_between_silences() -> None:
    audio = np.concatenate([np.zeros(16000, np.int16), _tone(1.0), np.zeros(16000, np.int16)])
    assert _events(audio) == [(EndpointKind.STARTED, 1.0, False),
                              (EndpointKind.ENDED, 2.0, False)]


def test_short_pause_does_not_end_the_utterance() -> None:
    quiet = np.zeros(int(0.3 * SAMPLE_RATE_HZ), np.int16)
    audio = np.concatenate([quiet, _tone(0.5), quiet, _tone(0.5), np.zeros(16000, np.int16)])
    kinds = [k for k, _, _ in _events(audio)]
    assert kinds == [EndpointKind.STARTED, EndpointKind.ENDED]


def test_click_is_not_speech() -> None:
    audio = np.concatenate([np.zeros(8000, np.int16), _tone(0.02), np.zeros(16000, np.int16)])
    assert _events(audio) == []


def test_steady_background_noise_is_learned() -> None:
    background = _noise(4.0, 300)
    audio = background.copy()
    audio[32000:48000] += _tone(1.0, 6000)
    assert [(k, t) for k, t, _ in _events(audio)] == [(EndpointKind.STARTED, 2.0),
                                                      (EndpointKind.ENDED, 3.0)]


def test_long_speech_is_cut() -> None:
    settings = EndpointerSettings(max_utterance_s=2.0)
    room = np.zeros(8000, np.int16)  # a stream begins with the room, which sets the floor
    events = _events(np.concatenate([room, _tone(5.0), np.zeros(16000, np.int16)]), settings)
    assert events[:2] == [(EndpointKind.STARTED, 0.5, False), (EndpointKind.ENDED, 2.5, True)]
