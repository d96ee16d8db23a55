"""Storage: one versioned key-value contract (interface.py), two backends (sqlite.py, etcd.py).

Only the API server imports this package.
"""
