-- Resumable uploads (createUpload … completeUpload) and the parts each has received. Aborted and expired
-- uploads are deleted with their parts.
CREATE TABLE uploads (
    id                TEXT PRIMARY KEY NOT NULL,
    owner_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    image_id          TEXT NOT NULL,
    storage_upload_id TEXT NOT NULL,
    blob_key          TEXT NOT NULL,
    size              INTEGER,
    content_type      TEXT,
    visibility        TEXT NOT NULL CHECK (visibility IN ('public', 'followers', 'private')),
    status            TEXT NOT NULL CHECK (status IN ('open', 'completing', 'completed')),
    expires_at        INTEGER NOT NULL,
    created_at        INTEGER NOT NULL
);
-- Serves the expiry pass: the soonest expired first.
CREATE INDEX uploads_expires ON uploads (expires_at, id);

CREATE TABLE upload_parts (
    upload_id   TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    etag        TEXT NOT NULL,
    checksum    TEXT,
    storage_tag TEXT NOT NULL,
    PRIMARY KEY (upload_id, number)
);
