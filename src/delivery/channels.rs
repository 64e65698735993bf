//! Which client delivers a claimed batch: DingTalk's own path (`batch.rs`), or a
//! [`PersonalChannel`](crate::personal::PersonalChannel) client for WeCom, Feishu and Lark.

use std::sync::Arc;

use super::{DeliveryError, DrainReport, Worker};
use crate::domain::ChannelKind;
use crate::personal::HttpOptions;
use crate::store::{ClaimedBatch, Problem, Recipient};
use crate::{feishu, wecom};

/// The WeCom, Feishu and Lark clients a worker sends with, each on its base URL.
#[derive(Clone)]
pub struct PersonalClients {
    pub wecom: Arc<wecom::Client>,
    pub feishu: Arc<feishu::Client>,
    pub lark: Arc<feishu::Client>,
}

/// Base URLs of the three platforms (`--wecom-api`, `--feishu-api`, `--lark-api`).
#[derive(Clone, Debug)]
pub struct PersonalEndpoints {
    pub wecom: url::Url,
    pub feishu: url::Url,
    pub lark: url::Url,
}

impl Default for PersonalEndpoints {
    fn default() -> PersonalEndpoints {
        let parse = |s: &str| url::Url::parse(s).expect("a valid default base URL");
        PersonalEndpoints {
            wecom: parse(wecom::WECOM_API),
            feishu: parse(feishu::FEISHU_API),
            lark: parse(feishu::LARK_API),
        }
    }
}

impl PersonalClients {
    pub fn new(
        endpoints: &PersonalEndpoints,
        opts: HttpOptions,
    ) -> Result<PersonalClients, crate::personal::ChannelError> {
        Ok(PersonalClients {
            wecom: Arc::new(wecom::Client::new(
                ChannelKind::WeCom,
                endpoints.wecom.clone(),
                opts,
            )?),
            feishu: Arc::new(feishu::Client::new(
                ChannelKind::Feishu,
                endpoints.feishu.clone(),
                opts,
            )?),
            lark: Arc::new(feishu::Client::new(
                ChannelKind::FeishuLark,
                endpoints.lark.clone(),
                opts,
            )?),
        })
    }
}

impl Default for PersonalClients {
    fn default() -> PersonalClients {
        PersonalClients::new(&PersonalEndpoints::default(), HttpOptions::default())
            .expect("clients for the platforms' default hosts")
    }
}

impl Worker {
    /// Deliver a batch of a WeCom, Feishu or Lark channel.
    pub(super) async fn process_other(
        &mut self,
        batch: ClaimedBatch,
        report: &mut DrainReport,
    ) -> Result<(), DeliveryError> {
        let kind = batch.channel;
        let Some(config) = self.store.load_channel(kind)? else {
            let all: Vec<&Recipient> = batch.recipients.iter().collect();
            let p = Problem::new(
                "not_configured",
                format!("the {} personal channel is not configured", kind.platform()),
            );
            self.fail(&all, &p, report).await;
            return Ok(());
        };
        let clients = self.personal.clone();
        match kind {
            ChannelKind::WeCom => {
                self.process_personal(clients.wecom, config, batch, report)
                    .await
            }
            ChannelKind::Feishu => {
                self.process_personal(clients.feishu, config, batch, report)
                    .await
            }
            ChannelKind::FeishuLark => {
                self.process_personal(clients.lark, config, batch, report)
                    .await
            }
            ChannelKind::DingTalk => self.process(batch, report).await,
        }
    }
}
