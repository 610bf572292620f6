"""Every bot's `performance` figures, kept in the serving process and brought up to date by folding in only
the trades recorded since the last look.

Each connecting control room used to recompute every bot's figures from its whole history (four
aggregate queries per bot): with 50 bots of 2,000 trades, a reconnecting browser cost the database and
the process serving live frames about a second. The book folds every trade row once: on the first
request (or at startup, `warm`) it reads the whole table, after that only the rows with an id above
the newest it has folded, in one query for all bots, so a connect costs a query that finds nothing new.

Why an id cursor is exact: trades are only ever inserted (the admin cannot add or change them) by the
one recorder, a batch per transaction, one transaction after the other, so rows become visible in id
order and a row with an id at or below the cursor is never seen later. A deleted trade (the admin may
delete) is caught by counting the rows at or below the cursor; the book then starts again from the
table. A restarted process starts from the table too: nothing of the book is stored.

The database work runs in a worker thread (`database_sync_to_async`), never on the event loop; a lock
keeps the folds and the rendering of messages of concurrent connects apart, and the encoded message of
a bot is kept until a new trade of that bot changes it.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import NamedTuple

from channels.db import database_sync_to_async

from tradewire_dashboard.browser_messages import dumps
from tradewire_dashboard.models import Trade
from tradewire_dashboard.trade_performance import ROW_FIELDS, Figures, Row
from tradewire_schemas import stream_order

PAGE = 2000  # rows per query: a long history is read in pages, the lock released between them


class Recorded(NamedTuple):
    text: str  # the encoded `performance` message
    through: str | None  # the newest offset it includes


@dataclass
class BookStats:
    rows: int = 0  # trade rows folded in
    full_reads: int = 0  # times the book (re)started from the whole table


class PerformanceBook:
    def __init__(self, page: int = PAGE) -> None:
        self.page = page
        self.stats = BookStats()
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._figures: dict[str, Figures] = {}
        self._texts: dict[str, str] = {}  # bot -> its encoded message, until its figures change
        self._cursor = 0  # the highest trade id folded in
        self._folded = 0  # rows folded in, all with ids at or below the cursor
        self._fresh = True  # nothing read since the start or a reset

    # -- blocking: call in a worker thread ----------------------------------------------------------

    def catch_up(self) -> None:
        """Fold in every trade recorded since the last call."""
        with self._lock:
            if self._folded and Trade.objects.filter(id__lte=self._cursor).count() != self._folded:
                self._reset()  # a trade was deleted: what it added cannot be taken out exactly
            if self._fresh:
                self._fresh = False
                self.stats.full_reads += 1
        while self._fold_page():
            pass

    def _fold_page(self) -> bool:
        with self._lock:
            rows = list(Trade.objects.filter(id__gt=self._cursor).order_by("id").values_list(*ROW_FIELDS)[: self.page])
            for row in rows:
                bot = row[1]
                figures = self._figures.get(bot)
                if figures is None:
                    figures = self._figures[bot] = Figures()
                figures.fold(row)
                self._texts.pop(bot, None)
            if rows:
                self._cursor = rows[-1][0]
                self._folded += len(rows)
                self.stats.rows += len(rows)
            return len(rows) == self.page

    def texts(self, bots: list[str]) -> dict[str, Recorded]:
        """Each bot's `performance` message, encoded, as of the newest trades recorded, and its `through`."""
        self.catch_up()
        with self._lock:
            found = {}
            for bot in bots:
                figures = self._figures.get(bot, Figures())
                text = self._texts.get(bot)
                if text is None:
                    text = self._texts[bot] = dumps(figures.message(bot))
                found[bot] = Recorded(text, figures.through)
            return found

    def text_with(self, bot: str, rows: list[Row]) -> str:
        """`bot`'s message with trades not recorded yet folded in (read from the bus, in offset order), the
        book unchanged. Rows the book has folded meanwhile (another connect caught up) are left out: the
        recorder stores each bot's trades in offset order, so the book holds exactly those up to `through`."""
        with self._lock:
            figures = copy.deepcopy(self._figures.get(bot, Figures()))
        for row in rows:
            if figures.through is None or stream_order(row[2]) > stream_order(figures.through):
                figures.fold(row)
        return dumps(figures.message(bot))

    # -- async: the database work off the event loop ------------------------------------------------

    async def warm(self) -> None:
        """Read the whole history once, before the first browser asks."""
        await database_sync_to_async(self.catch_up)()

    async def texts_for(self, bots: list[str]) -> dict[str, Recorded]:
        found: dict[str, Recorded] = await database_sync_to_async(self.texts)(bots)
        return found

    async def text_with_for(self, bot: str, rows: list[Row]) -> str:
        text: str = await database_sync_to_async(self.text_with)(bot, rows)
        return text
