"""Counters a bus client keeps about what it skipped, so services can log and export them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class BusStats:
    delivered: int = 0
    garbage: int = 0  # undecodable or invalid messages skipped
    forged: int = 0  # well-formed live envelopes the stream did not confirm, skipped
    # Live envelopes of an epoch Redis no longer has, heard before we delivered anything of the bot (its
    # shard lost it in a failover before we read them); a forgery of that moment is counted here too.
    stale: int = 0
    duplicates: int = 0  # seen twice (live and backfill) and delivered once
    backfilled: int = 0  # read from the stream (every delivered event is: live messages only ring the bell)
    reconnects: int = 0
    connect_failures: int = 0  # attempts to (re)subscribe that failed and were retried
    resyncs: int = 0
    commands_expired: int = 0
    commands_duplicate: int = 0
    commands_malformed: int = 0
