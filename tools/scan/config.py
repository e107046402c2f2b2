"""Settings of `tf2rec scan` and `fix`: the arguments given, else `[tool.tf2rec]` in the
nearest pyproject.toml, else the defaults.

[tool.tf2rec]
select = ["TF1", "TF5"]     # rule ids or prefixes
ignore = ["TF109"]
fail-on = "warning"         # error | warning | info | never
exclude = ["tests/fixtures/*"]
jobs = 2
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tf2rec.errors import UsageError
from tf2rec.tools.scan.results import FAIL_ON

REPORT_FORMATS = ("text", "json", "markdown", "sarif")

KEYS = {"select": list, "ignore": list, "fail-on": str, "exclude": list, "jobs": int, "format": str}


class ConfigError(UsageError, ValueError):
    """A `[tool.tf2rec]` section that cannot be used; the message names the file."""


def find_pyproject(start: Path) -> Path | None:
    for folder in (start.resolve(), *start.resolve().parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load(start: Path | None = None) -> tuple[dict, Path | None]:
    """([tool.tf2rec] as a dict with `-` in keys, the file it came from)."""
    path = find_pyproject(start or Path.cwd())
    if path is None:
        return {}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {err.start}); TOML files are UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML ({err})") from None
    tool = data.get("tool", {})
    section = tool.get("tf2rec", {}) if isinstance(tool, dict) else {}
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: tool.tf2rec must be a table ([tool.tf2rec]), got {section!r}")
    for key, value in section.items():
        _check_value(path, key, value)
    return section, path


def _check_value(path: Path, key: str, value) -> None:
    """One key of [tool.tf2rec]: known, of its type (a bool is no number here), lists of
    strings."""
    if key not in KEYS:
        raise ConfigError(f"{path}: unknown key {key!r} in [tool.tf2rec]; known: {', '.join(KEYS)}")
    wanted = KEYS[key]
    fits = isinstance(value, wanted) and not isinstance(value, bool)
    if not fits or (wanted is list and not all(isinstance(item, str) for item in value)):
        raise ConfigError(f"{path}: [tool.tf2rec] {key} must be {_KINDS[wanted]}, got {value!r}")


_KINDS = {list: "a list of strings", str: "a string", int: "a whole number"}


@dataclass(frozen=True)
class ScanSettings:
    """What `scan` and `fix` run with: the arguments given, else `[tool.tf2rec]`, else the
    defaults."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    jobs: int = 1
    fail_on: str = "info"
    format: str = "text"

    def scan_options(self) -> dict:
        """The keyword arguments `tf2rec.scan` and `tf2rec.fix` take."""
        return {"select": self.select, "ignore": self.ignore, "exclude": self.exclude,
                "jobs": self.jobs}  # fmt: skip


def settings(
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    jobs: int | None = None,
    fail_on: str | None = None,
    format: str | None = None,
    start: Path | None = None,
) -> ScanSettings:
    """The settings for a run from the folder `start` (the current one): each argument given
    wins over `[tool.tf2rec]` in the nearest pyproject.toml; `exclude` adds to it."""
    section, path = load(start)
    chosen = ScanSettings(
        select=tuple(select or section.get("select", ())),
        ignore=tuple(ignore or section.get("ignore", ())),
        exclude=(*section.get("exclude", ()), *exclude),
        jobs=jobs or section.get("jobs", 1),
        fail_on=fail_on or section.get("fail-on", "info"),
        format=format or section.get("format", "text"),
    )
    checks = {
        "format": (chosen.format in REPORT_FORMATS, f"one of {', '.join(REPORT_FORMATS)}"),
        "fail-on": (chosen.fail_on in FAIL_ON, f"one of {', '.join(FAIL_ON)}"),
        "jobs": (chosen.jobs >= 1, "at least 1"),
    }
    for key, (ok, wanted) in checks.items():
        if not ok:
            raise ConfigError(f"{path}: [tool.tf2rec] {key} must be {wanted}")
    return chosen
