"""Homegroup: a chat bot for addiction-recovery peer groups."""
