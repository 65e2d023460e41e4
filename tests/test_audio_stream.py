"""Files streamed block by block: long recordings at any rate, and unreadable ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voice_shop.audio import SAMPLE_RATE_HZ, SourceError, WavSource, stream_audio
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
