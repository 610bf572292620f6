"""Each event type's policy as sets and maps, gathered from the event classes' own declarations.

For code that needs the whole picture (which types to subscribe to, which hash fields to read); code
holding one event reads its class directly (`event.conflatable`, `event.state_field`, ...).
"""

from __future__ import annotations

from typing import get_args

from tradewire_schemas.events import Event, EventBase

EVENT_CLASSES: tuple[type[EventBase], ...] = get_args(get_args(Event)[0])


def type_of(cls: type[EventBase]) -> str:
    """The `type` literal a class is known by on the wire."""
    return str(cls.model_fields["type"].default)


CONFLATABLE: frozenset[str] = frozenset(type_of(c) for c in EVENT_CLASSES if c.conflatable)
RECORDED: frozenset[str] = frozenset(type_of(c) for c in EVENT_CLASSES if c.recorded)
STATE_FIELDS: dict[str, str] = {type_of(c): c.state_field for c in EVENT_CLASSES if c.state_field}
BROWSER_NAMES: dict[str, str] = {type_of(c): c.browser_name for c in EVENT_CLASSES if c.browser_name}
