//! `getTimeline` over HTTP against a running server: log a sample of the seeded users in (`login`, as a
//! client would), then read their home timelines' first page, each request as the next reader in turn.
//!
//! Cold: each reader's first read, which builds their stored timeline (half of the readers on one
//! connection, the other half on `connections`). Warm: every reader again and again, for `seconds`, on
//! one connection and then on `connections`. Each connection is a client of its own that sends one
//! request after the other (a closed loop), so latency under load includes the queueing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use futures::{stream, StreamExt, TryStreamExt};
use serde_json::{json, Value};

use crate::report::{load_average, ms, percentile};
use crate::rng::Rng;
use crate::rows::{username, PASSWORD};

/// Logins at once (each is an argon2 hash on the server).
const LOGINS_IN_FLIGHT: usize = 4;
const PAGE: &str = "/v1/timeline?limit=20";

#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub label: String,
    pub users: usize,
    pub readers: usize,
    pub seconds: u64,
    pub connections: usize,
}

pub async fn load(base: &str, plan: LoadPlan) -> anyhow::Result<()> {
    let mut indices: Vec<usize> = (0..plan.users).collect();
    Rng::seeded(4).shuffle(&mut indices);
    indices.truncate(plan.readers.min(plan.users));
    let client = reqwest::Client::new();
    let started = Instant::now();
    let tokens: Vec<String> = stream::iter(indices.iter().map(|&index| {
        let client = client.clone();
        async move { login(&client, base, &username(index)).await }
    }))
    .buffer_unordered(LOGINS_IN_FLIGHT)
    .try_collect()
    .await?;
    eprintln!(
        "load: {} readers logged in in {:.0} s",
        tokens.len(),
        started.elapsed().as_secs_f64()
    );
    let tokens = Arc::new(tokens);
    let half = tokens.len() / 2;
    let cold_one = Arc::new(tokens[..half].to_vec());
    let cold_many = Arc::new(tokens[half..].to_vec());
    let label = &plan.label;
    run(
        base,
        label,
        "cold (first read, builds the timeline)",
        &cold_one,
        1,
        None,
    )
    .await?;
    run(
        base,
        label,
        "cold (first read, builds the timeline)",
        &cold_many,
        plan.connections,
        None,
    )
    .await?;
    let warm = Some(Duration::from_secs(plan.seconds));
    run(base, label, "warm", &tokens, 1, warm).await?;
    run(base, label, "warm", &tokens, plan.connections, warm).await?;
    Ok(())
}

async fn login(client: &reqwest::Client, base: &str, username: &str) -> anyhow::Result<String> {
    let response = client
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"login": username, "password": PASSWORD}))
        .send()
        .await?;
    ensure!(
        response.status() == 200,
        "login {username}: {}",
        response.status()
    );
    let body: Value = response.json().await?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("no access_token")
}

/// Reads with `connections` clients: each token once when `duration` is `None`, else tokens in turn until
/// `duration` has passed. Prints the latencies.
async fn run(
    base: &str,
    label: &str,
    phase: &str,
    tokens: &Arc<Vec<String>>,
    connections: usize,
    duration: Option<Duration>,
) -> anyhow::Result<()> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = duration.map(|d| started + d);
    let workers = (0..connections).map(|_| {
        let (tokens, next, url) = (tokens.clone(), next.clone(), format!("{base}{PAGE}"));
        tokio::spawn(async move {
            // One client per connection, so each keeps its own connection alive.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()?;
            let mut latencies = Vec::new();
            let mut items = 0usize;
            loop {
                let turn = next.fetch_add(1, Ordering::Relaxed);
                let token = match deadline {
                    None if turn >= tokens.len() => break,
                    None => &tokens[turn],
                    Some(end) if Instant::now() >= end => break,
                    Some(_) => &tokens[turn % tokens.len()],
                };
                let start = Instant::now();
                let response = client.get(&url).bearer_auth(token).send().await?;
                let status = response.status();
                let body = response.bytes().await?;
                latencies.push(start.elapsed());
                ensure!(status == 200, "getTimeline answered {status}");
                if deadline.is_none() {
                    let page: Value = serde_json::from_slice(&body)?;
                    items += page["items"].as_array().map_or(0, Vec::len);
                }
            }
            anyhow::Ok((latencies, items))
        })
    });
    let mut latencies = Vec::new();
    let mut items = 0;
    for worker in workers.collect::<Vec<_>>() {
        let (mine, seen) = worker.await??;
        latencies.extend(mine);
        items += seen;
    }
    let elapsed = started.elapsed();
    let count = latencies.len();
    let pages = if duration.is_none() {
        format!(", {:.1} posts per page", items as f64 / count.max(1) as f64)
    } else {
        String::new()
    };
    println!(
        "RESULT timeline {label} {phase}, {connections} connection(s): {count} requests, {:.0} req/s, \
         p50 {} ms, p90 {} ms, p99 {} ms, max {} ms{pages} (load {})",
        count as f64 / elapsed.as_secs_f64(),
        ms(percentile(&mut latencies, 50.0)),
        ms(percentile(&mut latencies, 90.0)),
        ms(percentile(&mut latencies, 99.0)),
        ms(percentile(&mut latencies, 100.0)),
        load_average()
    );
    Ok(())
}
