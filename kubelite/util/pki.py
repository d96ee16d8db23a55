"""The cluster's certificates: a CA made at first start, serving and client certificates.

`ensure_cluster_pki(dir, hosts)` creates (once) and reloads (afterwards):

    ca.crt / ca.key              the cluster CA (10 years)
    apiserver.crt / .key         serving certificate for the API server; SANs cover the
                                 given hosts and IPs plus localhost/127.0.0.1 and the
                                 `kubernetes` Service names and ClusterIP
    admin.crt / admin.key        client certificate CN=kubernetes-admin, O=system:masters
    apiserver-kubelet-client.crt / .key
                                 the API server's client certificate to kubelets,
                                 CN=kube-apiserver-kubelet-client, O=system:masters
    service-account.key          key pair that will sign service-account tokens

Kubernetes maps a client certificate to a user by subject: CN is the user name, each O a
group. Certificates are ECDSA P-256, which TLS libraries everywhere accept and which
is fast to make and to verify.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_YEARS_10 = dt.timedelta(days=3650)
_YEAR = dt.timedelta(days=365)


@dataclass(slots=True, frozen=True)
class CertPair:
    cert: Path
    key: Path


@dataclass(slots=True, frozen=True)
class ClusterPKI:
    ca: CertPair
    apiserver: CertPair
    admin: CertPair
    service_account_key: Path
    kubelet_client: CertPair


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(path, data)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _name(cn: str, orgs: tuple[str, ...] = ()) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def make_ca(common_name: str = "kubelite-ca") -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _new_key()
    now = dt.datetime.now(dt.UTC)
    name = _name(common_name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _YEARS_10)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def issue(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    *,
    common_name: str,
    organizations: tuple[str, ...] = (),
    hosts: tuple[str, ...] = (),
    server: bool = False,
    client: bool = False,
    validity: dt.timedelta = _YEAR,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A leaf certificate signed by the CA. `hosts` become DNS or IP SANs."""
    key = _new_key()
    now = dt.datetime.now(dt.UTC)
    usages = []
    if server:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    if client:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organizations))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=False,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if hosts:
        sans: list[x509.GeneralName] = []
        for h in dict.fromkeys(hosts):
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(h)))
            except ValueError:
                sans.append(x509.DNSName(h))
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def apiserver_hosts(extra: tuple[str, ...], service_ip: str) -> tuple[str, ...]:
    import socket

    names = [
        "localhost",
        "127.0.0.1",
        "::1",
        socket.gethostname(),
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        service_ip,
    ]
    return tuple(dict.fromkeys([*names, *extra]))


def ensure_cluster_pki(
    directory: Path, *, hosts: tuple[str, ...] = (), service_ip: str = "10.96.0.1"
) -> ClusterPKI:
    """Create the cluster's certificates under `directory` unless they exist; return paths."""
    directory.mkdir(parents=True, exist_ok=True)
    pki = ClusterPKI(
        ca=CertPair(directory / "ca.crt", directory / "ca.key"),
        apiserver=CertPair(directory / "apiserver.crt", directory / "apiserver.key"),
        admin=CertPair(directory / "admin.crt", directory / "admin.key"),
        service_account_key=directory / "service-account.key",
        kubelet_client=CertPair(
            directory / "apiserver-kubelet-client.crt", directory / "apiserver-kubelet-client.key"
        ),
    )
    if pki.ca.cert.exists() and pki.ca.key.exists():
        ca_cert, ca_key = load_cert(pki.ca.cert), load_key(pki.ca.key)
    else:
        ca_cert, ca_key = make_ca()
        write_key(pki.ca.key, ca_key)
        write_cert(pki.ca.cert, ca_cert)
    wanted = apiserver_hosts(hosts, service_ip)
    if not pki.apiserver.cert.exists() or not covers(load_cert(pki.apiserver.cert), wanted):
        cert, key = issue(ca_cert, ca_key, common_name="kube-apiserver", hosts=wanted, server=True)
        write_key(pki.apiserver.key, key)
        write_cert(pki.apiserver.cert, cert)
    if not pki.admin.cert.exists():
        cert, key = issue(
            ca_cert, ca_key, common_name="kubernetes-admin", organizations=("system:masters",), client=True
        )
        write_key(pki.admin.key, key)
        write_cert(pki.admin.cert, cert)
    if not pki.kubelet_client.cert.exists():
        cert, key = issue(
            ca_cert,
            ca_key,
            common_name="kube-apiserver-kubelet-client",
            organizations=("system:masters",),
            client=True,
        )
        write_key(pki.kubelet_client.key, key)
        write_cert(pki.kubelet_client.cert, cert)
    if not pki.service_account_key.exists():
        write_key(pki.service_account_key, _new_key())
    return pki


def covers(cert: x509.Certificate, hosts: tuple[str, ...]) -> bool:
    """Whether the certificate's SANs name every one of `hosts`."""
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    present = {str(v) for v in sans.get_values_for_type(x509.IPAddress)}
    present |= set(sans.get_values_for_type(x509.DNSName))
    normalized = set()
    for h in hosts:
        try:
            normalized.add(str(ipaddress.ip_address(h)))
        except ValueError:
            normalized.add(h)
    return normalized <= present


def subject_user(cert: x509.Certificate) -> tuple[str, list[str]]:
    """(user, groups) of a client certificate: CN and the O values."""
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    orgs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return (str(cn[0].value) if cn else ""), [str(o.value) for o in orgs]
