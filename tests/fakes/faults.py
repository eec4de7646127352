"""A fault plan for vendor fakes: which failure (if any) the next request gets, thread-safe."""

from __future__ import annotations

import random
import threading
from collections import Counter

FAULTS = ("500", "429", "timeout", "malformed", "refusal", "slow")


class FaultPlan:
    """Decides per request: a fixed script first, then random faults at `rate` (seeded).

    Fakes call `next()` once per generation request and act out the answer in their vendor's format:
    "500" → HTTP 500; "429" → HTTP 429 with `Retry-After: retry_after`; "timeout" → sleep `hang_s`
    before answering; "malformed" → 200 with a body the SDK cannot use; "refusal" → the vendor's
    content-policy error; "slow" → sleep `slow_s`, then succeed; None → succeed.
    """

    def __init__(
        self,
        script: list[str | None] | None = None,
        *,
        rate: float = 0.0,
        kinds: tuple[str, ...] = FAULTS,
        seed: int = 0,
        retry_after: float = 0.2,
        hang_s: float = 3.0,
        slow_s: float = 0.3,
    ) -> None:
        unknown = [f for f in [*(script or []), *kinds] if f is not None and f not in FAULTS]
        if unknown:
            raise ValueError(f"unknown faults {unknown}; known: {FAULTS}")
        self._script = list(script or [])
        self._rate = rate
        self._kinds = kinds
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.retry_after = retry_after
        self.hang_s = hang_s
        self.slow_s = slow_s
        self.served: Counter[str] = Counter()

    def next(self) -> str | None:
        """The fault for this request (None = answer normally); counts what was served."""
        with self._lock:
            if self._script:
                fault = self._script.pop(0)
            elif self._rate and self._random.random() < self._rate:
                fault = self._random.choice(self._kinds)
            else:
                fault = None
            self.served[fault or "ok"] += 1
            return fault
