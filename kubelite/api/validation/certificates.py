"""certificates.k8s.io/v1: CertificateSigningRequest.

A request carries a PEM PKCS#10 request whose signature must verify; approval and the
issued certificate are written through the `approval` and `status` subresources, and
what each path may change is checked here (`subresource` says which path the update came
through). Signing is a controller's job (kube-controller-manager's signers), which
kubelite does not have yet: requests stay pending until someone approves and signs them.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from kubelite.api import names
from kubelite.api.errors import FieldError, duplicate, forbidden, invalid, not_supported, required, too_long
from kubelite.api.validation.fields import Errors, as_dict, as_list, as_str, index, is_int

USAGES = sorted(
    [
        "signing",
        "digital signature",
        "content commitment",
        "key encipherment",
        "key agreement",
        "data encipherment",
        "cert sign",
        "crl sign",
        "encipher only",
        "decipher only",
        "any",
        "server auth",
        "client auth",
        "code signing",
        "email protection",
        "s/mime",
        "ipsec end system",
        "ipsec tunnel",
        "ipsec user",
        "timestamping",
        "ocsp signing",
        "microsoft sgc",
        "netscape sgc",
    ]
)
LEGACY_SIGNER = "kubernetes.io/legacy-unknown"
APPROVAL_TYPES = ("Approved", "Denied")
_TRUE_ONLY = ("Approved", "Denied", "Failed")
_STATUSES = ["False", "True", "Unknown"]
_MAX_DOMAIN = 253
_MAX_SIGNER = 253 + (253 + 63 + 1) + 1


def validate_csr(csr: dict[str, Any], old: dict[str, Any] | None, subresource: str = "") -> Errors:
    spec = as_dict(csr.get("spec"))
    errs: Errors = []
    problem = _request_problem(spec.get("request"))
    if problem:
        errs.append(invalid("spec.request", as_str(spec.get("request")), problem))
    errs += _usages(as_list(spec.get("usages")))
    signer = as_str(spec.get("signerName"))
    if signer == LEGACY_SIGNER:
        errs.append(
            invalid("spec.signerName", signer, "the legacy signerName is not allowed via this API version")
        )
    else:
        errs += validate_signer_name("spec.signerName", signer)
    seconds = spec.get("expirationSeconds")
    if is_int(seconds) and seconds < 600:
        errs.append(
            invalid(
                "spec.expirationSeconds",
                seconds,
                "may not specify a duration less than 600 seconds (10 minutes)",
            )
        )
    status = as_dict(csr.get("status"))
    errs += _conditions(as_list(status.get("conditions")))
    problem = _certificate_problem(status.get("certificate"))
    if problem:
        errs.append(invalid("status.certificate", "<certificate data>", problem))
    if old is not None:
        errs += _update(csr, old, subresource)
    return errs


def _request_problem(request: Any) -> str:
    try:
        pem = base64.b64decode(as_str(request), validate=True)
    except (binascii.Error, ValueError):
        return "PEM block type must be CERTIFICATE REQUEST"
    if b"-----BEGIN CERTIFICATE REQUEST-----" not in pem:
        return "PEM block type must be CERTIFICATE REQUEST"
    try:
        parsed = x509.load_pem_x509_csr(pem)
    except ValueError as err:
        return f"x509: malformed certificate request: {err}"
    try:
        if not parsed.is_signature_valid:
            return "x509: ECDSA verification failure"
    except (InvalidSignature, ValueError):
        return "x509: ECDSA verification failure"
    return ""


def _certificate_problem(certificate: Any) -> str:
    if not certificate:
        return ""
    try:
        pem = base64.b64decode(as_str(certificate), validate=True)
    except (binascii.Error, ValueError):
        return "must contain at least one CERTIFICATE PEM block"
    if b"-----BEGIN" not in pem:
        return "must contain at least one CERTIFICATE PEM block"
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        kind = pem.split(b"-----BEGIN ", 1)[1].split(b"-----", 1)[0].decode(errors="replace")
        return f'only CERTIFICATE PEM blocks are allowed, found "{kind}"'
    try:
        x509.load_pem_x509_certificates(pem)
    except ValueError as err:
        return str(err)
    return ""


def _usages(usages: list[Any]) -> Errors:
    if not usages:
        return [required("spec.usages")]
    errs: Errors = []
    seen: set[str] = set()
    for i, usage in enumerate(usages):
        if usage not in USAGES:
            errs.append(not_supported(index("spec.usages", i), usage, USAGES))
    for i, usage in enumerate(usages):
        if usage in seen:
            errs.append(duplicate(index("spec.usages", i), usage))
        seen.add(as_str(usage))
    return errs


def validate_signer_name(path: str, signer: str) -> Errors:
    if not signer:
        return [required(path)]
    segments = signer.split("/")
    if len(segments) != 2:
        return [
            invalid(
                path,
                signer,
                "must be a fully qualified domain and path of the form 'example.com/signer-name'",
            )
        ]
    domain, rest = segments
    errs: Errors = []
    if len(domain) > _MAX_DOMAIN:
        errs.append(too_long(path, domain, _MAX_DOMAIN))
    labels = domain.split(".")
    for label in labels:
        problems = names.is_dns1123_label(label)
        if problems:
            errs += [invalid(path, domain, f'validating label "{label}": {p}') for p in problems]
            break
    if len(labels) < 2:
        errs.append(invalid(path, domain, "should be a domain with at least two segments separated by dots"))
    for label in rest.split("."):
        problems = names.is_dns1123_subdomain(label)
        if problems:
            errs += [invalid(path, rest, f'validating label "{label}": {p}') for p in problems]
            break
    if len(signer) > _MAX_SIGNER:
        errs.append(too_long(path, signer, _MAX_SIGNER))
    return errs


def _conditions(conditions: list[Any]) -> Errors:
    errs: Errors = []
    seen: set[str] = set()
    approved = denied = False
    for i, c in enumerate(conditions):
        c = as_dict(c)
        path = index("status.conditions", i)
        kind, status = as_str(c.get("type")), as_str(c.get("status"))
        if not kind:
            errs.append(required(f"{path}.type"))
        allowed = ["True"] if kind in _TRUE_ONLY else _STATUSES
        if not status:
            errs.append(required(f"{path}.status"))
        elif status not in allowed:
            errs.append(not_supported(f"{path}.status", status, allowed))
        if (kind == "Approved" and denied) or (kind == "Denied" and approved):
            errs.append(
                invalid(f"{path}.type", kind, "Approved and Denied conditions are mutually exclusive")
            )
        approved = approved or kind == "Approved"
        denied = denied or kind == "Denied"
        if kind in seen:
            errs.append(duplicate(f"{path}.type", kind))
        seen.add(kind)
    return errs


def _of_type(obj: dict[str, Any], kind: str) -> list[Any]:
    return [
        c for c in as_list(as_dict(obj.get("status")).get("conditions")) if as_dict(c).get("type") == kind
    ]


def _update(new: dict[str, Any], old: dict[str, Any], subresource: str) -> list[FieldError]:
    errs: Errors = []
    for kind in _TRUE_ONLY:
        if len(_of_type(new, kind)) < len(_of_type(old, kind)):
            errs.append(
                forbidden("status.conditions", f'updates may not remove a condition of type "{kind}"')
            )
    if subresource != "approval":
        for kind in APPROVAL_TYPES:
            added, before = _of_type(new, kind), _of_type(old, kind)
            if len(added) > len(before):
                errs.append(
                    forbidden("status.conditions", f'updates may not add a condition of type "{kind}"')
                )
            elif len(added) == len(before) and added != before:
                errs.append(
                    forbidden("status.conditions", f'updates may not modify a condition of type "{kind}"')
                )
    cert, old_cert = (
        as_dict(new.get("status")).get("certificate"),
        as_dict(old.get("status")).get("certificate"),
    )
    if (cert or "") != (old_cert or ""):
        if subresource != "status":
            errs.append(forbidden("status.certificate", "updates may not set certificate content"))
        elif old_cert:
            errs.append(
                forbidden("status.certificate", "updates may not modify existing certificate content")
            )
    return errs
