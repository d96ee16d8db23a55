"""Object-level API logic shared by the API server and clients: errors, resource catalogue,
metadata, selectors, validation, defaulting, patches."""
