-- The archive tier of originals: when an image's original was last read (noted at most once a day; NULL: not
-- since the upload, whose time counts), and when its originals moved to the archive tier (NULL: hot).
ALTER TABLE images ADD COLUMN original_read_at timestamptz;
ALTER TABLE images ADD COLUMN original_archived_at timestamptz;
-- The archive pass: the hot originals of live, processed images, longest unread first.
CREATE INDEX images_original_unread ON images (COALESCE(original_read_at, created_at), id)
    WHERE original_archived_at IS NULL AND deleted_at IS NULL AND status <> 'processing';
