"""The flows: one module each, gathered into the table the core dispatches on."""

from __future__ import annotations

from bot.dispatch import Flows
from bot.domain.commands import ALIASES
from bot.flows import (
    admin,
    bridge,
    calls,
    cleantime,
    consent,
    craving,
    help,
    housekeeping,
    language,
    linking,
    linkme,
    membership,
    milestones,
    privacy,
    relapse,
    resources,
    supporters,
)


def all_flows() -> Flows:
    """Every flow Homegroup has; a command's aliases (``bot.domain.commands``) reach its flow."""
    table = Flows()
    modules = (help, cleantime, milestones, supporters, craving, calls, relapse, admin, resources)
    more = (linking, bridge, language, linkme, consent, membership, privacy, housekeeping)
    for module in (*modules, *more):
        table.add(module.flows)
    for alias, name in ALIASES.items():
        table.commands[alias] = table.commands[name]
    return table
