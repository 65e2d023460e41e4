"""The public command line, run as a shopper or operator would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).with_name("voice-shop"))


def run(*args: str, stdin: str = "", cwd: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=120)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "shop.db"
    result = run("init", "--demo", "--db", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["products"] >= 300
    return path


def test_parse_reads_stdin_lines(db: Path) -> None:
    result = run("parse", "--db", str(db), stdin="add two bananas\n\ncheck out\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    # one JSON line per stdin line, the blank one too (issue 28)
    assert [d["intent"] for d in lines] == ["add_item", "unknown", "checkout"]
    assert lines[0]["items"][0]["sku"] == "P101" and lines[0]["items"][0]["quantity"] == 2


def test_chat_json_turns_and_env_db(db: Path, tmp_path: Path) -> None:
    script = "add a bag of rice\nwhat's in my cart\ncheck out\nyes\n"
    result = run("chat", "--json", stdin=script, env={"VOICE_SHOP_DB": str(db)}, cwd=tmp_path)
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert [t["intent"]["intent"] for t in turns] == ["add_item", "view_cart", "checkout",
                                                      "confirm"]
    assert turns[-1]["order_id"] == 1 and turns[-1]["cart"]["lines"] == []
    orders = run("orders", "list", "--db", str(db), "--json")
    assert json.loads(orders.stdout.splitlines()[0])["lines"][0]["sku"] == "Y104"
    assert run("cart", "show", "--db", str(db), "--json").stdout.strip().startswith('{"lines": []')


def test_chat_follows_the_households_config_file(db: Path, tmp_path: Path) -> None:
    """chat is built by the Assistant as listen and serve are: the config file's dialog
    rules apply to it too."""
    import shutil
    copy = tmp_path / "household.db"
    shutil.copy(db, copy)
    assert run("profiles", "add", "sam", "--db", str(copy)).returncode == 0
    script = "add a bag of rice\ncheck out\n"
    refused = run("chat", "--db", str(copy), stdin=script, cwd=tmp_path)
    assert "I don't recognise your voice" in refused.stdout.splitlines()[-1]
    config = tmp_path / "voice-shop.toml"
    config.write_text("[dialog]\nallow_unknown_checkout = true\n")
    allowed = run("chat", "--db", str(copy), "--config", str(config), stdin="check out\n",
                  cwd=tmp_path)
    assert allowed.stdout.strip().endswith("Shall I place the order?"), allowed.stdout


def test_catalog_search_json(db: Path) -> None:
    result = run("catalog", "search", "olive oil", "--db", str(db), "--json")
    assert json.loads(result.stdout.splitlines()[0])["sku"] == "Y111"


@pytest.mark.parametrize(("args", "message"), [
    (("cart", "show", "--db", "/nonexistent/x.db"), "no database at /nonexistent/x.db"),
    (("catalog", "import", "/nonexistent.csv"), "no such catalog file"),
])
def test_user_mistakes_are_one_line(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_csv_row_is_one_line_and_imports_nothing(tmp_path: Path) -> None:
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("sku,name,price\nA1,Apples,1.00\nA2,Pears,one dollar\n")
    db = tmp_path / "s.db"
    result = run("catalog", "import", str(csv_path), "--db", str(db))
    assert result.returncode != 0 and "line 3: not a price" in result.stderr
    assert result.stderr.count("\n") == 1
    assert run("catalog", "search", "apples", "--db", str(db)).stdout == ""


def test_not_a_database_file(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_text("this is not sqlite " * 100)
    result = run("cart", "show", "--db", str(bogus))
    assert result.returncode != 0 and "is not a database" in result.stderr
