"""What every tradewire process needs and that is not the bus: logs, backoff, rate limits, GC tuning."""
