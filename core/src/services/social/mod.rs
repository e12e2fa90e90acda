//! The social use cases: profiles and the follow graph (`people`), posts with their likes and comments
//! (`posts`), the home timeline (`timeline`: fan-out on write, with authors above the celebrity threshold
//! merged in on read), the inbox (`inbox`), user search (`search`), and the handlers of the events that keep
//! the read models (timelines, notifications, the search index) up to date (`events`).

mod events;
mod inbox;
mod people;
mod posts;
mod search;
mod timeline;
mod views;

pub use events::EventHandlers;
pub use inbox::{Inbox, InboxPage};
pub use people::{People, ProfileForm};
pub use posts::{NewPostForm, Posts};
pub use search::SearchIndexer;
pub use timeline::Timelines;
pub use views::{CommentView, FollowView, NotificationView, PostView, UserView, ViewerRelation};

/// The knobs of the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocialSettings {
    /// Authors with more followers than this are not fanned out; their posts are merged in on read.
    pub celebrity_threshold: u64,
    /// How many entries a stored timeline keeps (older ones are read from the follow graph).
    pub timeline_cap: u32,
}

impl Default for SocialSettings {
    fn default() -> Self {
        Self {
            celebrity_threshold: 10_000,
            // As Mastodon keeps.
            timeline_cap: 800,
        }
    }
}
