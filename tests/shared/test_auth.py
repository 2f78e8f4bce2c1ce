"""Token validation with real RSA keys and real JWTs, through the dev JWKS file path the app uses locally."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local.tokens import DevSigningKey, demo_object_id, ensure_dev_signing_key, mint_token, write_jwks
from shared.auth.errors import (
    InvalidToken,
    MissingToken,
    SigningKeysUnavailable,
    TokenExpired,
    TokenNotYetValid,
    Unauthenticated,
    WrongAudience,
    WrongIssuer,
)
from shared.auth.jwks import JwksCache, jwks_fetcher
from shared.auth.principal import PrincipalKind
from shared.auth.tokens import TokenValidator, bearer_token
from shared.config.settings import DEV_AUDIENCE, DEV_ISSUER, AuthSettings, Settings

APP_ID = "3c1e5b7a-9d2f-4e6a-8b0c-1d2e3f4a5b6c"
API_CLIENT_ID = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def auth_dir(tmp_path: Path) -> Path:
    return tmp_path / "dev-auth"


@pytest.fixture
def key(auth_dir: Path) -> DevSigningKey:
    return ensure_dev_signing_key(auth_dir)


@pytest.fixture
def validator(key: DevSigningKey, auth_dir: Path) -> TokenValidator:
    url = (auth_dir / "jwks.json").as_uri()
    settings = AuthSettings((DEV_AUDIENCE,), (DEV_ISSUER,), url, 60, True)
    return TokenValidator(settings, JwksCache(jwks_fetcher(url)))


def test_user_token_gives_a_user_keyed_by_oid(key: DevSigningKey, validator: TokenValidator) -> None:
    principal = validator.validate(mint_token(key, principal_name="alice@contoso"))
    assert principal.kind is PrincipalKind.USER
    assert principal.id == demo_object_id("alice@contoso")
    assert principal.key == f"user:{demo_object_id('alice@contoso')}"
    assert principal.display_name == "alice@contoso"


def test_app_token_gives_an_app_keyed_by_client_id(key: DevSigningKey, validator: TokenValidator) -> None:
    principal = validator.validate(mint_token(key, principal_name="automation", is_app=True, app_id=APP_ID))
    assert principal.kind is PrincipalKind.APP
    assert principal.key == f"app:{APP_ID}"


def test_v1_token_without_idtyp_or_scp_is_an_app(key: DevSigningKey, validator: TokenValidator) -> None:
    v1_claims = {"appid": APP_ID, "azp": None, "idtyp": None}
    token = mint_token(key, principal_name="x", is_app=True, extra_claims=v1_claims)
    principal = validator.validate(token)
    assert (principal.kind, principal.id) == (PrincipalKind.APP, APP_ID)


def test_user_token_without_oid_is_invalid(key: DevSigningKey, validator: TokenValidator) -> None:
    with pytest.raises(InvalidToken, match="oid"):
        validator.validate(mint_token(key, principal_name="bob", extra_claims={"oid": None}))


@pytest.mark.parametrize(
    ("header", "error"),
    [(None, MissingToken), ("", MissingToken), ("  ", MissingToken), ("Basic dXNlcjpw", InvalidToken),
     ("Bearer", InvalidToken)],
)
def test_authorization_header_shapes(header: str | None, error: type[Exception]) -> None:
    with pytest.raises(error):
        bearer_token(header)
    assert bearer_token("bearer  abc.def.ghi ") == "abc.def.ghi"


def test_expired_token(key: DevSigningKey, validator: TokenValidator) -> None:
    with pytest.raises(TokenExpired) as raised:
        validator.validate(mint_token(key, principal_name="alice", expires_in=-120))
    assert raised.value.code == "auth.token_expired"
    assert raised.value.status == 401


def test_clock_skew_tolerates_a_just_expired_token(key: DevSigningKey, validator: TokenValidator) -> None:
    principal = validator.validate(mint_token(key, principal_name="alice", expires_in=-30))
    assert principal.kind is PrincipalKind.USER


def test_not_yet_valid_token(key: DevSigningKey, validator: TokenValidator) -> None:
    with pytest.raises(TokenNotYetValid):
        validator.validate(mint_token(key, principal_name="alice", not_before_in=600, expires_in=3600))


def test_wrong_audience(key: DevSigningKey, validator: TokenValidator) -> None:
    with pytest.raises(WrongAudience) as raised:
        validator.validate(mint_token(key, principal_name="alice", audience="https://graph.microsoft.com"))
    assert raised.value.code == "auth.wrong_audience"


def test_wrong_issuer(key: DevSigningKey, validator: TokenValidator) -> None:
    with pytest.raises(WrongIssuer):
        validator.validate(mint_token(key, principal_name="alice", issuer="https://sts.windows.net/x/"))


def test_token_signed_by_another_key_under_a_known_kid(key: DevSigningKey, validator: TokenValidator) -> None:
    impostor = DevSigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), key.kid)
    with pytest.raises(InvalidToken, match="signature"):
        validator.validate(mint_token(impostor, principal_name="alice"))


def test_unknown_kid(key: DevSigningKey, validator: TokenValidator) -> None:
    stranger = DevSigningKey(key.private_key, "not-a-published-kid")
    with pytest.raises(InvalidToken, match="key the issuer does not publish"):
        validator.validate(mint_token(stranger, principal_name="alice"))


def _claims() -> dict[str, object]:
    now = int(time.time())
    return {"iss": DEV_ISSUER, "aud": DEV_AUDIENCE, "exp": now + 600, "oid": demo_object_id("eve")}


def _part(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused(key: DevSigningKey, validator: TokenValidator) -> None:
    unsigned = f"{_part({'alg': 'none', 'kid': key.kid})}.{_part(_claims())}."
    with pytest.raises(InvalidToken, match="RS256"):
        validator.validate(unsigned)


def test_hs256_signed_with_the_public_key_is_refused(key: DevSigningKey, validator: TokenValidator) -> None:
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{_part({'alg': 'HS256', 'kid': key.kid})}.{_part(_claims())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(InvalidToken, match="RS256"):
        validator.validate(forged)


KID_IS_A_NUMBER = "eyJhbGciOiAiUlMyNTYiLCAia2lkIjogMTIzNDV9.e30.eA"
"""Header `{"alg": "RS256", "kid": 12345}`: PyJWT refuses it with an error that is no DecodeError."""


@pytest.mark.parametrize(
    "garbage",
    [
        "abc",
        "abc.def",
        "a.b.c",
        "eyJ.eyJ.x",
        "x" * 20_000,
        KID_IS_A_NUMBER,
        "\xff\xfe\xfa.e30.eA",  # bytes that were not UTF-8, as a host widens them (Latin-1)
        "eyJhbGciOiJSUzI1NiJ9.e30.eA\n",
        "a.b.c.d",
        "..",
        "é.é.é",
        _part({"alg": "RS256", "kid": ["a"]}) + ".e30.eA",
        _part({"alg": "RS256", "kid": "k", "crit": [1]}) + ".e30.eA",
        base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).rstrip(b"=").decode() + ".e30.eA",
        base64.urlsafe_b64encode(b"\xff\xfe").rstrip(b"=").decode() + ".e30.eA",
    ],
)
def test_malformed_tokens(validator: TokenValidator, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        validator.validate(garbage)


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": float("inf")},
        {"exp": "soon"},
        {"nbf": float("nan")},
        {"iat": 10**400},
        {"aud": [1, 2]},
        {"iss": 5},
        {"oid": 7},
        {"idtyp": ["app"]},
    ],
)
def test_signed_tokens_with_claims_of_the_wrong_type_are_401s(
    key: DevSigningKey, validator: TokenValidator, claims: dict[str, object]
) -> None:
    payload = json.dumps({**_claims(), **claims}).encode()  # PyJWT refuses to encode some of these itself
    token = jwt.api_jws.encode(payload, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    with pytest.raises(Unauthenticated) as raised:
        validator.validate(token)
    assert raised.value.status == 401


def test_entra_v1_and_v2_issuers_of_an_allowed_tenant(key: DevSigningKey, auth_dir: Path) -> None:
    tenant = "8f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
    settings = Settings.from_env(
        {
            "AzureWebJobsStorage": "AccountName=a;AccountKey=b",
            "TENANTATLAS_AUTH_AUDIENCE": f"api://tenantatlas,{API_CLIENT_ID}",
            "TENANTATLAS_AUTH_TENANT_IDS": tenant,
            "TENANTATLAS_AUTH_JWKS_URL": "https://login.microsoftonline.com/common/discovery/v2.0/keys",
        }
    )
    keys = JwksCache(jwks_fetcher((auth_dir / "jwks.json").as_uri()))
    validator = TokenValidator(settings.auth, keys)
    for issuer in (f"https://sts.windows.net/{tenant}/", f"https://login.microsoftonline.com/{tenant}/v2.0"):
        token = mint_token(key, principal_name="a", issuer=issuer, audience=API_CLIENT_ID)
        assert validator.validate(token).kind is PrincipalKind.USER
    other = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0"
    with pytest.raises(WrongIssuer):
        validator.validate(mint_token(key, principal_name="a", issuer=other, audience="api://tenantatlas"))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_unknown_kids_refresh_the_keys_at_most_once_per_interval(key: DevSigningKey, auth_dir: Path) -> None:
    fetch = jwks_fetcher((auth_dir / "jwks.json").as_uri())
    calls: list[float] = []
    clock = FakeClock()

    def counting_fetch() -> object:
        calls.append(clock.now)
        return fetch()

    cache = JwksCache(counting_fetch, min_refresh_seconds=60, clock=clock)  # type: ignore[arg-type]
    assert cache.get(key.kid) is not None
    for attempt in range(50):
        assert cache.get(f"random-{attempt}") is None
    assert len(calls) == 1, "a flood of unknown kids is not a flood of JWKS downloads"
    clock.now += 61
    assert cache.get("random-again") is None
    assert len(calls) == 2


def test_rotated_key_is_found_and_a_failed_refresh_keeps_old_keys(key: DevSigningKey, auth_dir: Path) -> None:
    clock = FakeClock()
    jwks_file = auth_dir / "jwks.json"
    cache = JwksCache(jwks_fetcher(jwks_file.as_uri()), min_refresh_seconds=60, clock=clock)
    assert cache.get(key.kid) is not None
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write_jwks(jwks_file, [(key.kid, key.private_key.public_key()), ("rotated", new_key.public_key())])
    clock.now += 61
    assert cache.get("rotated") is not None
    jwks_file.write_text("not json")
    clock.now += 24 * 3600
    assert cache.get(key.kid) is not None, "the JWKS endpoint failing does not lock every caller out"


def test_no_keys_at_all_is_a_503_not_a_401(tmp_path: Path) -> None:
    cache = JwksCache(jwks_fetcher((tmp_path / "missing.json").as_uri()))
    with pytest.raises(SigningKeysUnavailable) as raised:
        cache.get("any")
    assert (raised.value.status, raised.value.code) == (503, "auth.signing_keys_unavailable")


def test_jwks_over_plain_http_is_refused() -> None:
    with pytest.raises(ValueError, match="https"):
        jwks_fetcher("http://login.example/keys")
