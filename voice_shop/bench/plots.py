"""Charts of a benchmark report (``voice-shop bench --plot DIR``): PNGs drawn with matplotlib's
headless Agg backend.

They are drawn from the report's own lines, so a saved report (text, or the ``--json``
events) can be drawn again: ``python -m voice_shop.bench.plots REPORT DIR``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import VoiceShopError

REAL_SECTION = re.compile(r"^real speech\b", re.IGNORECASE)
REAL_LINE = re.compile(
    r"^\s*(?:\[(?P<engine>[^\]]+)\]\s*)?(?:(?P<clean>clean)|(?P<noise>[\w-]+) noise "
    r"(?P<snr>-?[\d.]+) dB): (?P<clips>\d+) clips, correct (?P<correct>[\d.]+)%, "
    r"wrong (?P<wrong>[\d.]+)%, rejected (?P<rejected>[\d.]+)%")
ENGINE_NAMES = ("moonshine", "pocketsphinx", "vosk")
"""Engine names looked for in a real-speech section's heading (else "recogniser")."""
TOTAL_LINE = re.compile(r"^(?P<process>\w+): .*end of speech to first reply audio.*?"
                        r"p50 (?P<p50>[\d.]+) ms, p95 (?P<p95>[\d.]+) ms")
STAGES_LINE = re.compile(r"^(?P<process>\w+) per stage \(ms\): (?P<parts>.*)$")
STAGE_PART = re.compile(r"(?P<stage>\w+) p50 (?P<p50>[\d.]+) / p95 (?P<p95>[\d.]+)")
PI4_LINE = re.compile(r"^Raspberry Pi 4 estimate.*?p50 (?P<p50>[\d.]+) ms, "
                      r"p95 (?P<p95>[\d.]+) ms")
MEMORY_LINE = re.compile(r"^(?P<process>.+?) (?:process )?peak memory \(max RSS\): "
                         r"(?P<mb>[\d.]+) MB")
SECTION_MEMORY_LINE = re.compile(r"^\s*peak memory of this process: (?P<mb>[\d.]+) MB")
"""The real-speech section's own process: the recogniser and parser reading the clips."""
STAGE_NAMES = {
    "total": "end of speech to first audio",
    "pi4_total": "the same on a Raspberry Pi 4 (estimate)",
    "endpoint_wait": "endpoint wait",
    "first_audio": "endpoint to first audio",
    "decode": "decode left at the end",
    "understand": "understand",
    "speaker": "speaker id",
    "dialog": "dialog",
    "tts_first_audio": "Piper's first piece",
}
MEMORY_TARGETS_MB = {"neural recogniser": 450.0, "light recogniser": 250.0}
"""The design's peak-memory targets for the whole pipeline."""
CHARTS = ("real-speech-snr.png", "latency-stages.png", "memory.png")
REPORT_FILE = "report.txt"


@dataclass(frozen=True)
class RealResult:
    """One condition of the real-speech section."""

    engine: str
    noise: str
    """"clean", or the noise type mixed in ("white", "pink", "babble")."""
    snr_db: float | None
    """Speech-to-noise ratio; None for clean audio."""
    correct_pct: float
    wrong_pct: float
    rejected_pct: float


@dataclass(frozen=True)
class StageLatency:
    process: str
    stage: str
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class ProcessMemory:
    process: str
    peak_mb: float


@dataclass
class Figures:
    """What the charts are drawn from, read back from a report's lines."""

    real: list[RealResult] = field(default_factory=list)
    stages: list[StageLatency] = field(default_factory=list)
    memory: list[ProcessMemory] = field(default_factory=list)

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> Figures:
        figures = cls()
        engine: str | None = None
        for line in lines:
            if REAL_SECTION.match(line):
                engine = _engine_of(line)
            elif engine is not None and (found := REAL_LINE.match(line)):
                figures.real.append(_real_result(found, engine))
            elif engine is not None and (found := SECTION_MEMORY_LINE.match(line)):
                figures.memory.append(ProcessMemory(f"bench --real ({engine})",
                                                    float(found["mb"])))
            figures._read_loop_line(line)
        return figures

    def _read_loop_line(self, line: str) -> None:
        if found := TOTAL_LINE.match(line):
            self.stages.append(StageLatency(found["process"], "total", float(found["p50"]),
                                            float(found["p95"])))
        elif found := PI4_LINE.match(line):
            self.stages.append(StageLatency("listen", "pi4_total", float(found["p50"]),
                                            float(found["p95"])))
        elif found := STAGES_LINE.match(line):
            self.stages += [StageLatency(found["process"], part["stage"], float(part["p50"]),
                                         float(part["p95"]))
                            for part in STAGE_PART.finditer(found["parts"])]
        elif found := MEMORY_LINE.match(line):
            self.memory.append(ProcessMemory(found["process"], float(found["mb"])))


