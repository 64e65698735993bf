//! Drawing of the "Configure DingTalk Message Channel" dialog.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{ConfigureDialog, Focus, TestState};
use crate::domain::{SECRET_MASK, SourceColumn};
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
    form.field(
        ui,
        spec(
            "AppKey",
            true,
            d.focus == Focus::AppKey,
            &d.app_key,
            "Client ID of the DingTalk app",
            false,
            &d.errors.app_key,
        ),
    );
    let secret_placeholder = if d.uses_stored_secret() {
        format!("{SECRET_MASK} (saved; type to replace)")
    } else {
        "Client Secret of the DingTalk app".to_string()
    };
    form.field(
        ui,
        spec(
            "AppSecret",
            true,
            d.focus == Focus::AppSecret,
            &d.app_secret,
            &secret_placeholder,
            d.reveal,
            &d.errors.app_secret,
        ),
    );
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
    // Source Column: a select with one supported value.
    let focused = d.focus == Focus::SourceColumn;
    let label = form.label(ui, "Source Column", false, focused);
    form.lines.push(Line::from(vec![
        label,
        Span::styled(
            source_value(d.source_column),
            t.style(if focused { Role::Focus } else { Role::Base }),
        ),
        Span::styled(source_hint(), t.style(Role::Muted)),
    ]));
    form.field(
        ui,
        spec(
            "Receiver Info",
            false,
            d.focus == Focus::Receiver,
            &d.receiver,
            "phone of a member, for the test",
            false,
            &d.errors.receiver,
        ),
    );

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
        " Configure DingTalk Message Channel ",
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
fn source_value(column: SourceColumn) -> String {
    if SourceColumn::ALL.len() > 1 {
        format!("< {} >", column.label())
    } else {
        column.label().to_string()
    }
}

fn source_hint() -> &'static str {
    if SourceColumn::ALL.len() > 1 {
        "  the member field used to find them"
    } else {
        "  the only field DingTalk finds members by"
    }
}
