"""Moonshine's weights made fit for a small CPU, once, from the files in the installed wheel.

The wheel's ``.ort`` graphs keep every weight matrix as int8 and turn it back into floats
on *every* call (a cast, a scale and an offset per matrix): most of a decoding step went into
that, and each step allocated the whole float embedding table again. Here the graphs are
exported to ONNX by onnxruntime itself, and each ``cast -> scale -> offset -> MatMul`` becomes
one ``DynamicQuantizeMatMul`` over the same int8 weights (the offset is a whole number of
scale steps, so it is exactly the int8 zero point). The embedding table is looked up in int8
and scaled row by row. Weights stay 8-bit in memory; nothing is downloaded.

Run ``python -m voice_shop.stt.moonshine_prepare MODELS_DIR`` to prepare ahead of time
(``scripts/setup.sh`` does); the recogniser prepares on first use otherwise.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SpeechToTextError
from .moonshine_model import model_dir

log = logging.getLogger(__name__)

PREPARED_VERSION = "1"
"""Bump when the preparation changes, so prepared models are made again."""
GRAPHS = ("encoder_model", "decoder_model_merged")


def prepared_dir(models_dir: Path) -> Path:
    """The prepared models for the installed wheel (made when missing)."""
    source = model_dir()
    target = _target(models_dir, source)
    if not is_prepared(models_dir):
        prepare(source, target)
    return target


def is_prepared(models_dir: Path) -> bool:
    target = _target(models_dir, model_dir())
    return all((target / f"{name}.onnx").is_file() for name in GRAPHS)


def _target(models_dir: Path, source: Path) -> Path:
    return models_dir / f"moonshine-base-en-{_fingerprint(source)}"


def _fingerprint(source: Path) -> str:
    digest = hashlib.sha256(PREPARED_VERSION.encode())
    for name in GRAPHS:
        digest.update(f"{name}:{(source / f'{name}.ort').stat().st_size}".encode())
    return digest.hexdigest()[:12]


def prepare(source: Path, target: Path) -> None:
    """Write the prepared graphs for ``source`` (the wheel's folder) into ``target``."""
    log.info("preparing Moonshine for this CPU in %s (once)", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".moonshine-", dir=target.parent))
    try:
        for name in GRAPHS:
            exported = work / f"{name}.exported.onnx"
            _export(source / f"{name}.ort", exported)
            _rewrite(exported, work / f"{name}.onnx", f"{name}.weights")
            exported.unlink()
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
    except Exception as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise SpeechToTextError(f"could not prepare Moonshine in {target}: {exc}") from exc


def _export(ort_file: Path, onnx_file: Path) -> None:
    """onnxruntime writes the graph it loaded back out as ONNX."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.optimized_model_filepath = str(onnx_file)
    ort.InferenceSession(str(ort_file), options, providers=["CPUExecutionProvider"])


def _rewrite(exported: Path, target: Path, weights_file: str) -> None:
    import onnx

    model = onnx.load(str(exported))
    _name_subgraphs(model.graph)
    _Rewriter(model.graph).run()
    onnx.save(model, str(target), save_as_external_data=True, all_tensors_to_one_file=True,
              location=weights_file, size_threshold=1024)


def _name_subgraphs(graph: Any) -> None:
    """The export leaves the branches of the decoder's ``If`` unnamed, which ONNX refuses."""
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("g"):
                if not attribute.g.name:
                    attribute.g.name = f"{node.name}_{attribute.name}"
                _name_subgraphs(attribute.g)


