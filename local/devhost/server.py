"""The devhost's life cycle: storage, settings, app, engine, HTTP server, timers, and a clean stop.

Order matters: settings and the storage connection string reach the environment before the worker
starts (it passes them on to the app, which may read them at import time); the worker indexes and loads
the app before anything is served; `ready.json` is written only once every part answers.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
from dataclasses import dataclass

from aiohttp import web

from local.azurite import Azurite
from local.devhost.admin import AdminApi
from local.devhost.app_loader import AppLoadError, LoadedApp, index_app
from local.devhost.config import DEVELOPMENT_STORAGE, STORAGE_SETTING, HostConfig
from local.devhost.durable_api import DurableApi
from local.devhost.durable_urls import DurableUrls
from local.devhost.engine_api import DurableEngine, EngineFactory, EngineSettings
from local.devhost.http_triggers import HttpTriggers
from local.devhost.invocation import FunctionInvoker
from local.devhost.keys import load_or_create_keys
from local.devhost.timers import TimerScheduler
from local.devhost.worker_process import WorkerError, WorkerProcess

log = logging.getLogger("devhost")

READY_FILE = "ready.json"
ENGINE_MODULE = "local.devhost.engine"
MAX_LINE_BYTES = 64 * 1024


class EngineMissingError(RuntimeError):
    """The durable engine package is not importable."""


def resolve_engine_factory() -> EngineFactory:
    """The engine lives in its own package, built behind `engine_api`; it exposes `create_engine`."""
    try:
        module = importlib.import_module(ENGINE_MODULE)
    except ImportError as error:
        raise EngineMissingError(
            f"the durable engine ({ENGINE_MODULE}) cannot be imported: {error}"
        ) from error
    factory: EngineFactory = module.create_engine
    return factory


@dataclass
class _Running:
    runner: web.AppRunner
    engine: DurableEngine | None
    timers: TimerScheduler | None


class DevHost:
    """Start with `start()`, which returns the base URL; `stop()` undoes everything in reverse order.

    The durable engine is built only for apps that use Durable Functions, as the extension is only
    loaded for them; without an explicit factory the engine package's `create_engine` is used.
    """

    def __init__(self, config: HostConfig, engine_factory: EngineFactory | None = None) -> None:
        self.config = config
        self._engine_factory = engine_factory
        self._azurite: Azurite | None = None
        self._worker: WorkerProcess | None = None
        self._running: _Running | None = None
        self.base_url = ""

    def _storage_connection(self) -> str:
        """`UseDevelopmentStorage=true` starts Azurite with its data in the state folder: restarts resume."""
        if self.config.storage_connection.strip().rstrip(";") != DEVELOPMENT_STORAGE:
            return self.config.storage_connection
        self._azurite = Azurite(data_dir=self.config.options.state_dir / "azurite")
        endpoints = self._azurite.start()
        log.info("Started Azurite for UseDevelopmentStorage=true (data in %s)", self._azurite.data_dir)
        return endpoints.connection_string

    async def _start_worker(self) -> LoadedApp:
        """The worker indexes and loads the app, as at a Function App's start; a function it rejects stops
        the devhost with the worker's own message."""
        options = self.config.options
        self._worker = WorkerProcess(options.app_dir, f"{options.app_module}.py")
        try:
            functions = await self._worker.start()
        except WorkerError as error:
            await self._worker.stop()
            self._worker = None
            message = f"the Python worker cannot load the app in {options.app_dir}: {error}"
            raise AppLoadError(message) from error
        return index_app(functions)

    def _worker_process(self) -> WorkerProcess:
        assert self._worker is not None, "the worker starts before anything invokes it"
        return self._worker

    def _engine(self, app: LoadedApp, invoker: FunctionInvoker, storage: str) -> DurableEngine | None:
        if not app.uses_durable:
            return None
        durable = self.config.host_json.durable
        factory = self._engine_factory or resolve_engine_factory()
        settings = EngineSettings(
            hub_name=durable.hub_name,
            storage_connection_string=storage,
            max_concurrent_activities=durable.max_concurrent_activities,
            max_concurrent_orchestrations=durable.max_concurrent_orchestrations,
            overridable_existing_instance_states=durable.overridable_existing_instance_states,
            shared_activities=self.config.options.shared_activities,
        )
        return factory(invoker.function_maps(app), settings)

    async def start(self) -> str:
        options = self.config.options
        options.state_dir.mkdir(parents=True, exist_ok=True)
        (options.state_dir / READY_FILE).unlink(missing_ok=True)
        storage = await asyncio.to_thread(self._storage_connection)
        os.environ[STORAGE_SETTING] = storage
        keys, keys_file = load_or_create_keys(options.state_dir)
        app = await self._start_worker()
        urls = DurableUrls(self.config.host_json.durable.hub_name, keys)
        invoker = FunctionInvoker(self._worker_process(), urls.client_binding)
        engine = self._engine(app, invoker, storage)
        web_app = web.Application(client_max_size=100 * 1024 * 1024)
        if engine is not None:
            web_app.add_routes(DurableApi(engine, urls, keys).routes())
        web_app.add_routes(AdminApi(app, invoker, engine, keys, self.config.host_json.route_prefix).routes())
        web_app.add_routes(
            [HttpTriggers(app.http_routes, self.config.host_json.route_prefix, invoker, keys).route()]
        )
        # Request lines and headers up to 64 KiB (aiohttp's default: 8 KiB) reach the app, so the app's own
        # checks of over-long parameters answer them (problem+json); on Azure the platform's limits on URL and
        # header length apply before the app, as any gateway's do.
        runner = web.AppRunner(
            web_app, access_log=None, handle_signals=False, max_line_size=MAX_LINE_BYTES,
            max_field_size=MAX_LINE_BYTES,
        )
        await runner.setup()
        self._running = _Running(runner, engine, None)
        await web.TCPSite(runner, options.host, options.port).start()
        host, port = runner.addresses[0][:2]
        self.base_url = urls.base_url = f"http://{host}:{port}"
        if engine is not None:
            await engine.start()
        if options.timers_enabled:
            self._running.timers = TimerScheduler(app.timers, invoker)
            self._running.timers.start()
        self._write_ready(keys_file)
        log.info(
            "Devhost ready at %s: %d HTTP, %d timer, %d orchestrator, %d activity functions%s",
            self.base_url,
            len(app.http_routes),
            len(app.timers),
            len(app.orchestrators),
            len(app.activities),
            "" if options.timers_enabled else " (timers off)",
        )
        return self.base_url

    def _write_ready(self, keys_file: os.PathLike[str]) -> None:
        ready = {"baseUrl": self.base_url, "keysFile": str(keys_file), "pid": os.getpid()}
        path = self.config.options.state_dir / READY_FILE
        # Written aside and renamed: a harness polling for the file must never read it half written.
        temporary = path.with_name(f".{READY_FILE}.tmp")
        temporary.write_text(json.dumps(ready))
        os.replace(temporary, path)

    async def stop(self) -> None:
        (self.config.options.state_dir / READY_FILE).unlink(missing_ok=True)
        running, self._running = self._running, None
        if running is not None:
            if running.timers is not None:
                await running.timers.stop()
            await running.runner.cleanup()
            if running.engine is not None:
                await running.engine.stop()
        if self._worker is not None:
            await self._worker.stop()
            self._worker = None
        if self._azurite is not None:
            await asyncio.to_thread(self._azurite.stop)
            self._azurite = None
