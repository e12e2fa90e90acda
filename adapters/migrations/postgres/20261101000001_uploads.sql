-- Resumable uploads (createUpload … completeUpload) and the parts each has received. Aborted and expired
-- uploads are deleted with their parts.
CREATE TABLE uploads (
    id                uuid PRIMARY KEY,
    owner_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    image_id          uuid NOT NULL,
    storage_upload_id text NOT NULL,
    blob_key          text NOT NULL,
    size              bigint CHECK (size >= 0),
    content_type      text,
    visibility        text NOT NULL CHECK (visibility IN ('public', 'followers', 'private')),
    status            text NOT NULL CHECK (status IN ('open', 'completing', 'completed')),
    expires_at        timestamptz NOT NULL,
    created_at        timestamptz NOT NULL
);
-- Serves the expiry pass: the soonest expired first.
CREATE INDEX uploads_expires ON uploads (expires_at, id);

CREATE TABLE upload_parts (
    upload_id   uuid NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    number      bigint NOT NULL,
    size        bigint NOT NULL CHECK (size >= 0),
    etag        text NOT NULL,
    checksum    text,
    storage_tag text NOT NULL,
    PRIMARY KEY (upload_id, number)
);
