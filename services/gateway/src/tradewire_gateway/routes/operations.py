"""Liveness, readiness and Prometheus metrics: open to the operator's probes and scraper, no token."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from tradewire_gateway.dependencies import RuntimeDep
from tradewire_gateway.metrics import CONTENT_TYPE
from tradewire_gateway.views import Health, Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    summary="Redis is reachable and the event hub is subscribed",
    responses={503: {"model": Readiness, "description": "Not ready"}},
)
async def readyz(runtime: RuntimeDep, response: Response) -> Readiness:
    redis_ok = await runtime.bus.ping()
    hub_ok = runtime.hub.ready.is_set()
    ready = redis_ok and hub_ok
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Readiness(status="ready" if ready else "not ready", redis=redis_ok, hub=hub_ok)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}}}},
)
async def metrics(runtime: RuntimeDep) -> Response:
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE)
