"""What the dashboard keeps: bots seen on the bus, their recorded trades, and the recorder's cursors."""

from __future__ import annotations

from django.db import models

from tradewire_dashboard import market_numbers

MONEY = {"max_digits": 30, "decimal_places": 12}


class Bot(models.Model):
    bot_id = models.CharField(max_length=64, unique=True)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_trade_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["bot_id"]
        permissions = [("control_bot", "Can start and stop bots")]

    def __str__(self) -> str:
        return str(self.bot_id)


class Trade(models.Model):
    """One `trade_executed` event. `event_id` is unique, so recording it twice changes nothing."""

    event_id = models.UUIDField(unique=True)
    bot = models.ForeignKey(Bot, on_delete=models.PROTECT, related_name="trades")
    seq = models.PositiveBigIntegerField()
    offset = models.CharField(max_length=40, help_text="Bus stream offset the trade was read at.")
    executed_at = models.DateTimeField(db_index=True)
    mode = models.CharField(max_length=8)
    side = models.CharField(max_length=4)
    symbol = models.CharField(max_length=64)
    price = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)
    cost = models.DecimalField(**MONEY)
    fee = models.DecimalField(**MONEY)
    fee_currency = models.CharField(max_length=20)
    order_id = models.CharField(max_length=128)
    realized_profit = models.DecimalField(null=True, blank=True, **MONEY)
    realized_profit_pct = models.DecimalField(null=True, blank=True, **MONEY)
    position = models.DecimalField(**MONEY)
    # trade_executed v2 (null from older traders): market time, how the order filled, why, and for an
    # exit the entry it closed.
    market_time = models.DateTimeField(null=True, blank=True)
    order_type = models.CharField(max_length=8, blank=True, default="")
    liquidity = models.CharField(max_length=8, blank=True, default="")
    reason = models.CharField(max_length=32, blank=True, default="")
    tag = models.CharField(max_length=64, blank=True, default="")
    entry_price = models.DecimalField(null=True, blank=True, **MONEY)
    held_s = models.FloatField(null=True, blank=True, help_text="Market seconds from the entry to this exit.")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-executed_at", "-seq"]
        indexes = [models.Index(fields=["bot", "-executed_at"])]

    def __str__(self) -> str:
        shown_amount, shown_price = market_numbers.amount(self.amount), market_numbers.price(self.price, self.symbol)
        return f"{self.bot_id} {self.side} {shown_amount} {self.symbol} @ {shown_price}"


class Market(models.Model):
    """A market's precision as a trader published it (`markets_loaded`): the history and the admin write
    its prices to `price_tick` and its amounts to `amount_step`. The latest published wins."""

    symbol = models.CharField(max_length=64, unique=True)
    price_tick = models.DecimalField(**MONEY)
    amount_step = models.DecimalField(**MONEY)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.symbol}: tick {self.price_tick.normalize()}, step {self.amount_step.normalize()}"


class RecorderCursor(models.Model):
    """Where the recorder resumes reading one bot's stream; valid only within the same Redis epoch."""

    bot = models.OneToOneField(Bot, on_delete=models.CASCADE, related_name="cursor")
    epoch = models.CharField(max_length=64)
    offset = models.CharField(max_length=40)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.bot_id} after {self.offset} (epoch {self.epoch})"


class QuarantinedTrade(models.Model):
    """A `trade_executed` the trades table cannot hold (a price past 18 digits, an order id over 128
    characters): kept as it came, with the reason, so the recorder moves on instead of retrying for ever."""

    event_id = models.UUIDField(unique=True)
    bot_id = models.CharField(max_length=64)
    offset = models.CharField(max_length=40)
    reason = models.TextField()
    event = models.TextField(help_text="The event JSON as read from the bus.")
    quarantined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-quarantined_at"]

    def __str__(self) -> str:
        return f"{self.bot_id} {self.event_id}: {self.reason}"
