//! The data set of the timeline benchmark: users whose follower counts follow a power law (each follow
//! picks its followee with Zipf probabilities over a shuffled popularity rank), and old posts, each with a
//! ready image, spread uniformly over authors and over the last 180 days. A post is fanned out or not as
//! `createPost` would have decided it (its author's followers against the celebrity threshold); no
//! timeline is stored: each is built by the server on its owner's first read.

use std::collections::BTreeSet;
use std::time::Instant;

use anyhow::ensure;
use chrono::{Duration as Age, Utc};
use darkroom_core::domain::UserId;
use darkroom_core::services::social::SocialSettings;

use crate::bulk::{split_schema, Raw};
use crate::report::load_average;
use crate::rng::{Rng, Zipf};
use crate::rows::{insert_accounts, insert_follows, insert_posts, Account, OldPost};
use crate::world::{password_hash, World};

/// Posts generated and written at a time.
const POSTS_PER_CHUNK: usize = 20_000;
const SPREAD_DAYS: i64 = 180;

#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub users: usize,
    pub posts: usize,
    /// The mean number of accounts a user follows (exponentially distributed, at least one).
    pub mean_following: f64,
    /// The Zipf exponent of popularity.
    pub zipf: f64,
    pub celebrity_threshold: u64,
}

pub async fn seed(url: &str, shape: Shape) -> anyhow::Result<()> {
    let started = Instant::now();
    // A fresh schema each time (a SQLite file is removed by the driver script).
    if let (base, Some(schema)) = split_schema(url) {
        Raw::open(&base)
            .await?
            .exec(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .await?;
    }
    let settings = SocialSettings {
        celebrity_threshold: shape.celebrity_threshold,
        ..SocialSettings::default()
    };
    let world = World::open(url, settings).await?;
    ensure!(
        world.raw.number("SELECT COUNT(*) FROM users").await? == 0,
        "the database already has users: seed a fresh one"
    );
    let n = shape.users;
    let mut rng = Rng::seeded(3);
    let ids: Vec<uuid::Uuid> = (0..n).map(|_| rng.uuid()).collect();
    let mut by_rank: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut by_rank);
    let zipf = Zipf::new(n, shape.zipf);
    let mut followers = vec![0u64; n];
    let mut following = vec![0u64; n];
    let mut follows = Vec::new();
    for user in 0..n {
        let wanted = (-shape.mean_following * (1.0 - rng.unit()).ln())
            .round()
            .clamp(1.0, (n - 1) as f64) as usize;
        let mut chosen = BTreeSet::new();
        let mut tries = 0;
        while chosen.len() < wanted && tries < wanted * 20 {
            tries += 1;
            let followee = by_rank[zipf.sample(&mut rng)];
            if followee != user {
                chosen.insert(followee);
            }
        }
        for followee in chosen {
            follows.push((ids[user], ids[followee]));
            followers[followee] += 1;
            following[user] += 1;
        }
    }
    let authors: Vec<usize> = (0..shape.posts).map(|_| rng.below(n)).collect();
    let mut posts_count = vec![0u64; n];
    for &author in &authors {
        posts_count[author] += 1;
    }
    let accounts: Vec<Account> = (0..n)
        .map(|index| Account {
            id: ids[index],
            index,
            followers: followers[index],
            following: following[index],
            posts: posts_count[index],
        })
        .collect();
    let hash = password_hash().await?;
    let long_ago = Utc::now() - Age::days(SPREAD_DAYS + 1);
    insert_accounts(&world.raw, &accounts, &hash, long_ago).await?;
    insert_follows(&world.raw, follows.iter().copied(), long_ago).await?;
    eprintln!(
        "seed: {n} users and {} follows in {:.0} s",
        follows.len(),
        started.elapsed().as_secs_f64()
    );

    let template = world.image_template(UserId(ids[0])).await?;
    let now = Utc::now();
    let spread_micros = (SPREAD_DAYS * 86_400 * 1_000_000) as f64;
    for (chunk_number, chunk) in authors.chunks(POSTS_PER_CHUNK).enumerate() {
        let posts: Vec<OldPost> = chunk
            .iter()
            .map(|&author| OldPost {
                id: rng.uuid(),
                image_id: rng.uuid(),
                author: ids[author],
                public: rng.unit() < 0.9,
                fanned_out: followers[author] <= shape.celebrity_threshold,
                created_at: now - Age::microseconds((rng.unit() * spread_micros) as i64),
            })
            .collect();
        insert_posts(&world.raw, &posts, &template).await?;
        eprintln!(
            "seed: {} posts in {:.0} s",
            (chunk_number * POSTS_PER_CHUNK + chunk.len()),
            started.elapsed().as_secs_f64()
        );
    }
    world.raw.analyze().await?;

    let mut sorted = followers.clone();
    sorted.sort_unstable();
    let celebrities = sorted
        .iter()
        .filter(|&&f| f > shape.celebrity_threshold)
        .count();
    let merged_posts = authors
        .iter()
        .filter(|&&a| followers[a] > shape.celebrity_threshold)
        .count();
    println!(
        "RESULT seed: {n} users, {} follows (mean {:.1} per user), followers p50 {} / p99 {} / max {}, \
         {celebrities} celebrities above {} followers, {} posts ({merged_posts} merged on read), {:.0} s (load {})",
        follows.len(),
        follows.len() as f64 / n as f64,
        sorted[n / 2],
        sorted[(n * 99) / 100],
        sorted[n - 1],
        shape.celebrity_threshold,
        shape.posts,
        started.elapsed().as_secs_f64(),
        load_average()
    );
    world.close().await
}
