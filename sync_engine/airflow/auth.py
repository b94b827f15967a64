"""Who may use the review pages: Airflow users, checked by Airflow's own auth manager.

Airflow does not protect plugin FastAPI apps, so every route depends on :class:`AirflowAuthorizer`:
the JWT comes from the ``Authorization: Bearer`` header or the UI's ``_token`` cookie, is validated
by the configured auth manager, and the user needs read access to the SyncHub view; resolving a
conflict or retrying a dead letter also needs edit access to the flow's DAG, and the page offers to
run a flow's DAG only to users Airflow lets trigger it (Airflow checks again when it is triggered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

VIEW_NAME = "SyncHub"
TOKEN_COOKIE = "_token"


@dataclass(frozen=True)
class Viewer:
    """An authenticated Airflow user; ``raw`` is the auth manager's own user object."""

    name: str
    raw: Any


class Authorizer(Protocol):
    async def authenticate(self, token: str) -> Viewer | None: ...
    def can_view(self, viewer: Viewer) -> bool: ...
    def can_edit(self, viewer: Viewer, dag_id: str) -> bool: ...
    def can_trigger(self, viewer: Viewer, dag_id: str) -> bool: ...


class AirflowAuthorizer:
    """Asks the auth manager of the running Airflow (simple, FAB, Keycloak, ...)."""

    def _manager(self) -> Any:
        from airflow.api_fastapi.app import get_auth_manager

        return get_auth_manager()

    async def authenticate(self, token: str) -> Viewer | None:
        from jwt import InvalidTokenError

        try:
            user = await self._manager().get_user_from_token(token)
        except InvalidTokenError:  # expired, revoked, forged
            return None
        return Viewer(name=user.get_name(), raw=user)

    def can_view(self, viewer: Viewer) -> bool:
        return bool(
            self._manager().is_authorized_custom_view(method="GET", resource_name=VIEW_NAME, user=viewer.raw)
        )

    def can_edit(self, viewer: Viewer, dag_id: str) -> bool:
        from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails

        manager = self._manager()
        return bool(
            manager.is_authorized_custom_view(method="POST", resource_name=VIEW_NAME, user=viewer.raw)
            and manager.is_authorized_dag(method="PUT", details=DagDetails(id=dag_id), user=viewer.raw)
        )

    def can_trigger(self, viewer: Viewer, dag_id: str) -> bool:
        from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails

        return bool(
            self._manager().is_authorized_dag(
                method="POST",
                access_entity=DagAccessEntity.RUN,
                details=DagDetails(id=dag_id),
                user=viewer.raw,
            )
        )


def token_of(headers: Any, cookies: Any) -> str | None:
    """An explicit Bearer token wins over the ambient UI cookie (as in Airflow's own API)."""
    scheme, _, credentials = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return cookies.get(TOKEN_COOKIE) or None
