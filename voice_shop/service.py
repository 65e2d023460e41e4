"""``voice-shop service install``: a systemd unit that runs ``serve`` or ``listen`` with the
household's config file, as the user or for the whole system."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from .errors import ConfigError


class ServiceCommand(StrEnum):
    SERVE = "serve"
    LISTEN = "listen"


@dataclass(frozen=True)
class UnitSpec:
    """What the unit runs and for whom."""

    command: ServiceCommand
    executable: Path
    """The absolute path of the ``voice-shop`` program that is running now."""
    config: Path
    is_system: bool
    user: str | None = None
    """The account a system unit runs as (it must be able to read the database)."""
    log_level: str = "info"

    @property
    def name(self) -> str:
        return f"voice-shop-{self.command}.service"


def current_executable(argv0: str) -> Path:
    """The running ``voice-shop`` script, else the one on PATH: the unit must start the same
    installation (its venv) that wrote it."""
    candidate = Path(argv0)
    if candidate.name == "voice-shop" and candidate.is_file():
        return candidate.absolute()
    found = shutil.which("voice-shop")
    if found is None:
        raise ConfigError("cannot find the voice-shop program; run this as "
                          "/path/to/.venv/bin/voice-shop service install", code="config")
    return Path(found).absolute()


def unit_text(spec: UnitSpec) -> str:
    what = ("the Wyoming server and household page" if spec.command is ServiceCommand.SERVE
            else "the microphone loop")
    lines = ["[Unit]", f"Description=voice-shop: {what}",
             "After=network-online.target sound.target", "Wants=network-online.target", "",
             "[Service]", "Type=simple",
             f"ExecStart={spec.executable} {spec.command} --config {spec.config} "
             f"--log-level {spec.log_level}",
             "Restart=on-failure", "RestartSec=5", "Environment=PYTHONUNBUFFERED=1"]
    if spec.is_system and spec.user:
        lines.append(f"User={spec.user}")
    if spec.is_system and spec.command is ServiceCommand.LISTEN:
        lines.append("SupplementaryGroups=audio")
    target = "multi-user.target" if spec.is_system else "default.target"
    lines += ["", "[Install]", f"WantedBy={target}"]
    return "\n".join(lines) + "\n"


def unit_path(spec: UnitSpec, config_home: Path) -> Path:
    folder = (Path("/etc/systemd/system") if spec.is_system
              else config_home / "systemd" / "user")
    return folder / spec.name


def enable_hint(spec: UnitSpec) -> str:
    ctl = "systemctl" if spec.is_system else "systemctl --user"
    return (f"{ctl} daemon-reload && {ctl} enable --now {spec.name}; "
            f"logs: journalctl {'' if spec.is_system else '--user '}-u {spec.name} -f")
