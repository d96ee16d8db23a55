"""The in-tree plugins, one folder each, named and behaving as Kubernetes' plugins.

    queuesort/          PrioritySort                      QueueSort
    schedulinggates/    SchedulingGates                   PreEnqueue
    nodeunschedulable/  NodeUnschedulable                 Filter
    nodename/           NodeName                          Filter
    tainttoleration/    TaintToleration                   Filter, Score
    nodeaffinity/       NodeAffinity (and nodeSelector)   PreFilter, Filter, PreScore, Score
    nodeports/          NodePorts                         PreFilter, Filter
    noderesources/      NodeResourcesFit,                 PreFilter, Filter, PreScore, Score
                        NodeResourcesBalancedAllocation   PreScore, Score
    volumebinding/      VolumeBinding                     PreFilter, Filter, Reserve, PreBind
    podtopologyspread/  PodTopologySpread                 PreFilter, Filter, PreScore, Score
    interpodaffinity/   InterPodAffinity                  PreFilter, Filter, PreScore, Score
    imagelocality/      ImageLocality                     Score
    defaultpreemption/  DefaultPreemption                 PostFilter
    defaultbinder/      DefaultBinder                     Bind

`registry.py` lists them by name; `helper.py` holds what several of them share (score
normalisation, node selector terms, tolerations).
"""
