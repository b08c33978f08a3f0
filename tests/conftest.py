"""Suite-wide settings for the tests (issue 12 §7: a suite that is fast and never sleeps).

Textual's Pilot decides that the app has finished reacting to a key or a pause by sleeping in
windows of ``textual._wait.SLEEP_GRANULARITY`` (20 ms) until a window passes in which the process
used less than a twentieth of it in CPU. Every ``pilot.press`` key waits for two such windows and
every ``pilot.pause()`` for one, so the 20 ms floor alone was about a fifth of the UI tests' time.
Here the window is 5 ms and the idle test the same ratio (under 5 % CPU in the window): the same
"the app has gone quiet" condition, checked four times as often. Nothing here waits on a timer:
tests that need a worker or a message wait for it explicitly (``settle``, ``workers.wait_for_complete``).
"""

from __future__ import annotations

import textual._wait

textual._wait.SLEEP_GRANULARITY = 0.005
textual._wait.SLEEP_IDLE = textual._wait.SLEEP_GRANULARITY / 20


# The cyclic garbage collector: with its default thresholds (a young collection every 700 allocations,
# a full one every 70,000) it scanned the whole heap — sympy, Textual, the course — several times per
# problem a UI test opens: 35 % of the CPU of test_ui_workspace_visibility.py. Once collection has
# imported every test module, what is loaded is frozen (kept out of every later collection) and the
# young generation is collected every 50,000 allocations; cycles are still collected, less often.
GC_THRESHOLDS = (50_000, 20, 20)


def pytest_collection_finish(session) -> None:
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
