"""CustomResourceDefinitions at the object level: what a CRD serves (`definition.py`), how
its custom objects are pruned, defaulted and validated by their structural schema
(`structural.py`), how a CRD itself is validated (`validation.py`), and the printer columns
of its objects (`columns.py`). The API server's side (the controller that keeps the
catalogue in step with the CRDs) is `kubelite.apiserver.crd`."""
