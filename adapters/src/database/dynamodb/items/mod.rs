//! The items of each aggregate and their conversions to the domain's types, one file per aggregate (the
//! keys they are stored under are in `keys.rs`).

mod follows;
mod images;
mod notifications;
mod outbox;
mod posts;
mod timelines;
mod users;

pub(super) use follows::*;
pub(super) use images::*;
pub(super) use notifications::*;
pub(super) use outbox::*;
pub(super) use posts::*;
pub(super) use timelines::*;
pub(super) use users::*;
