//! The social half over HTTP: a story of several accounts asserted at every step, privacy on every path,
//! the celebrity path of the timeline, search, and redelivered events.

mod celebrity;
mod failures;
mod privacy;
mod redelivery;
mod search;
mod story;
