"""Images on a node: references, the content store, registry pulls, layer unpacking, imports.

```
PullImage("127.0.0.1:5000/busybox:1")
  → reference.parse            registry, repository, tag or digest
  → registry.RegistryClient    manifest (index → this platform's manifest), config, layers;
                               bearer-token auth; every blob's digest verified
  → store.ContentStore         blobs/sha256/<hex>, shared by every image
  → unpack.apply_layer         layers in order into snapshots/<image id>/rootfs, whiteouts applied
  → store.ImageStore           images/<image id>.json: names, digests, config, size
```

A container never writes into a snapshot: its root is an overlay whose lower layer is the
snapshot (or a copy of it where overlayfs is unavailable).
"""
