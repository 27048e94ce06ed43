"""Random faults: a seeded share of API requests answered the way a flaky QBO answers them.

    Config(fault_rate=0.1, fault_seed=7)       # or POST /_sandbox/faults {"rate": 0.1, ...}

Each API request draws once. A drawn request gets one kind, chosen evenly among
`Config.fault_kinds`, and the injector counts what it injected (`GET /_sandbox/state` shows it
under "faults"). Requests are drawn in the order they arrive, so with concurrent clients the
seed fixes the sequence of draws, not which request gets which.
"""

from __future__ import annotations

import random
import threading

THROTTLE = "throttle"  # 429, as QBO's throttle answers it
SERVER_ERROR = "server_error"  # 500 SystemFault, nothing written
TIMEOUT = "timeout"  # answered only after `fault_timeout_ms`: the client gives up first
DROP_AFTER_COMMIT = "drop_after_commit"  # the work is done, then the socket closes unanswered
# The realm's access tokens expire now: a 401, then the client refreshes.
TOKEN_EXPIRY = "token_expiry"  # noqa: S105 - a fault kind, not a secret
FAULT_KINDS = (THROTTLE, SERVER_ERROR, TIMEOUT, DROP_AFTER_COMMIT, TOKEN_EXPIRY)


def check_kinds(kinds: list[str]) -> list[str]:
    """The kinds, if every one is known and there is at least one; else ValueError."""
    unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
    if unknown or not kinds:
        raise ValueError(f"fault kinds must be some of {', '.join(FAULT_KINDS)}: got {kinds}")
    return list(kinds)


class FaultInjector:
    """Draws a fault (or none) per API request from a seeded generator, and counts them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget the counts; the next draw reseeds from the config."""
        with self.lock:
            self._random: random.Random | None = None
            self._seed: int | None = None
            self.drawn = 0
            self.injected = dict.fromkeys(FAULT_KINDS, 0)

    def draw(self, config) -> str | None:
        """The kind of fault this request gets, or None (always None at a rate of 0)."""
        if config.fault_rate <= 0:
            return None
        with self.lock:
            if self._random is None or self._seed != config.fault_seed:
                self._random = random.Random(config.fault_seed)  # noqa: S311 - not for secrets
                self._seed = config.fault_seed
            self.drawn += 1
            if self._random.random() >= config.fault_rate:
                return None
            kind = self._random.choice(check_kinds(config.fault_kinds))
            self.injected[kind] += 1
            return kind

    def snapshot(self, config) -> dict:
        """The settings, how many requests drew, and what was injected, by kind."""
        with self.lock:
            return {
                "rate": config.fault_rate,
                "seed": config.fault_seed,
                "kinds": list(config.fault_kinds),
                "timeout_ms": config.fault_timeout_ms,
                "drawn": self.drawn,
                "injected": dict(self.injected),
                "total": sum(self.injected.values()),
            }
