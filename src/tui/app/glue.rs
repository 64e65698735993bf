//! Glue between units: the requests a tab or an overlay makes of the App, and the results
//! that concern more than one unit.

use super::{App, Tab};
use crate::store::NewEvent;
use crate::tui::dialogs::member_form::MemberForm;
use crate::tui::msg::{Effect, StoreResult};
use crate::tui::tabs::delivery_log::detail::DeliveryDetail;
use crate::tui::tabs::subscriptions::receivers::ReceiversPicker;
use crate::tui::ui::{Level, Request};

impl App {
    /// Carries out what the last key's handler asked for.
    pub(super) fn apply_requests(&mut self) -> Vec<Effect> {
        let mut effects = vec![];
        for request in self.ui.take_requests() {
            match request {
                Request::Open(overlay) => self.overlays.push(overlay),
                Request::OpenDelivery(row) => {
                    let detail = DeliveryDetail::new(*row, &self.subscriptions);
                    self.overlays.push(Box::new(detail));
                }
                Request::CloseBelow => effects.extend(self.close_top()),
                Request::GotoChannels => {
                    self.ui.tab = Tab::Channels;
                    self.channels.selected = 0;
                }
                Request::EditReceivers => self.open_receivers(),
                Request::SendSample => effects.extend(self.send_sample()),
                Request::RecordReceivers {
                    type_code,
                    node_code,
                } => self.subscriptions.record_receivers(&type_code, &node_code),
                Request::Retry(row) => {
                    let fx = self.log.retry(&row, &mut self.ui);
                    // The detail overlay it came from closes once the retry starts.
                    if !fx.is_empty() {
                        self.overlays.pop();
                    }
                    effects.extend(fx);
                }
                Request::Run(effect) => effects.push(effect),
                Request::Quit => self.should_quit = true,
            }
        }
        effects
    }

    /// Enter on a grid row: choose the members added to its default receiver.
    fn open_receivers(&mut self) {
        let Some(row) = self.subscriptions.current_row() else {
            return;
        };
        if self.members.members.is_empty() {
            self.ui.set_status(
                Level::Info,
                self.ui.lang.tr("status.no_members_for_receivers"),
            );
            return;
        }
        let picker = ReceiversPicker::for_row(row, &self.members.members);
        self.overlays.push(Box::new(picker));
    }

    /// A sample event for the first subscription row, named to the first member, sent through
    /// the real outbox so a newcomer sees the log fill (sandbox only: it is made-up data).
    fn send_sample(&mut self) -> Vec<Effect> {
        if !self.sandbox {
            self.ui
                .set_status(Level::Info, self.ui.lang.tr("status.sample_sandbox_only"));
            return vec![];
        }
        let (Some(row), Some(member)) =
            (self.subscriptions.rows.first(), self.members.members.get(0))
        else {
            self.ui
                .set_status(Level::Info, self.ui.lang.tr("status.sample_not_ready"));
            return vec![];
        };
        let seq = self.ui.next_seq();
        let at = chrono::Utc::now().timestamp();
        vec![Effect::SendSample(NewEvent {
            event_id: format!("sample-{at}-{seq}"),
            type_code: row.type_code.clone(),
            node_code: row.node_code.clone(),
            title: format!("Sample event {seq}"),
            text: "Sent from the sandbox with the s key of the Delivery Log.".into(),
            link: None,
            members: vec![member.login.clone()],
        })]
    }

    pub(super) fn on_member_saved(
        &mut self,
        result: StoreResult<crate::domain::member::Member>,
    ) -> Vec<Effect> {
        match result {
            Ok(m) => {
                if self.top_mut::<MemberForm>().is_some() {
                    self.overlays.pop();
                }
                let text = self.ui.lang.trf(
                    "status.member_saved",
                    &[("name", &m.name), ("login", &m.login)],
                );
                self.ui.set_status(Level::Ok, text);
                let login = m.login.clone();
                let mut effects = vec![Effect::LoadMembers, Effect::LoadSubscriptions];
                // Keep the cursor on the saved member once the list reloads.
                self.members.select_login(&login);
                effects.dedup_by(|a, b| std::mem::discriminant(a) == std::mem::discriminant(b));
                effects
            }
            Err(e) => {
                if let Some(f) = self.top_mut::<MemberForm>() {
                    f.save_failed(&e);
                }
                vec![]
            }
        }
    }

    pub(super) fn on_member_deleted(&mut self, name: &str, result: StoreResult<()>) -> Vec<Effect> {
        match result {
            Ok(()) => {
                let text = self
                    .ui
                    .lang
                    .trf("status.member_deleted", &[("name", &name)]);
                self.ui.set_status(Level::Ok, text);
                vec![Effect::LoadMembers, Effect::LoadSubscriptions]
            }
            Err(e) => {
                let text = self.ui.lang.trf("status.not_deleted", &[("error", &e)]);
                self.ui.set_status(Level::Error, text);
                vec![]
            }
        }
    }

    pub(super) fn on_receivers_saved(&mut self, result: StoreResult<()>) -> Vec<Effect> {
        match result {
            Ok(()) => {
                if self.top_mut::<ReceiversPicker>().is_some() {
                    self.overlays.pop();
                }
                self.ui
                    .set_status(Level::Ok, self.ui.lang.tr("status.receivers_saved"));
                vec![Effect::LoadSubscriptions]
            }
            Err(e) => {
                if let Some(p) = self.top_mut::<ReceiversPicker>() {
                    p.save_failed(&e);
                }
                vec![]
            }
        }
    }
}
