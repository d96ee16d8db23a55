"""The tokens controller: Secrets of type `kubernetes.io/service-account-token` get a token.

    secret informer (token Secrets added or changed) ───────────┐
    serviceaccount informer (deleted: its token Secrets) ────────┴─▶ workqueue ──▶ sync(ns/secret)

A user (or an older tool) makes such a Secret naming its service account in the
`kubernetes.io/service-account.name` annotation; `sync` fills its data, as Kubernetes' tokens
controller does:

    token      a legacy (non-expiring) JWT for the service account, signed with
               --service-account-private-key-file (kubelite.api.serviceaccounttoken)
    ca.crt     --root-ca-file
    namespace  the Secret's namespace

and records the service account's uid in `kubernetes.io/service-account.uid`. A token
Secret whose service account is gone (or was recreated: another uid) is deleted, after a
read from the API server rather than the cache confirms it. The API server believes such a
token while the Secret holds it (apiserver/serviceaccounts.py).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import logging

from kubelite.api import errors
from kubelite.api import serviceaccounttoken as sat
from kubelite.api.types import Object
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller, Requeue
from kubelite.client.store import object_key, split_key
from kubelite.controllers.context import ControllerContext

log = logging.getLogger("kubelite.controllers.serviceaccount.tokens")

NAME = "serviceaccount-token-controller"
QUEUE_NAME = "serviceaccount_tokens_secret"
DEFAULT_WORKERS = 5  # --concurrent-serviceaccount-token-syncs
TOKEN_TYPE = "kubernetes.io/service-account-token"
NAME_ANNOTATION = "kubernetes.io/service-account.name"
UID_ANNOTATION = "kubernetes.io/service-account.uid"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _is_token_secret(secret: Object) -> bool:
    return secret.get("type") == TOKEN_TYPE


class TokensController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.signer = sat.Signer(sat.load_private_key(ctx.settings.service_account_private_key))
        self.ca = ctx.settings.root_ca.decode()
        self.secrets = ctx.client.resource("secrets")
        self.accounts = ctx.client.resource("serviceaccounts")
        self.secret_informer = ctx.informers.informer("secrets")
        self.account_informer = ctx.informers.informer("serviceaccounts")
        self.controller = Controller(
            QUEUE_NAME,
            self.sync,
            workers=ctx.concurrency(NAME, DEFAULT_WORKERS),
            clock=ctx.clock,
            metrics=ctx.queue_metrics(QUEUE_NAME),
        )
        self.secret_informer.add_event_handler(
            Handlers(add=self._secret, update=lambda old, new: self._secret(new))
        )
        self.account_informer.add_event_handler(Handlers(delete=self._account_deleted))
        self.controller.track(self.secret_informer)
        self.controller.track(self.account_informer)

    def _secret(self, secret: Object) -> None:
        if _is_token_secret(secret):
            self.controller.enqueue(object_key(secret))

    def _account_deleted(self, sa: Object) -> None:
        namespace, name = sa["metadata"].get("namespace", ""), sa["metadata"]["name"]
        for secret in self.secret_informer.lister.list(namespace):
            annotations = secret["metadata"].get("annotations") or {}
            if _is_token_secret(secret) and annotations.get(NAME_ANNOTATION) == name:
                self.controller.enqueue(object_key(secret))

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    async def sync(self, key: str) -> Requeue | None:
        namespace, name = split_key(key)
        secret = self.secret_informer.lister.get(name, namespace)
        if secret is None or not _is_token_secret(secret) or secret["metadata"].get("deletionTimestamp"):
            return None
        annotations = secret["metadata"].get("annotations") or {}
        account_name = annotations.get(NAME_ANNOTATION, "")
        account = await self._account(namespace, account_name, annotations.get(UID_ANNOTATION, ""))
        if account is None:
            await self._delete(secret)
            return None
        wanted = self._populated(secret, account)
        if wanted != secret:
            await self.secrets.update(wanted, namespace=namespace)
        return None

    async def _account(self, namespace: str, name: str, uid: str) -> Object | None:
        """The service account the Secret is for, read live when the cache has none (or
        another uid) so that a lagging cache never costs a Secret."""
        cached = self.account_informer.lister.get(name, namespace)
        if cached is not None and (not uid or cached["metadata"].get("uid") == uid):
            return cached
        try:
            live = await self.accounts.get(name, namespace=namespace)
        except errors.NotFound:
            return None
        return live if not uid or live["metadata"].get("uid") == uid else None

    def _populated(self, secret: Object, account: Object) -> Object:
        out = copy.deepcopy(secret)
        md = out["metadata"]
        namespace = md.get("namespace", "")
        ref = sat.Ref(account["metadata"]["name"], account["metadata"].get("uid", ""))
        md.setdefault("annotations", {})[UID_ANNOTATION] = ref.uid
        data = out.setdefault("data", {})
        if not data.get("token"):
            data["token"] = _b64(self.signer.sign(sat.legacy_claims(namespace, ref, md["name"])))
        if self.ca:
            data["ca.crt"] = _b64(self.ca)
        data["namespace"] = _b64(namespace)
        return out

    async def _delete(self, secret: Object) -> None:
        md = secret["metadata"]
        log.info("deleting token secret of a missing service account", extra={"secret": object_key(secret)})
        try:
            await self.secrets.delete(
                md["name"], namespace=md.get("namespace"), preconditions={"uid": md["uid"]}
            )
        except (errors.NotFound, errors.Conflict):
            pass
