"""Settings given once: a `dtassess.toml` file (or `[tool.dtassess]` in pyproject.toml) and
`DTASSESS_*` environment variables, as defaults of the commands' options (docs/config.md).

Options on the command line win over the environment, which wins over the file. The file is
looked for in the working directory and then in each folder above it (`DTASSESS_CONFIG` names
one instead; empty, none). Its top-level keys apply to every command that takes the option, a
table named after a command (`[score]`, `[archive.add]`) to that command only. Every value is
checked with the option's own type before any command runs, so that a typo in a file read by
every run is reported once, at its line and column, instead of acting silently.

The commands' options are read from the click command tree the CLI builds (front end), so that
a new option is configurable without being listed here.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DtassessError, Problem, did_you_mean, shorten
from .files import read_bytes

FILE_NAME = "dtassess.toml"
PYPROJECT = "pyproject.toml"
ENV_PREFIX = "DTASSESS_"
ENV_FILE = "DTASSESS_CONFIG"
# A settings file is a few lines; anything near this is not one (and TOML parsing is linear).
LIMIT = 1 << 20
# Arrays and inline tables nested deeper than this are refused before parsing: Python's TOML
# parser recurses once per level and would run out of stack (the YAML files' limit, too).
DEPTH = 100
# What one run means, not a standing choice: replacing files, resuming, the date of a report.
# Given per run: where this run writes (-o and the outputs `score` owns: a file set once would be
# replaced by every run in every folder), whether it may overwrite, and the run's own date.
NOT_SETTINGS = frozenset(
    {
        "output", "force", "replace", "resume", "date", "help",
        "junit", "json", "json_file", "markdown", "codequality",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Setting:
    """One option's default, where it was set (`dtassess.toml:3`, `DTASSESS_LANG`)."""

    command: str  # "score", "archive add"
    option: str  # "min-group-size", as the long option is spelled
    value: Any
    source: str
    name: str = ""  # the parameter's name in the command (`output_format` for --format)


@dataclass
class Settings:
    file: Path | None = None
    settings: list[Setting] = field(default_factory=list)

    def default_map(self) -> dict[str, Any]:
        """click's nested `default_map`: command name -> (sub-command ->) parameter -> value."""
        out: dict[str, Any] = {}
        for item in self.settings:
            where = out
            for part in item.command.split():
                where = where.setdefault(part, {})
            where[item.name or item.option.replace("-", "_")] = item.value
        return out


