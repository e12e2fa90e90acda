//! What `/metrics` shows after an API story (register, upload, processing, reads), from the port wrappers:
//! database calls by repository and operation, cache reads and calls, queue calls and waits, pipeline
//! stages. Names and units as Prometheus has them (`_seconds` histograms with explicit buckets, `_total`
//! counters), and only labels from fixed sets: no id, key or path ever becomes a label value.
//!
//! The recorder is the process's: other tests of this binary add to the same series, so counts are checked
//! to be at least what this story did, never exactly.

use std::collections::BTreeSet;

use darkroom_tests::app::spawn_app_with;

/// The value of the series named exactly `series` (name and labels), if it is there.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

fn at_least_one(text: &str, series: &str) {
    let count = value(text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"));
    assert!(count >= 1.0, "{series} = {count}");
}

/// The label names of every series of the metric `name` (its `_bucket`, `_sum`, `_count` for a histogram).
fn label_names(text: &str, name: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|line| !line.starts_with('#') && line.starts_with(name))
        .filter_map(|line| {
            let labels = line.split_once('{')?.1.rsplit_once('}')?.0;
            Some(
                labels
                    .split("\",")
                    .filter_map(|pair| pair.split_once('=').map(|(k, _)| k.to_owned()))
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn an_api_story_is_measured_at_every_port() {
    let app = spawn_app_with(|c| {
        c.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let me = app.register("portwatch").await;
    let image = app
        .upload_testdata(&me, "photos/Canon_40D.jpg", "private")
        .await;
    let id = image["id"].as_str().unwrap().to_owned();
    assert_eq!(app.wait_processed(&me, &id).await["status"], "ready");
    // Read twice: the first read after processing fills the cache (a miss), the second is served from it.
    for _ in 0..2 {
        assert_eq!(app.get_image(Some(&me), &id).await.status(), 200);
    }
    let text = app.metrics().await;

    for (metric, kind) in [
        ("db_operation_duration_seconds", "histogram"),
        ("cache_operation_duration_seconds", "histogram"),
        ("cache_requests_total", "counter"),
        ("queue_operation_duration_seconds", "histogram"),
        ("queue_message_wait_seconds", "histogram"),
        ("queue_messages_delivered_total", "counter"),
        ("pipeline_stage_duration_seconds", "histogram"),
    ] {
        assert!(
            text.contains(&format!("# TYPE {metric} {kind}")),
            "{metric} is a {kind}:\n{text}"
        );
    }

    // The database, by repository and operation: the upload's row and job, the relay's claim, the account.
    for (repository, operation) in [
        ("users", "create_user"),
        ("images", "create_image"),
        ("images", "complete_processing"),
        ("outbox", "claim_outbox"),
        ("outbox", "mark_outbox_relayed"),
    ] {
        at_least_one(
            &text,
            &format!("db_operation_duration_seconds_count{{repository=\"{repository}\",operation=\"{operation}\",outcome=\"ok\"}}"),
        );
    }
    // Explicit buckets, as the server's other latency histograms have.
    assert!(
        text.contains("db_operation_duration_seconds_bucket{repository=\"images\",operation=\"create_image\",outcome=\"ok\",le=\"0.005\"}"),
        "{text}"
    );

    // The cache: every authenticated request reads its account's access facts through it, so the story
    // has both misses (the first reads) and hits (the polls that followed).
    for result in ["hit", "miss"] {
        let reads: f64 = text
            .lines()
            .filter(|line| {
                line.starts_with("cache_requests_total{")
                    && line.contains(&format!("result=\"{result}\""))
            })
            .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
            .sum();
        assert!(reads >= 1.0, "no cache {result} in\n{text}");
    }
    at_least_one(
        &text,
        "cache_operation_duration_seconds_count{operation=\"get\",kind=\"user\",outcome=\"ok\"}",
    );

    // The queue: the job published by the relay, delivered, acked, and how long it waited.
    for operation in ["publish", "ack"] {
        at_least_one(
            &text,
            &format!(
                "queue_operation_duration_seconds_count{{operation=\"{operation}\",outcome=\"ok\"}}"
            ),
        );
    }
    at_least_one(
        &text,
        "queue_message_wait_seconds_count{topic=\"image.process\"}",
    );
    at_least_one(
        &text,
        "queue_messages_delivered_total{topic=\"image.process\"}",
    );

    // The pipeline: the upload job's render.
    at_least_one(
        &text,
        "pipeline_stage_duration_seconds_count{stage=\"process_upload\",outcome=\"ok\"}",
    );

    // Bounded labels: only these names, and never the image's id or the account's name as a value.
    let histogram = |extra: &[&str]| {
        let mut set = names(extra);
        set.insert("le".into());
        set
    };
    assert_eq!(
        label_names(&text, "db_operation_duration_seconds"),
        histogram(&["repository", "operation", "outcome"])
    );
    assert_eq!(
        label_names(&text, "cache_operation_duration_seconds"),
        histogram(&["operation", "kind", "outcome"])
    );
    assert_eq!(
        label_names(&text, "cache_requests_total"),
        names(&["kind", "result"])
    );
    assert_eq!(
        label_names(&text, "queue_operation_duration_seconds"),
        histogram(&["operation", "outcome"])
    );
    assert_eq!(
        label_names(&text, "queue_message_wait_seconds"),
        histogram(&["topic"])
    );
    assert_eq!(
        label_names(&text, "pipeline_stage_duration_seconds"),
        histogram(&["stage", "outcome"])
    );
    assert!(!text.contains(&id), "an image id became a label value");
    assert!(
        !text.contains("portwatch"),
        "an account name became a label value"
    );
}

/// The series of `metric` (its lines without comments), for the failure messages.
fn series_of<'a>(text: &'a str, metric: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|line| line.starts_with(metric) && !line.starts_with('#'))
        .collect()
}

#[tokio::test]
async fn the_backlog_gauges_show_every_topic_and_the_outbox() {
    let app = spawn_app_with(|c| {
        c.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let me = app.register("backlogwatch").await;
    let image = app
        .upload_testdata(&me, "photos/Canon_40D.jpg", "private")
        .await;
    let id = image["id"].as_str().unwrap().to_owned();
    assert_eq!(app.wait_processed(&me, &id).await["status"], "ready");

    // The API role samples at start and then every 15 s: the first sample is in by now, or very soon.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut text = app.metrics().await;
    while !text.contains("outbox_oldest_message_age_seconds ")
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        text = app.metrics().await;
    }

    for metric in [
        "queue_depth_messages",
        "queue_oldest_message_age_seconds",
        "outbox_pending_messages",
        "outbox_oldest_message_age_seconds",
    ] {
        // RabbitMQ and SQS cannot date their oldest message: no age series rather than a wrong zero.
        let dated = !["amqp", "amqps", "sqs"]
            .iter()
            .any(|scheme| app.config.queue_url.starts_with(&format!("{scheme}:")));
        if metric == "queue_oldest_message_age_seconds" && !dated {
            assert!(series_of(&text, metric).is_empty(), "{text}");
            continue;
        }
        assert!(
            text.contains(&format!("# TYPE {metric} gauge")),
            "{metric} is a gauge:\n{text}"
        );
    }
    // One series per topic the product uses, labelled by topic alone, each a count or an age (never negative).
    for topic in darkroom_core::domain::all_topics() {
        let depth = value(&text, &format!("queue_depth_messages{{topic=\"{topic}\"}}"))
            .unwrap_or_else(|| panic!("no depth of {topic} in\n{text}"));
        assert!(depth >= 0.0 && depth.fract() == 0.0, "{topic}: {depth}");
    }
    assert_eq!(
        label_names(&text, "queue_depth_messages"),
        names(&["topic"])
    );
    for age in series_of(&text, "queue_oldest_message_age_seconds") {
        let seconds: f64 = age.rsplit_once(' ').unwrap().1.parse().unwrap();
        assert!((0.0..3600.0).contains(&seconds), "{age}");
    }
    let pending = value(&text, "outbox_pending_messages").expect("the outbox's count");
    assert!(pending >= 0.0 && pending.fract() == 0.0, "{pending}");
    let waited = value(&text, "outbox_oldest_message_age_seconds").expect("the outbox's age");
    assert!(waited >= 0.0, "{waited}");
    assert!(series_of(&text, "outbox_pending_messages")
        .iter()
        .all(|line| !line.contains('{')));
}
