"""Every setting an admin may change with ``/set KEY VALUE``: reading and checking each value.

Pure: no I/O. A bad value raises ``SettingError`` naming the key and the reason, with the details
a message needs (the accepted range, close suggestions, the position of a bad item). ``apply``
returns new settings only when the whole value is good, so a bad one changes nothing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final
from urllib.parse import urlparse

from bot.domain.cleantime import (
    DEFAULT_SCHEDULE,
    MAX_SCHEDULE_AMOUNT,
    MAX_SCHEDULE_STEPS,
    Milestone,
    MilestoneSchedule,
    ScheduleError,
    milestone_date,
)
from bot.domain.community import (
    CommunitySettings,
    Meeting,
    milestone_length,
    sort_milestone_roles,
)
from bot.domain.platforms import Roles
from bot.domain.presets import (
    DEFAULT_PRESET,
    PRESETS,
    UnknownPreset,
    find_preset,
    preset,
)
from bot.domain.zones import UnknownZone, resolve_zone, zone_name
from bot.language import (
    DEFAULT_LOCALE,
    available_locales,
    cldr,
    command_words,
    date_words,
    folded,
)

KEYS: Final = (
    "announcement_channel",
    "timezone",
    "announcement_hour",
    "ping_count",
    "max_pings",
    "escalate_after",
    "followup_after",
    "craving_cooldown",
    "call_expiry",
    "supporter_rest",
    "milestones",
    "locale",
    "resources",
    "emergency_number",
    "meetings",
)
"""The keys ``/set`` knows on every platform, in the order ``/settings`` shows them."""
ROLE_KEYS: Final = ("supporter_role", "milestone_role")
"""Keys about the community's roles, which only some platforms have."""

_ALIASES: Final = {
    "channel": "announcement_channel",
    "announce_channel": "announcement_channel",
    "announcements": "announcement_channel",
    "time_zone": "timezone",
    "tz": "timezone",
    "zone": "timezone",
    "hour": "announcement_hour",
    "announce_hour": "announcement_hour",
    "language": "locale",
    "resource": "resources",
    "emergency": "emergency_number",
    "emergency_line": "emergency_number",
    "meeting": "meetings",
    "supporters_role": "supporter_role",
    "milestone_roles": "milestone_role",
}

PING_COUNT: Final = (1, 10)
MAX_PINGS_HIGH: Final = 30
"""``max_pings`` runs from the current ``ping_count`` up to this."""
DURATIONS: Final = {
    "escalate_after": (1, 2 * 60),
    "followup_after": (5, 24 * 60),
    "craving_cooldown": (0, 24 * 60),
    "call_expiry": (5, 24 * 60),
    "supporter_rest": (0, 24 * 60),
}
"""Each duration key's accepted range, in whole minutes."""
_SET_MINUTES: Final[dict[str, Callable[[CommunitySettings, int], CommunitySettings]]] = {
    "escalate_after": lambda s, n: replace(s, escalate_after=n),
    "followup_after": lambda s, n: replace(s, followup_after=n),
    "craving_cooldown": lambda s, n: replace(s, craving_cooldown=n),
    "call_expiry": lambda s, n: replace(s, call_expiry=n),
    "supporter_rest": lambda s, n: replace(s, supporter_rest=n),
}
MAX_RESOURCES: Final = 750
"""The longest text of the admins' own lines, in characters. It is sent whole to a member
waiting alone (a craving nobody answered, a call nobody took) below the preset's lines (the
longest, legacy, is about 600) and with up to three meetings: tests/core/test_resources.py checks
that the longest such message, under every preset, stays inside the smallest platform
limit, 2,000. (Before
presets it was 800, with no lines above it; a longer text stored then is still sent whole.)"""
PRESET_WORD: Final = "preset"
"""``/set resources preset CODE`` chooses the bundled lines; any other value is the admins' own."""
MAX_PRESET_SHOWN: Final = 32
"""An unknown preset is echoed back cut to this many characters."""
MAX_EMERGENCY: Final = 16
"""The longest emergency number, in characters (digits, spaces, + and -)."""
_EMERGENCY: Final = re.compile(r"\+?[0-9][0-9 -]*")
MAX_MEETINGS: Final = 20
MAX_TITLE: Final = 80
MAX_LINK: Final = 300
MAX_KEY_SHOWN: Final = 32
"""An unknown key is echoed back cut to this many characters."""
MAX_MILESTONE_ROLES: Final = 25
"""How many milestones may each have a role."""
RESET: Final = "default"
CLEAR_MEETINGS: Final = ("none", "clear")
CLEAR_ROLE: Final = ("none", "default", "clear")
_DAY_VALUES: Final = tuple(
    folded(str(cldr(DEFAULT_LOCALE).days["format"]["wide"][day])) for day in range(7)
)
"""The names ``command_words.txt`` gives a weekday's other spellings by, Monday first: CLDR's
English day names ("wednesday: weds"), for the forms people type that CLDR lacks."""
HERE: Final = "here"
"""The value naming the chat the admin types in, as each language's ``command_words.txt``
calls it."""

