"""Check a deployment's template overrides at start, so a typo stops the bot, not an answer.

Every file under ``HOMEGROUP_TEMPLATES`` must be one Homegroup reads: ``<locale>/<name>``
where ``<name>`` ships in ``messages/en`` (or in that locale's bundled folder), be it a
template, a partial (``_*.j2``) or a data file (``danger_words.txt``). A new locale folder may
hold any of them. Each template must parse, and, with every override in place, every bundled
template must still render each of its samples in every dialect the deployment uses: so a
broken partial shows through the templates that include it. Hidden files (``.DS_Store``,
``.gitkeep``) are left alone.

The problems name files and quote the admin's own templates and our samples, never a member's
words: nothing a member wrote has been rendered yet.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.exceptions import SecurityError

from bot.domain.replies import Mention
from bot.render import (
    Dialect,
    PlainDialect,
    Renderer,
    RenderError,
    bundled_messages,
    load_danger_words,
)
from bot.samples import WHO, all_samples, as_sent

_READ = (".j2", ".txt")
"""The kinds of file Homegroup reads from a locale folder."""
_WHO = Mention(WHO["id"], WHO["name"])
"""The member every sample is for, and the one person it may mention."""


@dataclass(frozen=True, slots=True)
class OverrideProblem:
    """One override file that cannot be used, and why, in words for the admin."""

    file: str
    """The file's path inside the override folder, like ``en/craving_reply.j2``."""
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.problem}"


def check_overrides(root: Path, dialects: Iterable[Dialect]) -> list[OverrideProblem]:
    """Every problem of the override folder ``root``, one a file at most; empty when it is fine."""
    problems: dict[str, str] = {}
    locales: set[str] = set()
    for path in _files(root):
        relative = PurePosixPath(path.relative_to(root).as_posix())
        problem = _check_file(root, path, relative)
        if problem is not None:
            problems[str(relative)] = problem
        elif relative.suffix == ".j2":
            locales.add(relative.parts[0])
    # A file that does not parse would make every template including it fail, and be blamed
    # on them: render only once every file reads.
    if not problems:
        for dialect in dialects:
            for locale in sorted(locales):
                _render_samples(root, locale, dialect, problems)
    return [OverrideProblem(file, problems[file]) for file in sorted(problems)]


