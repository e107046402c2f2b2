"""Defaults for `tf2rec scan` from `[tool.tf2rec]` in the nearest pyproject.toml.

[tool.tf2rec]
select = ["TF1", "TF5"]     # rule ids or prefixes
ignore = ["TF109"]
fail-on = "warning"         # error | warning | info | never
exclude = ["tests/fixtures/*"]
jobs = 2
"""

from __future__ import annotations

import tomllib
from pathlib import Path

KEYS = {"select": list, "ignore": list, "fail-on": str, "exclude": list, "jobs": int, "format": str}


class ConfigError(ValueError):
    pass


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
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML ({err})") from None
    section = data.get("tool", {}).get("tf2rec", {})
    for key, value in section.items():
        if key not in KEYS:
            raise ConfigError(
                f"{path}: unknown key {key!r} in [tool.tf2rec]; known: {', '.join(KEYS)}"
            )
        if not isinstance(value, KEYS[key]):
            raise ConfigError(
                f"{path}: [tool.tf2rec] {key} must be a {KEYS[key].__name__}, got {value!r}"
            )
    return section, path
