//! Event kinds: which Write API path an event goes to.

pub(crate) mod validate;

use crate::ffi::consts::{
    UA_EVENT_CLICK, UA_EVENT_COLLECT, UA_EVENT_CUSTOM, UA_EVENT_SEARCH, UA_EVENT_SEARCH_BATCH,
    UA_EVENT_VIEW,
};

/// The kind of a usage analytics event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
#[non_exhaustive]
pub enum EventKind {
    /// A query and its results.
    Search = UA_EVENT_SEARCH,
    /// A click on a search result.
    Click = UA_EVENT_CLICK,
    /// Anything else the application wants to record.
    Custom = UA_EVENT_CUSTOM,
    /// A page or item view.
    View = UA_EVENT_VIEW,
    /// A JSON array of search events, sent in one request (its answer is an
    /// array too; the result's visitor id is the first item's).
    SearchBatch = UA_EVENT_SEARCH_BATCH,
    /// A collect event (Case Assist, older commerce setups): one JSON object in
    /// the service's Measurement-Protocol form, whose fields the service alone
    /// judges (it publishes none as required).
    Collect = UA_EVENT_COLLECT,
}

impl EventKind {
    /// Every kind, in number order.
    pub const ALL: [EventKind; 6] = [
        EventKind::Search,
        EventKind::Click,
        EventKind::Custom,
        EventKind::View,
        EventKind::SearchBatch,
        EventKind::Collect,
    ];

    /// The kind for a number, or `None` for any other number.
    pub fn from_raw(raw: i32) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| *k as i32 == raw)
    }

    /// The stable number of this kind (its `UA_EVENT_*` constant).
    pub fn raw(self) -> i32 {
        self as i32
    }

    /// The lowercase name hosts use for the kind, e.g. `"search_batch"`.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Search => "search",
            EventKind::Click => "click",
            EventKind::Custom => "custom",
            EventKind::View => "view",
            EventKind::SearchBatch => "search_batch",
            EventKind::Collect => "collect",
        }
    }

    /// The last segment of the path, e.g. `"search"` (`"searches"` for a batch).
    pub(crate) fn path_segment(self) -> &'static str {
        match self {
            EventKind::SearchBatch => "searches",
            other => other.name(),
        }
    }

    /// The object name the service uses in messages, e.g. `"searchEvent"`
    /// (a batch's items are search events).
    pub(crate) fn object_name(self) -> &'static str {
        match self {
            EventKind::Search | EventKind::SearchBatch => "searchEvent",
            EventKind::Click => "clickEvent",
            EventKind::Custom => "customEvent",
            EventKind::View => "viewEvent",
            EventKind::Collect => "collectEvent",
        }
    }

    /// Whether the service's published field rules (required fields, typed
    /// fields, the search token's hub) apply to this kind. Collect events use
    /// other field names and the service publishes no rule for them, so only
    /// "a JSON object" is checked before sending one.
    pub(crate) fn has_published_fields(self) -> bool {
        self != EventKind::Collect
    }

    /// Fields the service requires for this kind (a `null` value counts as
    /// absent); for a batch, those of each item; none for a collect event.
    pub(crate) fn required_fields(self) -> &'static [&'static str] {
        match self {
            EventKind::Search | EventKind::SearchBatch => &[
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
            EventKind::Collect => &[],
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
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
        assert_eq!(EventKind::from_raw(5), Some(EventKind::SearchBatch));
        assert_eq!(EventKind::from_raw(6), Some(EventKind::Collect));
        for bad in [0, 7, -1, i32::MAX, i32::MIN] {
            assert_eq!(EventKind::from_raw(bad), None);
        }
    }
}
