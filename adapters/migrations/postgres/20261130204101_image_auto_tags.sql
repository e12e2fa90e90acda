-- Automatic tags (a JSON array, like `tags`) and the capture kept from the original's EXIF, which the served
-- bytes lose: camera make and model, and the camera's local shooting time as `YYYY-MM-DDTHH:MM:SS` (text:
-- EXIF gives no time zone, and every adapter stores it the same way). Location is never stored.
ALTER TABLE images ADD COLUMN auto_tags jsonb NOT NULL DEFAULT '[]',
                   ADD COLUMN camera_make text,
                   ADD COLUMN camera_model text,
                   ADD COLUMN taken_at text;