_INTEGER: Final = re.compile(r"[0-9]{1,6}")
_DURATION: Final = re.compile(
    r"(?:(?P<hours>[0-9]{1,3})\s*h(?:ours?|rs?)?)?\s*"
    r"(?:(?P<minutes>[0-9]{1,5})\s*(?:m(?:in(?:ute)?s?)?)?)?"
)
_HOUR: Final = re.compile(r"(?P<hour>[0-9]{1,2})(?::(?P<minute>[0-9]{2}))?\s*(?P<half>am|pm)?")
_TIME: Final = re.compile(r"(?P<hour>[0-9]{1,2})[:.h](?P<minute>[0-9]{2})")
_REFERENCE_DAY: Final = date(2001, 1, 1)
"""Any clean date: whether a schedule celebrates a milestone does not depend on which."""
_NOT_IN_LINKS: Final = frozenset('"<>`\\{}|^')
"""Characters no ordinary web address needs, which could confuse a platform's markup."""
_ITEM_SEPARATOR: Final = re.compile(r"[;\n]")


class SettingError(ValueError):
    """A ``/set`` that cannot be applied; ``reason`` says why and ``details`` what a reply needs."""

    def __init__(self, key: str, reason: str, **details: Any) -> None:
        super().__init__(f"{key}:{reason}")
        self.key = key
        """The setting's key, or for ``unknown_key`` the typed key cut to a safe length."""
        self.reason = reason
        """One of unknown_key, missing, not_a_number, out_of_range, bad_duration, bad_hour,
        whole_hour, unknown_zone, bad_channel, schedule, unknown_locale, too_long, bad_number,
        meeting, unknown_preset, no_own_lines,
        roles_unavailable, bad_role, bad_milestone, too_many_roles."""
        self.details = details
        """JSON-safe values for the reply: suggestions, problem, position, limit; for
        ``resources``, every preset code as ``presets``."""


MOVES_MILESTONES: Final = frozenset({"timezone", "announcement_hour", "milestones"})
"""The settings whose change moves when members' milestones are announced."""
MOVES_MEETINGS: Final = frozenset({"timezone", "meetings"})
"""The settings whose change moves when meeting reminders go out."""


@dataclass(frozen=True, slots=True)
class Change:
    """A setting that was accepted: the new settings and what changed, for the reply."""

    key: str
    settings: CommunitySettings
    details: dict[str, Any]


def keys_for(roles: bool) -> tuple[str, ...]:
    """The keys ``/set`` takes in a community, with the role keys if its platform has ``roles``,
    in the order ``/settings`` shows."""
    return (*KEYS, *ROLE_KEYS) if roles else KEYS


def find_key(text: str, roles: bool = False) -> str:
    """Read a setting's key, forgiving about case, hyphens and a few other names.

    Every key is recognised (a role key where the platform has no roles then gets its own
    refusal), but the role keys are suggested for a typo only where it has ``roles``.

    Raises:
        SettingError: ``unknown_key``, with up to three close keys as ``suggestions``.
    """
    folded = "_".join(text.strip().lower().replace("-", "_").split())
    if folded in KEYS or folded in ROLE_KEYS:
        return folded
    if folded in _ALIASES:
        return _ALIASES[folded]
    keys = keys_for(roles)
    known = [*keys, *(alias for alias, key in _ALIASES.items() if key in keys)]
    close = difflib.get_close_matches(folded[:64], known, n=5, cutoff=0.6)
    suggestions = list(dict.fromkeys(_ALIASES.get(word, word) for word in close))[:3]
    raise SettingError(text.strip()[:MAX_KEY_SHOWN], "unknown_key", suggestions=suggestions)


