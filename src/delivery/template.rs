//! Message rendering from the templates in `assets/templates/` (one per language), and safe
//! truncation below DingTalk's message size limit.

use crate::domain::catalogue::Catalogue;

const EN: &str = include_str!("../../assets/templates/en.md");
const ZH: &str = include_str!("../../assets/templates/zh.md");

/// DingTalk documents 15,000 bytes for robot messages; stay below it with the JSON wrapping.
pub const MAX_MSG_PARAM_BYTES: usize = 15_000;
const TRUNCATED: &str = "\n\n…(truncated)";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    En,
    Zh,
}

impl Language {
    pub fn from_setting(v: Option<&str>) -> Language {
        match v.map(|s| s.trim().to_ascii_lowercase()) {
            Some(s) if s == "zh" || s == "zh-cn" || s == "cn" => Language::Zh,
            _ => Language::En,
        }
    }
}

/// The variables a card template receives (createAndDeliver's `cardParamMap`, strings only):
/// `title`, `text` (the event's text), `content` (the whole markdown message), `link`,
/// `type`, `node` (labels in the message language) and `time` (when it was sent, local time).
/// Test Message Sending fills the same variables, so a template that works for the test works
/// for deliveries.
pub fn card_params(
    lang: Language,
    type_code: &str,
    node_code: &str,
    title: &str,
    text: &str,
    link: Option<&str>,
) -> std::collections::BTreeMap<String, String> {
    let (type_label, node_label) = labels(lang, type_code, node_code);
    let (heading, content) = render(lang, type_code, node_code, title, text, link);
    let time = chrono::Local::now().format("%Y-%m-%d %H:%M").to_string();
    [
        ("title", heading),
        ("text", text.to_string()),
        ("content", content),
        ("link", link.unwrap_or_default().to_string()),
        ("type", type_label),
        ("node", node_label),
        ("time", time),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn labels(lang: Language, type_code: &str, node_code: &str) -> (String, String) {
    match Catalogue::embedded().find(type_code, node_code) {
        Some((t, n)) => match lang {
            Language::En => (t.en.clone(), n.en.clone()),
            Language::Zh => (t.zh.clone(), n.zh.clone()),
        },
        None => (type_code.to_string(), node_code.to_string()),
    }
}

/// Title and markdown text of the robot message for an event.
pub fn render(
    lang: Language,
    type_code: &str,
    node_code: &str,
    title: &str,
    text: &str,
    link: Option<&str>,
) -> (String, String) {
    let (type_label, node_label) = labels(lang, type_code, node_code);
    let link_line = match (link, lang) {
        (Some(l), Language::En) => format!("[Open in the console]({l})"),
        (Some(l), Language::Zh) => format!("[在控制台中查看]({l})"),
        (None, _) => String::new(),
    };
    let template = match lang {
        Language::En => EN,
        Language::Zh => ZH,
    };
    let body = template
        .replace("{title}", title)
        .replace("{type}", &type_label)
        .replace("{node}", &node_label)
        .replace("{link}", &link_line)
        .replace("{text}", text);
    let heading = format!("{type_label}: {title}");
    (
        truncate_chars(&heading, 100),
        fit(&heading, body.trim_end().to_string()),
    )
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Shorten `text` (on a char boundary, with a marker) so msgParam fits the limit: the longest
/// prefix that fits, found by bisection (JSON escaping makes the size non-linear in the text).
fn fit(title: &str, text: String) -> String {
    let size = |t: &str| {
        serde_json::json!({ "title": title, "text": t })
            .to_string()
            .len()
    };
    if size(&text) <= MAX_MSG_PARAM_BYTES {
        return text;
    }
    let with_marker = |cut: usize| format!("{}{TRUNCATED}", &text[..cut]);
    let (mut lo, mut hi) = (0usize, text.len());
    while lo < hi {
        let mut mid = (lo + hi).div_ceil(2);
        while !text.is_char_boundary(mid) {
            mid -= 1;
        }
        if mid <= lo {
            break;
        }
        if size(&with_marker(mid)) <= MAX_MSG_PARAM_BYTES {
            lo = mid;
        } else {
            hi = mid - 1;
            while !text.is_char_boundary(hi) {
                hi -= 1;
            }
        }
    }
    with_marker(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_labels_text_and_link() {
        let (title, text) = render(
            Language::En,
            "sql_task",
            "to_be_approved",
            "Alter table orders",
            "Please review.",
            Some("https://console.example/t/1"),
        );
        assert_eq!(title, "SQL Task: Alter table orders");
        assert!(text.contains("**SQL Task · To be approved**"));
        assert!(text.contains("Please review."));
        assert!(text.contains("[Open in the console](https://console.example/t/1)"));
        let (_, zh) = render(Language::Zh, "sql_task", "to_be_approved", "t", "", None);
        assert!(zh.contains("SQL 任务 · 待审批"));
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary_below_the_limit() {
        let long = "数据库".repeat(10_000) + &"\"quoted\"".repeat(2_000);
        let (title, text) = render(Language::Zh, "sql_task", "approved", "x", &long, None);
        let size = serde_json::json!({"title": title, "text": text})
            .to_string()
            .len();
        assert!(size <= MAX_MSG_PARAM_BYTES, "{size}");
        assert!(text.ends_with("…(truncated)"));
        assert!(
            size > MAX_MSG_PARAM_BYTES - 200,
            "not cut far more than needed: {size}"
        );
    }
}
