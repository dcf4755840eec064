"""Where a hook on a botocore client is registered: its events, or the emitter behind them.

A client's events go through an alias layer that works each new event name out against every
botocore event alias once (about 30 us a name, for every new client). For names no alias can
change, registering on the emitter behind the layer gives the same handlers for the same events
without that work; with any doubt (an alias that could apply, a layer holding other aliases, no
emitter behind it), the hook goes through the layer as botocore's public API does.
"""

from __future__ import annotations

from typing import Any

from botocore.client import BaseClient

#: botocore's default event aliases, when none can apply to the names asked about; per names
_plain: dict[tuple[str, ...], dict[str, str]] = {}


def emitter_for(client: BaseClient, names: tuple[str, ...]) -> Any:
    """What to register handlers of event ``names`` on for ``client``."""
    plain = _plain.get(names)
    if plain is None:
        from botocore.utils import EVENT_ALIASES

        touched = any(str(old) in name for old in EVENT_ALIASES for name in names)
        plain = _plain[names] = {} if touched else dict(EVENT_ALIASES)
    events = client.meta.events
    inner = getattr(events, "_emitter", None)
    if (
        plain
        and getattr(events, "_event_aliases", None) == plain
        and hasattr(inner, "register_first")
    ):
        return inner
    return events
