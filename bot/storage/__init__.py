"""Storage: the ``Store`` port, the transaction every flow works through, and its backends."""

from bot.storage.port import Connection, Store, Transaction

__all__ = ["Connection", "Store", "Transaction"]