def commands(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every command under a group, as ("archive add", command)."""
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}".strip()
        if hasattr(command, "commands"):
            yield from commands(command, path)
        else:
            yield path, command


def options(command: Any) -> dict[str, Any]:
    """The options of a command that a setting may give: name as spelled (`min-group-size`)."""
    found = {}
    for param in command.params:
        if getattr(param, "param_type_name", "") != "option" or param.name in NOT_SETTINGS:
            continue
        spelled = [o for o in param.opts if o.startswith("--")]
        if spelled and param.name:
            found[max(spelled, key=len)[2:]] = param
    return found


def find_file(cwd: Path, environ: Mapping[str, str]) -> Path | None:
    """The settings file: `DTASSESS_CONFIG`, else the nearest `dtassess.toml`, or
    `pyproject.toml` with a `[tool.dtassess]` table, from `cwd` upwards."""
    if ENV_FILE in environ:
        named = environ[ENV_FILE]
        return Path(named) if named else None
    for folder in (cwd, *cwd.parents):
        if (folder / FILE_NAME).is_file():
            return folder / FILE_NAME
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        head = read_bytes(path, LIMIT).decode("utf-8", "replace")
    except DtassessError:
        return False
    return re.search(r"^\s*\[\s*tool\.dtassess\s*[\].]", head, re.M) is not None


def load(group: Any, cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """The settings for the commands of `group`; every problem in the file or the environment
    raises DtassessError (C001-C005, exit 2), all of them listed."""
    environ = os.environ if environ is None else environ
    path = find_file(Path.cwd() if cwd is None else cwd, environ)
    tree = {name: options(command) for name, command in commands(group)}
    problems: list[Problem] = []
    chosen: dict[tuple[str, str], Setting] = {}
    if path is not None:
        for item in _from_file(path, tree, problems):
            chosen[item.command, item.option] = item
    for item in _from_environment(environ, tree, problems):
        chosen[item.command, item.option] = item
    if problems:
        raise DtassessError(problems)
    return Settings(path, sorted(chosen.values(), key=lambda s: (s.command, s.option)))


# --------------------------------------------------------------------------- the file


def _from_file(
    path: Path, tree: dict[str, dict[str, Any]], problems: list[Problem]
) -> list[Setting]:
    raw = read_bytes(path, LIMIT)
    try:
        text = raw.decode("utf-8")
        deep = _too_deep(text)
        if deep is not None:
            message = f"arrays and tables nested more than {DEPTH} levels deep"
            problems.append(Problem("C001", message, str(path), *deep))
            return []
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem("C001", "not UTF-8 text", str(path), line))
        return []
    except tomllib.TOMLDecodeError as exc:
        problems.append(_syntax(path, str(exc), text))
        return []
    except RecursionError:
        message = f"arrays and tables nested more than {DEPTH} levels deep"
        problems.append(Problem("C001", message, str(path)))
        return []
    table: Any = data
    prefix: tuple[str, ...] = ()
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get("dtassess", {})
        prefix = ("tool", "dtassess")
        if not isinstance(table, dict):
            where = _locate(text, ("tool",), "dtassess")
            problems.append(Problem("C003", "[tool.dtassess] must be a table", str(path), *where))
            return []
    places = _Places(path, text, prefix)
    shared: list[Setting] = []  # top-level keys, which a command's own table overrides
    found: list[Setting] = []
    every = {name for opts in tree.values() for name in opts}
    groups = {name.split()[0] for name in tree if " " in name}
    for key, value in table.items():
        name = key.replace("_", "-")
        if isinstance(value, dict) and (key in tree or key in groups):
            found += _command_table(key, value, tree, places, problems)
        elif name in every:
            # every command that takes the option, where the value suits it (`format = "json"`
            # suits validate and score, "csv" only score); a problem when it suits none
            place = places.of((), key)
            missed: list[Problem] = []
            for command, opts in tree.items():
                if name in opts:
                    shared += _setting(command, opts[name], name, value, place, missed)
            if missed and len(missed) == sum(name in opts for opts in tree.values()):
                problems.append(missed[0])
        else:
            problems.append(_unknown(key, every | set(tree) | groups, places.of((), key)))
    return shared + found


def _command_table(
    key: str,
    table: dict[str, Any],
    tree: dict[str, dict[str, Any]],
    places: _Places,
    problems: list[Problem],
) -> list[Setting]:
    if key not in tree:  # a group: [archive.add]
        found: list[Setting] = []
        for sub, inner in table.items():
            command = f"{key} {sub}"
            if command in tree and isinstance(inner, dict):
                found += _command_table(command, inner, tree, places, problems)
            else:
                names = {c.split()[1] for c in tree if c.startswith(f"{key} ")}
                problems.append(_unknown(sub, names, places.of((key,), sub), what="command"))
        return found
    opts = tree[key]
    found = []
    section = tuple(key.split())
    for option, value in table.items():
        name = option.replace("_", "-")
        place = places.of(section, option)
        if name in opts:
            found += _setting(key, opts[name], name, value, place, problems)
        else:
            problems.append(_unknown(option, set(opts), place, command=key))
    return found


def _unknown(
    key: str, known: set[str], place: tuple[str, int, int], what: str = "setting", command=""
) -> Problem:
    if key.replace("_", "-") in NOT_SETTINGS | {"restart"}:
        message = f"'{shorten(key)}' is given on the command line of each run, not in a file"
        return Problem("C002", message, *place)
    scope = f" of 'dtassess {command}'" if command else ""
    message = f"unknown {what} '{shorten(key)}'{scope}{did_you_mean(key, known)}"
    return Problem("C002", message, *place)


class _Places:
    """Line and column of each key in the file's text (tomllib gives values, not places)."""

    def __init__(self, path: Path, text: str, prefix: tuple[str, ...]) -> None:
        self.path, self.text, self.prefix = path, text, prefix

    def of(self, section: tuple[str, ...], key: str) -> tuple[str, int, int]:
        line, column = _locate(self.text, self.prefix + section, key)
        return str(self.path), line, column


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]")
_KEY = re.compile(r"""^(\s*)(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*[=.]""")


