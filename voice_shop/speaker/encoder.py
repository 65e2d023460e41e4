"""The GE2E speaker encoder (resemblyzer's weights) in plain numpy.

Front end as the reference: a power mel spectrogram (16 kHz, 25 ms Hann window, 10 ms hop,
centre-padded with zeros, 40 Slaney mel bands; not log). The network: a 3-layer LSTM (gates
i, f, g, o) over partials of 160 frames taken at 1.3 per second, a linear layer, ReLU, L2
normalisation; the utterance embedding is the L2-normalised mean of the partials. Before that,
the volume is raised to -30 dBFS and long silences are cut (the reference uses webrtcvad for
that step; here the project's own energy measure does it, see ``_trim_long_silences``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

from ..audio import SAMPLE_RATE_HZ
from ..errors import SpeakerIdError
from .weights import load_state, weights_path

N_FFT = 400
HOP = 160
N_MELS = 40
PARTIAL_FRAMES = 160
PARTIAL_RATE = 1.3
MIN_COVERAGE = 0.75
TARGET_DBFS = -30.0
EMBEDDING_SIZE = 256


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney mel scale: linear to 1 kHz, logarithmic above."""
    hz = np.asarray(hz, np.float64)
    mel = hz / (200.0 / 3)
    log_part = hz >= 1000.0
    mel[log_part] = 15.0 + np.log(hz[log_part] / 1000.0) / (np.log(6.4) / 27.0)
    return mel


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, np.float64)
    hz = mel * (200.0 / 3)
    log_part = mel >= 15.0
    hz[log_part] = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel[log_part] - 15.0))
    return hz


@lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """(40, 201) Slaney-normalised triangular filters, as librosa builds them."""
    fft_hz = np.linspace(0, SAMPLE_RATE_HZ / 2, 1 + N_FFT // 2)
    mel_hz = _mel_to_hz(np.linspace(_hz_to_mel(np.array([0.0]))[0],
                                    _hz_to_mel(np.array([SAMPLE_RATE_HZ / 2]))[0], N_MELS + 2))
    widths = np.diff(mel_hz)
    ramps = mel_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_hz[2:N_MELS + 2] - mel_hz[:N_MELS]))[:, None]
    return weights.astype(np.float32)


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """(frames, 40) power mel spectrogram of float audio in [-1, 1]."""
    padded = np.pad(wav.astype(np.float32), N_FFT // 2)
    frames = 1 + (len(padded) - N_FFT) // HOP
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(frames)[:, None]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    power = np.abs(np.fft.rfft(padded[index] * window, axis=1)) ** 2
    return (power.astype(np.float32) @ mel_filterbank().T).astype(np.float32)


def _normalize_volume(wav: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean((wav * 32767.0) ** 2))) if len(wav) else 0.0
    if rms <= 0:
        return wav
    change_db = TARGET_DBFS - 20 * np.log10(rms / 32767.0)
    return wav * (10 ** (change_db / 20)) if change_db > 0 else wav


def _trim_long_silences(wav: np.ndarray, window: int = 480) -> np.ndarray:
    """Keep voiced 30 ms windows and up to ~6 windows of silence around them."""
    usable = len(wav) - len(wav) % window
    if usable == 0:
        return wav
    blocks = wav[:usable].reshape(-1, window)
    level = 10 * np.log10(np.mean(blocks ** 2, axis=1) + 1e-12)
    voiced = level > max(np.percentile(level, 10) + 10.0, -65.0)
    smooth = np.convolve(voiced.astype(float), np.ones(8) / 8, mode="same") >= 0.5
    keep = np.convolve(smooth.astype(float), np.ones(7), mode="same") > 0
    if not keep.any():
        return wav
    return blocks[keep].reshape(-1)


def partial_slices(n_samples: int) -> list[slice]:
    """Mel-frame ranges of the partials that cover the utterance (as the reference)."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round((SAMPLE_RATE_HZ / PARTIAL_RATE) / HOP))
    starts = range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step)
    slices = [slice(s, s + PARTIAL_FRAMES) for s in starts]
    last = slices[-1]
    coverage = (n_samples - last.start * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < MIN_COVERAGE and len(slices) > 1:
        slices = slices[:-1]
    return slices


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class SpeakerEncoder:
    """Audio -> 256-d L2-normalised voice embedding. Load once (~20 ms, 6 MB)."""

    def __init__(self, models_dir: Path) -> None:
        path = weights_path(models_dir)
        if not path.exists():
            raise SpeakerIdError(f"speaker-encoder weights missing at {path}; run "
                                 "'bash scripts/setup.sh' (it fetches them without torch)")
        state = load_state(path)
        self._layers = [(state[f"lstm.weight_ih_l{n}"].T.copy(),
                         state[f"lstm.weight_hh_l{n}"].T.copy(),
                         state[f"lstm.bias_ih_l{n}"] + state[f"lstm.bias_hh_l{n}"])
                        for n in range(3)]
        self._linear_w = state["linear.weight"].T.copy()
        self._linear_b = state["linear.bias"]
        self._threads = ThreadpoolController()  # finding the BLAS libraries once

    def embed_mels(self, mels: np.ndarray) -> np.ndarray:
        """(batch, frames, 40) mel partials -> (batch, 256) L2-normalised embeddings."""
        x = mels.astype(np.float32)
        # The recurrent steps are many tiny matrix products: BLAS threads only contend, and
        # on a busy 2-core machine made an utterance ~30x slower (8.6 s instead of 0.26 s).
        with self._threads.limit(limits=1, user_api="blas"):
            for w_ih, w_hh, bias in self._layers:
                x = self._lstm_layer(x, w_ih, w_hh, bias)
        raw = np.maximum(x[:, -1] @ self._linear_w + self._linear_b, 0.0)
        return raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)

    @staticmethod
    def _lstm_layer(x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                    bias: np.ndarray) -> np.ndarray:
        batch, steps, _ = x.shape
        hidden = w_hh.shape[0]
        inputs = x @ w_ih + bias  # all time steps at once: (batch, steps, 4 * hidden)
        h = np.zeros((batch, hidden), np.float32)
        c = np.zeros((batch, hidden), np.float32)
        out = np.empty((batch, steps, hidden), np.float32)
        for t in range(steps):
            gates = inputs[:, t] + h @ w_hh
            i = _sigmoid(gates[:, :hidden])
            f = _sigmoid(gates[:, hidden:2 * hidden])
            g = np.tanh(gates[:, 2 * hidden:3 * hidden])
            o = _sigmoid(gates[:, 3 * hidden:])
            c = f * c + i * g
            h = o * np.tanh(c)
            out[:, t] = h
        return out

    def embed_wav(self, wav: np.ndarray) -> np.ndarray:
        """Embedding of float audio already preprocessed (volume, silences)."""
        slices = partial_slices(len(wav))
        needed = slices[-1].stop * HOP
        if needed >= len(wav):
            wav = np.pad(wav, (0, needed - len(wav)))
        mel = mel_spectrogram(wav)
        partials = self.embed_mels(np.stack([mel[s] for s in slices]))
        mean = partials.mean(axis=0)
        return (mean / np.linalg.norm(mean)).astype(np.float32)

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """Embedding of pipeline audio (int16 mono 16 kHz)."""
        wav = np.asarray(samples, np.float32) / 32768.0
        wav = _trim_long_silences(_normalize_volume(wav))
        if len(wav) < HOP * 10:
            raise SpeakerIdError("too little speech to tell who is speaking", code="too_short")
        return self.embed_wav(wav)
