-- Automatic tags (a JSON array, like `tags`) and the capture kept from the original's EXIF, which the served
-- bytes lose: camera make and model, and the camera's local shooting time as `YYYY-MM-DDTHH:MM:SS` (EXIF
-- gives no time zone). Location is never stored.
ALTER TABLE images ADD COLUMN auto_tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE images ADD COLUMN camera_make TEXT;
ALTER TABLE images ADD COLUMN camera_model TEXT;
ALTER TABLE images ADD COLUMN taken_at TEXT;
