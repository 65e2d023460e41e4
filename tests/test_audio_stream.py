"""Files streamed block by block: long recordings at any rate, and unreadable ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voice_shop.audio import (
    SAMPLE_RATE_HZ,
    Playback,
    SourceError,
    WavDirectorySink,
    WavSource,
    stream_audio,
)
from voice_shop.errors import AudioInputError


def test_a_long_44k_stereo_file_streams_in_blocks(tmp_path: Path) -> None:
    rate, seconds = 44_100, 75
    t = np.arange(rate * seconds) / rate
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)
    path = tmp_path / "long.flac"
    sf.write(str(path), np.stack([tone, tone], axis=1), rate)
    blocks = list(stream_audio(path))
    assert len(blocks) > 5  # streamed, not read whole
    total = sum(len(b) for b in blocks)
    assert abs(total - seconds * SAMPLE_RATE_HZ) < 100
    audio = np.concatenate(blocks)
    spectrum = np.abs(np.fft.rfft(audio[:SAMPLE_RATE_HZ].astype(np.float64)))
    assert abs(int(np.argmax(spectrum)) - 440) <= 1  # 1 Hz bins: still a 440 Hz tone


def test_unreadable_files_become_source_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.wav"
    sf.write(str(good), np.zeros(SAMPLE_RATE_HZ, np.int16), SAMPLE_RATE_HZ)
    text = tmp_path / "text.wav"
    text.write_text("not audio")
    items = list(WavSource([text, good, tmp_path / "none.wav"]).chunks())
    errors = [i for i in items if isinstance(i, SourceError)]
    assert [(e.source, e.error.code) for e in errors] == [(str(text), "bad_audio"),
                                                         (str(tmp_path / "none.wav"),
                                                          "no_such_file")]
    assert any(getattr(i, "source", None) == str(good) for i in items)
    with pytest.raises(AudioInputError):
        list(stream_audio(text))


# ---- replies that can be stopped (barge-in) -----------------------------------------------
def _buffers(playback: Playback, count: int, frames: int = 320) -> tuple[list[bool], np.ndarray]:
    """Pull ``count`` output buffers the way PortAudio's callback does."""
    going, out = [], []
    for _ in range(count):
        buffer = np.full(frames, 7, np.int16)  # stale data the fill must overwrite
        going.append(playback.fill(buffer))
        out.append(buffer)
    return going, np.concatenate(out)


def test_playback_sounds_sentences_in_order_and_ends_when_dry() -> None:
    playback = Playback()
    playback.add(np.arange(1, 501, dtype=np.int16))
    going, heard = _buffers(playback, 3)
    assert going == [True, True, True]  # not closed: a dry queue is an underrun, not the end
    assert np.array_equal(heard[:500], np.arange(1, 501)) and not heard[500:].any()
    playback.add(np.full(400, 9, np.int16))
    playback.close()
    going, heard = _buffers(playback, 2)
    assert going == [True, False] and playback.finished.is_set()
    assert (heard[:400] == 9).all() and not heard[400:].any()
    assert playback.played_frames == 900


def test_a_stopped_playback_is_silent_at_once() -> None:
    playback = Playback()
    playback.add(np.full(SAMPLE_RATE_HZ, 5, np.int16))  # a second of reply
    playback.close()
    _buffers(playback, 10)
    assert playback.stop() == pytest.approx(0.2)
    going, heard = _buffers(playback, 1)
    assert going == [False] and not heard.any() and playback.finished.is_set()


def test_a_file_sink_keeps_what_was_played_before_a_stop(tmp_path: Path) -> None:
    sink = WavDirectorySink(tmp_path)
    assert sink.play([np.ones(SAMPLE_RATE_HZ, np.int16)] * 3, "long") == 3.0
    assert sink.stop(1.25) == 1.25
    assert sf.info(str(sink.written[-1])).frames == int(1.25 * SAMPLE_RATE_HZ)
