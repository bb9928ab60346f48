"""Process-wide tuning for a server that holds thousands of long-lived subscriptions.

Each open subscription keeps a few hundred Python objects alive (its task, its
generators, its connection). CPython's default collector thresholds (700, 10, 10) then
run full collections that walk millions of objects, about a second each with 5,000
subscriptions, often enough to stall every request behind them (`make bench`, (c):
with the collector off, fan-out latency fell several-fold). Reference counting frees
almost everything here; the cycle collector only has to run now and then.
"""

from __future__ import annotations

import gc

# Young collections every 50,000 net allocations instead of 700; a full collection is
# considered after 100 middle ones instead of 10 (and CPython still waits until the
# objects that survived since the last one are a quarter of the old generation).
GC_THRESHOLDS = (50_000, 50, 100)


def tune_gc() -> None:
    gc.set_threshold(*GC_THRESHOLDS)
