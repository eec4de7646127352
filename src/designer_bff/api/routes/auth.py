"""Accounts: register, login (JWT), current user, API keys."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from designer_bff.api.deps import ContainerDep, CurrentUser
from designer_bff.api.schemas import (
    ApiKeyBody,
    ApiKeyCreated,
    ApiKeyOut,
    LoginBody,
    RegisterBody,
    TokenOut,
    UserOut,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED, summary="Create an account")
def register(body: RegisterBody, container: ContainerDep) -> TokenOut:
    """Create an account and return a login token for it."""
    user = container.auth.register(body.email, body.password, body.display_name)
    token = container.auth.issue_token(user.id)
    return TokenOut(
        access_token=token,
        expires_in=container.settings.access_token_minutes * 60,
        user=UserOut.model_validate(user, from_attributes=True),
    )


@router.post("/login", summary="Log in (rate-limited per account and client)")
def login(body: LoginBody, request: Request, container: ContainerDep) -> TokenOut:
    """Exchange email and password for a JWT."""
    client = request.client.host if request.client else "unknown"
    user, token = container.auth.login(body.email, body.password, client)
    return TokenOut(
        access_token=token,
        expires_in=container.settings.access_token_minutes * 60,
        user=UserOut.model_validate(user, from_attributes=True),
    )


@router.get("/me", summary="The current user")
def me(user: CurrentUser) -> UserOut:
    """Who the credentials belong to."""
    return UserOut.model_validate(user, from_attributes=True)


@router.post("/api-keys", status_code=status.HTTP_201_CREATED, summary="Create an API key")
def create_api_key(body: ApiKeyBody, user: CurrentUser, container: ContainerDep) -> ApiKeyCreated:
    """A new key for scripts; the secret is returned only now."""
    key, plain = container.auth.create_api_key(user.id, body.name)
    return ApiKeyCreated.model_validate(
        {**ApiKeyOut.model_validate(key, from_attributes=True).model_dump(), "key": plain}
    )


@router.get("/api-keys", summary="List API keys")
def list_api_keys(user: CurrentUser, container: ContainerDep) -> list[ApiKeyOut]:
    """The caller's keys, without secrets."""
    return [ApiKeyOut.model_validate(k, from_attributes=True) for k in container.auth.list_api_keys(user.id)]


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key")
def delete_api_key(key_id: str, user: CurrentUser, container: ContainerDep) -> Response:
    """Revoke one of the caller's keys."""
    container.auth.delete_api_key(user.id, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
