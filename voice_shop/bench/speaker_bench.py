"""Speaker identification on the real recorded voices in ../shared/audio, when present."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

from ..speaker.encoder import SpeakerEncoder
from ..speaker.identify import DEFAULT_THRESHOLD

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "eval_speakers.py"


def run(audio_dir: Path, models_dir: Path) -> Iterator[str]:
    if not (audio_dir / "speakers.tsv").exists() or not SCRIPT.exists():
        yield f"speakers: skipped (no recorded voices at {audio_dir})"
        return
    spec = importlib.util.spec_from_file_location("eval_speakers", SCRIPT)
    assert spec is not None and spec.loader is not None
    evaluation = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(evaluation)
    speakers, _ = evaluation.embed_all(audio_dir, SpeakerEncoder(models_dir))
    known, unknown = evaluation.trials(speakers)
    identified, rejected = evaluation.rates(known, unknown, DEFAULT_THRESHOLD)
    yield (f"speakers (LibriSpeech, {len(speakers)} voices, 3 enrollment utterances): "
           f"identified {100 * identified:.1f}% of {len(known)}, unknown voices rejected "
           f"{100 * rejected:.1f}% of {len(unknown)} at threshold {DEFAULT_THRESHOLD}")
