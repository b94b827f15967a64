"""OAuth2 against the real SuiteCRM: both grants, renewal before expiry and after a 401, refusals."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
import requests

from connectors.base import ConnectionSettings, PermanentError, TransientError
from connectors.suitecrm import SuiteCrmClient, SuiteCrmSettings
from synchub_dev.peers.suitecrm import SuiteCrmInstance


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _api_status(instance: SuiteCrmInstance, token: str) -> tuple[int, str]:
    reply = requests.get(f"{instance.url}/Api/V8/current-user", headers={"Authorization": f"Bearer {token}"})
    return reply.status_code, reply.text


def test_password_grant_acts_as_the_user_and_gets_a_refresh_token(client: SuiteCrmClient) -> None:
    assert client.current_user().attributes["user_name"] == "admin"
    token = client.tokens.current()
    assert token is not None and token.refresh_token


def test_client_credentials_grant_acts_as_the_clients_user(
    suitecrm: SuiteCrmInstance, make_client: Callable[..., SuiteCrmClient]
) -> None:
    client = make_client(suitecrm, "client_credentials")
    assert client.current_user().attributes["user_name"] == "admin"
    token = client.tokens.current()
    assert token is not None and token.refresh_token is None


def test_token_is_renewed_before_it_expires_and_the_old_one_is_revoked(
    suitecrm: SuiteCrmInstance, make_client: Callable[..., SuiteCrmClient]
) -> None:
    clock = FakeClock()
    client = make_client(suitecrm, clock=clock)
    client.current_user()
    first = client.tokens.current()
    assert first is not None and first.expires_at == pytest.approx(clock.now + 3600, abs=5)

    clock.now = first.expires_at - client.settings.refresh_margin - 1  # not yet due
    client.current_user()
    assert client.tokens.current() is first

    clock.now = first.expires_at - client.settings.refresh_margin + 1  # due: renewed by the refresh token
    client.current_user()
    second = client.tokens.current()
    assert second is not None and second.access_token != first.access_token
    assert client.tokens.grants == 2
    status, text = _api_status(suitecrm, first.access_token)
    assert status == 401 and "revoked" in text


def test_client_credentials_token_is_renewed_by_a_new_grant(
    suitecrm: SuiteCrmInstance, make_client: Callable[..., SuiteCrmClient]
) -> None:
    clock = FakeClock()
    client = make_client(suitecrm, "client_credentials", clock=clock)
    client.current_user()
    first = client.tokens.current()
    assert first is not None
    clock.now += 3600
    client.current_user()
    second = client.tokens.current()
    assert second is not None and second.access_token != first.access_token
    assert client.tokens.grants == 2


def test_a_revoked_token_is_renewed_on_401_and_the_call_repeated(
    suitecrm: SuiteCrmInstance, client: SuiteCrmClient
) -> None:
    account = client.create("Accounts", {"name": "Before logout"})
    token = client.tokens.current()
    assert token is not None
    # Another process logs this token out: access and refresh token are both revoked.
    reply = requests.post(
        f"{suitecrm.url}/Api/V8/logout", headers={"Authorization": f"Bearer {token.access_token}"}
    )
    assert reply.status_code == 200
    assert _api_status(suitecrm, token.access_token)[0] == 401

    assert client.get("Accounts", account.id, fields=["name"]).attributes["name"] == "Before logout"
    assert client.tokens.grants == 2  # the refresh token was revoked too: a new password grant


def test_logout_revokes_and_the_next_call_logs_in_again(
    client: SuiteCrmClient, suitecrm: SuiteCrmInstance
) -> None:
    client.current_user()
    token = client.tokens.current()
    assert token is not None
    client.logout()
    assert _api_status(suitecrm, token.access_token)[0] == 401
    client.current_user()
    assert client.tokens.grants == 2


class _CorruptingSession(requests.Session):
    """Sends a token SuiteCRM cannot decode on every API call (the token endpoint is left alone)."""

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        headers = kwargs.get("headers") or {}
        if "Authorization" in headers:
            kwargs["headers"] = {**headers, "Authorization": "Bearer not.a.token"}
        return super().request(method, url, *args, **kwargs)


def test_a_401_with_a_fresh_token_is_permanent(suitecrm: SuiteCrmInstance) -> None:
    client = SuiteCrmClient(SuiteCrmSettings.parse(suitecrm.connection()), session=_CorruptingSession())
    with client, pytest.raises(PermanentError, match="refused a new token") as caught:
        client.current_user()
    assert client.tokens.grants == 2  # one token, one renewal after the first 401, then it gave up
    assert "not.a.token" not in str(caught.value)


def test_wrong_client_secret_is_permanent_and_never_shown(suitecrm: SuiteCrmInstance) -> None:
    settings = replace(SuiteCrmSettings.parse(suitecrm.connection()), client_secret="wrong-secret-123")
    with SuiteCrmClient(settings) as client, pytest.raises(PermanentError) as caught:
        client.current_user()
    message = str(caught.value)
    assert "invalid_client" in message and "client_id/client_secret" in message
    assert "wrong-secret-123" not in message


def test_wrong_password_is_permanent_and_scrubbed_although_suitecrm_echoes_it(
    suitecrm: SuiteCrmInstance,
) -> None:
    wrong = "Wr0ng-Passw0rd-xyz"
    # SuiteCRM itself puts the password into its answer (HTTP 500 "The password is invalid: ...")...
    raw = requests.post(
        f"{suitecrm.url}/Api/access_token",
        data={
            "grant_type": "password",
            "client_id": suitecrm.client_id,
            "client_secret": suitecrm.client_secret,
            "username": suitecrm.user,
            "password": wrong,
        },
    )
    assert raw.status_code == 500 and wrong in raw.text
    # ... the client reports a credentials problem (not a retryable 500) without it.
    settings = replace(SuiteCrmSettings.parse(suitecrm.connection()), password=wrong)
    with SuiteCrmClient(settings) as client, pytest.raises(PermanentError) as caught:
        client.current_user()
    assert not isinstance(caught.value, TransientError)
    assert "password is invalid: ***" in str(caught.value)
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)


def test_unknown_user_is_permanent(suitecrm: SuiteCrmInstance) -> None:
    settings = replace(SuiteCrmSettings.parse(suitecrm.connection()), username="nobody-here")
    with SuiteCrmClient(settings) as client, pytest.raises(PermanentError, match="No user found"):
        client.current_user()


def test_a_client_only_accepts_its_own_grant(suitecrm: SuiteCrmInstance) -> None:
    # The client_credentials client asked for a password grant.
    settings = replace(
        SuiteCrmSettings.parse(suitecrm.connection()),
        client_id=suitecrm.cc_client_id,
        client_secret=suitecrm.cc_client_secret,
    )
    with SuiteCrmClient(settings) as client, pytest.raises(PermanentError, match="'Password' client"):
        client.current_user()


def test_secrets_are_not_in_reprs(client: SuiteCrmClient, suitecrm: SuiteCrmInstance) -> None:
    client.current_user()
    token = client.tokens.current()
    assert token is not None
    shown = " ".join(repr(x) for x in (client, client.settings, client.tokens, token))
    for secret in (suitecrm.password, suitecrm.client_secret, token.access_token, token.refresh_token):
        assert secret and secret not in shown


# ---------------------------------------------------------------- transport failures (no SuiteCRM needed)


_TOKEN_JSON = b'{"token_type":"Bearer","expires_in":3600,"access_token":"t"}'
TOKEN_ANSWER = (
    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(_TOKEN_JSON)}\r\n\r\n".encode()
    + _TOKEN_JSON
)


def _read_request(conn: socket.socket) -> bytes:
    """The whole request, body included: closing with unread bytes makes the kernel reset the
    connection, and the client would then see a reset instead of the answer (a flake under load)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    headers = head.split(b"\r\n")
    sizes = [line.split(b":", 1)[1] for line in headers if line.lower().startswith(b"content-length:")]
    length = int(sizes[0]) if sizes else 0
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


