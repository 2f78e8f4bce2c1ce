"""The API as the command line calls it: one session, a bearer token, problem+json turned into errors
that carry their exit code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from cli.exit_codes import ExitCode, for_status

TIMEOUT_SECONDS = 30


class CliError(Exception):
    """What the command line prints on stderr, and the code it exits with."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


class ApiClient:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def call(
        self, method: str, path: str, *, accept: tuple[int, ...] = (), **kwargs: Any
    ) -> requests.Response:
        """The answer if 2xx (or a status in `accept`), else a CliError naming the problem."""
        try:
            answer = self._session.request(method, self.url(path), timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as exc:
            raise CliError(
                f"cannot reach {self.base_url}: {type(exc).__name__}", ExitCode.UNAVAILABLE
            ) from None
        if answer.ok or answer.status_code in accept:
            return answer
        raise CliError(describe_refusal(answer), for_status(answer.status_code))

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs).json()

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, json=body, **kwargs)

    def pages(
        self, path: str, params: dict[str, str] | None = None, limit: int | None = None
    ) -> Iterator[Any]:
        """Every item of a paged list (up to `limit`), following `continuationToken`."""
        query = dict(params or {})
        seen = 0
        while True:
            page = self.get(path, params=query)
            for item in page["items"]:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                yield item
            token = page.get("continuationToken")
            if not token:
                return
            query["continuationToken"] = token


def describe_refusal(answer: requests.Response) -> str:
    """`403 auth.forbidden: The caller has no role on this tenant. <detail>` from a problem+json."""
    try:
        problem = answer.json()
    except ValueError:
        return f"{answer.status_code} {answer.reason}"
    if not isinstance(problem, dict) or "code" not in problem:
        return f"{answer.status_code} {answer.reason}"
    detail = problem.get("detail")
    text = f"{answer.status_code} {problem['code']}: {problem.get('title', '')}"
    return f"{text} {detail}" if detail and detail != problem.get("title") else text
