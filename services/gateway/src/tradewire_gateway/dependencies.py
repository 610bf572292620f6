"""FastAPI dependencies: the running `Runtime` and the caller's `Principal` with a required scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tradewire_gateway.auth import Principal, TokenRegistry
from tradewire_gateway.runtime import Runtime
from tradewire_gateway.settings import Scope

_bearer = HTTPBearer(auto_error=False, description="An API token from GATEWAY_TOKENS.")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def require(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    async def principal(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Principal:
        tokens: TokenRegistry = request.app.state.tokens
        found = tokens.identify(credentials.credentials if credentials else None)
        if found is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "missing or unknown bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
        if not found.may(scope):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"token {found.name!r} lacks the {scope.value!r} scope")
        return found

    return principal


Reader = Annotated[Principal, Depends(require(Scope.READ))]
Controller = Annotated[Principal, Depends(require(Scope.CONTROL))]
