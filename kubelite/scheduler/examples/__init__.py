"""Example out-of-tree plugins: how to write your own (see docs/scheduler-plugins.md)."""
