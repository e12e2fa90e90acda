//! The write side of the timeline: one post fanned out to every follower, and a celebrity's post, which
//! is not fanned out at all. Posts are made by `createPost`'s use case and handled by the worker's
//! `post.created` handler, on a fresh database.

use std::time::{Duration, Instant};

use anyhow::ensure;
use chrono::Utc;
use darkroom_core::domain::{Event, PageRequest, PostId, UserId, Visibility};
use darkroom_core::services::social::{NewPostForm, Posts, SocialSettings};
use darkroom_core::worker::{JobHandler, JobOutcome};
use futures::{stream, StreamExt, TryStreamExt};

use crate::report::{load_average, median, ms};
use crate::rng::Rng;
use crate::rows::{insert_accounts, insert_follows, Account};
use crate::world::{message_of, password_hash, World, FIRST_ATTEMPT};

/// Timelines built at once while preparing the fan-out's followers.
const BUILDS_IN_FLIGHT: usize = 8;

/// One post to `followers` followers, `posts` times; each follower has a stored timeline (they have read
/// it before), so every post writes one row per follower.
pub async fn fan_out(target: &str, followers: usize, posts: usize) -> anyhow::Result<()> {
    let settings = SocialSettings {
        celebrity_threshold: SocialSettings::default()
            .celebrity_threshold
            .max(followers as u64),
        ..SocialSettings::default()
    };
    let world = World::fresh(target, settings).await?;
    let mut rng = Rng::seeded(1);
    let author = Account {
        id: rng.uuid(),
        index: 0,
        followers: followers as u64,
        following: 0,
        posts: 0,
    };
    let fans: Vec<Account> = (1..=followers)
        .map(|index| Account {
            id: rng.uuid(),
            index,
            followers: 0,
            following: 1,
            posts: 0,
        })
        .collect();
    let seeding = Instant::now();
    let hash = password_hash().await?;
    insert_accounts(&world.raw, &[author], &hash, Utc::now()).await?;
    insert_accounts(&world.raw, &fans, &hash, Utc::now()).await?;
    insert_follows(
        &world.raw,
        fans.iter().map(|f| (f.id, author.id)),
        Utc::now(),
    )
    .await?;
    // A stored timeline for each follower, built through the port as their first read builds it.
    stream::iter(fans.iter().map(|fan| {
        let timelines = world.repos.timelines.clone();
        async move { timelines.build_timeline(UserId(fan.id), &[], true).await }
    }))
    .buffer_unordered(BUILDS_IN_FLIGHT)
    .try_collect::<Vec<()>>()
    .await?;
    eprintln!(
        "fan-out on {}: {followers} followers seeded in {:.1} s",
        world.backend(),
        seeding.elapsed().as_secs_f64()
    );

    let image = world.ready_image(UserId(author.id)).await?;
    let service = world.posts();
    let handler = world.post_created_handler()?;
    let mut times = Vec::new();
    for round in 1..=posts {
        let post = create(&service, UserId(author.id), image, round).await?;
        ensure!(
            post.1,
            "a post by an author at the threshold must be fanned out"
        );
        let load = load_average();
        let took = handle(&*handler, UserId(author.id), post.0).await?;
        let rows = world
            .raw
            .number(&format!(
                "SELECT COUNT(*) FROM timeline_entries WHERE post_id = '{}'",
                post.0
            ))
            .await?;
        ensure!(
            rows == followers as i64,
            "the fan-out wrote {rows} rows for {followers} followers"
        );
        println!(
            "fan-out {} post {round}/{posts}: {followers} rows in {} ms = {:.0} rows/s (load {load})",
            world.backend(),
            ms(took),
            rows as f64 / took.as_secs_f64()
        );
        times.push(took);
    }
    let typical = median(&mut times);
    println!(
        "RESULT fan-out {}: {followers} followers, median {} ms, {:.0} rows/s (load {})",
        world.backend(),
        ms(typical),
        followers as f64 / typical.as_secs_f64(),
        load_average()
    );
    world.close().await
}

