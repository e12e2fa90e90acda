//! `UploadRepository` on DynamoDB. An upload and its parts share one partition, `UPLOAD#<id>` (the upload
//! at sort key `UPLOAD`, part N at `PART#<N, five digits>`), so its parts are one Query in number order. The
//! expiry pass reads `UPLOADS_EXPIRING`, whose sort keys are `keys::order(expires_at, id)`: an entry is
//! written with its upload in one transaction and deleted with it.
//!
//! A part is written in a transaction with a condition check on its upload's status (`open`), so a part
//! never lands on an upload being completed or gone; a status moves with a conditional UpdateItem.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use darkroom_core::domain::{ImageId, Upload, UploadId, UploadPart, UploadStatus, UserId};
use darkroom_core::ports::{DbError, UploadRepository};
use uuid::Uuid;

use super::attrs::{
    micros, n, opt_num, opt_string, put_opt, req_enum, req_num, req_string, req_time, req_uuid, s,
};
use super::calls::{retry_conflicts, Transacted};
use super::errors::{built, unless_condition_failed};
use super::keys::{self, Item, PK, SK};
use super::query::{PartitionQuery, SortKeys};
use super::writes::{names, vals, values};
use super::DynamoDatabase;

const EXPIRING: &str = "UPLOADS_EXPIRING";

fn partition(id: UploadId) -> String {
    format!("UPLOAD#{}", id.0)
}

fn key(pk: String, sk: String) -> Item {
    Item::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

fn upload_key(id: UploadId) -> Item {
    key(partition(id), "UPLOAD".to_owned())
}

fn part_key(id: UploadId, number: u32) -> Item {
    key(partition(id), format!("PART#{number:05}"))
}

fn expiry_key(upload: &Upload) -> Item {
    key(
        EXPIRING.to_owned(),
        keys::order(upload.expires_at, upload.id.0),
    )
}

fn upload_item(upload: &Upload) -> Item {
    let mut item = upload_key(upload.id);
    item.extend([
        ("owner_id".to_owned(), s(upload.owner_id.0.to_string())),
        ("image_id".to_owned(), s(upload.image_id.0.to_string())),
        ("storage_upload_id".to_owned(), s(&upload.storage_upload_id)),
        ("blob_key".to_owned(), s(&upload.key)),
        ("visibility".to_owned(), s(upload.visibility.as_str())),
        ("status".to_owned(), s(upload.status.as_str())),
        ("expires_at".to_owned(), micros(upload.expires_at)),
        ("created_at".to_owned(), micros(upload.created_at)),
    ]);
    put_opt(&mut item, "size", upload.size.map(n));
    put_opt(
        &mut item,
        "content_type",
        upload.content_type.as_deref().map(s),
    );
    item
}

fn read_upload(item: &Item) -> Result<Upload, DbError> {
    Ok(Upload {
        id: UploadId(req_str_uuid(item, PK, "UPLOAD#")?),
        owner_id: UserId(req_uuid(item, "owner_id")?),
        image_id: ImageId(req_uuid(item, "image_id")?),
        storage_upload_id: req_string(item, "storage_upload_id")?,
        key: req_string(item, "blob_key")?,
        size: opt_num(item, "size")?,
        content_type: opt_string(item, "content_type")?,
        visibility: req_enum(item, "visibility")?,
        status: req_enum(item, "status")?,
        expires_at: req_time(item, "expires_at")?,
        created_at: req_time(item, "created_at")?,
    })
}

/// The UUID after `prefix` in the string attribute `name`.
fn req_str_uuid(item: &Item, name: &str, prefix: &str) -> Result<Uuid, DbError> {
    let text = req_string(item, name)?;
    text.strip_prefix(prefix)
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| DbError::other(format!("corrupt {name} in dynamodb: {text:?}")))
}

fn read_part(item: &Item) -> Result<UploadPart, DbError> {
    Ok(UploadPart {
        number: req_num(item, "number")?,
        size: req_num(item, "size")?,
        etag: req_string(item, "etag")?,
        checksum: opt_string(item, "checksum")?,
        storage_tag: req_string(item, "storage_tag")?,
    })
}

impl DynamoDatabase {
    /// A transaction item putting `item`, replacing whatever had its key.
    fn put_any(&self, item: Item) -> Result<TransactWriteItem, DbError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build();
        Ok(TransactWriteItem::builder().put(built(put)?).build())
    }
}

