"""Storage: the ``Store`` port, the transaction every flow works through, and its backends."""

from bot.storage.port import Connection, Store
from bot.storage.transaction import OutboxMessage, Transaction

__all__ = ["Connection", "OutboxMessage", "Store", "Transaction"]
