"""One CLI convention (issue 8): --json and --db everywhere they make sense, one-line errors
with stable codes (and JSON error events), ISO 8601 times, models found from any folder."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
import typer

from voice_shop.cli import app
from voice_shop.config import checkout_models_dir, resolve_models_dir, user_models_dir
from voice_shop.shop.engine import Shop
from voice_shop.shop.models import Role

from .test_cli import run

# Commands that never touch the database (the rest must take --db).
WITHOUT_DB = {"say", "models list", "models download", "bench"}


def _commands(group: typer.Typer, prefix: str = "") -> dict[str, object]:
    command = typer.main.get_command(group)
    found: dict[str, object] = {}
    for name, sub in command.commands.items():  # type: ignore[attr-defined]
        if hasattr(sub, "commands"):
            for inner, leaf in sub.commands.items():
                found[f"{prefix}{name} {inner}"] = leaf
        else:
            found[f"{prefix}{name}"] = sub
    return found


def test_every_command_takes_json_and_db_where_it_uses_data() -> None:
    commands = _commands(app)
    assert len(commands) >= 25
    for name, command in commands.items():
        options = {o for p in command.params for o in p.opts}  # type: ignore[attr-defined]
        assert "--json" in options, name
        assert ("--db" in options) != (name in WITHOUT_DB), name


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("voice-shop 0.")


def test_errors_are_one_line_with_a_code_and_a_json_event(tmp_path: Path) -> None:
    result = run("cart", "show", "--db", str(tmp_path / "none.db"), "--json")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error [database_error]")
    event = json.loads(result.stdout)
    assert event["event"] == "error" and event["code"] == "database_error"
    assert "no database at" in event["message"]


def test_bad_arguments_are_one_line_too() -> None:
    result = run("cart", "show", "--bogus", "--json")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert json.loads(result.stdout)["code"] == "usage_error"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("convention") / "shop.db"
    assert run("init", "--demo", "--db", str(path)).returncode == 0
    return path


def test_search_with_no_match_says_so_and_exits_1(db: Path) -> None:
    result = run("catalog", "search", "xyzzy", "--db", str(db), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout) == {"event": "error", "code": "no_match",
                                         "message": "no product matches 'xyzzy'"}
    assert "no product matches" in run("catalog", "search", "xyzzy", "--db", str(db)).stderr


def test_unknown_speakers_and_roles_are_refused(db: Path) -> None:
    chat = run("chat", "--speaker", "alice", "--db", str(db), stdin="add a banana\n")
    assert chat.returncode == 2 and "[no_such_profile]" in chat.stderr
    recommend = run("recommend", "--speaker", "ghost", "--db", str(db))
    assert recommend.returncode == 2 and "no profile named 'ghost'" in recommend.stderr
    role = run("profiles", "add", "zed", "--role", "boss", "--db", str(db))
    assert role.returncode == 2 and "choose one of: adult, child" in role.stderr


def test_orders_show_iso_8601_times(db: Path) -> None:
    assert run("orders", "list", "--db", str(db)).stderr == "no orders yet\n"
    run("chat", "--db", str(db), stdin="add a bag of rice\ncheck out\nyes\n")
    data = json.loads(run("orders", "list", "--db", str(db), "--json").stdout.splitlines()[0])
    placed = datetime.fromisoformat(data["created_at"])
    assert placed.tzinfo is not None and abs(placed.timestamp() - datetime.now().timestamp()) < 600
    assert data["created_at"] in run("orders", "list", "--db", str(db)).stdout


def test_say_without_a_speaker_names_its_own_option(tmp_path: Path) -> None:
    from voice_shop.audio import output_devices
    if output_devices():
        pytest.skip("this machine has a speaker")
    result = run("say", "Hello", "--json")
    assert result.returncode == 2 and "-o OUT.wav" in result.stderr
    assert "--reply-dir" not in result.stderr
    out = run("say", "Hello", "-o", str(tmp_path / "h.wav"), "--json")
    assert json.loads(out.stdout)["out"] == str(tmp_path / "h.wav")


def test_models_download_offline_is_plain(tmp_path: Path) -> None:
    result = run("models", "download", "x", "--url", "http://127.0.0.1:9/x.zip",
                 "--sha256", "0" * 64, "--models-dir", str(tmp_path), "--json")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "cannot download x: no connection" in result.stderr
    assert "urlopen error" not in result.stderr
    assert json.loads(result.stdout)["code"] == "download_failed"


def test_models_dir_does_not_depend_on_the_current_folder(tmp_path: Path) -> None:
    empty_home = tmp_path / "data"
    assert resolve_models_dir(None, empty_home) == checkout_models_dir()
    user = user_models_dir(empty_home)
    user.mkdir(parents=True)
    assert resolve_models_dir(None, empty_home) == user
    assert resolve_models_dir(Path("mine"), empty_home) == Path("mine")
    result = run("doctor", "--db", str(tmp_path / "none.db"), "--json", cwd=tmp_path,
                 env={"XDG_DATA_HOME": str(tmp_path / "nowhere")})
    checks = {c["name"]: c for c in map(json.loads, result.stdout.splitlines())}
    assert {"pocketsphinx", "piper voice", "speaker encoder", "vosk model"} <= set(checks)
    assert checks["speaker encoder"]["ok"], checks["speaker encoder"]
    assert checks["speaker encoder"]["detail"].startswith(str(checkout_models_dir()))


def test_doctor_fails_without_the_speaker_weights_or_a_configured_vosk(tmp_path: Path) -> None:
    result = run("doctor", "--db", str(tmp_path / "x.db"), "--models-dir", str(tmp_path),
                 "--engine", "vosk", "--json")
    checks = {c["name"]: c for c in map(json.loads, result.stdout.splitlines())}
    assert result.returncode == 1
    assert not checks["speaker encoder"]["ok"] and "GE2E" in checks["speaker encoder"]["detail"]
    assert not checks["vosk model"]["ok"]


def test_chat_never_prints_the_pin(db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "pin.db"
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    shop = Shop.open(copy)
    shop.add_profile("dad", Role.ADULT)
    shop.set_pin("dad", "5829")
    script = "add a bag of rice\ncheck out\nfive eight two nine\n"
    for as_json in ((), ("--json",)):
        shop.add_to_cart("Y104", 1) if as_json else None
        result = run("chat", "--db", str(copy), "--speaker", "dad", *as_json,
                     stdin=script if not as_json else "check out\nfive eight two nine\n")
        assert result.returncode == 0, result.stderr
        assert "Your order is placed" in result.stdout
        for secret in ("five eight two nine", "5829", "eight two"):
            assert secret not in result.stdout + result.stderr
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert turns[-1]["text"] == "****" and turns[-1]["intent"]["text"] == "****"
    assert "eight" not in json.dumps(shop.events(200))


NASTY = ["add xyzzy and medium", "add " + "9" * 4301 + " bananas", "add -3 bananas",
         "add zero bananas", "\u200b\u0000 \U0001f34c", "minus five 2% milk for later",
         "add two bananas"]


def test_stdin_sessions_answer_every_line(db: Path, tmp_path: Path) -> None:
    """Issue 8: one bad line used to end parse/chat on stdin and lose every later line."""
    copy = tmp_path / "nasty.db"
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    script = "".join(line.replace("\u0000", "") + "\n" for line in NASTY)
    parsed = run("parse", "--db", str(copy), stdin=script)
    assert parsed.returncode == 0, parsed.stderr
    assert len(parsed.stdout.splitlines()) == len(NASTY)
    chat = run("chat", "--db", str(copy), "--json", stdin=script)
    assert chat.returncode == 0, chat.stderr
    turns = [json.loads(line) for line in chat.stdout.splitlines()]
    assert len(turns) == len(NASTY) and all(t["reply"] for t in turns)
    assert turns[-1]["reply"].startswith("Added two bunches of bananas")
    assert [(ln["sku"], ln["quantity"]) for ln in turns[-1]["cart"]["lines"]] == [("P101", 2)]
