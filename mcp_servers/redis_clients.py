"""Every Redis client of the product, with one retry policy.

After Redis restarts, each pooled connection is stale; redis-py's asyncio client raises
"Connection closed by server" on its first command unless a retry policy is given
explicitly (measured: the default one does not cover it). Retrying connection errors with a
short jittered backoff (about 3 s in all) rides through a restart or failover.
"""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError, TimeoutError
from redis.retry import Retry

RETRIES = 5
ERRORS = (ConnectionError, TimeoutError)


def _backoff() -> ExponentialWithJitterBackoff:
    return ExponentialWithJitterBackoff(cap=1.0, base=0.05)


def sync_redis(url: str, **options: Any) -> redis.Redis:
    return redis.Redis.from_url(url, retry=Retry(_backoff(), RETRIES, ERRORS),
                                retry_on_error=list(ERRORS), **options)


def async_redis(url: str, **options: Any) -> aioredis.Redis:
    return aioredis.Redis.from_url(url, retry=AsyncRetry(_backoff(), RETRIES, ERRORS),
                                   retry_on_error=list(ERRORS), **options)