@pytest.fixture
def http_stub() -> Iterator[Callable[[bytes, bytes], int]]:
    """A socket on 127.0.0.1 that answers raw HTTP: ``token`` to the token endpoint, ``api`` to the rest
    (b"" = accept and never answer). SuiteCRM cannot be made to send 429/503 or to hang on purpose.
    Every answer says ``Connection: close``, as the stub closes after it: without it the client could
    reuse the socket before it saw the close, and meet a reset instead of the next answer."""
    servers: list[socket.socket] = []

    def serve(token: bytes, api: bytes) -> int:
        server = socket.create_server(("127.0.0.1", 0))
        servers.append(server)

        def loop() -> None:
            held = []
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                request = _read_request(conn)
                answer = token if b"/Api/access_token" in request.split(b"\r\n", 1)[0] else api
                if answer:
                    conn.sendall(answer)
                    conn.close()
                else:
                    held.append(conn)

        threading.Thread(target=loop, daemon=True).start()
        return int(server.getsockname()[1])

    yield serve
    for server in servers:
        server.close()


def _settings(port: int, **extra: str) -> SuiteCrmSettings:
    conn = ConnectionSettings(
        "suitecrm",
        host="127.0.0.1",
        port=port,
        login="stub-user",
        password="stub-password",
        extra={"scheme": "http", "client_id": "stub-client", "client_secret": "stub-secret", **extra},
    )
    return SuiteCrmSettings.parse(conn)


UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
NOT_JSON = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 22\r\n\r\n<b>Fatal error</b>: x\n"
TOO_MANY = (
    b"HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n"
)


@pytest.mark.parametrize(
    ("token", "api", "retry_after"),
    [
        (UNAVAILABLE, b"", None),
        (TOO_MANY, b"", 7.0),
        (TOKEN_ANSWER, UNAVAILABLE, None),
        (TOKEN_ANSWER, TOO_MANY, 7.0),
        (TOKEN_ANSWER, NOT_JSON, None),
    ],
    ids=["token-503", "token-429", "api-503", "api-429", "api-200-not-json"],
)
def test_429_and_5xx_are_transient(
    http_stub: Callable[[bytes, bytes], int], token: bytes, api: bytes, retry_after: float | None
) -> None:
    with SuiteCrmClient(_settings(http_stub(token, api))) as client, pytest.raises(TransientError) as caught:
        client.current_user()
    assert caught.value.retry_after == retry_after


def test_an_api_that_does_not_answer_is_transient(http_stub: Callable[[bytes, bytes], int]) -> None:
    settings = _settings(http_stub(TOKEN_ANSWER, b""), timeout="0.3")
    with SuiteCrmClient(settings) as client, pytest.raises(TransientError, match="timed out"):
        client.current_user()


def test_nothing_listening_is_transient() -> None:
    sock = socket.create_server(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    with SuiteCrmClient(_settings(port)) as client, pytest.raises(TransientError, match="not reachable"):
        client.current_user()
