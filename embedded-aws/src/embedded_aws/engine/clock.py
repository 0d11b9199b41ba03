"""Virtual time for the embedded AWS: Step Functions retry intervals and Wait states advance it instead of sleeping."""

import threading
import time


class VirtualClock:
    """Wall-clock time plus every interval the emulation skipped instead of sleeping."""

    def __init__(self) -> None:
        self._skipped = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        return time.time() + self._skipped

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._skipped += max(seconds, 0.0)

    @property
    def skipped_seconds(self) -> float:
        return self._skipped

    def sleep(self, seconds: float) -> None:
        """Stands in for time.sleep where the emulation waits: yields the thread, advances the clock."""
        self.advance(seconds)
        time.sleep(0)
