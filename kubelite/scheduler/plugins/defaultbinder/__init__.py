"""DefaultBinder: binds the pod through the API (POST pods/<name>/binding)."""

from kubelite.scheduler.plugins.defaultbinder.default_binder import DefaultBinder

__all__ = ["DefaultBinder"]
