//! The rows the bulk seeding writes, as the adapters' schemas hold them: accounts with their counts, the
//! follow graph, and old posts each with one ready image.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::bulk::{boolean, id, quote, Raw};

/// Every seeded account's password (its argon2 hash is computed once and shared).
pub const PASSWORD: &str = "social bench password";

const FIRST_NAMES: [&str; 8] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Frances", "Tony",
];
const LAST_NAMES: [&str; 8] = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Allen", "Hoare",
];

pub fn username(index: usize) -> String {
    format!("bench{index}")
}

#[derive(Debug, Clone, Copy)]
pub struct Account {
    pub id: Uuid,
    pub index: usize,
    pub followers: u64,
    pub following: u64,
    pub posts: u64,
}

/// Writes `accounts`, with `password_hash` for each (see `PASSWORD`).
pub async fn insert_accounts(
    raw: &Raw,
    accounts: &[Account],
    password_hash: &str,
    created_at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let hash = quote(password_hash);
    let at = raw.at(created_at);
    raw.insert(
        "users",
        "id, username, email, password_hash, display_name, first_name, last_name, bio, \
         followers_count, following_count, posts_count, created_at",
        accounts.iter().map(|a| {
            let name = username(a.index);
            let first = FIRST_NAMES[a.index % FIRST_NAMES.len()];
            let last = LAST_NAMES[(a.index / FIRST_NAMES.len()) % LAST_NAMES.len()];
            format!(
                "({}, '{name}', '{name}@bench.example', {hash}, '{first} {last}', '{first}', '{last}', \
                 'seeded by bench/social.sh', {}, {}, {}, {at})",
                id(a.id),
                a.followers,
                a.following,
                a.posts
            )
        }),
    )
    .await
}

/// Writes active follows, (follower, followee) pairs.
pub async fn insert_follows(
    raw: &Raw,
    follows: impl IntoIterator<Item = (Uuid, Uuid)>,
    created_at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let at = raw.at(created_at);
    raw.insert(
        "follows",
        "follower_id, followee_id, state, created_at",
        follows.into_iter().map(|(follower, followee)| {
            format!("({}, {}, 'active', {at})", id(follower), id(followee))
        }),
    )
    .await
}

/// An old post, with the one image it shows.
#[derive(Debug, Clone)]
pub struct OldPost {
    pub id: Uuid,
    pub image_id: Uuid,
    pub author: Uuid,
    pub public: bool,
    pub fanned_out: bool,
    pub created_at: DateTime<Utc>,
}

/// What every seeded image copies from one image the adapter itself stored as processed (its variants
/// in the adapter's own encoding), with `TEMPLATE_ID` standing for the image's id.
#[derive(Debug, Clone)]
pub struct ImageTemplate {
    pub variants: String,
    pub blurhash: String,
    pub dominant_color: String,
    pub sha256: String,
}

pub const TEMPLATE_ID: &str = "{image}";

/// Writes `posts` and their images.
pub async fn insert_posts(
    raw: &Raw,
    posts: &[OldPost],
    image: &ImageTemplate,
) -> anyhow::Result<()> {
    raw.insert(
        "images",
        "id, owner_id, status, format, bytes, sha256, width, height, visibility, blurhash, \
         dominant_color, variants, original_key, public_original_key, created_at, updated_at",
        posts.iter().map(|p| {
            let image_id = p.image_id.to_string();
            let at = raw.at(p.created_at);
            format!(
                "({}, {}, 'ready', 'jpeg', 2400000, {}, 4032, 3024, {}, {}, {}, {}, \
                 'images/{image_id}/original', 'images/{image_id}/public-original.jpeg', {at}, {at})",
                id(p.image_id),
                id(p.author),
                quote(&image.sha256),
                visibility(p.public),
                quote(&image.blurhash),
                quote(&image.dominant_color),
                quote(&image.variants.replace(TEMPLATE_ID, &image_id)),
            )
        }),
    )
    .await?;
    raw.insert(
        "posts",
        "id, author_id, image_ids, caption, hashtags, mentions, visibility, likes_count, \
         comments_count, fanned_out, created_at",
        posts.iter().map(|p| {
            format!(
                "({}, {}, '[\"{}\"]', 'seeded #bench', '[\"bench\"]', '[]', {}, 0, 0, {}, {})",
                id(p.id),
                id(p.author),
                p.image_id,
                visibility(p.public),
                boolean(p.fanned_out),
                raw.at(p.created_at)
            )
        }),
    )
    .await?;
    Ok(())
}

fn visibility(public: bool) -> &'static str {
    if public {
        "'public'"
    } else {
        "'followers'"
    }
}
