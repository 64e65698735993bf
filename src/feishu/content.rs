//! What goes on the wire for one message: the `uuid`, the `post` or template-card content,
//! and the receiver / mobile forms.

use serde_json::{Value, json};

use crate::domain::Mobile;
use crate::personal::Message;

/// Feishu's limit on `uuid` (contract 4.1).
const MAX_UUID: usize = 50;
/// `Resolution::Found` prefix for a tenant `user_id` (Login Name); bare ids are open_ids.
pub(super) const USER_ID_PREFIX: &str = "user_id:";

/// The idempotency key itself when it fits, else a stable hash of it (same input, same uuid
/// in every process, so a retry after a restart is still deduplicated).
pub(super) fn uuid_for(key: &str) -> String {
    if !key.is_empty() && key.len() <= MAX_UUID {
        return key.to_string();
    }
    // Two FNV-1a 64 passes with different offsets: 128 bits, no extra dependency.
    let fnv = |offset: u64| {
        key.bytes().fold(offset, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    format!(
        "nd-{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x6c62_272e_07bb_0142)
    )
}

/// `(receive_id_type, receive_id)` for an id from `resolve`.
pub(super) fn receiver(id: &str) -> (&'static str, &str) {
    match id.strip_prefix(USER_ID_PREFIX) {
        Some(login) => ("user_id", login),
        None => ("open_id", id),
    }
}

/// batch_get_id form: mainland 11 bare digits, others `+<cc><national>`.
pub(super) fn mobile_for_lookup(m: &Mobile) -> String {
    m.as_str().replace('-', "")
}

/// Room left for the content string inside a request body of at most `body_limit` bytes (the
/// rest: receive id, msg_type, uuid and JSON punctuation).
const BODY_OVERHEAD: usize = 512;

/// [`render_full`], with the body text cut (marked "…") until the content, escaped once more
/// inside the request body, fits `body_limit`. Each line of a `post` costs ~40 bytes of JSON,
/// so a long multi-line text is cut rather than refused.
pub(super) fn render(message: &Message, body_limit: usize) -> (&'static str, String) {
    let fits = |c: &str| {
        serde_json::to_string(c).map_or(usize::MAX, |s| s.len()) + BODY_OVERHEAD <= body_limit
    };
    let full = render_full(message);
    if fits(&full.1) {
        return full;
    }
    let chars: Vec<char> = message.markdown.chars().collect();
    let text: Vec<char> = message.text.chars().collect();
    let cut = |n: usize| {
        let mut m = message.clone();
        let take = |v: &[char]| {
            let mut s: String = v[..n.min(v.len())].iter().collect();
            s.push_str("\n…");
            s
        };
        m.markdown = take(&chars);
        if !m.text.trim().is_empty() {
            m.text = take(&text);
        }
        render_full(&m)
    };
    // The longest prefix that fits (bisection on characters).
    let (mut lo, mut hi) = (0usize, chars.len().max(text.len()));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(&cut(mid).1) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    cut(lo)
}

/// `(msg_type, content as a JSON string)`: a template card when the channel has a template
/// id, else a `post` with the title, one paragraph per line and the link.
fn render_full(message: &Message) -> (&'static str, String) {
    if let Some(id) = message.template_id.as_deref().filter(|t| !t.is_empty()) {
        let mut content = message.markdown.clone();
        if let Some(link) = &message.link {
            content.push_str(&format!("\n\n[{link}]({link})"));
        }
        let card = json!({"type": "template", "data": {"template_id": id,
            "template_variable": {"title": message.title, "content": content}}});
        return ("interactive", card.to_string());
    }
    let body = if message.text.trim().is_empty() {
        &message.markdown
    } else {
        &message.text
    };
    let mut paragraphs: Vec<Value> = body
        .lines()
        .map(|l| json!([{"tag": "text", "text": l}]))
        .collect();
    if let Some(link) = &message.link {
        paragraphs.push(json!([{"tag": "a", "text": link, "href": link}]));
    }
    let post = json!({"zh_cn": {"title": message.title, "content": paragraphs}});
    ("post", post.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_is_the_key_or_a_stable_hash() {
        assert_eq!(uuid_for("ev1:m2:c3"), "ev1:m2:c3");
        let long = "x".repeat(51);
        let u = uuid_for(&long);
        assert!(u.len() <= MAX_UUID && u.starts_with("nd-"), "{u}");
        assert_eq!(u, uuid_for(&long));
        assert_ne!(u, uuid_for(&"x".repeat(52)));
        // Pinned: must not change between releases (dedup across restarts).
        assert_eq!(uuid_for(""), "nd-cbf29ce4842223256c62272e07bb0142");
    }

    #[test]
    fn a_long_multi_line_text_is_cut_to_fit_not_refused() {
        let m = Message {
            title: "t".into(),
            markdown: "a\n".repeat(2000),
            text: "a\n".repeat(2000),
            link: Some("https://example.com/x".into()),
            template_id: None,
            idempotency_key: "k".into(),
        };
        let (kind, content) = render(&m, 30 * 1024);
        assert_eq!(kind, "post");
        let escaped = serde_json::to_string(&content).unwrap().len();
        assert!(escaped + BODY_OVERHEAD <= 30 * 1024, "{escaped}");
        assert!(content.contains('…') && content.contains("https://example.com/x"));
        // Short messages are untouched.
        let short = Message {
            markdown: "a\nb".into(),
            text: "a\nb".into(),
            ..m
        };
        assert_eq!(render(&short, 30 * 1024), render_full(&short));
    }

    #[test]
    fn receivers_and_mobiles() {
        assert_eq!(receiver("ou_abc"), ("open_id", "ou_abc"));
        assert_eq!(receiver("user_id:alice"), ("user_id", "alice"));
        let m = Mobile::parse("+852 9123 4567").unwrap();
        assert_eq!(mobile_for_lookup(&m), "+85291234567");
        let m = Mobile::parse("+86 138 0013 8000").unwrap();
        assert_eq!(mobile_for_lookup(&m), "13800138000");
    }
}
