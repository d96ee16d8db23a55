"""`kubelite up`: the all-in-one cluster, composed of the standalone components."""
