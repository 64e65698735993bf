//! The Members filter's text: every member's name, login, phone and email, lowercased once,
//! in one buffer, so a filter keystroke is one substring search (memchr's SIMD `memmem`)
//! instead of four lowercased copies per member.

use memchr::memmem;

use crate::domain::member::Member;

/// Between fields and members; a filter never contains it, so no match spans two fields.
const SEPARATOR: char = '\n';

#[derive(Debug, Default)]
pub struct MemberText {
    text: String,
    /// Where each member's fields start in `text`.
    starts: Vec<u32>,
}

impl MemberText {
    pub fn new(members: &[Member]) -> MemberText {
        let mut text = String::with_capacity(members.len() * 48);
        let mut starts = Vec::with_capacity(members.len());
        for m in members {
            starts.push(text.len() as u32);
            for field in [
                m.name.as_str(),
                m.login.as_str(),
                m.mobile.as_str(),
                m.email.as_deref().unwrap_or(""),
            ] {
                text.extend(field.chars().flat_map(char::to_lowercase));
                text.push(SEPARATOR);
            }
        }
        MemberText { text, starts }
    }

    /// Indices of the members with a field containing `needle` (already lowercase).
    pub fn find(&self, needle: &str) -> Vec<u32> {
        if needle.contains(SEPARATOR) {
            return vec![];
        }
        let finder = memmem::Finder::new(needle.as_bytes());
        let hay = self.text.as_bytes();
        let mut found = vec![];
        let mut from = 0;
        while let Some(at) = finder.find(&hay[from..]).map(|i| i + from) {
            // The member holding the match; the search goes on at the next member.
            let member = self.starts.partition_point(|&s| s as usize <= at) - 1;
            found.push(member as u32);
            match self.starts.get(member + 1) {
                Some(&next) => from = next as usize,
                None => break,
            }
        }
        found
    }
}
