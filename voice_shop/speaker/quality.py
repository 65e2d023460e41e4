"""Is there a voice to learn or recognise? Voiced speech, clipping and noise of a recording.

Voiced speech is found frame by frame (30 ms): loud enough, and periodic at a pitch between
60 and 400 Hz (the autocorrelation of the frame peaks there). Silence has no level and white
or broadband noise no pitch, so neither counts as speech however long it lasts. Clipping shows
as runs of samples stuck at the recording's peak. The noise margin is the level of the voiced
frames above the quietest tenth of the recording.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..audio import SAMPLE_RATE_HZ
from ..errors import AudioQualityError

FRAME = 480  # 30 ms
MIN_LAG = SAMPLE_RATE_HZ // 400
MAX_LAG = SAMPLE_RATE_HZ // 60
FFT_SIZE = 1024
CLIP_RUN = 4  # a smooth peak never stays flat for 4 samples (0.25 ms)
BLOCK_FRAMES = 2000  # bounds memory on long recordings (10 minutes: 20,000 frames)


@dataclass(frozen=True)
class QualitySettings:
    """Load-time bars a recording must pass."""

    min_level_dbfs: float = -60.0
    """A quieter frame is never speech."""
    min_periodicity: float = 0.5
    """Normalised autocorrelation at the pitch a frame needs to count as voiced (white noise
    reaches about 0.15; vowels 0.7-0.95)."""
    min_voiced_s: float = 0.15
    """Less voiced speech than this is "no speech" (a one-word "yes" has about 0.25 s)."""
    min_enroll_voiced_s: float = 0.6
    """Voiced speech each enrollment recording needs (the shortest of 170 real LibriSpeech
    recordings, 2.5 s long, has 0.69 s; a spoken shop command 1-2 s)."""
    max_clipped_fraction: float = 0.002
    """Share of samples in clipped runs above which a recording is refused."""
    min_snr_db: float = 2.0
    """Voiced speech must stand this far above the quietest tenth of an enrollment: speech
    has pauses, a steady tone or hum has none (0 dB). The noisiest of 170 real LibriSpeech
    recordings measures 3.3 dB, most 12-45 dB."""


@dataclass(frozen=True)
class SpeechQuality:
    duration_s: float
    voiced_s: float
    """Seconds of frames that are loud and periodic at a voice's pitch."""
    clipped_fraction: float
    """Share of samples in runs of four or more stuck at the recording's peak."""
    snr_db: float
    """Median level of voiced frames above the 10th-percentile frame level (0 if unvoiced)."""


def _frames(samples: np.ndarray) -> Iterator[np.ndarray]:
    usable = len(samples) - len(samples) % FRAME
    frames = samples[:usable].reshape(-1, FRAME)
    for start in range(0, len(frames), BLOCK_FRAMES):
        yield frames[start:start + BLOCK_FRAMES].astype(np.float32) / 32768.0


def _levels_and_periodicity(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    centred = block - block.mean(axis=1, keepdims=True)
    energy = np.sum(centred ** 2, axis=1)
    level_db = 10 * np.log10(energy / FRAME + 1e-12)
    spectrum = np.fft.rfft(centred, FFT_SIZE, axis=1)
    autocorr = np.fft.irfft(np.abs(spectrum) ** 2, FFT_SIZE, axis=1)[:, :MAX_LAG + 1]
    overlap = (FRAME - np.arange(MAX_LAG + 1)) / FRAME  # undo the bias of short overlaps
    normalised = autocorr / (autocorr[:, :1] * overlap + 1e-12)
    return level_db, normalised[:, MIN_LAG:].max(axis=1)


def _clipped_fraction(samples: np.ndarray) -> float:
    magnitude = np.abs(samples.astype(np.int32))
    peak = int(magnitude.max()) if len(magnitude) else 0
    if peak == 0:
        return 0.0
    stuck = magnitude >= peak - max(1, peak // 1000)
    if len(stuck) < CLIP_RUN:
        return 0.0
    run = np.ones(len(stuck) - CLIP_RUN + 1, bool)
    for shift in range(CLIP_RUN):
        run &= stuck[shift:shift + len(run)]
    in_run = np.zeros(len(stuck), bool)
    for shift in range(CLIP_RUN):
        in_run[shift:shift + len(run)] |= run
    return float(in_run.mean())


def measure(samples: np.ndarray, settings: QualitySettings | None = None) -> SpeechQuality:
    """Voiced seconds, clipping and noise margin of pipeline audio (int16, 16 kHz mono)."""
    settings = settings or QualitySettings()
    levels, voiced = [], []
    for block in _frames(samples):
        level_db, periodicity = _levels_and_periodicity(block)
        levels.append(level_db)
        voiced.append((level_db > settings.min_level_dbfs)
                      & (periodicity >= settings.min_periodicity))
    level = np.concatenate(levels) if levels else np.zeros(0)
    is_voiced = np.concatenate(voiced) if voiced else np.zeros(0, bool)
    snr_db = (float(np.median(level[is_voiced]) - np.percentile(level, 10))
              if is_voiced.any() else 0.0)
    return SpeechQuality(duration_s=len(samples) / SAMPLE_RATE_HZ,
                         voiced_s=float(is_voiced.sum()) * FRAME / SAMPLE_RATE_HZ,
                         clipped_fraction=_clipped_fraction(samples), snr_db=snr_db)


def require_speech(samples: np.ndarray, label: str,
                   settings: QualitySettings | None = None) -> SpeechQuality:
    """The recording's quality, or AudioQualityError("no speech") for silence and noise."""
    settings = settings or QualitySettings()
    quality = measure(samples, settings)
    if quality.voiced_s < settings.min_voiced_s:
        raise AudioQualityError(f"{label}: no speech heard (silence or noise)", code="no_speech")
    return quality


def check_enrollment(samples: np.ndarray, label: str,
                     settings: QualitySettings | None = None) -> SpeechQuality:
    """Refuse an enrollment recording that would make a poor voice print, saying why."""
    settings = settings or QualitySettings()
    quality = require_speech(samples, label, settings)
    if quality.clipped_fraction > settings.max_clipped_fraction:
        raise AudioQualityError(
            f"{label}: the recording is clipped ({100 * quality.clipped_fraction:.1f}% of "
            "samples at full scale); record it again further from the microphone",
            code="clipped")
    if quality.voiced_s < settings.min_enroll_voiced_s:
        raise AudioQualityError(
            f"{label}: too little speech ({quality.voiced_s:.1f} s voiced, needs "
            f"{settings.min_enroll_voiced_s:.1f} s); say a whole sentence",
            code="too_little_speech")
    if quality.snr_db < settings.min_snr_db:
        raise AudioQualityError(
            f"{label}: too noisy or not speech (voice only {quality.snr_db:.1f} dB above the "
            f"background, needs {settings.min_snr_db:.0f} dB); record it somewhere quieter",
            code="too_noisy")
    return quality
