"""The statistics behind every analytics number: Wilson score intervals and the two-proportion z-test."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Z95 = 1.959963984540054  # two-sided 95 % normal quantile
WILSON = "Wilson score interval, 95 %"
Z_TEST = "two-proportion z-test (pooled), two-sided"


@dataclass(frozen=True)
class Rate:
    """A proportion k/n with its 95 % Wilson interval; rate and bounds are None when n = 0."""

    k: int
    n: int
    low: float | None
    high: float | None

    @property
    def rate(self) -> float | None:
        """k / n, or None when there is nothing to divide by."""
        return self.k / self.n if self.n else None

    def to_dict(self) -> dict[str, Any]:
        """JSON form: rate and bounds rounded to 4 places (the counts travel in the row)."""
        return {"rate": _round(self.rate), "low": _round(self.low), "high": _round(self.high)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def wilson(k: int, n: int, z: float = Z95) -> Rate:
    """k successes of n with the Wilson score interval (well behaved at 0 %, 100 % and small n)."""
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return Rate(0, 0, None, None)
    p = k / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # At k = 0 and k = n the bound is exactly 0 or 1; float arithmetic lands a hair inside or outside.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Rate(k, n, low, high)


@dataclass(frozen=True)
class Comparison:
    """Two proportions compared: the difference, its z statistic and two-sided p-value."""

    a: Rate
    b: Rate
    z: float
    p_value: float

    @property
    def difference(self) -> float:
        """rate(a) − rate(b) (0 when either side is empty)."""
        if not self.a.n or not self.b.n:
            return 0.0
        return self.a.k / self.a.n - self.b.k / self.b.n

    def significant(self, alpha: float = 0.05, min_n: int = 10) -> bool:
        """p < alpha with at least `min_n` observations on each side."""
        return self.a.n >= min_n and self.b.n >= min_n and self.p_value < alpha


def two_proportion(k1: int, n1: int, k2: int, n2: int) -> Comparison:
    """Pooled two-proportion z-test of k1/n1 against k2/n2 (p = 1 when it cannot tell them apart)."""
    a, b = wilson(k1, n1), wilson(k2, n2)
    if n1 == 0 or n2 == 0:
        return Comparison(a, b, 0.0, 1.0)
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:  # both 0 % or both 100 %: no difference to see
        return Comparison(a, b, 0.0, 1.0)
    z = (k1 / n1 - k2 / n2) / se
    return Comparison(a, b, z, math.erfc(abs(z) / math.sqrt(2)))


def percent(value: float | None) -> str:
    """'65 %' (whole percent; one decimal below 10 %, where whole percents hide differences), or 'n/a'."""
    if value is None:
        return "n/a"
    if 0 < value < 0.095:
        return f"{100 * value:.1f} %"
    return f"{round(100 * value)} %"
