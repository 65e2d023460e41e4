"""The streaming denoiser on PCM built in the test."""

from __future__ import annotations

import numpy as np
import pytest

from voice_shop.stt.denoise import SpectralDenoiser, WienerDenoiser

FILTERS = pytest.mark.parametrize("kind", [SpectralDenoiser, WienerDenoiser])


def _run(samples: np.ndarray, chunk: int, kind: type = SpectralDenoiser) -> np.ndarray:
    denoiser = kind()
    parts = [denoiser.feed(samples[i:i + chunk]) for i in range(0, len(samples), chunk)]
    return np.concatenate([*parts, denoiser.flush()])


@FILTERS
def test_length_is_kept_whatever_the_chunking(kind: type) -> None:
    audio = np.random.default_rng(0).normal(0, 1000, 16000).astype(np.int16)
    whole = _run(audio, 16000, kind)
    for chunk in (1, 160, 320, 1000):
        chunked = _run(audio, chunk, kind)
        assert len(chunked) == len(audio)
        assert np.array_equal(chunked, whole)
    assert np.array_equal(kind().run(audio), whole)
    short = audio[:3000]  # shorter than the warm-up the noise estimate waits for
    assert len(_run(short, 320, kind)) == len(short)


@FILTERS
def test_digital_silence_passes_through(kind: type) -> None:
    """Clean synthetic audio has nothing to remove: it comes out as it went in."""
    audio = np.zeros(16000, np.int16)
    audio[8000:12000] = (5000 * np.sin(np.arange(4000) / 5)).astype(np.int16)
    assert np.array_equal(_run(audio, 320, kind), audio)


@FILTERS
def test_steady_noise_is_reduced_and_a_tone_kept(kind: type) -> None:
    rng = np.random.default_rng(1)
    t = np.arange(48000) / 16000
    noise = rng.normal(0, 800, len(t))
    tone = np.where(t > 1.0, 6000 * np.sin(2 * np.pi * 440 * t), 0.0)
    out = _run(np.clip(noise + tone, -32768, 32767).astype(np.int16), 320, kind)
    out = out.astype(float)
    quiet_before = np.sqrt(np.mean(noise[8000:15000] ** 2))
    quiet_after = np.sqrt(np.mean(out[8000:15000] ** 2))
    assert quiet_after < 0.5 * quiet_before  # the noise before the tone is cut by > 6 dB
    tone_in = np.sqrt(np.mean(tone[20000:40000] ** 2))
    tone_out = np.sqrt(np.mean(out[20000:40000] ** 2))
    assert 0.8 * tone_in < tone_out < 1.2 * tone_in


def test_the_foreground_speech_is_found_between_quieter_voices() -> None:
    from voice_shop.stt.pocketsphinx_engine import FOREGROUND_PAD_S, foreground_span
    rng = np.random.default_rng(3)
    voices = 10 ** rng.uniform(0, 1, 200)  # others talking: levels moving by 10 dB
    pad = round(FOREGROUND_PAD_S * 40)
    # The order 25-35 dB over the others' quietest frames, and 15-25 dB: others talking
    # 10 dB under it, their loud frames within FOREGROUND_DB of its loud ones.
    for low, high in ((2.5, 3.5), (1.5, 2.5)):
        energies = voices.copy()
        energies[80:120] = 10 ** rng.uniform(low, high, 40)
        energies[85] = 2.0  # a pause inside it
        first, end = foreground_span(energies)
        # the smoothing may reach a frame or two further
        assert 80 - pad - 2 <= first <= 80 - pad and 120 + pad <= end <= 120 + pad + 2
        first, end = foreground_span(energies[:90])  # runs on to the end
        assert 80 - pad - 2 <= first <= 80 - pad and end == 90
    assert foreground_span(voices) == (0, 200)  # nobody stands out: all of it
    assert foreground_span(np.full(50, 7.0)) == (0, 50)
    assert foreground_span(energies[:3]) == (0, 3)
