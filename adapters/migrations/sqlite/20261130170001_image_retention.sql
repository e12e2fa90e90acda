-- Soft delete: a deleted image keeps its row (and blobs) for the retention window, in which its owner may
-- restore it; the purge pass then removes both. NULL: not deleted. Microseconds, as every timestamp here.
ALTER TABLE images ADD COLUMN deleted_at INTEGER;
-- The purge pass: the longest deleted first, over the deleted images only.
CREATE INDEX images_deleted ON images (deleted_at, id) WHERE deleted_at IS NOT NULL;
