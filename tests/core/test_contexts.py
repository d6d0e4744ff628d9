"""Template contexts: every template has a type, each type names what its template prints,
and the renderer refuses a context that does not fit."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from typing import NotRequired, TypedDict

import jinja2
import jinja2.meta
import pytest

from adapters.platforms import every_context, every_sample
from bot import contexts
from bot.contexts import Empty, Ref, check, fits, problems, registry
from bot.dialect import PlainDialect
from bot.render import Renderer, RenderError, bundled_file
from bot.samples import as_sent

NOT_YET_TYPED: frozenset[str] = frozenset()
"""Templates whose context has no type yet: this list only shrinks."""

KEPT_FOR_OVERRIDES: dict[str, frozenset[str]] = {
    "call_gone": frozenset({"member"}),
    "call_not_volunteer": frozenset({"member"}),
    "call_own": frozenset({"member"}),
    "cleandate_invalid": frozenset({"today", "earliest"}),
    "craving_ping": frozenset({"resources"}),
    "relapse_date_invalid": frozenset({"today"}),
}
"""Keys a context carries that its bundled template does not print: kept because a
deployment's override may print them (their names are a promise; see the README)."""

PARTIALS = "resources/"
"""A folder of partials that ``_resources.j2`` includes by name; never rendered alone."""


def template_keys() -> set[str]:
    """Every template a reply or an adapter renders: ``messages/en`` less its partials."""
    keys: set[str] = set()
    todo: list[tuple[str, Traversable]] = [("", resources.files("messages").joinpath("en"))]
    while todo:
        prefix, folder = todo.pop()
        for entry in folder.iterdir():
            if entry.is_dir() and f"{prefix}{entry.name}/" != PARTIALS:
                todo.append((f"{prefix}{entry.name}/", entry))
            elif entry.name.endswith(".j2") and not entry.name.startswith("_"):
                keys.add(f"{prefix}{entry.name.removesuffix('.j2')}")
    return keys


def printed(template: str) -> frozenset[str]:
    """The names a bundled template reads from its context, its includes' too."""
    renderer = Renderer(PlainDialect())
    environment = renderer.override_environment("en")
    known = set(environment.globals)
    names: set[str] = set()
    todo, seen = [f"{template}.j2"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        entry = bundled_file("en", name)
        assert entry is not None, f"{name} is included but missing"
        ast = renderer.parse(entry.read_text(encoding="utf-8"), name)
        names |= jinja2.meta.find_undeclared_variables(ast) - known - _local(ast)
        for node in ast.find_all((jinja2.nodes.Include, jinja2.nodes.Extends)):
            assert isinstance(node, jinja2.nodes.Include | jinja2.nodes.Extends)
            included = node.template
            items = included.items if isinstance(included, jinja2.nodes.List) else [included]
            for item in items:
                if isinstance(item, jinja2.nodes.Const):
                    todo.append(item.value)
                else:  # built at render time: every partial it can name
                    todo.extend(f"{PARTIALS}{n}" for n in _partials())
    return frozenset(names)


def _local(ast: jinja2.nodes.Template) -> set[str]:
    """Names a template sets from something else: its own, whatever Jinja reports.

    Jinja reports a name set inside a branch as read from the context; one set from itself
    (``{% set emergency = emergency|default(none) %}``) is the context's, made optional.
    """
    local: set[str] = set()
    for node in ast.find_all(jinja2.nodes.Assign):
        assert isinstance(node, jinja2.nodes.Assign)
        read = {name.name for name in node.node.find_all(jinja2.nodes.Name)}
        target = node.target
        names = (
            [target]
            if isinstance(target, jinja2.nodes.Name)
            else target.find_all(jinja2.nodes.Name)
        )
        local |= {name.name for name in names if isinstance(name, jinja2.nodes.Name)} - read
    return local


def _partials() -> list[str]:
    folder = resources.files("messages").joinpath("en").joinpath(PARTIALS.rstrip("/"))
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".j2"))


def test_every_template_has_a_context_type_or_is_listed_as_not_yet_typed() -> None:
    keys = template_keys()
    typed = set(every_context())
    assert typed <= keys, f"types for templates that do not exist: {sorted(typed - keys)}"
    assert not (typed & NOT_YET_TYPED), (
        f"typed now, take off the list: {sorted(typed & NOT_YET_TYPED)}"
    )
    assert keys - typed == NOT_YET_TYPED


