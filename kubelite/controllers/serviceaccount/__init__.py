"""Service accounts: every namespace's `default` ServiceAccount (`serviceaccounts.py`) and
the legacy token Secrets (`tokens.py`)."""

from kubelite.controllers.serviceaccount.serviceaccounts import ServiceAccountsController
from kubelite.controllers.serviceaccount.tokens import TokensController

__all__ = ["ServiceAccountsController", "TokensController"]
