//! Which SQS queues serve a topic: `{PREFIX}-{TOPIC}.fifo`, with its dead letters in
//! `{PREFIX}-{TOPIC}-dlq.fifo`.
//!
//! SQS names allow letters, digits, `-` and `_` (and the `.fifo` suffix), while topics are dotted
//! (`image.ready`). A topic may hold letters, digits, `_` and `.`; each `.` becomes a `-`. Since a topic
//! cannot contain `-` itself, two topics never share a queue; and a topic may not end in `.dlq`, so that
//! none collides with another's dead letters.

use darkroom_core::ports::QueueError;

/// SQS's limit on a queue name, `.fifo` included.
const MAX_NAME_LEN: usize = 80;
const FIFO_SUFFIX: &str = ".fifo";
const DEAD_LETTER_SUFFIX: &str = "-dlq";

/// The two queues of one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TopicQueues {
    pub main: String,
    pub dead: String,
}

pub(super) fn for_topic(prefix: &str, topic: &str) -> Result<TopicQueues, QueueError> {
    let invalid =
        |why: &str| QueueError::other(format!("topic {topic:?} cannot name an sqs queue: {why}"));
    if topic.is_empty()
        || !topic
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err(invalid("use letters, digits, '_' and '.'"));
    }
    if topic.ends_with(".dlq") {
        return Err(invalid("'.dlq' would collide with a dead-letter queue"));
    }
    let stem = format!("{prefix}-{}", topic.replace('.', "-"));
    let queues = TopicQueues {
        main: format!("{stem}{FIFO_SUFFIX}"),
        dead: format!("{stem}{DEAD_LETTER_SUFFIX}{FIFO_SUFFIX}"),
    };
    if queues.dead.len() > MAX_NAME_LEN {
        return Err(invalid(&format!(
            "{:?} is longer than sqs's {MAX_NAME_LEN} characters",
            queues.dead
        )));
    }
    Ok(queues)
}

/// What every queue of the prefix `prefix` starts with (for listing them all, and nothing of a longer prefix).
pub(super) fn namespace(prefix: &str) -> String {
    format!("{prefix}-")
}

/// The queue name at the end of a queue URL (`https://sqs.eu-west-1.amazonaws.com/123/name`).
pub(super) fn name_of_url(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn dots_become_hyphens_and_dead_letters_get_their_own_queue() {
        let queues = for_topic("darkroom", "image.ready").unwrap();
        assert_eq!(queues.main, "darkroom-image-ready.fifo");
        assert_eq!(queues.dead, "darkroom-image-ready-dlq.fifo");
        assert_eq!(for_topic("p", "jobs").unwrap().main, "p-jobs.fifo");
    }

    #[test]
    fn names_sqs_cannot_hold_or_that_would_collide_are_refused() {
        for bad in ["", "a-b", "a b", "a/b", "x.dlq", "é"] {
            assert!(for_topic("p", bad).is_err(), "{bad}");
        }
        assert!(for_topic(&"p".repeat(40), &"t".repeat(30)).is_ok());
        assert!(for_topic(&"p".repeat(40), &"t".repeat(31)).is_err());
    }

    #[test]
    fn urls_end_in_the_queue_name() {
        assert_eq!(
            name_of_url("http://127.0.0.1:4566/000000000000/p-jobs.fifo"),
            "p-jobs.fifo"
        );
        assert_eq!(namespace("p"), "p-");
    }
}
