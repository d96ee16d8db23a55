"""The API server: request chain, registries, watch cache, discovery, OpenAPI, printers."""
