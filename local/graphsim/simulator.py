"""What a running graphsim holds, and the pipeline every Graph request goes through.

A request (top-level or inside `$batch`) passes faults, then throttling, then the model; the
request log records each outcome. Faults come first: a 503 or a dropped connection at the front
door never reached Intune, so it does not count against the throttle budget.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from local.graphsim.config import SimConfig
from local.graphsim.contract import GraphRequest, GraphResponse, graph_error
from local.graphsim.directory import Directory
from local.graphsim.faults import Fault, FaultInjector
from local.graphsim.intune import GraphModel
from local.graphsim.keyvault import Vault
from local.graphsim.requestlog import LogEntry, RequestLog
from local.graphsim.throttle import Throttler, retry_after_header, throttle_area
from local.graphsim.tokens import TokenService

log = logging.getLogger("graphsim")

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FAULT_ERRORS = {
    503: ("ServiceUnavailable", "Service is unavailable. Please retry after the time given in Retry-After."),
    504: ("GatewayTimeout", "The gateway did not receive a response from the backend service in time."),
}


@dataclass
class Outcome:
    """A Graph response, or `drop`: abort the connection without answering (after any write applied)."""

    response: GraphResponse
    drop: bool = False


class Simulator:
    """Directory, tokens, Intune model, Key Vault, conditions and log of one running graphsim."""

    def __init__(self, config: SimConfig, reseed: Callable[[Simulator], None] | None = None) -> None:
        self.start_config = config
        self.config = config
        self.model = GraphModel()
        self.directory = Directory()
        self.tokens = TokenService()
        self.throttler = Throttler(config.throttle)
        self.faults = FaultInjector(config.faults)
        self.log = RequestLog()
        self.vault = Vault()
        self._reseed = reseed
        self._rng = random.Random(config.faults.seed)

    def configure(self, config: SimConfig) -> None:
        if config.throttle != self.config.throttle:
            self.throttler.configure(config.throttle)
        if config.faults != self.config.faults:
            self.faults.configure(config.faults)
        self.config = config

    def reset(self, reseed: bool = True) -> None:
        """Back to the start: start configuration, empty log and windows, and the start profile re-seeded."""
        self.model.reset()
        self.directory = Directory()
        self.vault = Vault()
        self.log.clear()
        self.config = self.start_config
        self.throttler.configure(self.start_config.throttle)
        self.faults.configure(self.start_config.faults)
        if reseed and self._reseed is not None:
            self._reseed(self)

    def latency_seconds(self) -> float:
        latency = self.config.latency
        if not latency.base_ms and not latency.jitter_ms:
            return 0.0
        return (latency.base_ms + self._rng.random() * latency.jitter_ms) / 1000

    def execute(self, request: GraphRequest, in_batch: bool) -> Outcome:
        """Faults, throttling and the model for one Graph request; records it in the log."""
        fault = self.faults.decide(request.method, f"/{request.version}{request.path}")
        throttled = False
        drop = False
        if fault is not None and fault.action == "drop":
            response, drop = GraphResponse(0), True
        elif fault is not None and fault.action == "status":
            response = _fault_response(fault, request)
        else:
            response, throttled = self._admit_and_handle(request)
            drop = fault is not None and fault.action == "apply_then_drop" and not throttled
        self.log.record(
            LogEntry(
                time.time(),
                "graph",
                request.caller.tenant_id,
                request.caller.app_id,
                request.method,
                f"/{request.version}{request.path}",
                response.status,
                throttled,
                _fault_label(fault),
                in_batch,
                request.request_id,
            )
        )
        return Outcome(response, drop)

    def _admit_and_handle(self, request: GraphRequest) -> tuple[GraphResponse, bool]:
        caller = request.caller
        wait = self.throttler.admit(
            caller.tenant_id,
            caller.app_id,
            throttle_area(request.path),
            request.method in _WRITE_METHODS,
            time.monotonic(),
        )
        if wait is not None:
            return throttled_response(request, wait, self.config), True
        try:
            return self.model.handle(request), False
        except Exception:  # a model bug must answer like Graph's 500, not kill the connection
            log.exception("graphsim model failed on %s %s", request.method, request.path)
            failure = graph_error(500, "InternalServerError", "An internal server error occurred.", request)
            return failure, False


def throttled_response(request: GraphRequest, wait: float, config: SimConfig) -> GraphResponse:
    """Graph's 429 body (docs/graph-intune.md#retry-after-and-retries), with the configured Retry-After
    style."""
    response = graph_error(429, "TooManyRequests", "Please retry again later.", request)
    inner = response.body["error"]["innerError"]
    response.body["error"]["innerError"] = {
        "code": "429",
        "date": inner["date"],
        "message": "Please retry after",
        "request-id": request.request_id,
        "status": "429",
    }
    response.headers.update(retry_after_header(wait, config.throttle.retry_after))
    return response


def _fault_response(fault: Fault, request: GraphRequest) -> GraphResponse:
    code, message = _FAULT_ERRORS.get(fault.status, ("InjectedFault", "Injected fault."))
    response = graph_error(fault.status, fault.code or code, fault.message or message, request)
    if fault.retry_after is not None:
        response.headers["Retry-After"] = fault.retry_after
    return response


def _fault_label(fault: Fault | None) -> str | None:
    if fault is None:
        return None
    kind = f"status:{fault.status}" if fault.action == "status" else fault.action
    return f"{kind} ({fault.source})"


def new_request_id() -> str:
    return str(uuid.uuid4())