def limits(settings: CommunitySettings) -> dict[str, list[int]]:
    """Give each bounded key's accepted range as [low, high] (minutes; characters for text)."""
    ranges = {
        "announcement_hour": [0, 23],
        "resources": [1, MAX_RESOURCES],
        "ping_count": list(PING_COUNT),
        "max_pings": [settings.ping_count, MAX_PINGS_HIGH],
    }
    ranges.update({key: list(bounds) for key, bounds in DURATIONS.items()})
    return ranges


def apply(
    settings: CommunitySettings,
    key_text: str,
    value: str,
    *,
    chat: str,
    locales: Iterable[str],
    roles: Roles | None = None,
    typed_in: Sequence[str] = (),
) -> Change:
    """Check one ``/set KEY VALUE`` against ``settings``; return the settings it makes.

    ``chat`` is where the admin typed it (``here`` means that chat); ``locales`` are the
    languages whose messages exist; ``roles`` are how the community's platform names roles,
    for the keys only platforms with roles have (None: they are refused). Words such as a
    weekday are read in every language the bot has, those of ``typed_in`` first (where two
    languages use one word for different days).

    Raises:
        SettingError: for an unknown key, a missing value or a value the key does not accept.
    """
    key = find_key(key_text, roles is not None)
    if key in ROLE_KEYS and roles is None:
        raise SettingError(key, "roles_unavailable")
    value = value.strip()
    if not value:
        if key == "resources":
            raise SettingError(key, "missing", presets=list(PRESETS))
        raise SettingError(key, "missing")
    if key == "supporter_role" and roles is not None:
        role = parse_role(key, value, roles)
        return Change(key, replace(settings, supporter_role=role), {"role": role})
    if key == "milestone_role" and roles is not None:
        return _milestone_role(settings, value, roles)
    if key == "announcement_channel":
        return _channel(settings, value, chat)
    if key == "timezone":
        return _timezone(settings, value)
    if key == "announcement_hour":
        hour = parse_hour(value)
        return Change(key, replace(settings, announcement_hour=hour), {"hour": hour})
    if key == "ping_count":
        count = _integer(key, value, *PING_COUNT)
        raised = count > settings.max_pings
        new = replace(settings, ping_count=count, max_pings=max(count, settings.max_pings))
        return Change(key, new, {"count": count, "max_raised": raised, "max_pings": new.max_pings})
    if key == "max_pings":
        most = _integer(key, value, settings.ping_count, MAX_PINGS_HIGH)
        return Change(key, replace(settings, max_pings=most), {"max_pings": most})
    if key in DURATIONS:
        low, high = DURATIONS[key]
        try:
            minutes = parse_duration(value)
        except ValueError:
            raise SettingError(key, "bad_duration") from None
        if not low <= minutes <= high:
            raise SettingError(key, "out_of_range")
        return Change(key, _SET_MINUTES[key](settings, minutes), {"minutes": minutes})
    if key == "milestones":
        return _milestones(settings, value)
    if key == "locale":
        known = sorted(locales)
        locale = value.lower()
        if locale not in known:
            raise SettingError(key, "unknown_locale", locales=known)
        return Change(key, replace(settings, locale=locale), {"locale": locale})
    if key == "resources":
        return _resources(settings, value)
    if key == "emergency_number":
        return _emergency_number(settings, value)
    assert key == "meetings"
    meetings = () if value.lower() in CLEAR_MEETINGS else parse_meetings(value, typed_in)
    return Change(key, replace(settings, meetings=meetings), {"count": len(meetings)})


def parse_duration(text: str) -> int:
    """Read a duration in whole minutes: ``10`` (minutes), ``10m``, ``2h``, ``1h30m``, ``90 min``.

    Raises:
        ValueError: for anything else, negative or fractional amounts included.
    """
    spoken = text.strip().lower()
    match = _DURATION.fullmatch(spoken)
    if not spoken or match is None or (match["hours"] is None and match["minutes"] is None):
        raise ValueError("unreadable duration")
    return int(match["hours"] or 0) * 60 + int(match["minutes"] or 0)


