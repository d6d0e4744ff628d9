"""Turn a reply (template key + context) into text in one platform's dialect.

Every value a template prints is escaped by the dialect unless the dialect itself made it (a
mention, bold text), so no string a member typed can inject markup or mentions. A template may
mention only the people the reply lists in ``mentions``; anyone else is printed as a plain name.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot import contexts, language
from bot.dialect import Dialect, Marked
from bot.domain.commands import command_lists
from bot.domain.danger import DangerWords
from bot.domain.replies import Mention
from bot.render_guard import OverrideFailed, OverrideGuard
from bot.render_sandbox import Budget, CappedSandbox, OverrideSpent

log = logging.getLogger(__name__)

_BLANK_RUNS = re.compile(r"\n{3,}")

MAX_RENDERED = 20_000
"""No template, however an override is written, may render more than this."""


class RenderError(Exception):
    """A template is missing or broken; loud, because a member would see nothing."""


def bundled_messages() -> Traversable:
    """The templates that ship with Homegroup."""
    return resources.files("messages")


class _TraversableLoader(jinja2.BaseLoader):
    """Load templates from package data, wherever the package is installed."""

    def __init__(self, root: Traversable) -> None:
        self._root = root

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        entry = self._root
        for part in template.split("/"):
            if part in ("", ".", ".."):
                raise jinja2.TemplateNotFound(template)
            entry = entry.joinpath(part)
        if not entry.is_file():
            raise jinja2.TemplateNotFound(template)
        return entry.read_text(encoding="utf-8"), None, lambda: True


@dataclass
class Renderer:
    """Render templates for one dialect; deployment overrides win over the bundled files.

    A template that reads no override renders here, as it always did. One that reads an
    override (itself, or a partial it includes) renders in a worker process under ``budget``
    (see ``bot.render_guard``). An override that fails or runs over when a member is waiting
    falls back to the bundled template, so a deployment's typo or runaway loop never costs
    anyone their answer; one that ran over is not tried again in this process.
    ``fall_back=False`` is for the check at start, which must see the override's own error.
    """

    dialect: Dialect
    overrides: Path | None = None
    fall_back: bool = True
    budget: Budget = field(default_factory=Budget)
    guard: OverrideGuard | None = None
    """The workers overrides render in; started on first use unless one is shared."""
    contexts: Mapping[str, type] = field(default_factory=dict)
    """Context types of the templates an adapter renders itself, checked as the core's are."""
    _environments: dict[tuple[str, bool], jinja2.Environment] = field(
        default_factory=dict, init=False
    )
    _folders: dict[str, _OverrideFolder] = field(default_factory=dict, init=False)
    _spent: set[tuple[str, str]] = field(default_factory=set, init=False)
    """Templates (and locales) whose override ran past its budget: bundled from now on."""

    def render(
        self,
        template: str,
        context: Mapping[str, Any],
        *,
        locale: str = "en",
        mentions: Iterable[Mention] = (),
    ) -> str:
        """Render ``template`` with ``context``; only ``mentions`` may be notified.

        An override makes the caller wait up to the budget: senders await ``render_async``.
        """
        values, text = self._begin(template, context, locale, mentions)
        if text is None:
            try:
                text = self._workers().render(self.dialect, template, values, locale)
            except Exception as error:  # the override's own error, or its budget
                text = self._instead(template, values, locale, error)
        return _tidy(template, text)

    async def render_async(
        self,
        template: str,
        context: Mapping[str, Any],
        *,
        locale: str = "en",
        mentions: Iterable[Mention] = (),
    ) -> str:
        """Render as ``render`` does, awaiting an override's worker instead of blocking on it."""
        values, text = self._begin(template, context, locale, mentions)
        if text is None:
            try:
                text = await self._workers().render_async(self.dialect, template, values, locale)
            except Exception as error:
                text = self._instead(template, values, locale, error)
        return _tidy(template, text)

    def _begin(
        self, template: str, context: Mapping[str, Any], locale: str, mentions: Iterable[Mention]
    ) -> tuple[dict[str, Any], str | None]:
        """Check the context against its template's type; render it here unless an override
        is read: the values to render with, and the text when it is already made."""
        try:
            contexts.check(template, context, self.contexts)
        except contexts.ContextError as error:  # names keys, never a member's words
            raise RenderError(f"template {template!r} ({locale}): {error}") from error
        values = {**context, "_allowed_mentions": {m.person for m in mentions}}
        if self._guarded(template, locale):
            return values, None
        return values, self._bundled(template, values, locale)

    def overrides_read(self, template: str, locale: str = "en") -> frozenset[str]:
        """The override files (inside the locale's folder) that rendering ``template`` reads."""
        if self.overrides is None:
            return frozenset()
        folder = self._folders.get(locale)
        if folder is None:
            folder = self._folders[locale] = _OverrideFolder(self.overrides, locale)
        folder.refresh()
        read = folder.reads.get(template)
        if read is None:
            read = folder.reads[template] = self._reads(folder, f"{template}.j2", locale)
        return read

    def override_environment(self, locale: str) -> CappedSandbox:
        """The sandbox overrides render in, here: a render worker's, or a benchmark's."""
        env = self._environment(locale, True)
        assert isinstance(env, CappedSandbox)
        return env

    def parse(self, source: str, name: str, locale: str = "en") -> jinja2.nodes.Template:
        """Read ``source`` as this renderer would; raise TemplateSyntaxError if it cannot."""
        return self._environment(locale, False).parse(source, name)

    def close(self) -> None:
        """Stop the workers its overrides render in."""
        if self.guard is not None:
            self.guard.close()

    def _guarded(self, template: str, locale: str) -> bool:
        if self.overrides is None or (template, locale) in self._spent:
            return False
        return bool(self.overrides_read(template, locale))

    def _workers(self) -> OverrideGuard:
        if self.guard is None:
            assert self.overrides is not None
            self.guard = OverrideGuard(self.overrides, self.budget)
        return self.guard

    def _bundled(self, template: str, values: Mapping[str, Any], locale: str) -> str:
        try:
            return self._environment(locale, False).get_template(f"{template}.j2").render(values)
        except Exception as error:  # a filter's ValueError as much as a template's own error
            raise RenderError(f"template {template!r} ({locale}): {error!r}") from error

    def _instead(
        self, template: str, values: Mapping[str, Any], locale: str, error: Exception
    ) -> str:
        """The bundled template in place of an override that failed or ran over."""
        if not self.fall_back:
            raise RenderError(f"template {template!r} ({locale}): {error!r}") from error
        text = self._bundled(template, values, locale)
        # A Jinja message can quote a member's words: name the template, not the error.
        if isinstance(error, OverrideSpent):
            self._spent.add((template, locale))
            log.warning(
                "template %s (%s): the override ran past its budget (%s) and was stopped;"
                " the bundled one is sent from now on",
                template,
                locale,
                error.what,
            )
        else:
            log.warning(
                "template %s (%s): the override failed (%s); sent the bundled one",
                template,
                locale,
                error.error if isinstance(error, OverrideFailed) else type(error).__name__,
            )
        return text

    def _reads(self, folder: _OverrideFolder, name: str, locale: str) -> frozenset[str]:
        """Follow ``name``'s includes, imports and extends; collect the overridden files."""
        read: set[str] = set()
        seen: set[str] = set()
        todo = [name]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            bundled = bundled_file(locale, name)
            try:
                if name in folder.names:
                    read.add(name)
                    source = (folder.path / name).read_text(encoding="utf-8")
                elif bundled is not None:
                    source = bundled.read_text(encoding="utf-8")
                else:
                    continue
                ast = self.parse(source, name, locale)
            except (OSError, UnicodeDecodeError, jinja2.TemplateSyntaxError):
                continue  # unreadable: rendering it will say so, or fall back
            for reference, whole in _references(ast):
                if whole:
                    todo.append(reference)
                else:  # built at render time: any file it could name
                    known = folder.names | _bundled_templates(locale)
                    todo.extend(n for n in known if n.startswith(reference))
        return frozenset(read)

    def _environment(self, locale: str, overridden: bool) -> jinja2.Environment:
        env = self._environments.get((locale, overridden))
        if env is None:
            env = self._build(locale, overridden)
            self._environments[locale, overridden] = env
        return env

    def _build(self, locale: str, overridden: bool) -> jinja2.Environment:
        loaders: list[jinja2.BaseLoader] = []
        if overridden and self.overrides is not None:
            loaders.append(jinja2.FileSystemLoader(self.overrides / locale))
        loaders.append(_TraversableLoader(bundled_messages().joinpath(locale)))
        if locale != "en":
            loaders.append(_TraversableLoader(bundled_messages().joinpath("en")))
        dialect = self.dialect

        def safe(value: object) -> Marked:
            if isinstance(value, Marked):
                return value
            return Marked(dialect.escape("" if value is None else str(value)))

        options: dict[str, Any] = {
            "loader": jinja2.ChoiceLoader(loaders),
            "autoescape": False,
            "finalize": safe,
            "undefined": jinja2.StrictUndefined,
            "trim_blocks": True,
            "lstrip_blocks": True,
            "keep_trailing_newline": False,
        }
        env = (
            CappedSandbox(self.budget, **options)
            if overridden
            else ImmutableSandboxedEnvironment(**options)
        )

        @jinja2.pass_context
        def mention(ctx: jinja2.runtime.Context, who: Mapping[str, Any]) -> Marked:
            person, name = str(who["id"]), str(who["name"])
            if person in ctx.get("_allowed_mentions", ()):
                return Marked(dialect.mention(person, name))
            return safe(name)

        env.globals["mention"] = mention
        env.globals["platform"] = dialect.name
        env.globals.update(command_lists())
        env.filters["bold"] = lambda value: Marked(dialect.bold(safe(value)))
        env.filters["italic"] = lambda value: Marked(dialect.italic(safe(value)))
        env.filters["link"] = lambda url, text=None: Marked(
            dialect.link(str(url), safe(url if text is None else text))
        )
        env.filters["role"] = lambda value: Marked(dialect.role(str(value)))
        env.filters.update(language.filters(locale))
        return env


