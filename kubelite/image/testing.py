"""Registries for tests and benchmarks: a local one holding busybox, and a token issuer.

No test may reach the Internet, so the image tests pull from Debian's `docker-registry`
(Docker's distribution) on 127.0.0.1, run by `LocalRegistry` with its storage in a directory
of the caller's. The image they pull is built here (`build_busybox_layout`): an OCI layout
with one image, `busybox:latest`, made with umoci from Debian's static busybox and its
applets, pushed with skopeo (`push`).

A registry configured with `auth: token` answers an anonymous request with
`401 WWW-Authenticate: Bearer realm=...,service=...,scope=...`; the client asks the realm
for a token (with basic credentials), then retries with `Authorization: Bearer`. The
token is a JWT signed with a key whose certificate the registry trusts
(`rootcertbundle`), naming the issuer, the service (audience) and the granted access.

`TokenIssuer` is such a realm, small enough for tests: it knows one user, grants every
action asked for on any repository, signs RS256 JWTs carrying its certificate in `x5c`,
and counts the tokens it issued. Run it next to a `LocalRegistry` whose `auth` is
`registry_auth_config()`.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from kubelite.util.net import free_port
from kubelite.util.process import exit_with_parent, stop_process
from kubelite.util.testing import wait_for_port

BUSYBOX = "/bin/busybox"
# What the registry harness runs -> the Debian package that has it.
TOOLS = {
    "docker-registry": "docker-registry",
    "umoci": "umoci",
    "skopeo": "skopeo",
    BUSYBOX: "busybox-static",
}


def missing_tools() -> list[str]:
    """The Debian packages these harnesses need and this machine lacks."""
    return sorted(
        package
        for tool, package in TOOLS.items()
        if not (os.path.exists(tool) if tool.startswith("/") else shutil.which(tool))
    )


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def build_busybox_layout(work: Path) -> Path:
    """An OCI layout in `work` with one image, busybox:latest: the static busybox, a symlink
    per applet, root and nobody in /etc/passwd; its command `sh`, PATH=/bin."""
    layout, bundle = work / "layout", work / "bundle"
    _run("umoci", "init", "--layout", str(layout))
    _run("umoci", "new", "--image", f"{layout}:latest")
    _run("umoci", "unpack", "--image", f"{layout}:latest", str(bundle))
    rootfs = bundle / "rootfs"
    for d in ("bin", "etc", "tmp", "root"):
        (rootfs / d).mkdir(exist_ok=True)
    shutil.copy2(BUSYBOX, rootfs / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        if applet != "busybox":
            (rootfs / "bin" / applet).symlink_to("busybox")
    (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n")
    (rootfs / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
    _run("umoci", "repack", "--image", f"{layout}:latest", str(bundle))
    config = ("--config.cmd", "sh", "--config.env", "PATH=/bin", "--config.workingdir", "/")
    _run("umoci", "config", "--image", f"{layout}:latest", *config)
    return layout


def push(layout: Path, ref: str, *, layout_tag: str = "latest", creds: str = "") -> None:
    """Copy the layout's image `layout_tag` to `ref` (host:port/name:tag) over plain HTTP;
    `creds` is user:password for a registry that wants them."""
    auth = ("--dest-creds", creds) if creds else ()
    _run("skopeo", "copy", "--dest-tls-verify=false", *auth, f"oci:{layout}:{layout_tag}", f"docker://{ref}")


class LocalRegistry:
    """Debian's docker-registry on a free 127.0.0.1 port, storing under `root`; `auth` is the
    configuration's `auth:` section (a `TokenIssuer`'s, say), none by default."""

    def __init__(self, root: Path, *, auth: dict[str, Any] | None = None) -> None:
        self.root = root
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        config: dict[str, Any] = {
            "version": 0.1,
            "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
            "http": {"addr": self.address},
            "log": {"level": "error"},
        }
        if auth is not None:
            config["auth"] = auth
        root.mkdir(parents=True, exist_ok=True)
        (root / "config.yml").write_text(json.dumps(config))  # YAML is a superset of JSON
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> LocalRegistry:
        self._proc = subprocess.Popen(
            ["docker-registry", "serve", str(self.root / "config.yml")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=exit_with_parent(),
        )
        try:
            wait_for_port(self.port, "the registry")
        except BaseException:
            self.stop()
            raise
        return self

    def push(self, layout: Path, name: str, *, tag: str = "latest", creds: str = "") -> str:
        """Push the layout's image `latest` as `name:tag`; returns its reference."""
        ref = f"{self.address}/{name}:{tag}"
        push(layout, ref, creds=creds)
        return ref

    def stop(self) -> None:
        stop_process(self._proc)
        self._proc = None

    def __enter__(self) -> LocalRegistry:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenIssuer:
    def __init__(
        self,
        *,
        username: str,
        password: str,
        service: str = "kubelite-registry",
        issuer: str = "kubelite-test",
    ) -> None:
        self.username, self.password = username, password
        self.service, self.issuer = service, issuer
        self.issued = 0
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)])
        now = datetime.datetime.now(datetime.UTC)
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(self._key, hashes.SHA256())
        )
        self._runner: web.AppRunner | None = None
        self.realm = ""

    @property
    def cert_pem(self) -> bytes:
        return self._cert.public_bytes(serialization.Encoding.PEM)

    def registry_auth_config(self, bundle_path: str) -> dict[str, Any]:
        """The `auth:` section of a distribution registry config trusting this issuer."""
        return {
            "token": {
                "realm": self.realm,
                "service": self.service,
                "issuer": self.issuer,
                "rootcertbundle": bundle_path,
            }
        }

    def mint(self, access: list[dict[str, Any]], subject: str) -> str:
        header = {
            "typ": "JWT",
            "alg": "RS256",
            "x5c": [base64.b64encode(self._cert.public_bytes(serialization.Encoding.DER)).decode()],
        }
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def _authorized(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        return (user, password) == (self.username, self.password)

    async def _token(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"errors": [{"code": "UNAUTHORIZED"}]}, status=401)
        access = []
        for scope in request.query.getall("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        token = self.mint(access, self.username)
        self.issued += 1
        return web.json_response({"token": token, "access_token": token, "expires_in": 300})

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_get("/token", self._token)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.realm = f"http://{bound[0]}:{bound[1]}/token"
        return self.realm

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
