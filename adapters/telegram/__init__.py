"""Telegram: python-telegram-bot against the Bot API (or a self-hosted Bot API server)."""
