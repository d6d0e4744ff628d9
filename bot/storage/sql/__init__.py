"""The repositories written once in portable SQL, over any backend's ``Connection``."""