def parse_hour(text: str) -> int:
    """Read an announcement hour: ``9``, ``09``, ``9:00``, ``9am``, ``21``, ``9pm``.

    Raises:
        SettingError: ``bad_hour``, ``whole_hour`` (such as 9:30) or ``out_of_range``.
    """
    key = "announcement_hour"
    match = _HOUR.fullmatch(text.strip().lower())
    if match is None:
        raise SettingError(key, "bad_hour")
    hour = int(match["hour"])
    if match["minute"] is not None and int(match["minute"]) != 0:
        raise SettingError(key, "whole_hour" if int(match["minute"]) < 60 else "bad_hour")
    if match["half"] is not None:
        if not 1 <= hour <= 12:
            raise SettingError(key, "bad_hour")
        hour = hour % 12 + (12 if match["half"] == "pm" else 0)
    if not 0 <= hour <= 23:
        raise SettingError(key, "out_of_range")
    return hour


def parse_meetings(text: str, typed_in: Sequence[str] = ()) -> tuple[Meeting, ...]:
    """Read a list of weekly meetings, one per ``;`` or line, sorted by weekday and time.

    Each is a weekday, a 24-hour time, a title and optionally a link:
    ``Mon 19:00 Online NA https://example.org/join; jueves 20:00 Grupo del barrio``. A
    weekday is read in any language the bot has (``read_weekday``), ``typed_in``'s first.

    Raises:
        SettingError: ``meeting`` with ``problem`` (bad_weekday, bad_time, no_title,
            title_too_long, bad_link, two_links, too_many) and the 1-based ``position``.
    """
    items = [item.strip() for item in _ITEM_SEPARATOR.split(text)]
    items = [item for item in items if item]
    if not items:
        raise SettingError("meetings", "missing")
    if len(items) > MAX_MEETINGS:
        raise SettingError(
            "meetings", "meeting", problem="too_many", position=0, limit=MAX_MEETINGS
        )
    languages = _reading_order(typed_in)
    meetings = [_meeting(item, p, languages) for p, item in enumerate(items, start=1)]
    return tuple(sorted(meetings, key=lambda m: (m.weekday, m.time)))


def read_weekday(word: str, typed_in: Sequence[str] = ()) -> int | None:
    """The weekday (0 is Monday) a word names in any language the bot has, read as CLDR
    writes day names (``DateWords.weekdays``) without case or accents: "Mon", "Monday",
    "lunes", "Lun.", "miércoles", "miercoles". ``typed_in``'s languages are asked first."""
    return _weekday(word, _reading_order(typed_in))


def _reading_order(typed_in: Sequence[str]) -> tuple[str, ...]:
    """The languages a typed word is read in: ``typed_in``'s, then every other the bot has."""
    known = available_locales()
    return tuple(dict.fromkeys((*(t for t in typed_in if t in known), DEFAULT_LOCALE, *known)))


def _weekday(word: str, languages: Sequence[str]) -> int | None:
    spoken = folded(word).rstrip(".,")
    for lang in languages:
        if spoken in date_words(lang).weekdays:
            return date_words(lang).weekdays[spoken]
        also = command_words(lang)
        for day, name in enumerate(_DAY_VALUES):
            if spoken in also.get(name, ()):
                return day
    return None


def _meeting(item: str, position: int, languages: Sequence[str]) -> Meeting:
    def problem(name: str) -> SettingError:
        limit = MAX_TITLE if name == "title_too_long" else MAX_LINK
        return SettingError("meetings", "meeting", problem=name, position=position, limit=limit)

    words = item.split()
    weekday = _weekday(words[0], languages)
    if weekday is None:
        raise problem("bad_weekday")
    if len(words) < 2:
        raise problem("bad_time")
    time_match = _TIME.fullmatch(words[1].rstrip(","))
    if time_match is None:
        raise problem("bad_time")
    hour, minute = int(time_match["hour"]), int(time_match["minute"])
    if hour > 23 or minute > 59:
        raise problem("bad_time")
    links = [w for w in words[2:] if "://" in w or w.lower().startswith(("http:", "https:"))]
    if len(links) > 1:
        raise problem("two_links")
    link = links[0] if links else ""
    if link and not _is_link(link):
        raise problem("bad_link")
    title = " ".join(w for w in words[2:] if w != link).strip(" -\u2013\u2014:,")
    if not title:
        raise problem("no_title")
    if len(title) > MAX_TITLE:
        raise problem("title_too_long")
    return Meeting(weekday, f"{hour:02d}:{minute:02d}", title, link)


