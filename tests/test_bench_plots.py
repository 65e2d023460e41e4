"""The benchmark's charts (``bench --plot DIR``): figures read back from the report's lines and
drawn headless as PNGs."""

from __future__ import annotations

import json
from pathlib import Path

from voice_shop.bench.plots import (
    Figures,
    ProcessMemory,
    RealResult,
    StageLatency,
    report_lines,
    write_charts,
)

from .test_cli import run

REPORT = """machine: x86_64, 2 cores, Python 3.11.7, Linux 6.1
real speech: ../shared/audio/coffee-orders (15 products; recogniser pocketsphinx ready in 3.1 s)
  clean: 309 clips, correct 90.3%, wrong 1.6%, rejected 8.1% (RTF 0.049)
    clips at even places by file name: 155 clips, correct 90.0%, wrong 1.0%, rejected 9.0% (RTF 0.049)
  noise mixed into a fixed sample of 100 of the clips:
  white noise 20 dB: 100 clips, correct 85.0%, wrong 3.0%, rejected 12.0% (RTF 0.059)
  white noise 10 dB: 100 clips, correct 80.0%, wrong 2.0%, rejected 18.0% (RTF 0.135)
  babble noise 10 dB: 100 clips, correct 16.0%, wrong 1.0%, rejected 83.0% (RTF 0.121)
  out of domain (../shared/audio/librispeech-cohort): 0/120 accepted as a command
  peak memory of this process: 512 MB
parse [demo] 330 products, 2000 utterances: p50 0.15 ms, p99 0.66 ms, max 2.10 ms; index build 0.05 s; first product right 99.0%
listen: 24 replies to 24 utterances; end of speech to first reply audio, endpointing wait included: p50 599 ms, p95 888 ms (ended early on a complete command: 24/24); utterances attributed to the enrolled voice: 24
listen per stage (ms): endpoint_wait p50 304 / p95 315; first_audio p50 294 / p95 583; speaker p50 177 / p95 324
Raspberry Pi 4 estimate (computing x4): end of speech to first reply audio p50 1480 ms, p95 2647 ms
listen process peak memory (max RSS): 771 MB
"""  # noqa: E501 (the bench's own lines)


def test_the_figures_are_read_back_from_the_report() -> None:
    figures = Figures.from_lines(REPORT.splitlines())
    assert figures.real == [
        RealResult("pocketsphinx", "clean", None, 90.3, 1.6, 8.1),
        RealResult("pocketsphinx", "white", 20.0, 85.0, 3.0, 12.0),
        RealResult("pocketsphinx", "white", 10.0, 80.0, 2.0, 18.0),
        RealResult("pocketsphinx", "babble", 10.0, 16.0, 1.0, 83.0)]
    assert figures.stages == [StageLatency("listen", "total", 599, 888),
                              StageLatency("listen", "endpoint_wait", 304, 315),
                              StageLatency("listen", "first_audio", 294, 583),
                              StageLatency("listen", "speaker", 177, 324),
                              StageLatency("listen", "pi4_total", 1480, 2647)]
    assert figures.memory == [ProcessMemory("bench --real (pocketsphinx)", 512),
                              ProcessMemory("listen", 771)]


def test_engines_are_told_apart_by_their_sections() -> None:
    lines = ["real speech: orders (moonshine base-en)", "  clean: 10 clips, correct 90.0%, "
             "wrong 0.0%, rejected 10.0%", "real speech: orders (pocketsphinx)",
             "  clean: 10 clips, correct 80.0%, wrong 10.0%, rejected 10.0%",
             "  clean: 3 clips, correct 1.0%, wrong 1.0%, rejected 98.0%"]
    engines = [r.engine for r in Figures.from_lines(lines[:4]).real]
    assert engines == ["moonshine", "pocketsphinx"]
    assert not Figures.from_lines(lines[4:]).real  # a tally outside any real-speech section


def test_charts_are_written_as_pngs_next_to_the_report(tmp_path: Path) -> None:
    charts = write_charts(REPORT.splitlines(), tmp_path / "charts")
    assert [c.name for c in charts] == ["real-speech-snr.png", "latency-stages.png",
                                        "memory.png"]
    for chart in charts:
        data = chart.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and 5_000 < len(data) < 200_000, chart
    assert (tmp_path / "charts" / "report.txt").read_text() == REPORT


def test_a_json_report_reads_the_same(tmp_path: Path) -> None:
    events = "".join(json.dumps({"event": "bench", "line": line}) + "\n"
                     for line in REPORT.splitlines())
    assert report_lines(events) == REPORT.splitlines()


def test_bench_plot_writes_the_report_and_says_when_nothing_is_charted(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("bench", "--sections", "parse", "--large", "500", "--plot", str(out))
    assert result.returncode == 0, result.stderr
    assert "parse [demo]" in (out / "report.txt").read_text()
    assert "no charts: this report has no real-speech, loop or memory figures" in result.stderr


def test_bench_plot_refuses_a_folder_it_cannot_make_before_running(tmp_path: Path) -> None:
    result = run("bench", "--plot", str(tmp_path / "absent" / "charts"), "--json")
    assert result.returncode == 2
    assert json.loads(result.stdout)["code"] == "no_such_folder"
