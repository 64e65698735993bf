//! Request bodies for `message/send`: markdown by default, a `template_card` `text_notice`
//! when the channel has a template id and the message a link. Built from sorted JSON maps, so
//! the same message to the same receivers is byte-identical — WeCom's duplicate check
//! (`enable_duplicate_check`) only recognises an identical body.

use serde_json::{Value, json};

use crate::personal::Message;

/// WeCom's limit for text and markdown content, in bytes.
pub const CONTENT_LIMIT: usize = 2048;
/// Longest duplicate-check window WeCom allows (4 h): a retry hours later is still deduplicated.
pub const DUPLICATE_CHECK_INTERVAL: u64 = 14_400;
const ELLIPSIS: &str = "…";
const TITLE_LIMIT: usize = 128;
const CARD_TEXT_LIMIT: usize = 512;

/// `s` cut to at most `limit` bytes at a char boundary, ending with "…" when cut.
pub fn cut(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_string();
    }
    let mut end = limit.saturating_sub(ELLIPSIS.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ELLIPSIS}", &s[..end])
}

/// A short, stable reference of the message's idempotency key. It goes into the body so that
/// two different events with the same text to the same members are two bodies (WeCom's
/// duplicate check would otherwise drop the second for 4 h), while a retry of one message
/// stays byte-identical. Also useful to find a message in the Delivery Log.
pub(crate) fn reference(m: &Message) -> String {
    // FNV-1a, 32 bits: stable across builds and platforms.
    let mut h: u32 = 0x811c_9dc5;
    for b in m.idempotency_key.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// The markdown content: the rendered markdown (or the text, or the title), plus the link if
/// the rendering does not contain it, and the message's reference.
fn markdown_content(m: &Message) -> String {
    let mut content = [&m.markdown, &m.text, &m.title]
        .into_iter()
        .find(|s| !s.trim().is_empty())
        .cloned()
        .unwrap_or_default();
    if let Some(link) = m.link.as_deref().filter(|l| !content.contains(*l)) {
        content.push_str(&format!("\n\n[{link}]({link})"));
    }
    let tail = format!("\n<font color=\"comment\">ref {}</font>", reference(m));
    let mut out = cut(&content, CONTENT_LIMIT - tail.len());
    out.push_str(&tail);
    out
}

/// What [`send_body`] sends, for the test report.
pub(crate) fn kind_label(m: &Message) -> String {
    match (&m.template_id, &m.link) {
        (Some(_), Some(_)) => "template card (text_notice)".into(),
        _ => "markdown message".into(),
    }
}

/// The whole `message/send` body. `touser` is the receivers joined by `|`.
pub(crate) fn send_body(agent_id: i64, touser: &str, m: &Message) -> Value {
    let mut body = json!({
        "touser": touser,
        "agentid": agent_id,
        "enable_duplicate_check": 1,
        "duplicate_check_interval": DUPLICATE_CHECK_INTERVAL,
    });
    match (&m.template_id, &m.link) {
        // WeCom has no server-side templates for self-built apps; the channel's template id
        // only selects the card layout.
        (Some(_), Some(link)) => {
            let text = if m.text.trim().is_empty() {
                &m.markdown
            } else {
                &m.text
            };
            body["msgtype"] = "template_card".into();
            body["template_card"] = json!({
                "card_type": "text_notice",
                "main_title": {"title": cut(&m.title, TITLE_LIMIT)},
                "sub_title_text": cut(text, CARD_TEXT_LIMIT),
                "horizontal_content_list": [{"keyname": "ref", "value": reference(m)}],
                "card_action": {"type": 1, "url": link},
            });
        }
        _ => {
            body["msgtype"] = "markdown".into();
            body["markdown"] = json!({ "content": markdown_content(m) });
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(markdown: &str) -> Message {
        Message {
            title: "Title".into(),
            markdown: markdown.into(),
            text: "plain".into(),
            link: Some("https://example.com/e/1".into()),
            template_id: None,
            idempotency_key: "k1".into(),
        }
    }

    #[test]
    fn cut_keeps_char_boundaries_and_marks_the_cut() {
        assert_eq!(cut("abc", 3), "abc");
        let long = "字".repeat(1000);
        let c = cut(&long, CONTENT_LIMIT);
        assert!(c.len() <= CONTENT_LIMIT && c.ends_with('…'), "{}", c.len());
        assert!(c.len() > CONTENT_LIMIT - 6);
    }

    #[test]
    fn markdown_body_is_stable_and_carries_the_link() {
        let m = msg("**hi**");
        let a = send_body(1000002, "u1|u2", &m).to_string();
        assert_eq!(a, send_body(1000002, "u1|u2", &m).to_string());
        let v: Value = serde_json::from_str(&a).unwrap();
        assert_eq!(
            v["markdown"]["content"],
            format!(
                "**hi**\n\n[https://example.com/e/1](https://example.com/e/1)\n<font color=\"comment\">ref {}</font>",
                reference(&m)
            )
        );
        // Another event with the same text is another body: WeCom must not drop it.
        let mut other = m.clone();
        other.idempotency_key = "k2".into();
        assert_ne!(a, send_body(1000002, "u1|u2", &other).to_string());
        assert_eq!(v["agentid"], 1000002);
        assert_eq!(v["enable_duplicate_check"], 1);
        assert_eq!(v["duplicate_check_interval"], 14_400);
        let big = send_body(1, "u", &msg(&"x".repeat(5000)));
        assert!(big["markdown"]["content"].as_str().unwrap().len() <= CONTENT_LIMIT);
    }

    #[test]
    fn template_card_needs_a_template_id_and_a_link() {
        let mut m = msg("md");
        m.template_id = Some("tpl".into());
        let v = send_body(1, "u", &m);
        assert_eq!(v["msgtype"], "template_card");
        assert_eq!(
            v["template_card"]["card_action"]["url"],
            "https://example.com/e/1"
        );
        assert_eq!(v["template_card"]["card_action"]["type"], 1);
        m.link = None;
        assert_eq!(send_body(1, "u", &m)["msgtype"], "markdown");
    }
}
