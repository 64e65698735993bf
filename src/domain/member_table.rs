//! Every member in a compact form, for lists that hold all of them at once (the TUI's Members
//! tab and receivers picker). 100,000 [`Member`] values cost ≈ 35 MB — a struct, five or six
//! small heap strings and a `Vec` each — where this table keeps all their text in one buffer and
//! a fixed-size record per member (≈ 11 MB). A [`Member`] is built back for the few rows shown.

use crate::domain::Mobile;
use crate::domain::channel::ChannelKind;
use crate::domain::member::Member;

/// The text fields of a row, in the order they are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Name = 0,
    Login,
    Mobile,
    /// Empty: no email (a stored email is never empty).
    Email,
    /// Empty: none found or never looked up (a userid is never empty).
    DingTalkUserid,
    WeCom,
    Feishu,
    FeishuLark,
}

const FIELDS: usize = 8;

/// The platforms whose member ids the table keeps, with their field.
const PLATFORM_FIELDS: [(ChannelKind, Field); 3] = [
    (ChannelKind::WeCom, Field::WeCom),
    (ChannelKind::Feishu, Field::Feishu),
    (ChannelKind::FeishuLark, Field::FeishuLark),
];

#[derive(Clone, Debug)]
struct Row {
    id: i64,
    /// `i64::MIN`: none.
    resolved_at: i64,
    /// Where each field ends in `text`; a row starts where the previous one ends.
    ends: [u32; FIELDS],
    /// Bit `i` set: the platform `PLATFORM_FIELDS[i]` was looked up (an empty field then
    /// means "not found").
    looked_up: u8,
}

#[derive(Clone, Debug, Default)]
pub struct MemberTable {
    text: String,
    rows: Vec<Row>,
}

impl MemberTable {
    pub fn with_capacity(rows: usize) -> MemberTable {
        MemberTable {
            text: String::new(),
            rows: Vec::with_capacity(rows),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn push(&mut self, m: &Member) {
        let mut ends = [0u32; FIELDS];
        let mut put = |field: Field, value: &str| {
            self.text.push_str(value);
            ends[field as usize] = u32::try_from(self.text.len())
                .expect("a member table holds less than 4 GB of text");
        };
        put(Field::Name, &m.name);
        put(Field::Login, &m.login);
        put(Field::Mobile, m.mobile.as_str());
        put(Field::Email, m.email.as_deref().unwrap_or(""));
        put(
            Field::DingTalkUserid,
            m.dingtalk_userid.as_deref().unwrap_or(""),
        );
        let mut looked_up = 0u8;
        for (bit, (kind, field)) in PLATFORM_FIELDS.iter().enumerate() {
            let found = m.channel_ids.iter().find(|(k, _)| k == kind);
            if found.is_some() {
                looked_up |= 1 << bit;
            }
            put(
                *field,
                found.and_then(|(_, id)| id.as_deref()).unwrap_or(""),
            );
        }
        self.rows.push(Row {
            id: m.id,
            resolved_at: m.resolved_at.unwrap_or(i64::MIN),
            ends,
            looked_up,
        });
    }

    /// Frees the spare capacity left by growing (worth megabytes at 100,000 members).
    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.rows.shrink_to_fit();
    }

    /// A field of row `i` (`""` past the end).
    pub fn field(&self, i: usize, field: Field) -> &str {
        let Some(row) = self.rows.get(i) else {
            return "";
        };
        let f = field as usize;
        let start = match f {
            0 => i
                .checked_sub(1)
                .map_or(0, |p| self.rows[p].ends[FIELDS - 1]),
            _ => row.ends[f - 1],
        };
        &self.text[start as usize..row.ends[f] as usize]
    }

    pub fn id(&self, i: usize) -> Option<i64> {
        self.rows.get(i).map(|r| r.id)
    }

    pub fn login(&self, i: usize) -> &str {
        self.field(i, Field::Login)
    }

    pub fn name(&self, i: usize) -> &str {
        self.field(i, Field::Name)
    }

    /// Row `i` as a [`Member`].
    pub fn get(&self, i: usize) -> Option<Member> {
        let row = self.rows.get(i)?;
        let text = |f: Field| self.field(i, f).to_string();
        let optional = |f: Field| Some(text(f)).filter(|s| !s.is_empty());
        let channel_ids = PLATFORM_FIELDS
            .iter()
            .enumerate()
            .filter(|(bit, _)| row.looked_up & (1 << bit) != 0)
            .map(|(_, (kind, field))| (*kind, optional(*field)))
            .collect();
        Some(Member {
            id: row.id,
            name: text(Field::Name),
            login: text(Field::Login),
            // Built from a valid `Mobile`, so valid: no second parse.
            mobile: Mobile(text(Field::Mobile)),
            email: optional(Field::Email),
            dingtalk_userid: optional(Field::DingTalkUserid),
            resolved_at: (row.resolved_at != i64::MIN).then_some(row.resolved_at),
            channel_ids,
        })
    }

    /// Every member, in order.
    pub fn iter(&self) -> impl Iterator<Item = Member> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

impl FromIterator<Member> for MemberTable {
    fn from_iter<T: IntoIterator<Item = Member>>(iter: T) -> MemberTable {
        let mut table = MemberTable::default();
        for m in iter {
            table.push(&m);
        }
        table.shrink_to_fit();
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: i64, name: &str, login: &str) -> Member {
        Member {
            id,
            name: name.into(),
            login: login.into(),
            mobile: Mobile::parse("13800138000").unwrap(),
            email: None,
            dingtalk_userid: None,
            resolved_at: None,
            channel_ids: vec![],
        }
    }

    #[test]
    fn members_come_back_as_they_went_in() {
        let mut full = member(7, "Zhang Wei 张伟", "zhangwei");
        full.email = Some("zw@example.com".into());
        full.dingtalk_userid = Some("ding-1".into());
        full.resolved_at = Some(1_700_000_000);
        full.channel_ids = vec![
            (ChannelKind::WeCom, Some("ZhangWei".into())),
            (ChannelKind::FeishuLark, None),
        ];
        let mut unresolved = member(8, "Li", "li");
        unresolved.resolved_at = Some(0);
        let members = vec![
            member(1, "", "a"),
            full,
            unresolved,
            member(9, "Ω", "omega"),
        ];
        let table: MemberTable = members.iter().cloned().collect();
        assert_eq!(table.len(), 4);
        assert_eq!(table.iter().collect::<Vec<_>>(), members);
        assert_eq!(table.login(1), "zhangwei");
        assert_eq!(table.name(3), "Ω");
        assert_eq!(table.field(1, Field::Email), "zw@example.com");
        assert_eq!(table.field(1, Field::WeCom), "ZhangWei");
        assert_eq!(table.field(1, Field::FeishuLark), "");
        assert_eq!(table.id(2), Some(8));
        assert_eq!(table.get(4), None);
        assert_eq!(table.field(4, Field::Name), "");
    }

    #[test]
    fn an_empty_table_has_no_rows() {
        let table = MemberTable::default();
        assert!(table.is_empty());
        assert_eq!(table.get(0), None);
        assert_eq!(table.login(0), "");
    }
}