def _is_link(text: str) -> bool:
    if len(text) > MAX_LINK or not text.isprintable() or any(c in text for c in _NOT_IN_LINKS):
        return False
    parsed = urlparse(text)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def _integer(key: str, value: str, low: int, high: int) -> int:
    if _INTEGER.fullmatch(value) is None:
        raise SettingError(key, "not_a_number")
    number = int(value)
    if not low <= number <= high:
        raise SettingError(key, "out_of_range")
    return number


def _channel(settings: CommunitySettings, value: str, chat: str) -> Change:
    """Take ``here`` (the chat the admin typed in), in any language the bot has
    (``command_words.txt``), or ``default``, and nothing else.

    A channel named by mention or id could belong to another server, where a digest that
    mentions members must never go; only the chat the admin is in is known to be this group's.
    """
    key = "announcement_channel"
    word = value.lower()
    here = {w for lang in available_locales() for w in command_words(lang).get(HERE, ())}
    if folded(value) in here:
        return Change(key, replace(settings, announce_chat=chat), {"where": "here"})
    if word in (RESET, "group"):
        return Change(key, replace(settings, announce_chat=None), {"where": "default"})
    raise SettingError(key, "bad_channel")


def _timezone(settings: CommunitySettings, value: str) -> Change:
    try:
        zone = resolve_zone(value)
    except UnknownZone as unknown:
        raise SettingError(
            "timezone", "unknown_zone", suggestions=list(unknown.suggestions)
        ) from None
    name = zone_name(zone)
    return Change("timezone", replace(settings, timezone=name), {"zone": name})


def _milestones(settings: CommunitySettings, value: str) -> Change:
    if value.lower() == RESET:
        schedule = DEFAULT_SCHEDULE
    else:
        try:
            schedule = MilestoneSchedule.parse(value)
        except ScheduleError as error:
            raise SettingError(
                "milestones",
                "schedule",
                problem=error.reason,
                position=error.position,
                max_steps=MAX_SCHEDULE_STEPS,
                max_amount=MAX_SCHEDULE_AMOUNT,
            ) from None
    return Change(
        "milestones",
        replace(settings, milestones=schedule),
        {
            "steps": [step.key for step in schedule.steps],
            "yearly": schedule.yearly_after,
            "default": schedule == DEFAULT_SCHEDULE,
        },
    )


def parse_role(key: str, text: str, roles: Roles) -> str | None:
    """Read a role as the platform's ``roles`` are typed (a mention or a bare id); None for
    ``none`` or ``default``.

    Raises:
        SettingError: ``bad_role`` for anything else.
    """
    if text.lower() in CLEAR_ROLE:
        return None
    role = roles.read(text)
    if role is None:
        raise SettingError(key, "bad_role")
    return role


def _milestone_role(settings: CommunitySettings, value: str, roles: Roles) -> Change:
    """Give a milestone a role (``30d ROLE``), or take it away (``30d none``)."""
    key = "milestone_role"
    words = value.split()
    try:
        schedule = MilestoneSchedule.parse(words[0])
    except ScheduleError:
        schedule = None
    if schedule is None or len(schedule.steps) != 1 or schedule.yearly_after:
        raise SettingError(key, "bad_milestone", max_amount=MAX_SCHEDULE_AMOUNT)
    milestone = schedule.steps[0]
    if len(words) < 2:
        raise SettingError(key, "missing")
    if len(words) > 2:
        raise SettingError(key, "bad_role")
    role = parse_role(key, words[1], roles)
    length = milestone_length(milestone.key)
    others = [pair for pair in settings.milestone_roles if milestone_length(pair[0]) != length]
    had = len(others) < len(settings.milestone_roles)
    if role is not None:
        if len(others) >= MAX_MILESTONE_ROLES:
            raise SettingError(key, "too_many_roles", limit=MAX_MILESTONE_ROLES)
        others.append((milestone.key, role))
    return Change(
        key,
        replace(settings, milestone_roles=sort_milestone_roles(others)),
        {
            "milestone": milestone.key,
            "role": role,
            "had": had,
            "celebrated": celebrates(settings.milestones, milestone),
        },
    )


