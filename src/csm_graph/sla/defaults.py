"""The SLA targets shipped with the product: (response, resolution) minutes.

Minutes by SLA level and priority (1 critical to 4 low): working minutes of
the case's schedule, calendar minutes without one. The seed migration writes
these; administrators change them with `slaTargetSet`.
"""

from __future__ import annotations

DEFAULT_TARGETS: dict[str, dict[int, tuple[int, int]]] = {
    "PLATINUM": {1: (15, 240), 2: (30, 480), 3: (60, 1440), 4: (120, 2880)},
    "GOLD": {1: (30, 480), 2: (60, 960), 3: (120, 2880), 4: (240, 4320)},
    "SILVER": {1: (60, 960), 2: (120, 1440), 3: (240, 4320), 4: (480, 7200)},
    "BRONZE": {1: (120, 1440), 2: (240, 2880), 3: (480, 7200), 4: (1440, 10080)},
}