class _OverrideFolder:
    """One locale's override folder: its template files, looked at again only when a folder
    in it changes (a file added, removed or renamed), so a render costs a ``stat`` a folder."""

    def __init__(self, root: Path, locale: str) -> None:
        self.root = root
        self.path = root / locale
        self.names: frozenset[str] = frozenset()
        self.reads: dict[str, frozenset[str]] = {}
        """Override files each template reads, by template key."""
        self._watched: list[str] = []
        self._stamp: tuple[int, ...] | None = None

    def refresh(self) -> None:
        if self._stamp is not None and self._stamp == self._stamps():
            return
        watched: list[str] = []
        stamp: list[int] = []
        names: set[str] = set()
        todo = [str(self.path)]
        while todo:
            folder = todo.pop()
            try:
                changed = os.stat(folder).st_mtime_ns  # before listing, so a change shows later
                entries = list(os.scandir(folder))
            except OSError:
                continue
            watched.append(folder)
            stamp.append(changed)
            for entry in entries:
                if entry.is_dir():
                    todo.append(entry.path)
                elif entry.name.endswith(".j2"):
                    names.add(Path(entry.path).relative_to(self.path).as_posix())
        if not watched:  # no folder for this locale: watch the root for one to appear
            watched = [str(self.root)]
        self._watched = watched
        self._stamp = tuple(stamp) if stamp else self._stamps()
        self.names = frozenset(names)
        self.reads.clear()

    def _stamps(self) -> tuple[int, ...] | None:
        try:
            return tuple(os.stat(folder).st_mtime_ns for folder in self._watched)
        except OSError:
            return None


