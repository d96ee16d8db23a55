"""`kubelite controller-manager`: kube-controller-manager's process around kubelite's
controllers (`kubelite.controllers`) - which controllers run (`controllers.py`), its flags
(`options.py`), the process (`process.py`), workqueue metrics (`metrics.py`) and the
subcommand (`cli.py`)."""
