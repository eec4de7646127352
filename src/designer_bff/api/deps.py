"""Request dependencies: the container and the authenticated user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from designer_bff.container import Container
from designer_bff.db.tables import User
from designer_bff.errors import Unauthorized

_bearer = HTTPBearer(auto_error=False, description="JWT from /api/auth/login, or an API key")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key from /api/auth/api-keys")


def get_container(request: Request) -> Container:
    """The app's composition root."""
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def optional_user(
    container: ContainerDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> User | None:
    """The caller when credentials were sent (invalid ones are refused), else None."""
    token = bearer.credentials if bearer else api_key
    return container.auth.user_from_token(token) if token else None


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The caller, from `Authorization: Bearer <jwt|api key>` or `X-API-Key`."""
    if user is None:
        raise Unauthorized("missing credentials: send Authorization: Bearer <token> or X-API-Key")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
