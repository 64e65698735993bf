//! Drawing of the Configure dialog of each personal-channel card.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{ConfigureDialog, Focus, TestState};
use crate::domain::{ChannelKind, ConfigErrors, SECRET_MASK, SourceColumn};
use crate::i18n::{Lang, known, words};
use crate::tui::field::TextField;
use crate::tui::theme::Role;
use crate::tui::ui::Ui;
use crate::tui::widgets::form::{FieldSpec, FormLines, button, render_dialog};
use crate::tui::widgets::{SPINNER, format_time, wrap_text};

const LABEL_W: usize = 16;

pub fn render(ui: &Ui, d: &ConfigureDialog, frame: &mut Frame, area: Rect) {
    let (t, lang) = (&ui.theme, ui.lang);
    // The core words its errors in English; they are shown in the interface language.
    let shown = |e: &Option<String>| e.as_deref().map(|e| known::translate(lang, e));
    let errors = ConfigErrors {
        app_key: shown(&d.errors.app_key),
        app_secret: shown(&d.errors.app_secret),
        agent_id: shown(&d.errors.agent_id),
        template_id: shown(&d.errors.template_id),
        source_column: shown(&d.errors.source_column),
        receiver: shown(&d.errors.receiver),
        callback: shown(&d.errors.callback),
    };
    let width = area.width.min(76);
    let inner_w = width.saturating_sub(4) as usize;
    let kind = d.kind;
    // WeCom's longest label, "EncodingAESKey", needs one column more than the others.
    let label_w = if kind == ChannelKind::WeCom {
        LABEL_W + 1
    } else {
        LABEL_W
    };
    let mut form = FormLines::new(label_w, inner_w);
    form.lines.push(Line::raw(""));
    let platform = words::platform(lang, kind);
    let app_hint = match kind {
        ChannelKind::DingTalk => lang.tr("configure.hint.dingtalk_app_key"),
        ChannelKind::WeCom => lang.tr("configure.hint.wecom_corp_id"),
        ChannelKind::Feishu | ChannelKind::FeishuLark => lang.tr("configure.hint.feishu_app_id"),
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
            &errors.app_key,
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
                lang.tr("configure.hint.agent_id"),
                false,
                &errors.agent_id,
            ),
        );
    }
    let saved_hint = lang.trf("configure.hint.saved", &[("mask", &SECRET_MASK)]);
    let secret_placeholder = if d.uses_stored_secret() {
        saved_hint.clone()
    } else {
        match kind {
            ChannelKind::DingTalk => lang.tr("configure.hint.dingtalk_secret").to_string(),
            _ => lang.trf("configure.hint.secret", &[("platform", &platform)]),
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
            &errors.app_secret,
        ),
    );
    if kind != ChannelKind::WeCom {
        form.field(
            ui,
            spec(
                lang.tr("configure.label.template_id"),
                false,
                d.focus == Focus::TemplateId,
                &d.template_id,
                lang.tr("configure.hint.template_id"),
                false,
                &errors.template_id,
            ),
        );
    }
    let focused = d.focus == Focus::SourceColumn;
    let label = form.label(ui, lang.tr("configure.label.source_column"), false, focused);
    form.lines.push(Line::from(vec![
        label,
        Span::styled(
            source_value(lang, kind, d.source_column),
            t.style(if focused { Role::Focus } else { Role::Base }),
        ),
        Span::styled(source_hint(lang, kind), t.style(Role::Muted)),
    ]));
    if let Some(e) = &errors.source_column {
        form.lines.push(Line::styled(
            format!("{}{e}", " ".repeat(label_w + 1)),
            t.style(Role::Error),
        ));
    }
    let column = words::source_column(lang, d.source_column);
    let receiver_hint = match lang {
        // English writes the column in lower case inside the sentence.
        Lang::En => column.to_lowercase(),
        _ => column.to_string(),
    };
    let receiver_hint = lang.trf("configure.hint.receiver", &[("column", &receiver_hint)]);
    form.field(
        ui,
        spec(
            lang.tr("configure.label.receiver"),
            false,
            d.focus == Focus::Receiver,
            &d.receiver,
            &receiver_hint,
            false,
            &errors.receiver,
        ),
    );
    if kind == ChannelKind::WeCom {
        let why = lang.tr("configure.wecom_callback_why");
        for l in wrap_text(why, inner_w, 2) {
            form.lines.push(Line::styled(l, t.style(Role::Muted)));
        }
        let saved = |f: Focus, hint: &str| {
            if d.uses_stored(f) {
                saved_hint.clone()
            } else {
                hint.to_string()
            }
        };
        let token_hint = saved(Focus::CallbackToken, lang.tr("configure.hint.optional"));
        let aes_hint = saved(Focus::CallbackAesKey, lang.tr("configure.hint.aes_key"));
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
                lang.tr("configure.label.callback_url"),
                false,
                d.focus == Focus::CallbackUrl,
                &d.callback_url,
                lang.tr("configure.hint.callback_url"),
                false,
                &errors.callback,
            ),
        );
    }

    form.lines.push(Line::raw(""));
    let mut test_line = vec![
        Span::raw(" ".repeat(label_w + 1)),
        button(
            ui,
            lang.tr("configure.test_button"),
            d.focus == Focus::TestButton,
        ),
        Span::raw("  "),
    ];
    let mut result_lines: Vec<Line> = Vec::new();
    let result_w = inner_w.saturating_sub(label_w + 1);
    match &d.test {
        TestState::Idle => {}
        TestState::Sending { .. } => {
            let spin = SPINNER[ui.frame % SPINNER.len()];
            test_line.push(Span::styled(
                format!("{spin} {}", lang.tr("configure.sending")),
                t.style(Role::Warn),
            ));
        }
        TestState::Succeeded { at, detail } => {
            test_line.push(Span::styled(
                lang.tr("configure.succeeded"),
                t.style(Role::Ok),
            ));
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
            test_line.push(Span::styled(
                lang.tr("configure.failed"),
                t.style(Role::Error),
            ));
            for l in wrap_text(message, result_w, 8) {
                result_lines.push(Line::styled(l, t.style(Role::Error)));
            }
        }
        TestState::Cancelled => {
            test_line.push(Span::styled(
                lang.tr("configure.cancelled"),
                t.style(Role::Muted),
            ));
        }
    }
    form.lines.push(Line::from(test_line));
    for l in result_lines {
        let mut spans = vec![Span::raw(" ".repeat(label_w + 1))];
        spans.extend(l.spans);
        form.lines.push(Line::from(spans));
    }
    form.lines.push(Line::raw(""));
    let notice = if d.saving {
        Some(lang.tr("configure.saving").to_string())
    } else {
        d.notice.as_deref().map(|n| known::translate(lang, n))
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
        &d.title_in(lang),
        lang.tr("configure.bottom"),
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
fn source_value(lang: Lang, kind: ChannelKind, column: SourceColumn) -> String {
    let label = words::source_column(lang, column);
    if SourceColumn::for_channel(kind).len() > 1 {
        format!("< {label} >")
    } else {
        label.to_string()
    }
}

fn source_hint(lang: Lang, kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::DingTalk => lang.tr("configure.hint.source_dingtalk"),
        ChannelKind::WeCom => lang.tr("configure.hint.source_wecom"),
        ChannelKind::Feishu | ChannelKind::FeishuLark => lang.tr("configure.hint.source_feishu"),
    }
}