def _locate(text: str, section: tuple[str, ...], key: str) -> tuple[int, int]:
    """(line, column) of `key` in the table `section`; the table's header, or 1:1, when the
    key is written in a way this does not follow (dotted keys, inline tables)."""
    current: tuple[str, ...] = ()
    header = (1, 1)
    for number, line in enumerate(text.splitlines(), start=1):
        found = _HEADER.match(line)
        if found:
            current = tuple(p.strip().strip("\"'") for p in found.group(1).split("."))
            if current == section:
                header = (number, line.index("[") + 1)
            continue
        found = _KEY.match(line)
        if found and current == section and key in found.groups()[1:]:
            return number, len(found.group(1)) + 1
    return header


def _too_deep(text: str) -> tuple[int, int] | None:
    """(line, column) where brackets and braces outside strings first nest past DEPTH; a
    multi-line string is not followed, so its brackets may count: `_from_file` also catches
    the parser's own recursion limit."""
    depth = 0
    quote = ""
    line, start = 1, 0
    escaped = False
    for index, char in enumerate(text):
        if char == "\n":
            line, start = line + 1, index + 1
            if quote in ('"', "'", "#"):
                quote = ""  # a comment or one-line string ends with its line
        elif quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            quote = "#"  # a comment: to the end of the line
        elif char in "[{":
            depth += 1
            if depth > DEPTH:
                return line, index - start + 1
        elif char in "]}":
            depth = max(depth - 1, 0)
    return None


def _syntax(path: Path, message: str, text: str) -> Problem:
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)", message)
    if found:
        line, column = int(found.group(1)), int(found.group(2))
        message = message[: found.start()] + message[found.end() :]
    else:
        line, column = text.count("\n") + 1, None
        message = re.sub(r"\s*\(at end of document\)", "", message)
    return Problem("C001", f"TOML syntax error: {message}", str(path), line, column)


# --------------------------------------------------------------------------- values


def _setting(
    command: str,
    param: Any,
    name: str,
    value: Any,
    place: tuple[str, int, int],
    problems: list[Problem],
) -> list[Setting]:
    """The setting of one option of one command from the file, checked; [] with a problem."""
    path, line, column = place
    folder = Path(path).parent
    try:
        checked = _check(param, _spec(name, value), folder)
    except ValueError as exc:
        problems.append(Problem("C003", f"{name}: {exc}", path, line, column))
        return []
    return [Setting(command, name, checked, f"{path}:{line}", param.name)]


def _spec(name: str, value: Any) -> Any:
    """`fail-under` and `target` may be tables, as TOML writes them: {overall = 60}."""
    if isinstance(value, dict) and name in ("fail-under", "target"):
        parts = []
        for node, bar in value.items():
            if isinstance(bar, bool) or not isinstance(bar, int | float):
                raise ValueError(f"{shorten(str(node))} = {shorten(repr(bar))} is not a number")
            parts.append(f"{node}={bar}")
        return ",".join(parts)
    if isinstance(value, int) and not isinstance(value, bool) and name == "target":
        return str(value)
    return value


