"""Check a deployment's template overrides at start, so a typo stops the bot, not an answer.

Every file under ``HOMEGROUP_TEMPLATES`` must be one Homegroup reads: ``<locale>/<name>`` where
``<name>`` ships in ``messages/en`` (or in that locale's bundled folder), be it a template, a
partial (``_*.j2``) or the one data file a deployment adds to (``danger_words.txt``). A new
locale folder may hold any of them. Each template must parse, and, with every override in place,
every bundled template that reads one must still render each of its samples in every dialect the
deployment uses, within the budget a member's message would have (``bot.render_guard``): so a
broken partial shows through the templates that include it, and a looping one stops the start
instead of an answer. Hidden files (``.DS_Store``, ``.gitkeep``) are left alone.

The problems name files and quote the admin's own templates and our samples, never a member's
words: nothing a member wrote has been rendered yet.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2

from bot.dialect import Dialect, PlainDialect
from bot.domain.danger import SPELLINGS_FILE
from bot.domain.replies import Mention
from bot.render import Renderer, RenderError, bundled_file, bundled_names, load_danger_words
from bot.render_guard import OverrideFailed, OverrideGuard
from bot.render_sandbox import Budget, OverrideSpent
from bot.samples import WHO, all_samples, as_sent

_READ = (".j2", ".txt")
"""The kinds of file Homegroup reads from a locale folder."""
_DATA_ADDED_TO = frozenset({"danger_words.txt"})
"""The data files a deployment may add lines to; the others (preset names, date endings…) are
read from the bundled folder only, so an override of one would be silently ignored."""
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


def check_overrides(
    root: Path,
    dialects: Iterable[Dialect],
    budget: Budget | None = None,
    *,
    samples: Mapping[str, list[dict[str, Any]]] | None = None,
) -> list[OverrideProblem]:
    """Every problem of the override folder ``root``, one a file at most; empty when it is fine.

    ``samples`` are the contexts each template is tried with: by default the core's
    (``bot.samples``); the process passes its adapters' too.

    Samples render under the budget a member's message would (``bot.render_guard``), so an
    override that loops or swells is named here rather than stopped mid-answer.
    """
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
    if problems or not locales:
        return [OverrideProblem(file, problems[file]) for file in sorted(problems)]
    samples = all_samples() if samples is None else samples
    guard = OverrideGuard(root, budget)
    stopped: set[str] = set()
    try:
        for dialect in dialects:
            renderer = Renderer(dialect, root, fall_back=False, budget=guard.budget, guard=guard)
            for locale in sorted(locales):
                _render_samples(root, locale, renderer, samples, problems, stopped)
    finally:
        guard.close()
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
    if len(relative.parts) < 2 and str(relative) in bundled_names("en"):
        return f"put it in a locale folder: en/{relative}"
    locale, name = relative.parts[0], "/".join(relative.parts[1:])
    if (
        len(relative.parts) < 2
        or relative.suffix not in _READ
        or bundled_file(locale, name) is None
    ):
        known = sorted(bundled_names(locale))
        guess = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        if guess:
            return f"no bundled template has this name; did you mean {locale}/{guess[0]}?"
        return (
            "Homegroup reads no file of this name; an override is named after a bundled"
            " template, like en/craving_reply.j2"
        )
    if name == SPELLINGS_FILE:  # read with the bundled lists, before any deployment's
        return (
            "how a language is typed is read from Homegroup's own folder only, never"
            f" replaced; write the forms people type as patterns in {locale}/danger_words.txt"
        )
    if relative.suffix == ".txt" and name not in _DATA_ADDED_TO:
        return (
            "Homegroup reads this list from its own messages folder only; change it there"
            " (a new language is a new folder in messages/)"
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


def _render_samples(
    root: Path,
    locale: str,
    renderer: Renderer,
    every: Mapping[str, list[dict[str, Any]]],
    problems: dict[str, str],
    stopped: set[str],
) -> None:
    """Render the samples of every template that reads an override; blame a file.

    A file that ran past the budget is not tried again through other templates: each try
    would cost the whole budget, and one line names it already.
    """
    bundled = Renderer(renderer.dialect)
    files = {os.path.realpath(path): path.relative_to(root).as_posix() for path in _files(root)}
    for key, samples in sorted(every.items()):
        read = {f"{locale}/{name}" for name in renderer.overrides_read(key, locale)}
        if bundled_file(locale, f"{key}.j2") is None or not read or read & stopped:
            continue
        for sample in samples:
            context = as_sent(sample)
            try:
                renderer.render(key, context, locale=locale, mentions=[_WHO])
            except RenderError as error:
                if not _renders(bundled, key, context, locale):
                    continue  # our own template or sample is wrong: tests/core/test_render.py says
                failure = error.__cause__ or error
                file, line = _culprit(failure, files)
                # An error a bundled template raised (a macro missing from an overridden
                # _macros.j2) names no override: blame the first it reads, partials first.
                file = file or min(read)
                if isinstance(failure, OverrideSpent):
                    stopped.add(file)
                if file not in problems:
                    problems[file] = _describe(failure, key, renderer, line)
                break


def _renders(renderer: Renderer, key: str, context: dict[str, Any], locale: str) -> bool:
    """Whether ``key`` renders ``context`` with this renderer."""
    try:
        renderer.render(key, context, locale=locale, mentions=[_WHO])
    except RenderError:
        return False
    return True


def _culprit(failure: BaseException, files: dict[str, str]) -> tuple[str | None, int | None]:
    """The override file (and its line) deepest in the failure's trace: where it arose."""
    found: tuple[str | None, int | None] = (None, None)
    for path, line in getattr(failure, "frames", ()):
        file = files.get(os.path.realpath(path))
        if file is not None:
            found = (file, line)
    return found


def _describe(failure: BaseException, key: str, renderer: Renderer, line: int | None) -> str:
    """Say plainly why rendering failed; the message quotes only templates and samples."""
    where = f"line {line}: " if line is not None else ""
    shown = "" if renderer.dialect.name == "plain" else f" for {renderer.dialect.name}"
    budget = renderer.budget
    if isinstance(failure, OverrideSpent):
        spent = {
            "time": f"take longer than {budget.seconds:g} s to render with it{shown}; look for"
            " a loop that runs too long",
            "characters": f"make more than {budget.characters:,} characters with it{shown}",
            "memory": f"need more than {budget.memory // 2**20} MB with it{shown}",
        }.get(failure.what, f"stop the renderer with it{shown}")
        return f"{where}the sample messages of {key} {spent}"
    if isinstance(failure, OverrideFailed):
        if failure.kind == "security":
            return f"{where}the sandbox does not allow this: {failure.message}"
        if failure.kind == "missing":
            return f"{where}it uses {failure.missing}, which does not exist"
        reason = failure.message or failure.error
        if failure.kind == "other":
            reason = f"{failure.error}: {failure.message}"
    else:
        reason = f"{type(failure).__name__}: {failure}"
    return f"{where}the sample messages of {key} do not render with it{shown}: {reason}"