def _engine_of(heading: str) -> str:
    lowered = heading.lower()
    return next((name for name in ENGINE_NAMES if name in lowered), "recogniser")


def _real_result(found: re.Match[str], engine: str) -> RealResult:
    return RealResult(engine=found["engine"] or engine,
                      noise="clean" if found["clean"] else found["noise"],
                      snr_db=None if found["clean"] else float(found["snr"]),
                      correct_pct=float(found["correct"]), wrong_pct=float(found["wrong"]),
                      rejected_pct=float(found["rejected"]))


def report_lines(text: str) -> list[str]:
    """A saved report's lines: plain text, or the ``--json`` events (``{"line": ...}``)."""
    lines = []
    for raw in text.splitlines():
        if raw.startswith("{"):
            event = json.loads(raw)
            if "line" in event:
                lines.append(str(event["line"]))
        else:
            lines.append(raw)
    return lines


def check_folder(folder: Path) -> None:
    """Before a long bench run: the charts' folder can be made, and matplotlib is there."""
    if folder.exists() and not folder.is_dir():
        raise VoiceShopError(f"--plot {folder}: not a folder", code="not_a_folder")
    if not folder.absolute().parent.is_dir():
        raise VoiceShopError(f"--plot {folder}: no such folder {folder.absolute().parent}",
                             code="no_such_folder")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise VoiceShopError("--plot needs matplotlib: pip install 'voice-shop[plots]'",
                             code="no_matplotlib") from None


def write_charts(lines: Sequence[str], folder: Path) -> list[Path]:
    """The report as ``report.txt`` and the charts its figures allow, in ``folder``."""
    folder.mkdir(exist_ok=True)
    (folder / REPORT_FILE).write_text("".join(f"{line}\n" for line in lines))
    figures = Figures.from_lines(lines)
    written = []
    if figures.real:
        written.append(plot_real(figures.real, folder / CHARTS[0]))
    if figures.stages:
        written.append(plot_stages(figures.stages, folder / CHARTS[1]))
    if figures.memory:
        written.append(plot_memory(figures.memory, folder / CHARTS[2]))
    return written


