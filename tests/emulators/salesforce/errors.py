"""The two ways the emulated org says no, in Salesforce's own shapes (RULES.md G1, C3)."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "RecordError"]


class ApiError(Exception):
    """A whole request fails: rendered as ``[{"message", "errorCode", "fields"}]`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []

    def body(self) -> list[dict[str, Any]]:
        return [{"message": self.message, "errorCode": self.code, "fields": self.fields}]


class RecordError(Exception):
    """One record is refused: HTTP 400 on single-record calls, a failed result in a collection."""

    def __init__(self, code: str, message: str, fields: list[str] | None = None, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.fields, self.status = code, message, fields or [], status

    def as_result(self) -> dict[str, Any]:
        # Collections say statusCode where single-record calls say errorCode (C3).
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}

    def body(self) -> list[dict[str, Any]]:
        return [{"message": self.message, "errorCode": self.code, "fields": self.fields}]