def celebrates(schedule: MilestoneSchedule, milestone: Milestone) -> bool:
    """Whether ``schedule`` celebrates ``milestone`` (``12m`` and ``1y`` are the same)."""
    length = milestone_length(milestone.key)
    target = milestone_date(_REFERENCE_DAY, milestone)
    for step, day in schedule.upcoming(_REFERENCE_DAY, _REFERENCE_DAY):
        if day > target:
            return False
        if milestone_length(step.key) == length:
            return True
    return False


def _emergency_number(settings: CommunitySettings, value: str) -> Change:
    if value.lower() == RESET:
        return Change(
            "emergency_number", replace(settings, emergency_number=None), {"number": None}
        )
    number = " ".join(value.split())
    if len(number) > MAX_EMERGENCY or _EMERGENCY.fullmatch(number) is None:
        raise SettingError("emergency_number", "bad_number", limit=MAX_EMERGENCY)
    return Change(
        "emergency_number", replace(settings, emergency_number=number), {"number": number}
    )


def _resources(settings: CommunitySettings, value: str) -> Change:
    """Choose the preset (``preset CODE``), clear the admins' lines (``default``), or set them.

    The admins' lines show below the preset's. Nothing may leave a group with no crisis lines:
    ``preset none`` needs lines of their own, and clearing them under ``none`` brings back the
    default preset.
    """
    first, *rest = value.split(None, 1)
    if first.lower() == PRESET_WORD:
        return _preset(settings, rest[0].strip() if rest else "")
    if value.lower() == RESET:
        code = settings.resources_preset or DEFAULT_PRESET
        new = replace(settings, resources=None, resources_preset=code)
        return Change("resources", new, _resources_details(new, "cleared", default=True))
    # Keep the admin's lines; drop other control characters, which no platform shows.
    lines = ["".join(c for c in line if c.isprintable()).rstrip() for line in value.splitlines()]
    text = "\n".join(lines).strip()
    if not text:
        raise _resources_error("missing")
    if len(text) > MAX_RESOURCES:
        raise _resources_error("too_long", limit=MAX_RESOURCES)
    new = replace(settings, resources=text)
    return Change("resources", new, _resources_details(new, "lines", default=False))


def _preset(settings: CommunitySettings, typed: str) -> Change:
    if not typed:
        raise _resources_error("unknown_preset", code="", suggestions=[])
    try:
        code = find_preset(typed)
    except UnknownPreset as unknown:
        raise _resources_error(
            "unknown_preset",
            code=typed[:MAX_PRESET_SHOWN],
            suggestions=list(unknown.suggestions),
        ) from None
    if code is None and not settings.resources:
        raise _resources_error("no_own_lines")
    if code is not None and settings.resources and len(settings.resources) > MAX_RESOURCES:
        # Text stored under the older, longer limit fits alone, not below a preset.
        raise _resources_error("too_long", limit=MAX_RESOURCES)
    new = replace(settings, resources_preset=code)
    return Change("resources", new, _resources_details(new, "preset", default=False))


def _resources_details(settings: CommunitySettings, what: str, *, default: bool) -> dict[str, Any]:
    """What ``set_done`` says about the crisis lines now; ``default`` as rows before presets."""
    shown = preset(settings.resources_preset)
    return {
        "what": what,
        "default": default,
        "preset": settings.resources_preset,
        "name": None if shown is None else shown.name,
        "own": settings.resources is not None,
        "emergency": settings.crisis()["emergency"],
        "own_number": settings.emergency_number is not None,
    }


def _resources_error(reason: str, **details: Any) -> SettingError:
    """A refused ``/set resources``, with every preset code for the reply's list."""
    return SettingError("resources", reason, presets=list(PRESETS), **details)
