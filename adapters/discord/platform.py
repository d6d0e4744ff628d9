"""What Discord can do that the core must know, declared here rather than named in ``bot/``."""

from __future__ import annotations

import re

from bot.domain.platforms import Capabilities, Roles

PLATFORM = "discord"
"""The name the core knows Discord by, in every key and target."""

ROLES = Roles(
    typed=re.compile(r"<@&([0-9]{17,20})>|([0-9]{17,20})"),
    reported=re.compile(r"[0-9]{1,20}"),
    most=250,
)
"""Roles are snowflakes (17-20 digits today; at most 20 as reported), typed as a role mention
``<@&id>`` or a bare id; a server has at most 250."""

CAPABILITIES = Capabilities(PLATFORM, roles=ROLES)
