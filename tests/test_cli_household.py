"""The commands a household expects (cart clear, orders show and cancel), help that reads
like typer's own, and inputs checked before any model loads (issue 29)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from voice_shop.cli import app
from voice_shop.shop.engine import Shop
from voice_shop.shop.models import OrderStatus

from .test_cli import run
from .test_cli_convention import _commands


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    assert run("init", "--demo", "--db", str(path)).returncode == 0
    return path


def _order_a_latte(db: Path) -> int:
    """Order two medium oat-milk lattes and a bag of rice as a shopper would; the order id."""
    script = "add two medium lattes with oat milk\nadd a bag of rice\ncheck out\nyes\n"
    turns = [json.loads(line) for line in
             run("chat", "--db", str(db), "--json", stdin=script).stdout.splitlines()]
    return int(turns[-1]["order_id"])


def test_orders_show_gives_the_lines_with_their_options(db: Path) -> None:
    order_id = _order_a_latte(db)
    shown = run("orders", "show", str(order_id), "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith(f"order #{order_id}  ") and lines[0].endswith("  placed")
    assert "  2 x Latte, medium, oat milk  $" in shown.stdout
    assert "  1 x Long Grain White Rice  $3.99" in shown.stdout
    assert lines[-1] == "sent to the shop: not yet (the outbox keeps trying)"
    data = json.loads(run("orders", "show", str(order_id), "--db", str(db), "--json").stdout)
    latte = next(line for line in data["lines"] if line["name"] == "Latte")
    assert (latte["quantity"], latte["options"]) == (2, {"size": "medium", "milk": "oat milk"})
    assert (data["id"], data["status"], data["delivery"]) == (order_id, "placed", "queued")


def test_orders_cancel_cancels_an_open_order_once(db: Path) -> None:
    order_id = _order_a_latte(db)
    cancelled = run("orders", "cancel", str(order_id), "--db", str(db), "--json")
    assert cancelled.returncode == 0, cancelled.stderr
    assert json.loads(cancelled.stdout)["status"] == "cancelled"
    assert Shop.open(db).order(order_id).status is OrderStatus.CANCELLED
    again = run("orders", "cancel", str(order_id), "--db", str(db), "--json")
    assert again.returncode == 2 and again.stderr.startswith("error [not_cancellable]: ")
    assert json.loads(again.stdout)["code"] == "not_cancellable"


def test_a_delivered_order_cannot_be_cancelled(db: Path) -> None:
    order_id = _order_a_latte(db)
    shop = Shop.open(db)
    shop.report_status(order_id, OrderStatus.DELIVERED)  # the shop says it is delivered
    refused = run("orders", "cancel", str(order_id), "--db", str(db))
    assert refused.returncode == 2 and "is delivered" in refused.stderr
    assert shop.order(order_id).status is OrderStatus.DELIVERED


def test_unknown_orders_are_one_line_errors(db: Path) -> None:
    for command in ("show", "cancel"):
        result = run("orders", command, "99", "--db", str(db), "--json")
        assert result.returncode == 2
        assert result.stderr == "error [no_such_order]: no order number 99\n"
        assert json.loads(result.stdout)["code"] == "no_such_order"
    bad = run("orders", "show", "latte", "--db", str(db))
    assert bad.returncode == 2 and bad.stderr.startswith("error [usage_error]: ")


def test_cart_show_writes_lines_as_orders_do(db: Path) -> None:
    run("chat", "--db", str(db), stdin="add a large latte with oat milk\n")
    shown = run("cart", "show", "--db", str(db)).stdout.splitlines()
    assert shown[0].startswith("  1 x Latte, large, oat milk  $") and shown[-1].startswith("total")


def test_cart_clear_empties_the_cart_only(db: Path) -> None:
    run("chat", "--db", str(db), stdin="add a bag of rice\nadd two bananas\n")
    assert len(Shop.open(db).cart().lines) == 2
    cleared = run("cart", "clear", "--db", str(db))
    assert cleared.returncode == 0 and cleared.stdout == "cart cleared (2 lines removed)\n"
    assert Shop.open(db).cart().is_empty
    again = json.loads(run("cart", "clear", "--db", str(db), "--json").stdout)
    assert again == {"lines": [], "item_count": 0, "total_cents": 0, "lines_removed": 0}
    missing = run("cart", "clear", "--db", str(db.with_name("none.db")))
    assert missing.returncode == 2 and missing.stderr.startswith("error [database_error]")


def _help(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


def test_help_reads_like_typers_own_at_80_columns() -> None:
    commands = _commands(app)
    texts = {name: _help(*name.split()) for name in commands}
    texts["(top)"] = _help()
    for name, text in texts.items():
        flags = [line for line in text.splitlines() if "--" in line]
        assert not any("<bool>" in line for line in flags), name  # a flag takes no value
        assert not re.search(r"\w \.(?=\s|│)", text), name  # "[default: ..]" eaten: "file ."
        assert "…" not in text, name  # nothing cut at 80 columns
        assert "--no-" not in text or name == "listen", name  # --no-wake is listen's own
    serve = " ".join(texts["serve"].replace("│", " ").split())
    assert "[default: 10700]" in serve and "[default: 8080]" in serve
    for name, command in commands.items():
        summary = (command.help or "").split("\n\n")[0]  # type: ignore[attr-defined]
        assert summary and "\n" not in summary and len(summary) <= 100, name


def test_a_summary_is_never_broken_mid_sentence_in_the_command_list() -> None:
    listing = _help()
    chat = listing[listing.index("│ chat"):listing.index("│ recommend")]
    assert "The\n" not in chat and "typed conversation" in chat


MISSING_FILE_COMMANDS = [("understand",), ("transcribe",), ("speakers", "identify"),
                         ("listen", "--no-wake", "--wav")]


@pytest.mark.parametrize("command", MISSING_FILE_COMMANDS)
def test_a_missing_file_is_said_before_any_model_loads(
        command: tuple[str, ...], db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """'understand missing.wav' took 19 s to say so: the recogniser was built first."""
    import voice_shop.assistant
    import voice_shop.cli

    def no_models(*args: object, **kwargs: object) -> None:
        raise AssertionError("models loaded before the inputs were checked")
    monkeypatch.setattr(voice_shop.assistant, "Assistant", no_models)
    monkeypatch.setattr(voice_shop.cli, "_speaker_identifier", no_models)
    result = CliRunner().invoke(app, [*command, "missing.wav", "--db", str(db)])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    assert "error [no_such_file]: missing.wav: no such file" in result.output
    shell = run(*command, "missing.wav", "--db", str(db))  # and as a shopper sees it
    assert shell.returncode == 1
    assert shell.stderr == "error [no_such_file]: missing.wav: no such file\n"


def test_say_checks_its_output_folder_before_the_voice_loads(tmp_path: Path) -> None:
    result = run("say", "hello", "-o", str(tmp_path / "absent" / "hello.wav"))
    assert result.returncode == 2 and "[no_such_folder]" in result.stderr


def test_bench_refuses_a_folder_that_is_not_there(tmp_path: Path) -> None:
    absent = tmp_path / "absent"
    result = run("bench", "--wake", str(absent))
    assert result.returncode == 2
    assert result.stderr == f"error [no_such_folder]: --wake {absent}: no such folder\n"


def test_understand_has_no_wake_phrase_of_its_own() -> None:
    """One wake word, "Okay Nabu", heard by its model; understand reads commands as the
    recogniser hears them after it, unless a custom phrase is given."""
    command = typer.main.get_command(app).commands["understand"]  # type: ignore[attr-defined]
    phrase = next(p for p in command.params if p.name == "wake_phrase")
    assert phrase.default == ""
