//! The connection to the broker: opened at start, opened again on the next use after it dropped (lapin does
//! not reconnect by itself), plus one publisher channel in confirm mode shared by every publish.

use std::sync::Arc;
use std::time::Duration;

use darkroom_core::ports::QueueError;
use lapin::options::ConfirmSelectOptions;
use lapin::protocol::AMQPErrorKind;
use lapin::{Channel, Connection, ConnectionProperties};
use tokio::sync::Mutex;

use super::address::redacted;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Bounds every broker round trip the adapter waits on.
pub(super) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) struct Link {
    broker: String,
    connection: Mutex<Option<Arc<Connection>>>,
    publisher: Mutex<Option<Channel>>,
}

impl Link {
    /// Connects now, so a wrong URL or an unreachable broker fails at start.
    pub async fn open(broker: String) -> Result<Self, QueueError> {
        let connection = connect(&broker).await?;
        Ok(Self {
            broker,
            connection: Mutex::new(Some(Arc::new(connection))),
            publisher: Mutex::new(None),
        })
    }

    /// The live connection, reconnecting if it dropped.
    pub async fn connection(&self) -> Result<Arc<Connection>, QueueError> {
        let mut current = self.connection.lock().await;
        if let Some(connection) = current.as_ref().filter(|c| c.status().connected()) {
            return Ok(connection.clone());
        }
        tracing::info!(broker = %redacted(&self.broker), "connecting to rabbitmq");
        let connection = Arc::new(connect(&self.broker).await?);
        *current = Some(connection.clone());
        Ok(connection)
    }

    /// A new channel. Channel-level errors (a queue that is missing, or declared differently) close the
    /// channel they happen on, so each piece of work that may meet one gets its own.
    pub async fn channel(&self) -> Result<Channel, QueueError> {
        let connection = self.connection().await?;
        within("open a channel", connection.create_channel()).await
    }

    /// The shared publisher channel, in confirm mode.
    pub async fn publisher(&self) -> Result<Channel, QueueError> {
        let mut publisher = self.publisher.lock().await;
        if let Some(channel) = publisher.as_ref().filter(|c| c.status().connected()) {
            return Ok(channel.clone());
        }
        let channel = self.channel().await?;
        within(
            "enable publisher confirms",
            channel.confirm_select(ConfirmSelectOptions::default()),
        )
        .await?;
        *publisher = Some(channel.clone());
        Ok(channel)
    }
}

async fn connect(broker: &str) -> Result<Connection, QueueError> {
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|e| QueueError::other_from("rabbitmq needs a tokio runtime", e))?;
    let properties = ConnectionProperties::default()
        .with_connection_name("darkroom".into())
        .with_executor(tokio_executor_trait::Tokio::default().with_handle(handle))
        .with_reactor(tokio_reactor_trait::Tokio);
    match tokio::time::timeout(CONNECT_TIMEOUT, Connection::connect(broker, properties)).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(e)) => Err(QueueError::unavailable_from(
            format!("cannot connect to rabbitmq at {}", redacted(broker)),
            e,
        )),
        Err(_) => Err(QueueError::unavailable(format!(
            "cannot connect to rabbitmq at {}: no answer within {CONNECT_TIMEOUT:?}",
            redacted(broker)
        ))),
    }
}

/// Runs one broker operation under `REQUEST_TIMEOUT`, mapping lapin's errors to the port's.
pub(super) async fn within<T>(
    what: &str,
    operation: impl std::future::Future<Output = lapin::Result<T>>,
) -> Result<T, QueueError> {
    match tokio::time::timeout(REQUEST_TIMEOUT, operation).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(broker_error(what, &e)),
        Err(_) => Err(QueueError::unavailable(format!(
            "rabbitmq did not {what} within {REQUEST_TIMEOUT:?}"
        ))),
    }
}

/// A channel-level refusal by the broker (a queue declared with other arguments, say) is `Other`; a broken
/// or closed connection (connection-level errors included) is `Unavailable`.
pub(super) fn broker_error(what: &str, err: &lapin::Error) -> QueueError {
    match err {
        lapin::Error::ProtocolError(refusal)
            if matches!(refusal.kind(), AMQPErrorKind::Soft(_)) =>
        {
            QueueError::other_from(format!("rabbitmq refused to {what}"), err.clone())
        }
        _ => QueueError::unavailable_from(format!("rabbitmq could not {what}"), err.clone()),
    }
}

/// The broker's 404 for a queue that does not exist.
pub(super) fn is_not_found(err: &lapin::Error) -> bool {
    matches!(err, lapin::Error::ProtocolError(refusal) if refusal.get_id() == 404)
}
