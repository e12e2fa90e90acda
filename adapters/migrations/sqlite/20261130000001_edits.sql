-- Edits (editImage): a derived image records the image it was made from and the operations, in order
-- (a JSON array). No foreign key: the source may be deleted while its edits stay.
ALTER TABLE images ADD COLUMN source_image_id TEXT;
ALTER TABLE images ADD COLUMN operations TEXT;
