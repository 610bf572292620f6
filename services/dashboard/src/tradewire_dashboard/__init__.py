"""tradewire's dashboard: a Django Channels control room fed by the bus over WebSocket."""