@pytest.mark.parametrize("template", sorted(every_context()))
def test_each_type_names_exactly_what_its_template_prints(template: str) -> None:
    kind = every_context()[template]
    named = contexts.fields(kind)
    reads = printed(template)
    kept = KEPT_FOR_OVERRIDES.get(template, frozenset())
    assert reads - named == set(), f"{template} prints keys its type does not name"
    assert named - reads == kept, f"{template}'s type names keys the template does not print"


@pytest.mark.parametrize("template", sorted(every_context()))
def test_every_sample_fits_its_template_type(template: str) -> None:
    samples = every_sample().get(template)
    assert samples, f"no sample context for {template}"
    for sample in samples:
        check(template, as_sent(sample), every_context())


class _Entry(TypedDict):
    person: Ref
    day: str


class _Sample(TypedDict):
    count: int
    share: float
    note: str | None
    entries: list[_Entry]
    late: NotRequired[bool]


def test_a_context_that_fits_passes_and_who_may_come_along() -> None:
    fits = {
        "count": 3,
        "share": 1,
        "note": None,
        "entries": [{"person": {"id": "7", "name": "Sam"}, "day": "2026-11-29"}],
        "who": {"id": "7", "name": "Sam"},
    }
    assert problems(_Sample, fits) == []
    assert problems(_Sample, {**fits, "late": True}) == []


def test_each_misfit_is_named_by_its_key_never_its_value() -> None:
    found = problems(
        _Sample,
        {
            "count": True,
            "share": "secret words",
            "entries": [{"person": {"id": 7, "name": "Sam"}}],
            "extra": 1,
            "who": {"id": "7"},
        },
    )
    assert found == [
        "note is missing",
        "count is not int",
        "share is not float",
        "entries[0].day is missing",
        "entries[0].person.id is not str",
        "extra is not expected",
        "who.name is missing",
    ]
    assert not any("secret" in problem for problem in found)


FITS = {
    "count": 3,
    "share": 1.5,
    "note": "a note",
    "entries": [{"person": {"id": "7", "name": "Sam"}, "day": "2026-11-29"}],
}
MISFITS = [
    {key: value for key, value in FITS.items() if key != "note"},
    {**FITS, "count": True},
    {**FITS, "count": 1.5},
    {**FITS, "share": "1.5"},
    {**FITS, "note": 3},
    {**FITS, "entries": {"person": {"id": "7", "name": "Sam"}, "day": "2026-11-29"}},
    {**FITS, "entries": [{"person": {"id": "7", "name": "Sam"}}]},
    {**FITS, "entries": [{"person": "Sam", "day": "2026-11-29"}]},
    {**FITS, "late": "yes"},
    {**FITS, "extra": None},
    {**FITS, "who": None},
    {**FITS, "who": {"id": "7", "name": "Sam", "role": "admin"}},
]


@pytest.mark.parametrize("values", [FITS, {**FITS, "note": None, "late": False}, *MISFITS])
def test_the_quick_check_answers_as_the_problems_do(values: dict[str, object]) -> None:
    """Renders ask the quick one; the problems are looked for only once it says no."""
    assert fits(_Sample, values) == (problems(_Sample, values) == [])
    assert fits(_Sample, values) == (values not in MISFITS)


@pytest.mark.parametrize("template", sorted(registry()))
def test_the_quick_check_takes_every_sample(template: str) -> None:
    kind = registry()[template]
    assert all(fits(kind, as_sent(sample)) for sample in every_sample()[template])


def test_an_empty_context_takes_nothing_but_who() -> None:
    assert problems(Empty, {"who": {"id": "7", "name": "S"}}) == []
    assert problems(Empty, {"x": 1}) == ["x is not expected"]


def test_rendering_a_context_that_does_not_fit_is_a_render_error() -> None:
    """Loud in tests; in the outbox, a render error fails the row (a member never reads a
    half-printed message)."""
    template = next(iter(sorted(registry())))
    with pytest.raises(RenderError, match="is not expected"):
        Renderer(PlainDialect()).render(template, {"not_a_key": 1})