class _Rewriter:
    """Replaces each dequantised weight (``Cast(q) * scale + offset``) by int8 operations."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        self.initializers = {t.name: t for t in graph.initializer}
        self.producers = {out: node for node in graph.node for out in node.output}
        self.users: dict[str, list[tuple[Any, int]]] = defaultdict(list)
        self._index_users(graph)
        self.added: list[Any] = []
        self.lookups: dict[str, list[Any]] = {}
        """Output of a rewritten embedding lookup -> the nodes that scale its rows."""
        self.removed: set[str] = set()

    def _index_users(self, graph: Any) -> None:
        for node in graph.node:
            for slot, name in enumerate(node.input):
                self.users[name].append((node, slot))
            for attribute in node.attribute:
                if attribute.HasField("g"):
                    self._index_users(attribute.g)

    def run(self) -> None:
        for node in list(self.graph.node):
            found = self._dequantised(node)
            if found is not None:
                self._replace(node, *found)
        kept = [n for n in self.graph.node if n.output[0] not in self.removed]
        del self.graph.node[:]
        self.graph.node.extend(kept)
        self._place_lookups(self.graph)
        used = [t for name, t in self.initializers.items()]
        del self.graph.initializer[:]
        self.graph.initializer.extend(used + self.added)

    def _dequantised(self, add: Any) -> tuple[Any, Any, Any] | None:
        """(cast, mul, add) when ``add`` ends a dequantisation of an int8 initializer."""
        if add.op_type != "Add":
            return None
        mul = self.producers.get(add.input[0])
        if mul is None or mul.op_type != "Mul":
            return None
        cast = self.producers.get(mul.input[0])
        if cast is None or cast.op_type != "Cast" or not all(
                name in self.initializers for name in (cast.input[0], mul.input[1],
                                                       add.input[1])):
            return None
        return cast, mul, add

    def _replace(self, add: Any, cast: Any, mul: Any, _add: Any) -> None:
        from onnx import numpy_helper

        q_name, scale_name, offset_name = cast.input[0], mul.input[1], add.input[1]
        q = numpy_helper.to_array(self.initializers[q_name])
        scale = numpy_helper.to_array(self.initializers[scale_name])
        offset = numpy_helper.to_array(self.initializers[offset_name])
        zero = -offset / scale
        users = self.users[add.output[0]]
        is_whole = q.ndim == 2 and scale.size == 1 and np.allclose(zero, np.rint(zero),
                                                                   atol=1e-3)
        if is_whole and users and all(self._is_matmul_weight(u, s) for u, s in users):
            zero_name = self._add(q_name + "_zero", np.rint(zero).astype(np.int8))
            for user, _ in users:
                self._quantized_matmul(user, q_name, scale_name, zero_name)
        elif is_whole and users and all(self._is_table(u, s) for u, s in users):
            self._table(add, q, q_name, scale_name, offset_name, np.rint(zero).astype(np.int8))
            self.removed |= {add.output[0], mul.output[0], cast.output[0]}
            return
        else:  # any other use keeps a float copy, made once here instead of on every call
            self._add(add.output[0], (q.astype(np.float32) * scale + offset).astype(np.float32))
            del self.initializers[q_name]
        self.initializers.pop(offset_name, None)
        if not any(n == scale_name for u, _ in users for n in u.input):
            self.initializers.pop(scale_name, None)
        self.removed |= {add.output[0], mul.output[0], cast.output[0]}

    def _is_matmul_weight(self, node: Any, slot: int) -> bool:
        return node.op_type == "MatMul" and slot == 1

    def _is_table(self, node: Any, slot: int) -> bool:
        """An embedding table: looked up (Gather) and used transposed as the output layer."""
        if node.op_type == "Gather" and slot == 0:
            return True
        return node.op_type == "Transpose" and all(
            self._is_matmul_weight(u, s) for u, s in self.users[node.output[0]])

    def _quantized_matmul(self, node: Any, q: str, scale: str, zero: str) -> None:
        activations = node.input[0]
        node.op_type, node.domain = "DynamicQuantizeMatMul", "com.microsoft"
        del node.input[:]
        node.input.extend([activations, q, scale, zero])

    def _table(self, add: Any, q: np.ndarray, q_name: str, scale: str, offset: str,
               zero: np.ndarray) -> None:
        from onnx import TensorProto, helper

        zero_name = self._add(q_name + "_zero", zero)
        transposed = self._add(q_name + "_transposed", np.ascontiguousarray(q.T))
        for user, _ in self.users[add.output[0]]:
            if user.op_type == "Transpose":
                for matmul, _ in self.users[user.output[0]]:
                    self._quantized_matmul(matmul, transposed, scale, zero_name)
                self.removed.add(user.output[0])
                continue
            rows = user.output[0]
            user.input[0] = q_name
            user.output[0] = f"{rows}_int8"
            self.lookups[user.output[0]] = [
                helper.make_node("Cast", [f"{rows}_int8"], [f"{rows}_float"],
                                 to=TensorProto.FLOAT),
                helper.make_node("Mul", [f"{rows}_float", scale], [f"{rows}_scaled"]),
                helper.make_node("Add", [f"{rows}_scaled", offset], [rows])]

    def _place_lookups(self, graph: Any) -> None:
        """Scale each int8 lookup's rows right after it; drop the dead transposes."""
        ordered = []
        for node in graph.node:
            for attribute in node.attribute:
                if attribute.HasField("g"):
                    self._place_lookups(attribute.g)
            if node.op_type == "Transpose" and node.output[0] in self.removed:
                continue
            ordered.append(node)
            ordered.extend(self.lookups.get(node.output[0], []))
        del graph.node[:]
        graph.node.extend(ordered)

    def _add(self, name: str, array: np.ndarray) -> str:
        from onnx import numpy_helper

        self.added.append(numpy_helper.from_array(array, name))
        return name


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(prepared_dir(Path(sys.argv[1] if len(sys.argv) > 1 else "models")))
