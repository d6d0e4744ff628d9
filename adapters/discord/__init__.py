"""Discord: discord.py against the gateway and REST API (or a gateway and REST proxy)."""
