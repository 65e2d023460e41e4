"""Audio at the edges: files and sound devices in, the pipeline's one format inside.

Inside the pipeline audio is always 16 kHz, 16-bit signed, mono PCM, handled as int16 numpy
arrays or ``AudioChunk``s of ``CHUNK_MS``. Files of any rate and channel count are converted
here, once, with soxr (resampling) and a plain average (downmix).
"""

from __future__ import annotations

import struct
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soundfile as sf
import soxr

from .errors import AudioInputError, AudioOutputError

SAMPLE_RATE_HZ = 16_000
SAMPLE_WIDTH_BYTES = 2
CHANNELS = 1
CHUNK_MS = 20
CHUNK_SAMPLES = SAMPLE_RATE_HZ * CHUNK_MS // 1000
MAX_FILE_SECONDS = 600.0
"""Longer recordings are refused by ``read_audio``: a shopping command is seconds long.
``WavSource`` streams files of any length (an hour of a room) block by block instead."""
WHOLE_FILE_SECONDS = 60.0
"""``WavSource`` decodes shorter files whole before streaming them, so a file that fails to
decode part-way contributes no audio at all; longer ones are streamed block by block."""


@dataclass(frozen=True)
class AudioChunk:
    """A short slice of pipeline audio."""

    samples: np.ndarray
    """int16 mono samples at SAMPLE_RATE_HZ."""
    start_s: float
    """Seconds from the start of the stream to the first sample."""
    source: str | None = None
    """File the chunk came from, None for the microphone."""

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE_HZ


def to_pipeline_format(data: np.ndarray, rate_hz: int) -> np.ndarray:
    """Any float/int array (frames x channels, or mono) at any rate -> int16 mono 16 kHz."""
    audio = np.asarray(data)
    if audio.dtype.kind in "iu":
        audio = audio.astype(np.float32) / float(np.iinfo(audio.dtype).max)
    audio = audio.astype(np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    if rate_hz != SAMPLE_RATE_HZ and len(audio):
        audio = soxr.resample(audio, rate_hz, SAMPLE_RATE_HZ, quality="HQ")
    return np.clip(np.round(audio * 32767.0), -32768, 32767).astype(np.int16)


def _check_wav_complete(path: Path) -> None:
    """libsndfile reads a truncated WAV silently; compare the header with the file size."""
    with path.open("rb") as f:
        header = f.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return
        size = path.stat().st_size
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                raise AudioInputError(f"{path}: truncated WAV (no audio data chunk)",
                                      code="truncated_audio")
            chunk_id, chunk_size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if chunk_id == b"data":
                available = size - f.tell()
                if chunk_size not in (0, 0xFFFFFFFF) and available < chunk_size:
                    raise AudioInputError(
                        f"{path}: truncated WAV: header promises {chunk_size} bytes of audio, "
                        f"file holds {available}", code="truncated_audio")
                return
            f.seek(chunk_size + (chunk_size & 1), 1)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise AudioInputError(f"{path}: no such file", code="no_such_file")
    if path.is_dir():
        raise AudioInputError(f"{path}: is a directory, not an audio file", code="not_a_file")
    _check_wav_complete(path)


def check_audio_file(path: Path) -> None:
    """One clear AudioInputError when ``path`` is no readable audio file, from its header
    alone (cheap: callers check every input before loading any model)."""
    _check_file(path)
    try:
        sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioInputError(f"{path}: not a readable audio file ({exc})",
                              code="bad_audio") from exc


def read_audio(path: Path) -> np.ndarray:
    """Read a WAV/FLAC/OGG file into pipeline format, or raise one clear AudioInputError."""
    _check_file(path)
    try:
        info = sf.info(str(path))
        if info.frames / max(info.samplerate, 1) > MAX_FILE_SECONDS:
            raise AudioInputError(f"{path}: longer than {MAX_FILE_SECONDS:.0f} s")
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioInputError(f"{path}: not a readable audio file ({exc})",
                              code="bad_audio") from exc
    if len(data) == 0:
        raise AudioInputError(f"{path}: contains no audio", code="empty_audio")
    return to_pipeline_format(data, rate)


def stream_audio(path: Path, block_s: float = 10.0) -> Iterator[np.ndarray]:
    """A file of any length in pipeline format, block by block (one block for short files);
    one clear AudioInputError for anything unreadable, empty or undecodable."""
    _check_file(path)
    try:
        with sf.SoundFile(str(path)) as f:
            rate, frames = f.samplerate, f.frames
            if frames <= WHOLE_FILE_SECONDS * rate:
                data = f.read(dtype="float32", always_2d=True)
                if len(data) == 0:
                    raise AudioInputError(f"{path}: contains no audio", code="empty_audio")
                yield to_pipeline_format(data, rate)
                return
            resampler = (soxr.ResampleStream(rate, SAMPLE_RATE_HZ, 1, dtype="float32",
                                             quality="HQ") if rate != SAMPLE_RATE_HZ else None)
            while len(block := f.read(int(block_s * rate), dtype="float32", always_2d=True)):
                mono = block.mean(axis=1)
                if resampler is not None:
                    mono = resampler.resample_chunk(mono, last=False)
                yield to_pipeline_format(mono, SAMPLE_RATE_HZ)
            if resampler is not None:
                yield to_pipeline_format(resampler.resample_chunk(np.zeros(0, np.float32),
                                                                  last=True), SAMPLE_RATE_HZ)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioInputError(f"{path}: not a readable audio file ({exc})",
                              code="bad_audio") from exc


def write_wav(path: Path, samples: np.ndarray, rate_hz: int = SAMPLE_RATE_HZ) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), samples, rate_hz, subtype="PCM_16")
    except (OSError, sf.LibsndfileError) as exc:
        raise AudioOutputError(f"cannot write {path}: {exc}") from exc


