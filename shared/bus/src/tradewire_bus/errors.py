"""What the bus raises. Every error says what happened and what to do about it."""

from __future__ import annotations


class BusError(Exception):
    pass


class BusUnavailable(BusError):
    """Redis could not be reached; the caller decides whether to retry or buffer."""


class NoTraderListening(BusError):
    """A command was published to a channel nobody subscribes to: no trader runs for that bot."""


class CommandTimeout(BusError):
    """The trader took the command but no result arrived in time; it may still be executed."""
