"""A small Chatwoot REST client (``tests/fixtures/chatwoot/api.md``).

One pooled ``httpx.Client``; header ``api_access_token``; timeout from settings (5 s).
Error bodies become typed exceptions with a clear, token-free message. Only 429 and 5xx
are retried (tenacity, at most 3 attempts, exponential backoff); other 4xx never are.
The token is never logged, returned, or part of a message or ``repr``.
"""

from __future__ import annotations

from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from mcp_servers.settings import Settings

MAX_ATTEMPTS = 3


class ChatwootError(Exception):
    """A Chatwoot call failed; ``message`` is safe to show (never the token)."""

    status = 0

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.message = message
        self.status = status or self.status

    def __str__(self) -> str:
        return self.message


class ChatwootUnauthorized(ChatwootError):
    status = 401


class ChatwootNotFound(ChatwootError):
    status = 404


class ChatwootUnprocessable(ChatwootError):
    status = 422


class ChatwootRateLimited(ChatwootError):
    status = 429


class ChatwootServerError(ChatwootError):
    status = 500


class ChatwootConnectionError(ChatwootError):
    pass


def _body_message(response: httpx.Response) -> str:
    """Chatwoot's error text: ``error`` (string), ``errors`` (list) or ``message``."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if isinstance(body, dict):
        if isinstance(body.get("error"), str):
            return body["error"]
        if isinstance(body.get("errors"), list):
            return "; ".join(str(e) for e in body["errors"])
        if isinstance(body.get("message"), str):
            return body["message"]
    return ""


def error_for(response: httpx.Response, what: str) -> ChatwootError:
    status, detail = response.status_code, _body_message(response)
    if status == 401:
        return ChatwootUnauthorized(f"Chatwoot refused the access token or its rights for "
                                    f"{what} (401: {detail or 'unauthorized'})")
    if status == 404:
        return ChatwootNotFound(f"Chatwoot has no such resource for {what} (404: "
                                f"{detail or 'not found'})")
    if status == 422:
        return ChatwootUnprocessable(f"Chatwoot rejected {what} (422: {detail})")
    if status == 429:
        return ChatwootRateLimited(f"Chatwoot is rate limiting {what} (429: "
                                   f"{detail or 'Retry later'})")
    if status >= 500:
        return ChatwootServerError(f"Chatwoot failed on {what} ({status})", status)
    return ChatwootError(f"Chatwoot answered {status} to {what}: {detail}", status)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ChatwootRateLimited | ChatwootServerError)


class ChatwootClient:
    """Account-scoped calls: paths are relative to ``/api/v1/accounts/{account_id}``."""

    def __init__(self, settings: Settings, *, backoff_s: float = 0.5,
                 transport: httpx.BaseTransport | None = None):
        self.account_id = settings.chatwoot_account_id
        self.base_url = settings.chatwoot_url.rstrip("/")
        self.backoff_s = backoff_s
        self._http = httpx.Client(
            base_url=f"{self.base_url}/api/v1/accounts/{self.account_id}",
            timeout=settings.chatwoot_timeout_s, transport=transport,
            headers={"api_access_token": settings.chatwoot_token.get_secret_value(),
                     "Accept": "application/json"})

    def __repr__(self) -> str:
        return f"ChatwootClient({self.base_url!r}, account={self.account_id})"

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None, retry_server_errors: bool = True) -> Any:
        """One call, retried on 429 (and on 5xx unless ``retry_server_errors`` is false,
        for non-idempotent creates). Returns the decoded JSON (``None`` for an empty body)."""
        what = f"{method} {path}"

        def retry_on(exc: BaseException) -> bool:
            if isinstance(exc, ChatwootServerError):
                return retry_server_errors
            return _retryable(exc)

        def give_up(state: RetryCallState) -> Any:
            assert state.outcome is not None
            exc = state.outcome.exception()
            assert isinstance(exc, ChatwootError)
            exc.message = f"{exc.message}; gave up after {state.attempt_number} attempts"
            raise exc

        retrying = Retrying(stop=stop_after_attempt(MAX_ATTEMPTS),
                            wait=wait_exponential(multiplier=self.backoff_s, max=8),
                            retry=retry_if_exception(retry_on), retry_error_callback=give_up,
                            reraise=True)
        return retrying(self._once, method, path, params, json, what)

    def _once(self, method: str, path: str, params: dict[str, Any] | None, body: Any,
              what: str) -> Any:
        try:
            response = self._http.request(method, path, params=params, json=body)
        except httpx.TimeoutException:
            raise ChatwootConnectionError(f"Chatwoot did not answer {what} in time") from None
        except httpx.HTTPError as exc:
            raise ChatwootConnectionError(
                f"Chatwoot is unreachable for {what} ({type(exc).__name__})") from None
        if response.status_code >= 400:
            raise error_for(response, what)
        if not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            raise ChatwootError(f"Chatwoot answered {what} with a non-JSON body") from None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items()
                                                 if v not in (None, "")})

    def post(self, path: str, body: Any, *, retry_server_errors: bool = True) -> Any:
        return self.request("POST", path, json=body, retry_server_errors=retry_server_errors)
