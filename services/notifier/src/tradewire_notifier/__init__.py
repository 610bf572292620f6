"""tradewire's notifier: one bus subscription, rules per destination, messages out, Telegram commands in."""
