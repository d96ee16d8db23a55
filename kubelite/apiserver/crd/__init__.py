"""CustomResourceDefinitions in the API server.

    rules.py       what the registry does to a CRD beyond the generic strategy: status
                   starts with the storage version stored; deleting it marks it Terminating
                   under the cleanup finalizer instead of removing it
    controller.py  keeps the resource catalogue in step with the CRDs: accepts names,
                   sets NamesAccepted/Established, serves each served version, and on
                   deletion removes the custom objects, then the finalizer, then the
                   catalogue entries

The object-level parts (schemas, pruning, defaulting, validation) are `kubelite.api.crd`.
"""