def _tidy(template: str, text: str) -> str:
    """Fold blank runs, drop trailing spaces, and cut what no platform would take anyway."""
    text = _BLANK_RUNS.sub("\n\n", "\n".join(line.rstrip() for line in text.strip().splitlines()))
    if len(text) > MAX_RENDERED:
        log.warning("template %s rendered %d characters; cut", template, len(text))
        text = text[:MAX_RENDERED]
    return text


def _references(ast: jinja2.nodes.Template) -> Iterator[tuple[str, bool]]:
    """The templates a parsed one names: ``(name, True)``, or ``(prefix, False)`` for a name
    built at render time (``"resources/" ~ code ~ ".j2"``); the prefix may be empty."""
    nodes = jinja2.nodes
    for node in ast.find_all((nodes.Extends, nodes.FromImport, nodes.Import, nodes.Include)):
        assert isinstance(node, nodes.Extends | nodes.FromImport | nodes.Import | nodes.Include)
        names = node.template
        for name in names.items if isinstance(names, nodes.List | nodes.Tuple) else [names]:
            if isinstance(name, nodes.Const) and isinstance(name.value, str):
                yield name.value, True
            else:
                yield _leading_text(name), False


def _leading_text(expression: jinja2.nodes.Expr) -> str:
    """The constant text a name built at render time starts with."""
    nodes = jinja2.nodes
    while True:
        if isinstance(expression, nodes.Concat) and expression.nodes:
            expression = expression.nodes[0]
        elif isinstance(expression, nodes.Add):
            expression = expression.left
        elif isinstance(expression, nodes.Const) and isinstance(expression.value, str):
            return expression.value
        else:
            return ""


def bundled_file(locale: str, name: str) -> Traversable | None:
    """The bundled file ``name`` of a locale, or of English, which every locale falls back to."""
    for folder in dict.fromkeys((locale, "en")):
        entry = bundled_messages().joinpath(folder)
        for part in name.split("/"):
            entry = entry.joinpath(part)
        if entry.is_file():
            return entry
    return None


@functools.cache
def bundled_names(locale: str) -> frozenset[str]:
    """Every file name a locale folder may override (templates, partials, data files)."""
    names: set[str] = set()
    for folder in dict.fromkeys((locale, "en")):
        top = bundled_messages().joinpath(folder)
        todo: list[tuple[str, Traversable]] = [("", top)] if top.is_dir() else []
        while todo:
            prefix, entry = todo.pop()
            for child in entry.iterdir():
                if child.is_dir():
                    todo.append((f"{prefix}{child.name}/", child))
                elif child.name.endswith((".j2", ".txt")):
                    names.add(f"{prefix}{child.name}")
    return frozenset(names)


def _bundled_templates(locale: str) -> frozenset[str]:
    return frozenset(name for name in bundled_names(locale) if name.endswith(".j2"))


def load_danger_words(locale: str, overrides: Path | None) -> DangerWords:
    """The bundled danger words of a locale, extended by a deployment's own list."""
    words = DangerWords(())
    bundled = bundled_messages().joinpath(locale).joinpath("danger_words.txt")
    if bundled.is_file():
        words += DangerWords.parse(bundled.read_text(encoding="utf-8"), locale)
    if overrides is not None:
        extra = overrides / locale / "danger_words.txt"
        if extra.is_file():
            words += DangerWords.parse(extra.read_text(encoding="utf-8"), locale)
    return words
