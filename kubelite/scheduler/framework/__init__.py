"""The scheduling framework: extension points, the Status value, and running plugins.

interface.py    one Protocol per extension point (PreFilter, Filter, Score, ...)
status.py       Status and its codes (what the scheduler does with a plugin's answer)
types.py        PodInfo and NodeInfo: the facts plugins read, computed once
cycle_state.py  what plugins remember within one scheduling cycle
events.py       cluster events and queueing hints
diagnosis.py    why a pod fits nowhere, worded as FailedScheduling says it
handle.py       what plugins may use besides the pod and the node
runtime.py      the Framework of one profile: its plugins, placed and run
"""