def _pyplot() -> Any:
    import matplotlib
    matplotlib.use("Agg")  # headless: no display on a device or in CI
    import matplotlib.pyplot as plt
    plt.rcParams.update({"font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False})
    return plt


OUTCOMES = (("correct_pct", "correct", "#2f8a4a"), ("wrong_pct", "wrong", "#b83232"),
            ("rejected_pct", "rejected (\"Sorry\")", "#8a8a8a"))
ENGINE_STYLES = ("-", "--", ":", "-.")


def plot_real(results: Sequence[RealResult], path: Path) -> Path:
    """Correct / wrong / rejected against SNR: one panel per noise type, one line style per
    engine; clean audio is the point at the right of every panel."""
    plt = _pyplot()
    noises = list(dict.fromkeys(r.noise for r in results if r.noise != "clean")) or ["clean"]
    engines = list(dict.fromkeys(r.engine for r in results))
    fig, axes = plt.subplots(1, len(noises), figsize=(3.1 * len(noises) + 0.6,
                                                      2.8 + 0.2 * len(engines)),
                             sharey=True, squeeze=False)
    for ax, noise in zip(axes[0], noises, strict=True):
        for style, engine in zip(ENGINE_STYLES * len(engines), engines, strict=False):
            _real_panel(ax, [r for r in results if r.engine == engine], noise, style,
                        engine if len(engines) > 1 else "")
        ax.set_title(f"{noise} noise" if noise != "clean" else "clean")
        ax.set_xlabel("speech-to-noise ratio (dB)")
        ax.set_ylim(0, 100)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("% of real spoken orders")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(OUTCOMES), frameon=False)
    fig.suptitle("Real spoken orders: correct, wrong and rejected as noise rises")
    fig.tight_layout(rect=(0, 0.04 + 0.07 * len(engines), 1, 1))
    return _save(plt, fig, path)


def _real_panel(ax: Any, results: Sequence[RealResult], noise: str, style: str,
                engine: str) -> None:
    noisy = sorted((r for r in results if r.noise == noise), key=lambda r: r.snr_db or 0.0)
    clean = next((r for r in results if r.noise == "clean"), None)
    clean_x = max([r.snr_db or 0.0 for r in noisy], default=20.0) + 10.0
    xs = [r.snr_db or 0.0 for r in noisy] + ([clean_x] if clean else [])
    points = noisy + ([clean] if clean else [])
    for attr, label, color in OUTCOMES:
        ax.plot(xs, [getattr(r, attr) for r in points], style, marker="o", markersize=3.5,
                color=color, label=f"{label} {engine}".strip())
    if noisy:
        ax.set_xticks(xs, [f"{x:g}" for x in xs[:len(noisy)]] + (["clean"] if clean else []))


def plot_stages(stages: Sequence[StageLatency], path: Path) -> Path:
    """Latency per stage of the listen loop: p50 bars with the p95 behind them."""
    plt = _pyplot()
    shown = [s for s in stages if s.p95_ms > 0]
    names = [f"{STAGE_NAMES.get(s.stage, s.stage)}" + ("" if s.process == "listen"
                                                         else f" ({s.process})")
             for s in shown]
    fig, ax = plt.subplots(figsize=(7.0, 0.35 * len(shown) + 1.2))
    rows = range(len(shown))[::-1]
    ax.barh(rows, [s.p95_ms for s in shown], color="#cfe3ff", label="p95")
    ax.barh(rows, [s.p50_ms for s in shown], color="#2f5d50", height=0.5, label="p50")
    for row, stage in zip(rows, shown, strict=True):
        ax.text(stage.p95_ms, row, f" {stage.p50_ms:.0f} / {stage.p95_ms:.0f}",
                va="center", fontsize=8)
    ax.set_yticks(list(rows), names)
    ax.set_xlabel("milliseconds (p50 / p95)")
    ax.set_xlim(0, max(s.p95_ms for s in shown) * 1.2)
    ax.legend(loc="lower right", frameon=False)
    ax.set_title("listen: end of speech to the first reply audio, by stage")
    fig.tight_layout()
    return _save(plt, fig, path)


def plot_memory(memory: Sequence[ProcessMemory], path: Path) -> Path:
    """Peak memory per process, against the design's targets for the whole pipeline."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 0.5 * len(memory) + 1.6))
    rows = range(len(memory))[::-1]
    ax.barh(rows, [m.peak_mb for m in memory], color="#2f5d50", height=0.5)
    for row, item in zip(rows, memory, strict=True):
        ax.text(item.peak_mb, row, f" {item.peak_mb:.0f} MB", va="center", fontsize=8)
    for (name, target), style in zip(MEMORY_TARGETS_MB.items(), ("--", ":"), strict=True):
        ax.axvline(target, color="#b83232", linestyle=style, linewidth=1.2, zorder=3,
                   label=f"target, whole pipeline with the {name}: {target:.0f} MB")
    ax.set_yticks(list(rows), [m.process for m in memory])
    ax.set_ylim(-0.7, len(memory) - 0.3)
    ax.set_xlabel("peak resident memory (MB)")
    ax.set_xlim(0, max([m.peak_mb for m in memory] + list(MEMORY_TARGETS_MB.values())) * 1.2)
    fig.legend(loc="lower center", ncol=1, frameon=False, fontsize=8)
    ax.set_title("Peak memory per process")
    fig.tight_layout(rect=(0, 0.22, 1, 1))
    return _save(plt, fig, path)


def _save(plt: Any, fig: Any, path: Path) -> Path:
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: Sequence[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m voice_shop.bench.plots REPORT DIR", file=sys.stderr)
        return 2
    report, folder = Path(argv[0]), Path(argv[1])
    lines = report_lines(report.read_text())
    check_folder(folder)
    for path in write_charts(lines, folder):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
