"""The TOML config file, ``config show``, ``doctor``'s check of it, and ``service install``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voice_shop.config import AppSettings
from voice_shop.errors import ConfigError
from voice_shop.settings_file import (
    find_config,
    load_settings,
    settings_to_dict,
    to_toml,
)
from voice_shop.wake import WakeEngineName

EXE = str(Path(sys.executable).with_name("voice-shop"))
GOOD = """\
db = "data/shop.db"
models_dir = "/opt/models"

[speech]
engine = "pocketsphinx"

[wake]
word = "hey_jarvis"
engine = "open"
probability_cutoff = 1

[dialog]
allow_unknown_checkout = true

[audio]
input_device = "2"

[server]
host = "0.0.0.0"
wyoming_port = 10701

[web]
password = "open sesame"

[shop]
webhook_url = "http://shop.example/orders"
"""


def run(*args: str, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={**os.environ, **(env or {})})


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_file_sets_every_section(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, GOOD), AppSettings())
    assert settings.db_path == tmp_path / "data" / "shop.db"  # relative to the file
    assert settings.models_dir == Path("/opt/models")
    assert settings.speech.engine == "pocketsphinx"
    assert (settings.wake.word, settings.wake.engine) == ("hey_jarvis", WakeEngineName.OPEN)
    assert settings.wake.probability_cutoff == 1.0
    assert settings.dialog.allow_unknown_checkout is True
    assert settings.audio.input_device == "2"
    server = settings.server
    assert (server.host, server.wyoming_port, server.http_port) == ("0.0.0.0", 10701, 8080)
    assert server.password == "open sesame"
    assert server.webhook_url == "http://shop.example/orders"


def test_shown_settings_read_back_the_same(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, GOOD.replace('password = "open sesame"', "")),
                             AppSettings())
    again = load_settings(_write(tmp_path, to_toml(settings_to_dict(settings))), AppSettings())
    assert again == settings


@pytest.mark.parametrize(("text", "message"), [
    ("[server]\nhost = \"x\"\nwyoming_prot = 1\n",
     ":3: unknown key server.wyoming_prot (known in [server]: host, wyoming_port, http_port)"),
    ("[server]\nwyoming_port = \"10700\"\n", ":2: server.wyoming_port must be a whole number"),
    ("[dialog]\nallow_unknown_checkout = 1\n", ":2: dialog.allow_unknown_checkout must be "
                                               "true or false"),
    ("[wake]\nengine = \"big\"\n", ":2: wake.engine must be a string (one of: micro, open)"),
    ("\n[speach]\nengine = \"vosk\"\n", ":2: unknown key 'speach'"),
    ("[tts]\nmodels_dir = \"x\"\n", ":2: unknown key tts.models_dir"),
    ("db = 3\n", ":1: db must be a path (string)"),
])
def test_mistakes_name_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, AppSettings())
    assert caught.value.message.startswith(str(path) + message), caught.value.message


def test_where_the_file_is_looked_for(tmp_path: Path) -> None:
    mine = _write(tmp_path, "")
    assert find_config(mine, {}, tmp_path / "home") == mine
    assert find_config(None, {"VOICE_SHOP_CONFIG": str(mine)}, tmp_path / "home") == mine
    assert find_config(None, {}, tmp_path / "home") is None  # the default file is optional
    default = tmp_path / "home" / "voice-shop" / "config.toml"
    default.parent.mkdir(parents=True)
    default.write_text("")
    assert find_config(None, {}, tmp_path / "home") == default
    with pytest.raises(ConfigError, match="no such config file"):
        find_config(tmp_path / "missing.toml", {}, tmp_path / "home")


def test_config_show_flags_override_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    result = run("config", "show", "--json", "--db", str(tmp_path / "flag.db"),
                 env={"VOICE_SHOP_CONFIG": str(path)})
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["config_file"] == str(path)
    assert shown["settings"]["db"] == str(tmp_path / "flag.db")
    assert shown["settings"]["wake"]["word"] == "hey_jarvis"
    assert shown["settings"]["web"]["password"] == "****"  # never printed


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = _write(tmp_path, "[server]\nwyoming_port = \"x\"\n")
    result = run("serve", "--config", str(path))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error [config]: {path}:2: server.wyoming_port must be "
                                     "a whole number, not 'x'")
    doctor = run("doctor", "--config", str(path), "--json")
    checks = [json.loads(line) for line in doctor.stdout.splitlines()]
    assert checks[0]["name"] == "config file" and not checks[0]["ok"]
    assert doctor.returncode == 1


def test_service_unit_runs_this_installation_with_the_config(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    printed = run("service", "install", "--print", "--config", str(path), "listen")
    assert printed.returncode == 0, printed.stderr
    assert (f"ExecStart={Path(EXE).absolute()} listen --config {path.absolute()} "
            "--log-level info") in printed.stdout
    assert "WantedBy=default.target" in printed.stdout
    home = tmp_path / "xdg"
    installed = run("service", "install", "--user", "--db", str(tmp_path / "shop.db"),
                    env={"XDG_CONFIG_HOME": str(home), "VOICE_SHOP_CONFIG": ""})
    assert installed.returncode == 0, installed.stderr
    unit = (home / "systemd" / "user" / "voice-shop-serve.service").read_text()
    written = home / "voice-shop" / "config.toml"
    assert f"serve --config {written}" in unit
    assert load_settings(written, AppSettings()).db_path == tmp_path / "shop.db"


def test_listen_takes_the_wake_word_from_the_file_and_the_flag_over_it(tmp_path: Path) -> None:
    import numpy as np

    from voice_shop.audio import write_wav
    db = tmp_path / "shop.db"
    assert run("init", "--db", str(db)).returncode == 0
    wav = tmp_path / "quiet.wav"
    write_wav(wav, np.zeros(1600, np.int16))
    path = _write(tmp_path, '[wake]\nword = "from_the_file"\n')
    from_file = run("listen", "--config", str(path), "--db", str(db), "--wav", str(wav))
    assert from_file.returncode == 2 and "'from_the_file'" in from_file.stderr, from_file.stderr
    from_flag = run("listen", "--config", str(path), "--db", str(db), "--wav", str(wav),
                    "--wake-word", "from_the_flag")
    assert from_flag.returncode == 2 and "'from_the_flag'" in from_flag.stderr, from_flag.stderr
