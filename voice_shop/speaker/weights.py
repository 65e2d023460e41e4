"""The GE2E speaker-encoder weights from the resemblyzer 0.1.4 wheel, read without torch.

``pretrained.pt`` is torch's legacy (pre-zip) serialisation: pickles of a magic number, the
protocol and system info, then the pickled checkpoint whose tensors refer to storages by
persistent id, then the list of storage keys, then each storage's raw little-endian data
prefixed by its element count (int64). A small unpickler maps storages to numpy arrays and
rebuilds each tensor as a strided view; nothing from torch is imported.
"""

from __future__ import annotations

import hashlib
import pickle
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..errors import SpeakerIdError

WHEEL = "resemblyzer==0.1.4"
WHEEL_SHA256 = "8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f"
WEIGHTS_NAME = "ge2e-resemblyzer-0.1.4.pt"
_MAGIC = 0x1950A86A20F9469CFC6C
_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
           "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
           "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_}


@dataclass
class _Storage:
    dtype: Any
    data: np.ndarray | None = None


@dataclass
class _TensorRef:
    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def materialize(self) -> np.ndarray:
        assert self.storage.data is not None
        base = self.storage.data[self.offset:]
        itemsize = base.itemsize
        if not self.size:
            return np.array(base[0])
        return np.lib.stride_tricks.as_strided(
            base, shape=self.size, strides=tuple(s * itemsize for s in self.stride)).copy()


def _rebuild_tensor(storage: _Storage, offset: int, size: tuple[int, ...],
                    stride: tuple[int, ...], *_: Any) -> _TensorRef:
    return _TensorRef(storage, offset, tuple(size), tuple(stride))


class _Placeholder:
    """Anything of torch's that the encoder does not need (optimizer internals)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _Unpickler(pickle.Unpickler):
    def __init__(self, f: IO[bytes]) -> None:
        super().__init__(f)
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return name
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        return _Placeholder

    def persistent_load(self, saved_id: Any) -> _Storage:
        _, storage_type, key, _location, _size = saved_id[:5]
        dtype = _DTYPES.get(storage_type, np.float32) if isinstance(storage_type, str) \
            else np.float32
        return self.storages.setdefault(str(key), _Storage(dtype))


def _walk(value: Any) -> Any:
    if isinstance(value, _TensorRef):
        return value.materialize()
    if isinstance(value, dict):
        return {k: _walk(v) for k, v in value.items()}
    return value


def load_state(path: Path) -> dict[str, np.ndarray]:
    """The encoder's ``model_state`` as name -> float32 array."""
    try:
        with path.open("rb") as f:
            if pickle.load(f) != _MAGIC:
                raise SpeakerIdError(f"{path} is not a legacy torch checkpoint")
            pickle.load(f)  # protocol version
            pickle.load(f)  # system info
            unpickler = _Unpickler(f)
            checkpoint = unpickler.load()
            for key in pickle.load(f):
                storage = unpickler.storages[str(key)]
                count = int.from_bytes(f.read(8), "little")
                itemsize = np.dtype(storage.dtype).itemsize
                storage.data = np.frombuffer(f.read(count * itemsize), dtype=storage.dtype)
    except (OSError, pickle.UnpicklingError, EOFError, KeyError) as exc:
        raise SpeakerIdError(f"cannot read speaker-encoder weights {path}: {exc}") from exc
    state = _walk(checkpoint["model_state"])
    return {k: np.asarray(v, np.float32) for k, v in state.items()}


def weights_path(models_dir: Path) -> Path:
    return models_dir / WEIGHTS_NAME


def install_weights(models_dir: Path) -> Path:
    """Fetch the pinned wheel with pip (no dependencies, so no torch), check its hash and
    extract ``pretrained.pt`` into the models folder. Runs once, at set-up time."""
    target = weights_path(models_dir)
    if target.exists():
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
                        WHEEL], check=True)
        wheel = next(Path(tmp).glob("*.whl"))
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != WHEEL_SHA256:
            raise SpeakerIdError(f"{wheel.name} has SHA-256 {digest}, expected {WHEEL_SHA256}")
        with zipfile.ZipFile(wheel) as zf, zf.open("resemblyzer/pretrained.pt") as src, \
                tempfile.NamedTemporaryFile(dir=models_dir, delete=False) as dst:
            shutil.copyfileobj(src, dst)
        Path(dst.name).replace(target)
    return target


if __name__ == "__main__":
    print(install_weights(Path(sys.argv[1] if len(sys.argv) > 1 else "models")))
