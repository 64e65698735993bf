//! Subscription grid types: which notification methods are on for each (type, node) row.

use serde::{Deserialize, Serialize};

/// Notification methods, in grid column order. Inbox is always on and cannot be changed,
/// as in the console; Personal sends through the member's configured personal channel too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Inbox,
    Sms,
    Email,
    Phone,
    Webhook,
    Personal,
}

impl Method {
    pub const ALL: [Method; 6] = [
        Method::Inbox,
        Method::Sms,
        Method::Email,
        Method::Phone,
        Method::Webhook,
        Method::Personal,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Method::Inbox => "inbox",
            Method::Sms => "sms",
            Method::Email => "email",
            Method::Phone => "phone",
            Method::Webhook => "webhook",
            Method::Personal => "personal",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Method::Inbox => "Inbox",
            Method::Sms => "SMS",
            Method::Email => "Email",
            Method::Phone => "Phone",
            Method::Webhook => "Webhook",
            Method::Personal => "Personal Channel",
        }
    }

    pub fn from_code(code: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.code() == code)
    }

    /// Inbox is the locked default.
    pub fn toggleable(self) -> bool {
        self != Method::Inbox
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of methods; Inbox is always a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MethodSet(u8);

impl Default for MethodSet {
    fn default() -> Self {
        MethodSet(Method::Inbox.bit())
    }
}

impl MethodSet {
    pub fn contains(self, m: Method) -> bool {
        m == Method::Inbox || self.0 & m.bit() != 0
    }

    pub fn set(&mut self, m: Method, on: bool) {
        if !m.toggleable() {
            return;
        }
        if on {
            self.0 |= m.bit();
        } else {
            self.0 &= !m.bit();
        }
    }

    pub fn with(mut self, m: Method, on: bool) -> MethodSet {
        self.set(m, on);
        self
    }

    pub fn iter(self) -> impl Iterator<Item = Method> {
        Method::ALL.into_iter().filter(move |m| self.contains(*m))
    }
}

impl Serialize for MethodSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(|m| m.code()))
    }
}

/// One row of the grid: a workflow node of a subscription type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubscriptionRow {
    pub type_code: String,
    pub node_code: String,
    pub type_label: String,
    pub node_label: String,
    /// Default receiver role label (cannot be removed).
    pub receiver: String,
    pub methods: MethodSet,
    /// Login names of members added on top of the default receivers.
    pub custom_receivers: Vec<String>,
}

/// One method change on one row; a batch of these is saved in one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodChange {
    pub type_code: String,
    pub node_code: String,
    pub method: Method,
    pub on: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_is_locked_on() {
        let mut s = MethodSet::default();
        assert!(s.contains(Method::Inbox));
        s.set(Method::Inbox, false);
        assert!(s.contains(Method::Inbox));
        s.set(Method::Personal, true);
        assert!(s.contains(Method::Personal));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"["inbox","personal"]"#
        );
        s.set(Method::Personal, false);
        assert!(!s.contains(Method::Personal));
    }
}
