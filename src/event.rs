//! Event kinds: which Write API path an event goes to.

/// An event kind as a plain integer, as it travels through the C ABI.
#[allow(non_camel_case_types)]
pub type ua_event_kind = i32;

/// A search event: `POST <endpoint>/v15/analytics/search`.
pub const UA_EVENT_SEARCH: ua_event_kind = 1;
/// A click event: `POST <endpoint>/v15/analytics/click`.
pub const UA_EVENT_CLICK: ua_event_kind = 2;
/// A custom event: `POST <endpoint>/v15/analytics/custom`.
pub const UA_EVENT_CUSTOM: ua_event_kind = 3;
/// A view event: `POST <endpoint>/v15/analytics/view`.
pub const UA_EVENT_VIEW: ua_event_kind = 4;

/// The kind of a usage analytics event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum EventKind {
    /// A query and its results.
    Search = UA_EVENT_SEARCH,
    /// A click on a search result.
    Click = UA_EVENT_CLICK,
    /// Anything else the application wants to record.
    Custom = UA_EVENT_CUSTOM,
    /// A page or item view.
    View = UA_EVENT_VIEW,
}

/// Lookups of kinds.
///
/// cbindgen:ignore
impl EventKind {
    /// Every kind, in number order.
    pub const ALL: [EventKind; 4] = [
        EventKind::Search,
        EventKind::Click,
        EventKind::Custom,
        EventKind::View,
    ];

    /// The kind for a number, or `None` for any other number.
    pub fn from_raw(raw: ua_event_kind) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| *k as i32 == raw)
    }

    /// The last segment of the path, e.g. `"search"`.
    pub fn path_segment(self) -> &'static str {
        match self {
            EventKind::Search => "search",
            EventKind::Click => "click",
            EventKind::Custom => "custom",
            EventKind::View => "view",
        }
    }

    /// The object name the service uses in messages, e.g. `"searchEvent"`.
    pub fn object_name(self) -> &'static str {
        match self {
            EventKind::Search => "searchEvent",
            EventKind::Click => "clickEvent",
            EventKind::Custom => "customEvent",
            EventKind::View => "viewEvent",
        }
    }

    /// Fields the service requires for this kind (a `null` value counts as absent).
    pub fn required_fields(self) -> &'static [&'static str] {
        match self {
            EventKind::Search => &[
                "actionCause",
                "language",
                "queryText",
                "responseTime",
                "searchQueryUid",
            ],
            EventKind::Click => &[
                "actionCause",
                "documentPosition",
                "language",
                "searchQueryUid",
                "sourceName",
            ],
            EventKind::Custom => &["eventType", "eventValue", "language"],
            EventKind::View => &["location"],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_the_pinned_ones() {
        assert_eq!(EventKind::from_raw(1), Some(EventKind::Search));
        assert_eq!(EventKind::from_raw(2), Some(EventKind::Click));
        assert_eq!(EventKind::from_raw(3), Some(EventKind::Custom));
        assert_eq!(EventKind::from_raw(4), Some(EventKind::View));
        for bad in [0, 5, -1, i32::MAX, i32::MIN] {
            assert_eq!(EventKind::from_raw(bad), None);
        }
    }
}
