from django.contrib import admin

from tradewire_dashboard.models import Bot, QuarantinedTrade, RecorderCursor, Trade


@admin.register(Bot)
class BotAdmin(admin.ModelAdmin):
    list_display = ["bot_id", "first_seen", "last_trade_at"]
    search_fields = ["bot_id"]


@admin.register(Trade)
class TradeAdmin(admin.ModelAdmin):
    list_display = ["executed_at", "bot", "side", "symbol", "price", "amount", "realized_profit", "mode", "seq"]
    list_filter = ["bot", "side", "mode", "symbol"]
    search_fields = ["order_id", "event_id"]
    date_hierarchy = "executed_at"
    # Trades are facts recorded from the bus: they are read, never edited by hand.
    readonly_fields = [field.name for field in Trade._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


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
