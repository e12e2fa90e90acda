-- The SHA-256 of the metadata-stripped copy of the original that others download: what they are told
-- instead of the upload's own hash, which would confirm a guess of the unstripped original (GPS and all).
-- Null for images processed before it was kept.
ALTER TABLE images ADD COLUMN public_original_sha256 TEXT;
