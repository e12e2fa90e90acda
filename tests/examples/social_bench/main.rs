//! The social benchmarks of the README (driven by `bench/social.sh`, which builds this in release mode):
//!
//! ```text
//! social_bench fanout    sqlite|POSTGRES_URL   one post fanned out to BENCH_FANOUT_FOLLOWERS (10000) followers,
//!                                              BENCH_FANOUT_POSTS (5) times
//! social_bench celebrity sqlite|POSTGRES_URL   a celebrity's post with BENCH_CELEBRITY_FOLLOWERS
//!                                              (1000,100000,1000000) followers, BENCH_CELEBRITY_POSTS (10)
//!                                              times each, above BENCH_CELEBRITY_THRESHOLD (500)
//! social_bench seed      DATABASE_URL          the timeline data set: BENCH_USERS (10000), BENCH_POSTS
//!                                              (1000000), BENCH_FOLLOWING (50 on average), BENCH_ZIPF (1.0),
//!                                              BENCH_THRESHOLD (1000, the server's celebrity threshold)
//! social_bench load      BASE_URL LABEL        getTimeline over HTTP for BENCH_READERS (1000) of the seeded
//!                                              users, BENCH_SECONDS (20) per warm phase, on 1 and on
//!                                              BENCH_CONNECTIONS (16) connections
//! ```
//!
//! `fanout` and `celebrity` make a fresh database of their own (a temporary SQLite file, or a schema in
//! the Postgres database) and drop it afterwards. Lines starting `RESULT` are the figures.

mod bulk;
mod fanout;
mod load;
mod report;
mod rng;
mod rows;
mod seed;
mod world;

use anyhow::{bail, Context};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().context(USAGE);
    match args.first().map(String::as_str) {
        Some("fanout") => {
            fanout::fan_out(
                &arg(1)?,
                env("BENCH_FANOUT_FOLLOWERS", 10_000)?,
                env("BENCH_FANOUT_POSTS", 5)?,
            )
            .await
        }
        Some("celebrity") => {
            let sizes = std::env::var("BENCH_CELEBRITY_FOLLOWERS")
                .unwrap_or_else(|_| "1000,100000,1000000".into())
                .split(',')
                .map(|size| size.trim().parse::<usize>())
                .collect::<Result<Vec<_>, _>>()
                .context("BENCH_CELEBRITY_FOLLOWERS: comma-separated counts")?;
            fanout::celebrity(
                &arg(1)?,
                &sizes,
                env("BENCH_CELEBRITY_POSTS", 10)?,
                env("BENCH_CELEBRITY_THRESHOLD", 500)?,
            )
            .await
        }
        Some("seed") => {
            let shape = seed::Shape {
                users: env("BENCH_USERS", 10_000)?,
                posts: env("BENCH_POSTS", 1_000_000)?,
                mean_following: env("BENCH_FOLLOWING", 50.0)?,
                zipf: env("BENCH_ZIPF", 1.0)?,
                celebrity_threshold: env("BENCH_THRESHOLD", 1_000)?,
            };
            seed::seed(&arg(1)?, shape).await
        }
        Some("load") => {
            let plan = load::LoadPlan {
                label: arg(2)?,
                users: env("BENCH_USERS", 10_000)?,
                readers: env("BENCH_READERS", 1_000)?,
                seconds: env("BENCH_SECONDS", 20)?,
                connections: env("BENCH_CONNECTIONS", 16)?,
            };
            load::load(arg(1)?.trim_end_matches('/'), plan).await
        }
        _ => bail!(USAGE),
    }
}

const USAGE: &str = "usage: social_bench fanout|celebrity sqlite|POSTGRES_URL, \
                     social_bench seed DATABASE_URL, social_bench load BASE_URL LABEL \
                     (sizes from BENCH_* variables: see the module docs)";

/// The variable `name` parsed, or `default` when it is unset.
fn env<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={text:?} is not a valid value")),
        Err(_) => Ok(default),
    }
}