def _files(root: Path) -> Iterator[Path]:
    """Every file under ``root`` but hidden ones, in a stable order."""
    for path in sorted(root.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if path.is_file():
            yield path


def _check_file(root: Path, path: Path, relative: PurePosixPath) -> str | None:
    """What is wrong with this one file on its own, if anything."""
    if len(relative.parts) < 2 and str(relative) in _bundled_names("en"):
        return f"put it in a locale folder: en/{relative}"
    locale, name = relative.parts[0], "/".join(relative.parts[1:])
    if len(relative.parts) < 2 or relative.suffix not in _READ or _bundled(locale, name) is None:
        known = sorted(_bundled_names(locale))
        guess = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        if guess:
            return f"no bundled template has this name; did you mean {locale}/{guess[0]}?"
        return (
            "Homegroup reads no file of this name; an override is named after a bundled"
            " template, like en/craving_reply.j2"
        )
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return "this is not UTF-8 text; save it as UTF-8"
    except OSError as error:
        return f"it cannot be read ({error.strerror})"
    if name == "danger_words.txt":
        try:  # as the core reads it: the bundled list, extended by this one
            load_danger_words(locale, root)
        except ValueError as error:
            return f"a line cannot be read: {error}"
    if relative.suffix == ".j2":
        try:
            Renderer(PlainDialect()).parse(source, name, locale)
        except jinja2.TemplateSyntaxError as error:
            return f"line {error.lineno}: this is not a template Jinja can read: {error.message}"
    return None


def _render_samples(root: Path, locale: str, dialect: Dialect, problems: dict[str, str]) -> None:
    """Render every bundled template's samples with the overrides in place; blame a file."""
    renderer = Renderer(dialect, root, fall_back=False)
    bundled = Renderer(dialect)
    files = {os.path.realpath(path): path.relative_to(root).as_posix() for path in _files(root)}
    for key, samples in sorted(all_samples().items()):
        if _bundled(locale, f"{key}.j2") is None:
            continue
        for sample in samples:
            context = as_sent(sample)
            try:
                renderer.render(key, context, locale=locale, mentions=[_WHO])
            except RenderError as error:
                if not _renders(bundled, key, context, locale):
                    continue  # our own template or sample is wrong: tests/test_render.py says so
                failure = error.__cause__ or error
                file, line = _culprit(failure.__traceback__, files)
                if file is None:
                    file = _suspect(root, renderer, locale, key)
                if file not in problems:
                    problems[file] = _describe(failure, key, dialect, line)
                break


def _renders(renderer: Renderer, key: str, context: dict[str, Any], locale: str) -> bool:
    """Whether ``key`` renders ``context`` with this renderer."""
    try:
        renderer.render(key, context, locale=locale, mentions=[_WHO])
    except RenderError:
        return False
    return True


def _culprit(trace: TracebackType | None, files: dict[str, str]) -> tuple[str | None, int | None]:
    """The override file (and its line) deepest in the traceback: where the error arose."""
    found: tuple[str | None, int | None] = (None, None)
    while trace is not None:
        file = files.get(os.path.realpath(trace.tb_frame.f_code.co_filename))
        if file is not None:
            found = (file, trace.tb_lineno)
        trace = trace.tb_next
    return found


def _suspect(root: Path, renderer: Renderer, locale: str, key: str) -> str:
    """The first override a template loads, for an error a bundled template raised (a macro
    missing from an overridden ``_macros.j2``): partials sort first."""
    seen: set[str] = set()
    todo = [f"{key}.j2"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        override = root / locale / name
        bundled = _bundled(locale, name)
        if override.is_file():
            source = override.read_text(encoding="utf-8")
        elif bundled is not None:
            source = bundled.read_text(encoding="utf-8")
        else:
            continue
        todo.extend(n for n in meta.find_referenced_templates(renderer.parse(source, name)) if n)
    overridden = sorted(name for name in seen if (root / locale / name).is_file())
    return f"{locale}/{overridden[0]}" if overridden else f"{locale}/"


def _describe(error: BaseException, key: str, dialect: Dialect, line: int | None) -> str:
    """Say plainly why rendering failed; the message quotes only templates and samples."""
    where = f"line {line}: " if line is not None else ""
    shown = "" if dialect.name == "plain" else f" for {dialect.name}"
    if isinstance(error, SecurityError):
        return f"{where}the sandbox does not allow this: {error}"
    if isinstance(error, jinja2.TemplateNotFound):
        return f"{where}it uses {error.name}, which does not exist"
    if isinstance(error, jinja2.TemplateError):
        reason = error.message or type(error).__name__
    else:
        reason = f"{type(error).__name__}: {error}"
    return f"{where}the sample messages of {key} do not render with it{shown}: {reason}"


def _bundled(locale: str, name: str) -> Traversable | None:
    """The bundled file ``name`` of a locale, or of English, which every locale falls back to."""
    for folder in dict.fromkeys((locale, "en")):
        entry = bundled_messages().joinpath(folder)
        for part in name.split("/"):
            entry = entry.joinpath(part)
        if entry.is_file():
            return entry
    return None


def _bundled_names(locale: str) -> set[str]:
    """Every file name a locale folder may override."""
    names: set[str] = set()
    for folder in dict.fromkeys((locale, "en")):
        top = bundled_messages().joinpath(folder)
        todo: list[tuple[str, Traversable]] = [("", top)] if top.is_dir() else []
        while todo:
            prefix, entry = todo.pop()
            for child in entry.iterdir():
                if child.is_dir():
                    todo.append((f"{prefix}{child.name}/", child))
                elif child.name.endswith(_READ):
                    names.add(f"{prefix}{child.name}")
    return names