def chunks_of(samples: np.ndarray, start_s: float = 0.0, source: str | None = None,
              chunk_samples: int = CHUNK_SAMPLES) -> Iterator[AudioChunk]:
    for offset in range(0, len(samples), chunk_samples):
        yield AudioChunk(samples[offset:offset + chunk_samples],
                         start_s + offset / SAMPLE_RATE_HZ, source)


@dataclass(frozen=True)
class SourceError:
    """A file the source could not read; the stream goes on with the next file."""

    error: AudioInputError
    start_s: float
    """Stream time in seconds at which the file would have begun."""
    source: str
    """The file."""


class AudioSource(Protocol):
    """Where pipeline audio comes from: a microphone or files, chunk by chunk (and, for
    files, a SourceError in place of each file that cannot be read)."""

    def chunks(self) -> Iterator[AudioChunk | SourceError]: ...


LEAD_IN_S = 0.3
"""Silence before each file, as a microphone hears the room before anyone speaks."""


class WavSource:
    """One or more audio files streamed one after another, optionally at real-time pace.

    Each file is heard as a microphone would hear it on its own: a short silence before it
    (the room before anyone speaks) and after it (a pause between utterances), all of it
    marked with the file's name, so that the listener can start each file afresh."""

    def __init__(self, paths: Sequence[Path], *, realtime: bool = False,
                 gap_s: float = 0.8) -> None:
        self.paths = list(paths)
        self.realtime = realtime
        self.gap_s = gap_s

    def chunks(self) -> Iterator[AudioChunk | SourceError]:
        lead_in = np.zeros(int(LEAD_IN_S * SAMPLE_RATE_HZ), np.int16)
        gap = np.zeros(int(self.gap_s * SAMPLE_RATE_HZ), np.int16)
        clock = 0.0
        started = time.monotonic()
        for path in self.paths:
            yield from self._paced(lead_in, clock, str(path), started)
            clock += len(lead_in) / SAMPLE_RATE_HZ
            try:
                for block in stream_audio(path):
                    yield from self._paced(block, clock, str(path), started)
                    clock += len(block) / SAMPLE_RATE_HZ
            except AudioInputError as exc:
                yield SourceError(exc, clock, str(path))
            yield from self._paced(gap, clock, str(path), started)
            clock += len(gap) / SAMPLE_RATE_HZ

    def _paced(self, samples: np.ndarray, clock: float, name: str,
               started: float) -> Iterator[AudioChunk]:
        for chunk in chunks_of(samples, clock, name):
            if self.realtime:
                delay = chunk.start_s - (time.monotonic() - started)
                if delay > 0:
                    time.sleep(delay)
            yield chunk


