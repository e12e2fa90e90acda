-- The embedded queue's own file. Timestamps are INTEGER microseconds since the Unix epoch.
-- A message is 'ready' (waiting, or delivered and invisible until visible_at), 'dead' (out of attempts) or
-- 'acked' (done; kept without its payload for a while so that a re-publish of its id is still ignored).
CREATE TABLE queue_messages (
    topic      TEXT NOT NULL,
    id         TEXT NOT NULL,
    payload    BLOB NOT NULL,
    state      TEXT NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'dead', 'acked')),
    attempt    INTEGER NOT NULL DEFAULT 0,
    visible_at INTEGER NOT NULL,
    receipt    TEXT,
    created_at INTEGER NOT NULL,
    settled_at INTEGER,
    PRIMARY KEY (topic, id)
);
-- Serves receive: the visible messages of one topic, oldest first.
CREATE INDEX queue_messages_ready ON queue_messages (topic, state, visible_at);
-- Serves the purge of old acked rows.
CREATE INDEX queue_messages_settled ON queue_messages (state, settled_at);
