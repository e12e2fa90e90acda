-- Edits (editImage): a derived image records the image it was made from and the operations, in order.
-- No foreign key: the source may be deleted while its edits stay.
ALTER TABLE images ADD COLUMN source_image_id uuid, ADD COLUMN operations jsonb;
