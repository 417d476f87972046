"""A throwaway certificate authority and server certificate so ``cwdesk sandbox serve --tls`` speaks HTTPS.

Many ConnectWise scripts hard-code ``https://``; they run against the sandbox unchanged once they trust the CA
``.pem`` this writes (``SSL_CERT_FILE``, ``REQUESTS_CA_BUNDLE``, ``NODE_EXTRA_CA_CERTS``, ``httpx.Client(verify=...)``).

Every ``--tls`` sandbox gets a folder of its own (``run_folder``), so a second sandbox started while the first runs
never overwrites the CA the first one's clients trust. The folder is readable by its owner only and the server's
private key is created with mode 0600 (never world-readable, not even for a moment); the CA's private key is never
written at all: it signs the one server certificate and is dropped.
Not for: production TLS.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class TLSFiles:
    ca_pem: Path
    """The CA certificate clients should trust."""
    cert_pem: Path
    key_pem: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cwdesk sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def run_folder(root: Path, port: int) -> Path:
    """A new, private folder under ``root`` for one sandbox run on ``port`` (``port-8901-<random>``)."""
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"port-{port}-", dir=root))  # mkdtemp creates it with mode 0700


def _write(path: Path, content: bytes, mode: int) -> None:
    # O_EXCL: a file left by someone else is never reused; the mode applies from creation on.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)


def make_certificates(folder: Path, hosts: list[str]) -> TLSFiles:
    """Write a new CA and a server certificate for ``hosts`` (names or IP addresses) into ``folder``.

    ``folder`` must not hold certificates yet (use ``run_folder`` for a new one): existing files are never replaced.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("cwdesk sandbox CA"))
        .issuer_name(_name("cwdesk sandbox CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys([*hosts, "localhost", "127.0.0.1"]):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0] if hosts else "localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TLSFiles(folder / "sandbox-ca.pem", folder / "sandbox-cert.pem", folder / "sandbox-key.pem")
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        _write(files.ca_pem, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
        _write(files.cert_pem, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        _write(files.key_pem, private, 0o600)
    except FileExistsError as exc:
        raise FileExistsError(
            f"{exc.filename} already exists: each sandbox needs a folder of its own (see run_folder)."
        ) from None
    return files
