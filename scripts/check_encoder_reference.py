"""Compare the numpy speaker encoder with the reference (torch + librosa) on real audio.

Not part of the project's install: run it in a throwaway venv that has torch and librosa,
with the repository on PYTHONPATH:
    python -m venv /tmp/ref && /tmp/ref/bin/pip install torch==2.13.0 librosa soundfile soxr
    PYTHONPATH=. /tmp/ref/bin/python scripts/check_encoder_reference.py models ../shared/audio/...
It checks the mel front end against librosa.feature.melspectrogram, the network against
torch.nn.LSTM/Linear loaded with torch.load, and whole-utterance embeddings.
"""

from __future__ import annotations

import sys
from pathlib import Path

import librosa
import numpy as np
import torch

from voice_shop.audio import read_audio
from voice_shop.speaker import encoder as E
from voice_shop.speaker.weights import weights_path


class Reference(torch.nn.Module):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.lstm = torch.nn.LSTM(40, 256, 3, batch_first=True)
        self.linear = torch.nn.Linear(256, 256)
        self.load_state_dict(torch.load(path, map_location="cpu", weights_only=False)
                             ["model_state"], strict=False)

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(mels)
        raw = torch.relu(self.linear(hidden[-1]))
        return raw / torch.norm(raw, dim=1, keepdim=True)


def main() -> None:
    models, audio_dir = Path(sys.argv[1]), Path(sys.argv[2])
    ours = E.SpeakerEncoder(models)
    ref = Reference(weights_path(models)).eval()
    worst_mel = worst_net = worst_utt = 0.0
    for path in sorted(audio_dir.rglob("*.flac"))[::5]:
        wav = read_audio(path).astype(np.float32) / 32768.0
        mel_ref = librosa.feature.melspectrogram(y=wav, sr=16000, n_fft=400, hop_length=160,
                                                 n_mels=40).astype(np.float32).T
        mel_ours = E.mel_spectrogram(wav)
        worst_mel = max(worst_mel, float(np.max(np.abs(mel_ref - mel_ours))
                                         / np.max(np.abs(mel_ref))))
        slices = E.partial_slices(len(wav))
        need = slices[-1].stop * E.HOP
        padded = np.pad(wav, (0, max(0, need - len(wav))))
        mel = librosa.feature.melspectrogram(y=padded, sr=16000, n_fft=400, hop_length=160,
                                             n_mels=40).astype(np.float32).T
        batch = np.stack([mel[s] for s in slices])
        with torch.no_grad():
            partial_ref = ref(torch.from_numpy(batch)).numpy()
        worst_net = max(worst_net, float(np.max(np.abs(partial_ref - ours.embed_mels(batch)))))
        mean = partial_ref.mean(axis=0)
        utt_ref = mean / np.linalg.norm(mean)
        worst_utt = max(worst_utt, float(1 - utt_ref @ ours.embed_wav(wav)))
    print(f"mel front end: max |ours - librosa| / max |librosa| = {worst_mel:.2e}")
    print(f"network (same mel input): max |ours - torch| per embedding value = {worst_net:.2e}")
    print(f"whole utterance: max (1 - cosine(ours, reference)) = {worst_utt:.2e}")


if __name__ == "__main__":
    main()
