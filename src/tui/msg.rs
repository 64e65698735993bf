//! What flows into the App (messages) and out of it (effects). The App never does I/O itself:
//! the runner performs each effect off the UI task and answers with a message.

use std::sync::Arc;

use crossterm::event::KeyEvent;

use crate::domain::member::{Member, NewMember};
use crate::domain::subscription::{MethodChange, SubscriptionRow};
use crate::domain::{AnyChannelConfig, ChannelKind, ChannelSummary, TestRecord};
use crate::store::{DeliveryCounts, DeliveryRow, EnqueueOutcome, NewEvent, StoreError};

/// A store result as it reaches the App: the typed error decides where it is shown (e.g. a
/// duplicate login on the Login field); `Arc` because messages are passed on, not cloned.
pub type StoreResult<T> = Result<T, Arc<StoreError>>;

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Resize,
    Tick,
    Quit,
    ChannelsLoaded(StoreResult<Vec<ChannelSummary>>),
    /// A channel's stored configuration, to open its Configure dialog with.
    ConfigLoaded(ChannelKind, StoreResult<Option<AnyChannelConfig>>),
    /// A channel's configuration was saved (or not); the dialog may be closed by then.
    Saved(ChannelKind, StoreResult<()>),
    /// A Test Message Sending ended (not sent for a cancelled test). `record` is its outcome (the
    /// channel's last test only if the tested values are the saved ones); `detail` adds e.g. the
    /// receiver's userid on success.
    TestFinished {
        seq: u64,
        record: TestRecord,
        detail: Option<String>,
    },
    SubscriptionsLoaded(StoreResult<Vec<SubscriptionRow>>),
    MembersLoaded(StoreResult<crate::tui::filter::MemberList>),
    MemberSaved(StoreResult<Member>),
    MemberDeleted {
        /// "Name (login)", to say who was deleted.
        name: String,
        result: StoreResult<()>,
    },
    ReceiversSaved(StoreResult<()>),
    LogLoaded(StoreResult<LogPage>),
    DeliveryRetried(StoreResult<()>),
    SampleQueued(StoreResult<EnqueueOutcome>),
    /// A line for the status bar from a background task.
    Notice(String),
    /// A database job failed without an answer (it panicked, or the store thread is gone).
    JobFailed(String),
    /// The database could not be opened (the message says why and what to do).
    StoreUnavailable(String),
    /// The background worker's view of the outbox.
    DeliveryProgress(crate::store::DeliveryCounts),
    /// The background worker waits for a database lock held by another process (or no more).
    DatabaseBusy(bool),
    /// A batch of grid changes was saved (or not: then the grid reverts it).
    MethodsSaved {
        changes: Vec<MethodChange>,
        result: StoreResult<()>,
    },
}

#[derive(Debug)]
pub enum Effect {
    LoadChannels,
    /// Read a channel's configuration to open its Configure dialog.
    LoadConfig(ChannelKind),
    /// Save the configuration; `test` is a test of exactly these values, to keep as the last test.
    SaveConfig {
        config: AnyChannelConfig,
        test: Option<TestRecord>,
    },
    /// Send a test with these (possibly unsaved) values; the outcome becomes the last test of
    /// `kind` only if they are the saved values.
    SendTest {
        seq: u64,
        kind: ChannelKind,
        config: AnyChannelConfig,
    },
    /// Send a test with the stored configuration.
    TestStored {
        seq: u64,
        kind: ChannelKind,
    },
    CancelTest {
        seq: u64,
    },
    LoadSubscriptions,
    /// Save grid changes in one transaction.
    SaveMethods(Vec<MethodChange>),
    LoadMembers,
    /// Add (id None) or update a member.
    SaveMember {
        id: Option<i64>,
        member: NewMember,
    },
    DeleteMember {
        id: i64,
        name: String,
    },
    LoadLog {
        filter: crate::store::DeliveryFilter,
        before: Option<i64>,
    },
    RetryDelivery {
        id: i64,
        /// Also a delivery that may have been delivered (the user confirmed).
        force: bool,
    },
    /// Something was queued: let the background worker look now.
    WakeWorker,
    /// Queue an event through the real outbox (the sandbox's sample).
    SendSample(NewEvent),
    SetReceivers {
        type_code: String,
        node_code: String,
        logins: Vec<String>,
    },
}

/// What a tab or an overlay did with a key: the App routes keys and acts on this only.
#[derive(Debug)]
pub enum Outcome {
    /// Not for this handler: the App offers the key to the next one (or ignores it).
    Ignored,
    Handled(Vec<Effect>),
    /// The overlay is done: the App pops it.
    Close,
}

/// One page read from the store, with the totals shown around it.
#[derive(Debug)]
pub struct LogPage {
    pub before: Option<i64>,
    pub rows: Vec<DeliveryRow>,
    pub total: u64,
    pub counts: DeliveryCounts,
}
