//! `/metrics` in Prometheus text format (prometheus-client, the Prometheus project's own Rust
//! crate): deliveries by channel and status, retries, the last error's time, DingTalk call
//! latency, and events taken in.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::delivery::WorkerEvent;
use crate::store::DeliveryCounts;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    channel: &'static str,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    api: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

pub struct Metrics {
    registry: Registry,
    deliveries: Family<DeliveryLabels, Gauge>,
    retries: Counter,
    last_error: Gauge<f64, AtomicU64>,
    calls: Family<CallLabels, Histogram>,
    ingested: Family<OutcomeLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("notifydesk");
        let deliveries = Family::<DeliveryLabels, Gauge>::default();
        registry.register(
            "deliveries",
            "Deliveries in the outbox by channel and status",
            deliveries.clone(),
        );
        let retries = Counter::default();
        registry.register(
            "delivery_retries",
            "Deliveries put back for a later attempt (server errors, throttling, flow control)",
            retries.clone(),
        );
        let last_error = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "last_error_timestamp_seconds",
            "Unix time of the last failed delivery or worker error (0 = none since start)",
            last_error.clone(),
        );
        let calls = Family::<CallLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.005, 2.0, 12))
        });
        registry.register(
            "dingtalk_call_duration_seconds",
            "DingTalk API call latency by API and outcome",
            calls.clone(),
        );
        let ingested = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "ingest_events",
            "Events received over HTTP by outcome",
            ingested.clone(),
        );
        Metrics {
            registry,
            deliveries,
            retries,
            last_error,
            calls,
            ingested,
        }
    }
}

impl Metrics {
    /// Account for what the delivery worker reports.
    pub fn observe(&self, e: &WorkerEvent) {
        match e {
            WorkerEvent::Call { api, elapsed, ok } => {
                let outcome = if *ok { "ok" } else { "error" };
                self.calls
                    .get_or_create(&CallLabels { api, outcome })
                    .observe(elapsed.as_secs_f64());
            }
            WorkerEvent::Deferred(n) => {
                self.retries.inc_by(*n as u64);
            }
            WorkerEvent::Failed(_) | WorkerEvent::Trouble(_) => self.error_now(),
            _ => {}
        }
    }

    fn error_now(&self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        self.last_error.set(now.as_secs_f64());
    }

    pub fn ingested(&self, outcome: &'static str, n: u64) {
        self.ingested
            .get_or_create(&OutcomeLabels { outcome })
            .inc_by(n);
    }

    /// The text exposition, with the outbox counts read just now.
    pub fn render(&self, by_channel: &[(&'static str, DeliveryCounts)]) -> String {
        for (channel, counts) in by_channel {
            for (status, n) in [
                ("pending", counts.pending),
                ("sending", counts.sending),
                ("sent", counts.sent),
                ("failed", counts.failed),
                ("unknown", counts.unknown),
                ("skipped", counts.skipped),
            ] {
                self.deliveries
                    .get_or_create(&DeliveryLabels { channel, status })
                    .set(n as i64);
            }
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