class ArraySource:
    """Audio already in memory, streamed through the same path as files and microphones."""

    def __init__(self, samples: np.ndarray, name: str | None = None) -> None:
        self.samples = np.asarray(samples, np.int16)
        self.name = name

    def chunks(self) -> Iterator[AudioChunk]:
        return chunks_of(self.samples, 0.0, self.name)


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as exc:  # PortAudio library missing
        raise AudioInputError(
            "no audio system: PortAudio is not installed (apt-get install libportaudio2); "
            "use --wav FILE to feed audio files instead", code="no_portaudio") from exc
    return sounddevice


def input_devices() -> list[dict[str, Any]]:
    sd = _sounddevice()
    return [dict(d) for d in sd.query_devices() if d.get("max_input_channels", 0) > 0]


def output_devices() -> list[dict[str, Any]]:
    sd = _sounddevice()
    return [dict(d) for d in sd.query_devices() if d.get("max_output_channels", 0) > 0]


class MicrophoneSource:
    """The default input device through PortAudio, converted to pipeline chunks."""

    def __init__(self, device: int | str | None = None) -> None:
        self.device = device

    def chunks(self) -> Iterator[AudioChunk]:
        """Chunks stamped with stream time (samples read); what was captured while the
        device spoke is dropped by the pipeline by that time."""
        sd = _sounddevice()
        if not input_devices():
            raise AudioInputError("no microphone found; use --wav FILE to feed audio files",
                                  code="no_input_device")
        try:
            info = sd.query_devices(self.device, "input")
            rate = int(info["default_samplerate"])
            stream = sd.InputStream(device=self.device, channels=1, samplerate=rate,
                                    dtype="float32", blocksize=rate * CHUNK_MS // 1000)
        except Exception as exc:  # PortAudioError and friends: one clear line
            raise AudioInputError(f"cannot open the microphone ({exc}); use --wav FILE",
                                  code="mic_open_failed") from exc
        clock = 0.0
        with stream:
            while True:
                data, _ = stream.read(stream.blocksize)
                samples = to_pipeline_format(data, rate)
                yield AudioChunk(samples, clock, None)
                clock += len(samples) / SAMPLE_RATE_HZ


class AudioSink(Protocol):
    """Where spoken replies go. ``play`` may return while the reply is still sounding (a
    speaker), so the listen loop can go on hearing the room and stop the reply (barge-in)."""

    def play(self, chunks: Iterable[np.ndarray], name: str) -> float:
        """Start playing pipeline-format chunks (made as they are consumed); return the
        reply's length in seconds."""
        ...

    def stop(self, at_s: float) -> float:
        """Stop the reply under way ``at_s`` seconds into it by the listener's clock; return
        the seconds of it that were played."""
        ...

    def wait(self) -> None:
        """Return once the reply under way has finished playing."""
        ...


class WavDirectorySink:
    """Writes each reply to ``DIR/NNN-name.wav`` (16 kHz mono). A reply stopped part-way
    (barge-in, on the stream's clock) is cut there, so the file holds what was heard."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0
        self.written: list[Path] = []
        self._last = np.zeros(0, np.int16)

    def play(self, chunks: Iterable[np.ndarray], name: str) -> float:
        samples = np.concatenate([np.asarray(c, np.int16) for c in chunks] or
                                 [np.zeros(0, np.int16)])
        self.count += 1
        path = self.directory / f"{self.count:03d}-{name}.wav"
        write_wav(path, samples)
        self.written.append(path)
        self._last = samples
        return len(samples) / SAMPLE_RATE_HZ

    def stop(self, at_s: float) -> float:
        if not self.written:
            return 0.0
        kept = self._last[:max(0, round(at_s * SAMPLE_RATE_HZ))]
        write_wav(self.written[-1], kept)
        self._last = kept
        return len(kept) / SAMPLE_RATE_HZ

    def wait(self) -> None:
        """A file is complete once written."""


class Playback:
    """One reply fed to PortAudio's output callback from a queue: synthesis adds sentences
    while earlier ones sound, and the listen loop can stop it at any moment (barge-in)."""

    def __init__(self) -> None:
        self._queue: deque[np.ndarray] = deque()
        self._lock = threading.Lock()
        self._is_closed = False
        self._is_stopped = False
        self.played_frames = 0
        self.finished = threading.Event()
        """Set when the output has run dry or was stopped."""

    def add(self, samples: np.ndarray) -> None:
        with self._lock:
            self._queue.append(np.asarray(samples, np.int16).reshape(-1))

    def close(self) -> None:
        """No more audio will be added: the reply ends when the queue runs dry."""
        with self._lock:
            self._is_closed = True

    def stop(self) -> float:
        """Silence from the next output buffer on; the seconds played so far."""
        with self._lock:
            self._is_stopped = True
            self._queue.clear()
            return self.played_frames / SAMPLE_RATE_HZ

    def fill(self, out: np.ndarray) -> bool:
        """Fill one output buffer (PortAudio's callback thread); False once the reply is
        over. A queue that runs dry before ``close`` is an underrun: silence, not the end."""
        with self._lock:
            written = 0
            while written < len(out) and self._queue and not self._is_stopped:
                head = self._queue[0]
                n = min(len(head), len(out) - written)
                out[written:written + n] = head[:n]
                written += n
                if n == len(head):
                    self._queue.popleft()
                else:
                    self._queue[0] = head[n:]
            out[written:] = 0
            self.played_frames += written
            is_over = self._is_stopped or (self._is_closed and not self._queue)
        if is_over:
            self.finished.set()
        return not is_over


class SpeakerSink:
    """The default output device. ``play`` starts the reply on PortAudio's callback and
    returns once it is synthesised, not once it has sounded: the microphone loop keeps
    running (wake word during the reply) and ``stop`` cuts the sound at once."""

    def __init__(self, device: int | str | None = None) -> None:
        self.device = device
        self._playback: Playback | None = None
        self._stream: Any = None

    def play(self, chunks: Iterable[np.ndarray], name: str) -> float:
        self._end_stream()
        playback = self._playback = Playback()
        length_s = 0.0
        for chunk in chunks:
            playback.add(chunk)
            length_s += len(chunk) / SAMPLE_RATE_HZ
            if self._stream is None:  # the first sentence sounds while the rest is made
                self._stream = self._open(playback)
        playback.close()
        if self._stream is None:
            playback.finished.set()  # nothing to say
        return length_s

    def _open(self, playback: Playback) -> Any:
        sd = _sounddevice()
        if not output_devices():
            raise AudioOutputError("no speaker found; use --reply-dir DIR to write replies",
                                   code="no_output_device")

        def callback(outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
            if not playback.fill(outdata[:, 0]):
                raise sd.CallbackStop

        try:
            stream = sd.OutputStream(device=self.device, channels=1, samplerate=SAMPLE_RATE_HZ,
                                     dtype="int16", blocksize=CHUNK_SAMPLES, callback=callback,
                                     finished_callback=playback.finished.set)
            stream.start()
        except Exception as exc:
            raise AudioOutputError(f"cannot play audio ({exc}); use --reply-dir DIR") from exc
        return stream

    def stop(self, at_s: float) -> float:
        """Stops now: on a live device the listener's clock is the speaker's."""
        played = self._playback.stop() if self._playback is not None else 0.0
        self._end_stream()
        return played

    def wait(self) -> None:
        if self._playback is not None:
            self._playback.finished.wait()
        self._end_stream()

    def _end_stream(self) -> None:
        if self._playback is not None:
            self._playback.stop()
        if self._stream is not None:
            self._stream.close(ignore_errors=True)
            self._stream = None
