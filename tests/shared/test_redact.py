"""Redaction: planted secrets in realistic places disappear; ordinary identifiers and names stay."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import string

import pytest

from shared.redact import (
    MASK,
    RedactingFilter,
    install_log_redaction,
    redact,
    redact_value,
    register_secret_values,
)

RNG = secrets.SystemRandom()
REQUEST_ID = "2f7a5b9c-1d3e-4f60-8a7b-9c0d1e2f3a4b"


def b64url(n: int) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(n)).rstrip(b"=").decode()


def a_jwt() -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"RS256","typ":"JWT","kid":"k1"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps({"aud": "x", "oid": "y"}).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{b64url(256)}"


def an_entra_secret() -> str:
    alphabet = string.ascii_letters + string.digits + "_~.-"
    def pick(n: int) -> str:
        return "".join(RNG.choice(alphabet) for _ in range(n))

    return pick(3) + "8Q~" + pick(34)


def a_storage_key() -> str:
    return base64.b64encode(secrets.token_bytes(64)).decode()


def a_password() -> str:
    return "P@ss-" + secrets.token_hex(8)


# Each context plants one secret (`{s}`) where real systems put it.
CONTEXTS = [
    ("Authorization: Bearer {s}", a_jwt),
    ("authorization: bearer {s}", lambda: b64url(40)),
    ('{{"headers": {{"Authorization": "Bearer {s}"}}}}', a_jwt),
    ("{{'Authorization': 'Basic {s}'}}", lambda: base64.b64encode(secrets.token_bytes(12)).decode()),
    ("request failed with token {s} for tenant", a_jwt),
    ("client_id=abc&client_secret={s}&grant_type=client_credentials", an_entra_secret),
    ("client_id=abc&client_secret={s}&scope=https%3A%2F%2Fgraph", lambda: secrets.token_hex(20)),
    ('{{"client_secret": "{s}", "client_id": "abc"}}', lambda: secrets.token_urlsafe(24)),
    ("client_assertion_type=urn%3Aietf&client_assertion={s}", a_jwt),
    ("AADSTS7000215: Invalid client secret provided. Ensure the secret sent is {s}.", an_entra_secret),
    ("https://acct.blob.core.windows.net/snap/x.json?sv=2024-05-04&sr=b&sp=r&sig={s}", lambda: b64url(32)),
    ("<Error><Code>AuthenticationFailed</Code><Message>sig={s}</Message></Error>", lambda: b64url(32)),
    ("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={s};EndpointSuffix=core", a_storage_key),
    ("BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature={s}", lambda: b64url(32)),
    ("storage key {s} was rotated", a_storage_key),
    ("Server=db;User Id=sa;Password={s};", a_password),
    ('{{"password": "{s}"}}', a_password),
    ("password: {s}", a_password),
    ("-----BEGIN RSA PRIVATE KEY-----\n{s}\n-----END RSA PRIVATE KEY-----", lambda: b64url(600)),
    ('{{"key": "-----BEGIN PRIVATE KEY-----\\n{s}\\n-----END PRIVATE KEY-----"}}', lambda: b64url(600)),
    ("truncated -----BEGIN PRIVATE KEY-----\n{s}", lambda: b64url(300)),
    ("refresh_token={s}&access_token=x", lambda: b64url(60)),
]


@pytest.mark.parametrize(("template", "make"), CONTEXTS)
def test_planted_secret_is_removed(template: str, make: object) -> None:
    for _ in range(25):
        secret = make()  # type: ignore[operator]
        text = template.format(s=secret)
        redacted = redact(text)
        assert secret not in redacted, redacted
        assert "REDACTED" in redacted
        assert redact(redacted) == redacted, "idempotent"


def test_graph_error_body_keeps_its_code_message_and_request_id() -> None:
    token, secret = a_jwt(), an_entra_secret()
    body = json.dumps(
        {
            "error": {
                "code": "Authorization_RequestDenied",
                "message": f"Insufficient privileges. Authorization: Bearer {token} secret {secret}",
                "innerError": {"request-id": REQUEST_ID, "date": "2026-01-01T00:00:00"},
            }
        }
    )
    redacted = json.loads(redact(body))
    assert token not in json.dumps(redacted) and secret not in json.dumps(redacted)
    assert redacted["error"]["code"] == "Authorization_RequestDenied"
    assert redacted["error"]["innerError"]["request-id"] == REQUEST_ID
    assert redacted["error"]["message"].startswith("Insufficient privileges.")


def test_exception_text_with_secrets_in_a_url_and_a_header() -> None:
    sas, token = b64url(32), a_jwt()
    try:
        headers = {"Authorization": f"Bearer {token}"}
        raise RuntimeError(f"GET https://a.blob.core.windows.net/c/b?sp=r&sig={sas} failed; {headers}")
    except RuntimeError as exc:
        text = redact(str(exc))
    assert sas not in text and token not in text
    assert "https://a.blob.core.windows.net/c/b?sp=r&sig=" in text


ORDINARY = [
    "Policy 'Windows 10 - Security Baseline (Contoso)' captured in 1.2 s",
    "tenant 8f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f run 0c4f1a5e2b7d4c3a9e8f7a6b5c4d3e2f",
    "item deviceConfigurations/7f3c2a1e-8b4d-4c6e-9f0a-1b2c3d4e5f60 version 3",
    '{"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "passwordRequired": true}',
    '{"passwordMinimumLength": 8, "passwordBlockSimple": false}',
    '{"password": null, "passwordExpirationDays": 90}',
    "GET https://graph.microsoft.com/beta/deviceManagement/configurationPolicies?$top=25&$skiptoken=abc",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "Authorization_RequestDenied: Insufficient privileges to complete the operation.",
    "The signature of the token was checked; the secret store is Key Vault.",
    "eyJ is how a JWT starts, and a.b.c is not one",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_stays_intact(text: str) -> None:
    assert redact(text) == text


def test_configured_values_are_masked_also_url_encoded() -> None:
    register_secret_values(["s3cr3t value/with+chars", "short"])
    text = (
        "form client_id=x&cs=s3cr3t%20value%2Fwith%2Bchars; raw: s3cr3t value/with+chars; "
        "plus: s3cr3t+value%2Fwith%2Bchars"
    )
    redacted = redact(text)
    assert "s3cr3t" not in redacted
    assert redacted.count(MASK) == 3
    assert redact("a short word") == "a short word", "values under 8 characters are not matched literally"


def test_redact_value_walks_nested_values_and_masks_secret_members() -> None:
    token = a_jwt()
    value = {
        "error": {"message": f"bad token {token}", "codes": [7000215, "x"]},
        "client_secret": "plain-but-named",
        "headers": [{"Authorization": "Basic abc"}],
        "password": None,
        "displayName": "Baseline",
    }
    redacted = redact_value(value)
    assert token not in json.dumps(redacted)
    assert redacted["client_secret"] == MASK
    assert redacted["headers"][0]["Authorization"] == MASK
    assert redacted["password"] is None
    assert redacted["displayName"] == "Baseline"
    assert redacted["error"]["codes"] == [7000215, "x"]


def test_logging_filter_redacts_arguments_and_exception_text(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.redact.filter")
    secret = an_entra_secret()
    handler_filter = RedactingFilter()
    caplog.handler.addFilter(handler_filter)
    try:
        try:
            raise ValueError(f"client_secret={secret}")
        except ValueError:
            logger.exception("token call failed for %s", f"Bearer {a_jwt()}")
    finally:
        caplog.handler.removeFilter(handler_filter)
    assert secret not in caplog.text
    assert "eyJ" not in caplog.text
    assert "token call failed for Bearer [REDACTED]" in caplog.text
    assert "client_secret=[REDACTED]" in caplog.text


def test_installed_record_factory_redacts_every_logger(caplog: pytest.LogCaptureFixture) -> None:
    original = logging.getLogRecordFactory()
    try:
        install_log_redaction()
        install_log_redaction()
        secret = a_storage_key()
        logging.getLogger("some.library.deep.inside").warning("AccountKey=%s;", secret)
        assert secret not in caplog.text
        assert "AccountKey=[REDACTED];" in caplog.text
    finally:
        logging.setLogRecordFactory(original)
        import shared.redact

        shared.redact._installed = False
