//! The items of posts, likes and comments. A post is one item holding its counts; its author's listings
//! hold only (post id, created_at), so counts never have copies to keep in step. A comment never changes,
//! so its item by id and its entry in the post's listing both hold all of it.

use chrono::{DateTime, Utc};
use darkroom_core::domain::{Comment, CommentId, Post, PostId, UserId};
use darkroom_core::ports::DbError;

use super::super::attrs::{
    boolean, micros, n, req_bool, req_enum, req_num, req_string, req_strings, req_time, req_uuid,
    req_uuids, s, strings, uuids,
};
use super::super::keys::{self, Item};

pub(crate) fn post_item(post: &Post) -> Item {
    let mut item = keys::post(post.id);
    item.extend([
        ("id".to_owned(), s(post.id.0.to_string())),
        ("author_id".to_owned(), s(post.author_id.0.to_string())),
        (
            "image_ids".to_owned(),
            uuids(post.image_ids.iter().map(|id| id.0)),
        ),
        ("caption".to_owned(), s(&post.caption)),
        ("hashtags".to_owned(), strings(&post.hashtags)),
        ("mentions".to_owned(), strings(&post.mentions)),
        ("visibility".to_owned(), s(post.visibility.as_str())),
        ("likes_count".to_owned(), n(post.likes_count)),
        ("comments_count".to_owned(), n(post.comments_count)),
        ("fanned_out".to_owned(), boolean(post.fanned_out)),
        ("created_at".to_owned(), micros(post.created_at)),
    ]);
    item
}

pub(crate) fn post(item: &Item) -> Result<Post, DbError> {
    Ok(Post {
        id: PostId(req_uuid(item, "id")?),
        author_id: UserId(req_uuid(item, "author_id")?),
        image_ids: req_uuids(item, "image_ids")?
            .into_iter()
            .map(darkroom_core::domain::ImageId)
            .collect(),
        caption: req_string(item, "caption")?,
        hashtags: req_strings(item, "hashtags")?,
        mentions: req_strings(item, "mentions")?,
        visibility: req_enum(item, "visibility")?,
        likes_count: req_num(item, "likes_count")?,
        comments_count: req_num(item, "comments_count")?,
        fanned_out: req_bool(item, "fanned_out")?,
        created_at: req_time(item, "created_at")?,
    })
}

/// The keys of a post's entries in its author's listings: all posts, and those fanned out (or not) alike.
pub(crate) fn post_entry_keys(post: &Post) -> [Item; 2] {
    [None, Some(post.fanned_out)]
        .map(|listing| keys::post_entry(post.author_id, listing, post.created_at, post.id))
}

/// A post's entries in its author's listings, each with what a cursor is made of.
pub(crate) fn post_entries(post: &Post) -> [Item; 2] {
    post_entry_keys(post).map(|mut item| {
        item.extend([
            ("post_id".to_owned(), s(post.id.0.to_string())),
            ("created_at".to_owned(), micros(post.created_at)),
        ]);
        item
    })
}

pub(crate) fn listed_post(item: &Item) -> Result<(PostId, DateTime<Utc>), DbError> {
    Ok((
        PostId(req_uuid(item, "post_id")?),
        req_time(item, "created_at")?,
    ))
}

pub(crate) fn like_item(post: PostId, user: UserId, at: DateTime<Utc>) -> Item {
    let mut item = keys::like(post, user);
    item.extend([
        ("post_id".to_owned(), s(post.0.to_string())),
        ("user_id".to_owned(), s(user.0.to_string())),
        ("created_at".to_owned(), micros(at)),
    ]);
    item
}

pub(crate) fn liked_post(item: &Item) -> Result<PostId, DbError> {
    req_uuid(item, "post_id").map(PostId)
}

fn with_comment(mut item: Item, comment: &Comment) -> Item {
    item.extend([
        ("id".to_owned(), s(comment.id.0.to_string())),
        ("post_id".to_owned(), s(comment.post_id.0.to_string())),
        ("author_id".to_owned(), s(comment.author_id.0.to_string())),
        ("text".to_owned(), s(&comment.text)),
        ("created_at".to_owned(), micros(comment.created_at)),
    ]);
    item
}

/// The comment, keyed by its id.
pub(crate) fn comment_item(comment: &Comment) -> Item {
    with_comment(keys::comment(comment.id), comment)
}

/// The comment's entry in its post's listing.
pub(crate) fn comment_entry(comment: &Comment) -> Item {
    with_comment(comment_entry_key(comment), comment)
}

pub(crate) fn comment_entry_key(comment: &Comment) -> Item {
    keys::comment_entry(comment.post_id, comment.created_at, comment.id)
}

pub(crate) fn comment(item: &Item) -> Result<Comment, DbError> {
    Ok(Comment {
        id: CommentId(req_uuid(item, "id")?),
        post_id: PostId(req_uuid(item, "post_id")?),
        author_id: UserId(req_uuid(item, "author_id")?),
        text: req_string(item, "text")?,
        created_at: req_time(item, "created_at")?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use darkroom_core::domain::{ImageId, Visibility};

    use super::*;

    fn at(micros: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(micros).unwrap()
    }

    #[test]
    fn posts_round_trip_and_are_listed_twice() {
        let post = Post {
            id: PostId::new(),
            author_id: UserId::new(),
            image_ids: vec![ImageId::new(), ImageId::new()],
            caption: "sea #blue @ann".into(),
            hashtags: vec!["blue".into()],
            mentions: vec!["ann".into()],
            visibility: Visibility::Followers,
            likes_count: 3,
            comments_count: 1,
            fanned_out: false,
            created_at: at(1_700_000_000_000_001),
        };
        assert_eq!(super::post(&post_item(&post)).unwrap(), post);
        let entries = post_entries(&post);
        assert_ne!(entries[0], entries[1]);
        for entry in &entries {
            assert_eq!(listed_post(entry).unwrap(), (post.id, post.created_at));
        }
        assert_eq!(keys::key_of(&entries[1]), post_entry_keys(&post)[1]);
    }

    #[test]
    fn likes_and_comments_round_trip() {
        let post = PostId::new();
        assert_eq!(
            liked_post(&like_item(post, UserId::new(), at(5))).unwrap(),
            post
        );
        let comment = Comment {
            id: CommentId::new(),
            post_id: post,
            author_id: UserId::new(),
            text: "nice".into(),
            created_at: at(-3),
        };
        assert_eq!(super::comment(&comment_item(&comment)).unwrap(), comment);
        assert_eq!(super::comment(&comment_entry(&comment)).unwrap(), comment);
    }
}
