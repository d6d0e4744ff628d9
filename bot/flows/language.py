"""``/language``: the language a member's private answers are written in.

The group's messages stay in the group's language (``/set locale``); a member's own choice wins
for what is written to them alone, over their group's and their app's (``Turn.locale_of``).
"""

from __future__ import annotations

from enum import StrEnum

from bot.contexts import language as c
from bot.dispatch import Flows
from bot.language import available_locales
from bot.turn import Turn

DEFAULT = "default"
"""What a member types to go back to their group's language."""


class T(StrEnum):
    SHOW = "language_show"
    SET = "language_set"
    UNKNOWN = "language_unknown"


async def set_language(turn: Turn, args: str) -> None:
    """Set, clear (``default``) or, with no argument, show the member's own language."""
    choice = args.strip().lower()
    locales = list(available_locales())
    if not choice:
        locale = await turn.locale_of(turn.me)
        chosen = turn.me.locale in locales
        show = c.LanguageShow(locale=locale, chosen=chosen, locales=locales)
        await turn.say(T.SHOW, show, private=True)
        return
    if choice != DEFAULT and choice not in locales:
        await turn.say(T.UNKNOWN, c.LanguageUnknown(locales=locales), private=True)
        return
    await turn.tx.people.set_locale(turn.me.key, None if choice == DEFAULT else choice)
    person = await turn.tx.people.get(turn.me.key)
    assert person is not None
    turn = turn.scoped(person=person)
    locale = await turn.locale_of(person)
    chosen = choice != DEFAULT
    await turn.say(T.SET, c.LanguageSet(locale=locale, chosen=chosen), private=True)


flows = Flows(commands={"language": set_language}, templates=(T,))