#[async_trait]
impl UploadRepository for DynamoDatabase {
    async fn create_upload(&self, upload: &Upload) -> Result<(), DbError> {
        let mut entry = expiry_key(upload);
        entry.insert("upload_id".to_owned(), s(upload.id.0.to_string()));
        let writes = vec![self.put_new(upload_item(upload))?, self.put_any(entry)?];
        match self.transact(writes, "creating an upload").await? {
            Transacted::Done => Ok(()),
            Transacted::ConditionsFailed(_) => Err(DbError::other("an upload with this id exists")),
        }
    }

    async fn upload(&self, id: UploadId) -> Result<Option<Upload>, DbError> {
        self.get(upload_key(id), "reading an upload")
            .await?
            .as_ref()
            .map(read_upload)
            .transpose()
    }

    async fn upload_parts(&self, id: UploadId) -> Result<Vec<UploadPart>, DbError> {
        let query = PartitionQuery {
            pk: partition(id),
            sort_keys: SortKeys::BeginsWith("PART#".to_owned()),
            descending: false,
        };
        self.query_items(&query, None, "reading an upload's parts")
            .await?
            .iter()
            .map(read_part)
            .collect()
    }

    async fn put_upload_part(&self, id: UploadId, part: &UploadPart) -> Result<bool, DbError> {
        let mut item = part_key(id, part.number);
        item.extend([
            ("number".to_owned(), n(part.number)),
            ("size".to_owned(), n(part.size)),
            ("etag".to_owned(), s(&part.etag)),
            ("storage_tag".to_owned(), s(&part.storage_tag)),
        ]);
        put_opt(&mut item, "checksum", part.checksum.as_deref().map(s));
        let writes = vec![
            self.check(
                upload_key(id),
                "#status = :open",
                vals([(":open", s(UploadStatus::Open.as_str()))]),
            )?,
            self.put_any(item)?,
        ];
        Ok(self.transact(writes, "recording an upload part").await? == Transacted::Done)
    }

    async fn set_upload_status(
        &self,
        id: UploadId,
        from: UploadStatus,
        to: UploadStatus,
    ) -> Result<bool, DbError> {
        let (update, condition) = ("SET #status = :to", "#status = :from");
        let changed = retry_conflicts(|| {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(upload_key(id)))
                .update_expression(update)
                .condition_expression(condition)
                .set_expression_attribute_names(names(&[update, condition]))
                .set_expression_attribute_values(values(vals([
                    (":to", s(to.as_str())),
                    (":from", s(from.as_str())),
                ])))
                .send()
        })
        .await;
        Ok(unless_condition_failed(changed, &self.table, "changing an upload's status")?.is_some())
    }

    async fn delete_upload(&self, id: UploadId) -> Result<bool, DbError> {
        let Some(upload) = self.upload(id).await? else {
            return Ok(false);
        };
        let items = self
            .query_items(
                &PartitionQuery::all(partition(id)),
                None,
                "reading an upload",
            )
            .await?;
        // The parts and the expiry entry first, the upload last: a crash in between leaves an upload that
        // the expiry pass (or a retry) removes, never parts without their upload.
        let mut rest: Vec<Item> = items
            .iter()
            .map(keys::key_of)
            .filter(|k| k.get(SK) != Some(&AttributeValue::S("UPLOAD".to_owned())))
            .collect();
        rest.push(expiry_key(&upload));
        self.batch_delete(rest, "deleting an upload's parts")
            .await?;
        self.batch_delete(vec![upload_key(id)], "deleting an upload")
            .await?;
        Ok(true)
    }

    async fn expired_uploads(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Upload>, DbError> {
        let query = PartitionQuery {
            pk: EXPIRING.to_owned(),
            sort_keys: SortKeys::Below(keys::order(now, Uuid::nil())),
            descending: false,
        };
        let entries = self
            .query_items(&query, Some(limit), "reading expired uploads")
            .await?;
        let mut found = Vec::new();
        for entry in &entries {
            let id = UploadId(req_uuid(entry, "upload_id")?);
            match self.upload(id).await? {
                Some(upload) => found.push(upload),
                // An entry whose upload is gone (a delete cut short): drop it.
                None => {
                    self.batch_delete(vec![keys::key_of(entry)], "dropping an expiry entry")
                        .await?
                }
            }
        }
        Ok(found)
    }
}
