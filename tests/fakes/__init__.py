"""Fakes of the chat platforms, served on loopback so the real client libraries talk to them."""