/// One celebrity (above `threshold`) per entry of `sizes`, with that many followers, each posting
/// `posts` times: what `createPost` and the `post.created` handler cost, and a follower's first page.
pub async fn celebrity(
    target: &str,
    sizes: &[usize],
    posts: usize,
    threshold: u64,
) -> anyhow::Result<()> {
    let settings = SocialSettings {
        celebrity_threshold: threshold,
        ..SocialSettings::default()
    };
    ensure!(
        sizes.iter().all(|&size| size as u64 > threshold),
        "every size must be above the threshold ({threshold})"
    );
    let world = World::fresh(target, settings).await?;
    let mut rng = Rng::seeded(2);
    let most = sizes.iter().copied().max().unwrap_or(0);
    let authors: Vec<Account> = sizes
        .iter()
        .enumerate()
        .map(|(index, &size)| Account {
            id: rng.uuid(),
            index,
            followers: size as u64,
            following: 0,
            posts: 0,
        })
        .collect();
    // The followers are shared: the i-th follows every author with more than i followers.
    let fans: Vec<Account> = (0..most)
        .map(|i| Account {
            id: rng.uuid(),
            index: sizes.len() + i,
            followers: 0,
            following: sizes.iter().filter(|&&size| size > i).count() as u64,
            posts: 0,
        })
        .collect();
    let seeding = Instant::now();
    let hash = password_hash().await?;
    insert_accounts(&world.raw, &authors, &hash, Utc::now()).await?;
    insert_accounts(&world.raw, &fans, &hash, Utc::now()).await?;
    let follows = authors.iter().flat_map(|author| {
        fans[..author.followers as usize]
            .iter()
            .map(|fan| (fan.id, author.id))
    });
    insert_follows(&world.raw, follows, Utc::now()).await?;
    world.raw.analyze().await?;
    eprintln!(
        "celebrity on {}: {most} followers seeded in {:.1} s",
        world.backend(),
        seeding.elapsed().as_secs_f64()
    );

    let service = world.posts();
    let handler = world.post_created_handler()?;
    for author in &authors {
        let image = world.ready_image(UserId(author.id)).await?;
        let (mut creates, mut handles) = (Vec::new(), Vec::new());
        for round in 1..=posts {
            let start = Instant::now();
            let (post_id, fanned_out) = create(&service, UserId(author.id), image, round).await?;
            creates.push(start.elapsed());
            ensure!(!fanned_out, "a celebrity's post must not be fanned out");
            handles.push(handle(&*handler, UserId(author.id), post_id).await?);
            let rows = world
                .raw
                .number(&format!(
                    "SELECT COUNT(*) FROM timeline_entries WHERE post_id = '{post_id}'"
                ))
                .await?;
            ensure!(
                rows == 0,
                "a celebrity's post was written to {rows} timelines"
            );
        }
        println!(
            "RESULT celebrity {}: {} followers, createPost median {} ms, post.created handler median {} ms (max {} ms), 0 rows (load {})",
            world.backend(),
            author.followers,
            ms(median(&mut creates)),
            ms(median(&mut handles)),
            ms(handles.iter().copied().max().unwrap_or_default()),
            load_average()
        );
    }
    // A follower of every celebrity reads: their posts are merged in on read.
    let reader = UserId(fans[0].id);
    let timelines = world.timelines();
    let mut reads = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        let page = timelines
            .read(
                reader,
                PageRequest {
                    limit: 20,
                    after: None,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        reads.push(start.elapsed());
        ensure!(!page.items.is_empty(), "the follower's timeline is empty");
    }
    println!(
        "RESULT celebrity {}: a follower of all {} celebrities reads a first page (merged on read) in median {} ms (load {})",
        world.backend(),
        authors.len(),
        ms(median(&mut reads)),
        load_average()
    );
    world.close().await
}

/// Publishes a post through `createPost`'s use case; its id and whether it takes the fan-out path.
async fn create(
    service: &Posts,
    author: UserId,
    image: darkroom_core::domain::ImageId,
    round: usize,
) -> anyhow::Result<(PostId, bool)> {
    let view = service
        .create(
            author,
            NewPostForm {
                image_ids: vec![image],
                caption: format!("benchmark post {round} #bench"),
                visibility: Visibility::Public,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("createPost: {e}"))?;
    Ok((view.post.id, view.post.fanned_out))
}

/// Runs the worker's `post.created` handler on the post's event, as a delivery from the queue; how long
/// it took.
async fn handle(
    handler: &dyn JobHandler,
    author: UserId,
    post_id: PostId,
) -> anyhow::Result<Duration> {
    let message = message_of(&Event::PostCreated {
        post_id,
        author_id: author,
    });
    let start = Instant::now();
    let outcome = handler.handle(&message, FIRST_ATTEMPT).await;
    let took = start.elapsed();
    ensure!(outcome == JobOutcome::Done, "post.created: {outcome:?}");
    Ok(took)
}
