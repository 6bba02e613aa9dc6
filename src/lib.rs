//! coveo-ua: a blocking client for the Coveo Usage Analytics Write API (v15).
