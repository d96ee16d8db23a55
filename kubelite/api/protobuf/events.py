"""events.k8s.io/v1: Event. See `descriptors` for the notation."""

EVENTS_V1: dict[str, str] = {
    "Event": (
        "1 metadata:ObjectMeta, 2 eventTime:MicroTime, 3 series:EventSeries, 4 reportingController~, "
        "5 reportingInstance~, 6 action~, 7 reason~, 8 regarding:core/v1.ObjectReference, "
        "9 related:core/v1.ObjectReference, 10 note~, 11 type~, 12 deprecatedSource:core/v1.EventSource, "
        "13 deprecatedFirstTimestamp:Time, 14 deprecatedLastTimestamp:Time, 15 deprecatedCount:i32~"
    ),
    "EventList": "1 metadata:ListMeta, 2 items:[]Event",
    "EventSeries": "1 count:i32, 2 lastObservedTime:MicroTime",
}
