"""Is there a voice in the recording? Silence, white noise, clipping and steady tones are
refused with a message naming the file; real recorded speech passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voice_shop.audio import SAMPLE_RATE_HZ, read_audio
from voice_shop.errors import AudioQualityError, VoiceShopError
from voice_shop.speaker.quality import check_enrollment, measure, require_speech

REAL_VOICES = Path(__file__).resolve().parents[1].parent / "shared" / "audio" \
    / "librispeech-speakers"


def _white_noise(seconds: float, rms: float = 3000.0, seed: int = 1) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(int(seconds * SAMPLE_RATE_HZ)) * rms
    return noise.clip(-32768, 32767).astype(np.int16)


def _sine(seconds: float, gain: float, hz: float = 220.0) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    return (np.sin(2 * np.pi * hz * t) * gain * 32767).clip(-32768, 32767).astype(np.int16)


@pytest.fixture(scope="module")
def real_speech() -> np.ndarray:
    path = REAL_VOICES / "1688" / "1688-142285-0000.flac"
    if not path.exists():
        pytest.skip(f"no recorded speech at {REAL_VOICES}")
    return read_audio(path)


def _refusal(samples: np.ndarray, label: str = "kitchen.wav") -> AudioQualityError:
    with pytest.raises(AudioQualityError) as caught:
        check_enrollment(samples, label)
    assert isinstance(caught.value, VoiceShopError)
    assert caught.value.message.startswith(f"{label}: ")
    assert "\n" not in caught.value.message
    return caught.value


@pytest.mark.parametrize("samples", [np.zeros(5 * SAMPLE_RATE_HZ, np.int16),
                                     _white_noise(5.0, rms=30.0),
                                     _white_noise(5.0),
                                     _white_noise(5.0, rms=20000.0)],
                         ids=["digital silence", "quiet hiss", "white noise", "loud noise"])
def test_silence_and_noise_are_no_speech(samples: np.ndarray) -> None:
    assert measure(samples).voiced_s == 0.0
    assert _refusal(samples).code == "no_speech"
    with pytest.raises(AudioQualityError, match="no speech"):
        require_speech(samples, "noise.wav")


def test_ten_minutes_of_white_noise_hold_no_speech() -> None:
    assert measure(_white_noise(600.0, seed=7)).voiced_s == 0.0


def test_clipped_sine_is_refused_as_clipped() -> None:
    error = _refusal(_sine(3.0, gain=3.0))
    assert error.code == "clipped" and "clipped" in error.message


def test_steady_tone_is_not_speech_to_enroll() -> None:
    tone = _sine(3.0, gain=0.5)
    assert measure(tone).clipped_fraction == 0.0  # a clean sine is not mistaken for clipping
    assert _refusal(tone).code == "too_noisy"


def test_real_speech_passes(real_speech: np.ndarray) -> None:
    quality = check_enrollment(real_speech, "real.flac")
    assert 5.0 < quality.voiced_s < quality.duration_s
    assert quality.clipped_fraction == 0.0 and quality.snr_db > 15.0


def test_real_speech_clipped_is_refused(real_speech: np.ndarray) -> None:
    loud = (real_speech.astype(np.float32) * 8).clip(-32768, 32767).astype(np.int16)
    assert _refusal(loud, "loud.wav").code == "clipped"


def test_too_little_real_speech(real_speech: np.ndarray) -> None:
    start = 2 * SAMPLE_RATE_HZ
    short = real_speech[start:start + SAMPLE_RATE_HZ // 2]
    require_speech(short, "yes.wav")  # enough to answer "yes" with
    assert _refusal(short, "yes.wav").code == "too_little_speech"


def test_real_speech_in_white_noise_is_still_speech(real_speech: np.ndarray) -> None:
    rms = float(np.sqrt(np.mean(real_speech.astype(np.float64) ** 2)))
    noisy = (real_speech + _white_noise(len(real_speech) / SAMPLE_RATE_HZ, rms / 3.0)
             [:len(real_speech)].astype(np.float32)).clip(-32768, 32767).astype(np.int16)
    assert measure(noisy).voiced_s > 0.5 * measure(real_speech).voiced_s
