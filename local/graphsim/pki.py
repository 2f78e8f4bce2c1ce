"""Keys and certificates made at start: a CA, the loopback server certificate, app certificates.

Nothing here is ever written into the repository; every run makes fresh keys. The CA and
server use ECDSA P-256 (fast TLS handshakes); app certificates use RSA because Entra's client
assertions are RS256 or PS256.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = datetime.timedelta(days=30)


@dataclass(frozen=True)
class TlsMaterial:
    """PEM bytes of the CA certificate (for clients to trust) and the server's certificate and key."""

    ca_cert_pem: bytes
    server_cert_pem: bytes
    server_key_pem: bytes


@dataclass(frozen=True)
class AppCertificate:
    """An app's certificate credential: PEMs for the client, thumbprints as Entra's `x5t` headers use them."""

    cert_pem: bytes
    key_pem: bytes
    x5t: str
    """base64url SHA-1 thumbprint."""
    x5t_s256: str
    """base64url SHA-256 thumbprint."""
    public_key: rsa.RSAPublicKey

    @property
    def thumbprint(self) -> str:
        """SHA-1 thumbprint in hex, as the Azure portal shows it and MSAL's `thumbprint` takes it."""
        padded = self.x5t + "=" * (-len(self.x5t) % 4)
        return base64.urlsafe_b64decode(padded).hex().upper()


def make_tls_material(hostnames: list[str]) -> TlsMaterial:
    """A fresh CA and a server certificate for the given loopback names and addresses."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _common_name("graphsim local CA")
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        _builder(_common_name(hostnames[0]), ca_name, server_key.public_key())
        .add_extension(x509.SubjectAlternativeName(_alt_names(hostnames)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return TlsMaterial(
        ca_cert_pem=ca_cert.public_bytes(serialization.Encoding.PEM),
        server_cert_pem=server_cert.public_bytes(serialization.Encoding.PEM),
        server_key_pem=_private_pem(server_key),
    )


def make_app_certificate(common_name: str) -> AppCertificate:
    """A self-signed RSA certificate, the way app registrations usually get one."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _common_name(common_name)
    cert = _builder(name, name, key.public_key()).sign(key, hashes.SHA256())
    return app_certificate_from_pem(cert.public_bytes(serialization.Encoding.PEM), _private_pem(key))


def app_certificate_from_pem(cert_pem: bytes, key_pem: bytes = b"") -> AppCertificate:
    """Load a certificate an admin registers (its key stays with the client, so `key_pem` may be empty)."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    public_key = cert.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ValueError("An app certificate must hold an RSA key: Entra assertions are RS256 or PS256.")
    return AppCertificate(
        cert_pem=cert_pem,
        key_pem=key_pem,
        x5t=_b64url(cert.fingerprint(hashes.SHA1())),  # noqa: S303 - the x5t header is defined as SHA-1
        x5t_s256=_b64url(cert.fingerprint(hashes.SHA256())),
        public_key=public_key,
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
    )


def _common_name(value: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, value)])


def _alt_names(hostnames: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _private_pem(key: CertificateIssuerPrivateKeyTypes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
