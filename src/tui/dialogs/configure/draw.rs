//! Drawing of the Configure dialog of each personal-channel card.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{ConfigureDialog, Focus, TestState};
use crate::domain::{ChannelKind, SECRET_MASK, SourceColumn};
use crate::tui::field::TextField;
use crate::tui::theme::Role;
use crate::tui::ui::Ui;
use crate::tui::widgets::form::{FieldSpec, FormLines, button, render_dialog};
use crate::tui::widgets::{SPINNER, format_time, wrap_text};

const LABEL_W: usize = 16;

pub fn render(ui: &Ui, d: &ConfigureDialog, frame: &mut Frame, area: Rect) {
    let t = &ui.theme;
    let width = area.width.min(76);
    let inner_w = width.saturating_sub(4) as usize;
    let mut form = FormLines::new(LABEL_W, inner_w);
    form.lines.push(Line::raw(""));
    let kind = d.kind;
    let platform = kind.platform();
    let app_hint = match kind {
        ChannelKind::DingTalk => "Client ID of the DingTalk app",
        ChannelKind::WeCom => "ww… (My Company → Company Info)",
        ChannelKind::Feishu | ChannelKind::FeishuLark => "cli_… (Credentials & Basic Info)",
    };
    form.field(
        ui,
        spec(
            kind.app_id_label(),
            true,
            d.focus == Focus::AppKey,
            &d.app_key,
            app_hint,
            false,
            &d.errors.app_key,
        ),
    );
    if kind == ChannelKind::WeCom {
        form.field(
            ui,
            spec(
                "AgentId",
                true,
                d.focus == Focus::AgentId,
                &d.agent_id,
                "the self-built app's AgentId, e.g. 1000002",
                false,
                &d.errors.agent_id,
            ),
        );
    }
    let secret_placeholder = if d.uses_stored_secret() {
        format!("{SECRET_MASK} (saved; type to replace)")
    } else {
        match kind {
            ChannelKind::DingTalk => "Client Secret of the DingTalk app".to_string(),
            _ => format!("the {platform} app's secret"),
        }
    };
    form.field(
        ui,
        spec(
            kind.secret_label(),
            true,
            d.focus == Focus::AppSecret,
            &d.app_secret,
            &secret_placeholder,
            d.reveal,
            &d.errors.app_secret,
        ),
    );
    if kind != ChannelKind::WeCom {
        form.field(
            ui,
            spec(
                "Template ID",
                false,
                d.focus == Focus::TemplateId,
                &d.template_id,
                "optional: card template id",
                false,
                &d.errors.template_id,
            ),
        );
    }
    let focused = d.focus == Focus::SourceColumn;
    let label = form.label(ui, "Source Column", false, focused);
    form.lines.push(Line::from(vec![
        label,
        Span::styled(
            source_value(kind, d.source_column),
            t.style(if focused { Role::Focus } else { Role::Base }),
        ),
        Span::styled(source_hint(kind), t.style(Role::Muted)),
    ]));
    if let Some(e) = &d.errors.source_column {
        form.lines.push(Line::styled(
            format!("{}{e}", " ".repeat(LABEL_W + 1)),
            t.style(Role::Error),
        ));
    }
    let receiver_hint = format!(
        "{} of a member, for the test",
        d.source_column.label().to_lowercase()
    );
    form.field(
        ui,
        spec(
            "Receiver Info",
            false,
            d.focus == Focus::Receiver,
            &d.receiver,
            &receiver_hint,
            false,
            &d.errors.receiver,
        ),
    );
    if kind == ChannelKind::WeCom {
        let why = "Optional, not used for sending: WeCom verifies this callback URL before it lets you set the app's Trusted IP list.";
        for l in wrap_text(why, inner_w, 2) {
            form.lines.push(Line::styled(l, t.style(Role::Muted)));
        }
        let saved = |f: Focus, hint: &str| {
            if d.uses_stored(f) {
                format!("{SECRET_MASK} (saved; type to replace)")
            } else {
                hint.to_string()
            }
        };
        let token_hint = saved(Focus::CallbackToken, "optional");
        let aes_hint = saved(Focus::CallbackAesKey, "optional: 43 characters");
        form.field(
            ui,
            spec(
                "Token",
                false,
                d.focus == Focus::CallbackToken,
                &d.callback_token,
                &token_hint,
                d.reveal,
                &None,
            ),
        );
        form.field(
            ui,
            spec(
                "EncodingAESKey",
                false,
                d.focus == Focus::CallbackAesKey,
                &d.callback_aes_key,
                &aes_hint,
                d.reveal,
                &None,
            ),
        );
        form.field(
            ui,
            spec(
                "Callback URL",
                false,
                d.focus == Focus::CallbackUrl,
                &d.callback_url,
                "optional: https://…",
                false,
                &d.errors.callback,
            ),
        );
    }

    form.lines.push(Line::raw(""));
    let mut test_line = vec![
        Span::raw(" ".repeat(LABEL_W + 1)),
        button(ui, "Test Message Sending", d.focus == Focus::TestButton),
        Span::raw("  "),
    ];
    let mut result_lines: Vec<Line> = Vec::new();
    let result_w = inner_w.saturating_sub(LABEL_W + 1);
    match &d.test {
        TestState::Idle => {}
        TestState::Sending { .. } => {
            let spin = SPINNER[ui.frame % SPINNER.len()];
            test_line.push(Span::styled(
                format!("{spin} Sending… (Esc cancels)"),
                t.style(Role::Warn),
            ));
        }
        TestState::Succeeded { at, detail } => {
            test_line.push(Span::styled("✓ Successful", t.style(Role::Ok)));
            test_line.push(Span::styled(
                format!(" {}", format_time(*at, ui.utc_offset)),
                t.style(Role::Muted),
            ));
            if let Some(detail) = detail {
                for l in wrap_text(detail, result_w, 1) {
                    result_lines.push(Line::styled(l, t.style(Role::Muted)));
                }
            }
        }
        TestState::Failed { message } => {
            test_line.push(Span::styled("✗ Failed", t.style(Role::Error)));
            for l in wrap_text(message, result_w, 8) {
                result_lines.push(Line::styled(l, t.style(Role::Error)));
            }
        }
        TestState::Cancelled => {
            test_line.push(Span::styled("Cancelled", t.style(Role::Muted)));
        }
    }
    form.lines.push(Line::from(test_line));
    for l in result_lines {
        let mut spans = vec![Span::raw(" ".repeat(LABEL_W + 1))];
        spans.extend(l.spans);
        form.lines.push(Line::from(spans));
    }
    form.lines.push(Line::raw(""));
    let notice = if d.saving {
        Some("Saving…".to_string())
    } else {
        d.notice.clone()
    };
    if let Some(n) = notice {
        for l in wrap_text(&n, inner_w, 4) {
            form.lines.push(Line::styled(l, t.style(Role::Warn)));
        }
    }
    form.ok_cancel(ui, d.focus == Focus::Ok, d.focus == Focus::Cancel);
    render_dialog(
        ui,
        frame,
        area,
        width,
        &d.title(),
        " ^T test · ^S OK · ^R show secret · Esc close ",
        form,
    );
}

fn spec<'a>(
    label: &'a str,
    required: bool,
    focused: bool,
    field: &'a TextField,
    placeholder: &'a str,
    reveal: bool,
    error: &'a Option<String>,
) -> FieldSpec<'a> {
    FieldSpec {
        label,
        required,
        focused,
        field,
        placeholder,
        reveal,
        error: error.as_deref(),
    }
}

/// A select shows its arrows only when there is something to choose.
fn source_value(kind: ChannelKind, column: SourceColumn) -> String {
    if SourceColumn::for_channel(kind).len() > 1 {
        format!("< {} >", column.label())
    } else {
        column.label().to_string()
    }
}

fn source_hint(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::DingTalk => "  the only field DingTalk finds members by",
        ChannelKind::WeCom => "  Login Name = the WeCom userid",
        ChannelKind::Feishu | ChannelKind::FeishuLark => "  Login Name = the tenant user_id",
    }
}