def _check(param: Any, value: Any, folder: Path | None) -> Any:
    """A setting's value as the option takes it, checked the way the option checks what is
    typed; a relative path in a file is taken from the file's folder."""
    if getattr(param, "is_flag", False):
        if not isinstance(value, bool):
            raise ValueError(f"true or false, not {shorten(repr(value))}")
        return value
    if isinstance(value, dict | list):
        raise ValueError(
            "a single value, not a " + ("table" if isinstance(value, dict) else "list")
        )
    if isinstance(value, bool):
        raise ValueError(f"not true or false: the option takes a value, not {value}")
    try:
        converted = param.process_value(None, value)
    except Exception as exc:  # the option's own usage error (click's or typer's BadParameter)
        text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        raise ValueError(
            re.sub(r"^Invalid value for '[^']*': (Value error, )?", "", text).rstrip(".")
        ) from None
    if isinstance(converted, Path):
        return folder / converted if folder is not None else converted
    if folder is not None and param.name == "questionnaire" and (folder / str(value)).is_file():
        return str(folder / str(value))
    return value


# --------------------------------------------------------------------------- the environment


def env_name(option: str) -> str:
    return ENV_PREFIX + option.replace("-", "_").upper()


def _from_environment(
    environ: Mapping[str, str], tree: dict[str, dict[str, Any]], problems: list[Problem]
) -> list[Setting]:
    """`DTASSESS_MIN_GROUP_SIZE=5`: for every command that takes the option and where the value
    suits it, as a top-level key of the file; a problem when it suits none."""
    found: list[Setting] = []
    failed: dict[str, Problem] = {}
    suited: set[str] = set()
    for command, opts in tree.items():
        for name, param in opts.items():
            variable = env_name(name)
            if variable not in environ:
                continue
            raw = environ[variable]
            try:
                value = _check(param, _env_value(param, raw), None)
            except ValueError as exc:
                message = f"{exc} (from the environment)"
                failed.setdefault(variable, Problem("C005", message, variable))
                continue
            suited.add(variable)
            found.append(Setting(command, name, value, variable, param.name))
    problems += [problem for variable, problem in failed.items() if variable not in suited]
    return found


def _env_value(param: Any, raw: str) -> Any:
    if not param.is_flag:
        return raw
    words = {
        "1": True,
        "true": True,
        "yes": True,
        "0": False,
        "false": False,
        "no": False,
        "": False,
    }
    if raw.strip().lower() not in words:
        raise ValueError(f"1, true or yes; 0, false, no or empty, not {shorten(repr(raw))}")
    return words[raw.strip().lower()]


# --------------------------------------------------------------------------- dtassess config


def effective(settings: Settings, group: Any, command: str | None = None) -> list[dict[str, str]]:
    """Rows for `dtassess config`: each setting given (one row for the commands that share
    it), or with `command` every option of that command, its default marked as such."""
    tree = dict(commands(group))
    if command is not None:
        if command not in tree:
            message = f"no command '{shorten(command)}'{did_you_mean(command, tree)}"
            raise DtassessError(Problem("C004", message))
        given = {s.option: s for s in settings.settings if s.command == command}
        rows = []
        for name, param in options(tree[command]).items():
            if name in given:
                rows.append(_row(command, given[name]))
            elif not param.is_flag or param.default:
                default = "" if param.default is None else _shown(param.default)
                rows.append({"command": command, "option": name, "value": default,
                             "source": "default"})  # fmt: skip
        return rows
    shared: dict[tuple[str, str, str], list[str]] = {}
    for item in settings.settings:
        shared.setdefault((item.option, _shown(item.value), item.source), []).append(item.command)
    return [
        {"command": ", ".join(names), "option": option, "value": value, "source": source}
        for (option, value, source), names in sorted(shared.items())
    ]


def _row(command: str, item: Setting) -> dict[str, str]:
    return {"command": command, "option": item.option, "value": _shown(item.value),
            "source": item.source}  # fmt: skip


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(getattr(value, "value", value))
