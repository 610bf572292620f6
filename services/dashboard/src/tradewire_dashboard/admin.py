from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from tradewire_dashboard import market_numbers
from tradewire_dashboard.market_precision import with_precision
from tradewire_dashboard.models import Bot, Market, QuarantinedTrade, RecorderCursor, Trade


@admin.register(Bot)
class BotAdmin(admin.ModelAdmin):
    list_display = ["bot_id", "first_seen", "last_trade_at"]
    search_fields = ["bot_id"]


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    list_display = ["symbol", "price_tick", "amount_step", "updated_at"]
    search_fields = ["symbol"]


@admin.register(Trade)
class TradeAdmin(admin.ModelAdmin):
    list_display = [
        *("executed_at", "bot", "side", "symbol", "shown_price", "shown_amount", "shown_profit", "mode", "seq"),
    ]
    list_filter = ["bot", "side", "mode", "symbol"]
    search_fields = ["order_id", "event_id"]
    date_hierarchy = "executed_at"
    # Trades are facts recorded from the bus: they are read, never edited by hand. Decimal columns show
    # by the market's rules instead of the column's 12 places ("42781.690000000000").
    fields = [
        "event_id",
        "bot",
        "seq",
        "offset",
        "executed_at",
        "mode",
        "side",
        "symbol",
        "shown_price",
        "shown_amount",
        "shown_cost",
        "shown_fee",
        "shown_profit",
        "shown_profit_pct",
        "shown_position",
        "order_id",
        "recorded_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Trade]:
        return with_precision(super().get_queryset(request))  # each market's tick and step, in one query

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    # Written by the market's rules, as the pages write them (the CSV has the exact values).
    @admin.display(description="price", ordering="price")
    def shown_price(self, trade: Trade) -> str:
        return market_numbers.price(trade.price, trade.symbol, getattr(trade, "price_tick", None))

    @admin.display(description="amount", ordering="amount")
    def shown_amount(self, trade: Trade) -> str:
        return market_numbers.amount(trade.amount, getattr(trade, "amount_step", None))

    @admin.display(description="cost")
    def shown_cost(self, trade: Trade) -> str:
        return market_numbers.money(trade.cost, market_numbers.quote_of(trade.symbol))

    @admin.display(description="fee")
    def shown_fee(self, trade: Trade) -> str:
        return market_numbers.money(trade.fee, trade.fee_currency)

    @admin.display(description="realized profit %")
    def shown_profit_pct(self, trade: Trade) -> str:
        return market_numbers.percent(trade.realized_profit_pct)

    @admin.display(description="position")
    def shown_position(self, trade: Trade) -> str:
        return market_numbers.amount(trade.position, getattr(trade, "amount_step", None))

    @admin.display(description="realized profit", ordering="realized_profit")
    def shown_profit(self, trade: Trade) -> str:
        text = market_numbers.money(trade.realized_profit, market_numbers.quote_of(trade.symbol), signed=True)
        return str(format_html('<span class="{}">{}</span>', market_numbers.tone(trade.realized_profit), text))


@admin.register(RecorderCursor)
class RecorderCursorAdmin(admin.ModelAdmin):
    list_display = ["bot", "epoch", "offset", "updated_at"]


@admin.register(QuarantinedTrade)
class QuarantinedTradeAdmin(admin.ModelAdmin):
    list_display = ["quarantined_at", "bot_id", "offset", "reason"]
    search_fields = ["event_id", "bot_id"]
    readonly_fields = [field.name for field in QuarantinedTrade._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False
