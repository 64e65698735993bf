//! Members: the people subscriptions can be sent to (custom receivers) and whose phone is used
//! to find their DingTalk user id. Validation and CSV parsing live here; nothing does I/O.

use std::collections::HashMap;

use serde::Serialize;

use crate::domain::Mobile;

/// A stored member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Member {
    pub id: i64,
    pub name: String,
    /// Unique, compared case-insensitively.
    pub login: String,
    pub mobile: Mobile,
    pub email: Option<String>,
    /// The DingTalk userid found for `mobile`, if a lookup succeeded.
    pub dingtalk_userid: Option<String>,
    /// Unix seconds of the last userid lookup (`None`: never looked up, or the phone changed
    /// since). With `dingtalk_userid == None` it means the lookup found no user.
    pub resolved_at: Option<i64>,
    /// The member's ids found on WeCom, Feishu and Lark (`None`: looked up, not found).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channel_ids: Vec<(crate::domain::ChannelKind, Option<String>)>,
}

/// A member as typed in a form, a CLI call or a CSV line; not validated yet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewMember {
    pub name: String,
    pub login: String,
    pub phone: String,
    pub email: Option<String>,
}

/// A validated member: trimmed fields, normalised phone, empty email as `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidMember {
    pub name: String,
    pub login: String,
    pub mobile: Mobile,
    pub email: Option<String>,
}

/// Field-level problems of a [`NewMember`], shown next to each field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberErrors {
    pub name: Option<String>,
    pub login: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl MemberErrors {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.login.is_none() && self.phone.is_none() && self.email.is_none()
    }

    /// One line listing every problem, for the CLI.
    pub fn summary(&self) -> String {
        [
            ("Name", &self.name),
            ("Login", &self.login),
            ("Phone", &self.phone),
            ("Email", &self.email),
        ]
        .iter()
        .filter_map(|(field, e)| e.as_ref().map(|e| format!("{field}: {e}")))
        .collect::<Vec<_>>()
        .join("; ")
    }
}

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_LOGIN_CHARS: usize = 64;
pub const MAX_EMAIL_CHARS: usize = 254;

impl NewMember {
    pub fn validate(&self) -> Result<ValidMember, MemberErrors> {
        let name = self.name.trim();
        let login = trim_spaces(&self.login);
        let email = self.email.as_deref().map(str::trim).unwrap_or("");
        let mut errors = MemberErrors {
            name: check_name(name),
            login: check_login(login),
            phone: None,
            email: check_email(email),
        };
        let mobile = match Mobile::parse(&self.phone) {
            Ok(m) => Some(m),
            Err(e) => {
                errors.phone = Some(e.to_string());
                None
            }
        };
        match mobile {
            Some(mobile) if errors.is_empty() => Ok(ValidMember {
                name: name.to_string(),
                login: login.to_string(),
                mobile,
                email: (!email.is_empty()).then(|| email.to_string()),
            }),
            _ => Err(errors),
        }
    }
}

fn check_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("name is required".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Some(format!(
            "name is too long (max {MAX_NAME_CHARS} characters)"
        ));
    }
    if name.chars().any(char::is_control) {
        return Some("name must not contain control characters".into());
    }
    None
}

/// Trim surrounding whitespace but not control characters (tab, line feed, NEL …), so that
/// validation refuses them instead of quietly dropping them.
fn trim_spaces(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() && !c.is_control())
}

fn check_login(login: &str) -> Option<String> {
    // A login ends up in terminal output, logs and the delivery log: no control characters.
    if let Some(c) = login.chars().find(|c| c.is_control()) {
        return Some(format!(
            "login must not contain control characters (found U+{:04X})",
            u32::from(c)
        ));
    }
    if login.is_empty() {
        return Some("login is required".into());
    }
    if login.chars().count() > MAX_LOGIN_CHARS {
        return Some(format!(
            "login is too long (max {MAX_LOGIN_CHARS} characters)"
        ));
    }
    if !login
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'))
    {
        return Some("login may contain only letters, digits, '.', '_', '@' and '-'".into());
    }
    None
}

fn check_email(email: &str) -> Option<String> {
    if email.is_empty() {
        return None;
    }
    let bad = || {
        Some(format!(
            "{email:?} is not an email address like name@example.com"
        ))
    };
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Some(format!(
            "email is too long (max {MAX_EMAIL_CHARS} characters)"
        ));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad();
    }
    let Some((local, domain)) = email.split_once('@') else {
        return bad();
    };
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty());
    if local.is_empty() || !domain_ok {
        return bad();
    }
    None
}

/// A problem with one line of a members CSV file (line numbers start at 1, the header).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CsvProblem {
    pub line: usize,
    pub message: String,
}

impl CsvProblem {
    fn new(line: usize, message: impl Into<String>) -> CsvProblem {
        CsvProblem {
            line,
            message: message.into(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Login,
    Phone,
    Email,
}

impl Column {
    fn from_header(h: &str) -> Option<Column> {
        match h.to_ascii_lowercase().as_str() {
            "name" => Some(Column::Name),
            "login" => Some(Column::Login),
            "phone" => Some(Column::Phone),
            "email" => Some(Column::Email),
            _ => None,
        }
    }
}

/// Parse a members CSV file: a header row naming the columns `name`, `login`, `phone` and
/// optionally `email` (any order, any case), then one member per line.
///
/// Returns the valid members with their line numbers, and every problem found: header problems
/// (missing or unknown columns: then no member is returned), lines that fail
/// [`NewMember::validate`], lines that are not UTF-8, lines with more fields than the header,
/// and logins repeated within the file (case-insensitively; the first occurrence is kept).
/// Empty lines are skipped. Logins that already exist in the database are checked separately,
/// with [`split_existing`].
pub fn parse_members_csv(bytes: &[u8]) -> (Vec<(usize, NewMember)>, Vec<CsvProblem>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut columns: Option<Vec<Column>> = None;
    let mut seen: HashMap<String, usize> = HashMap::new();
    // The reader's line counter ignores the blank lines it skips, and a record's byte position
    // is where those blank lines start: skip them, then count the newlines before the record.
    let newlines: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_at = |byte: u64| {
        let mut start = usize::try_from(byte)
            .unwrap_or(bytes.len())
            .min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        newlines.partition_point(|&nl| nl < start) + 1
    };
    loop {
        let more = match reader.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(e) => {
                let line = line_at(e.position().unwrap_or(reader.position()).byte());
                problems.push(CsvProblem::new(line, format!("cannot read the file: {e}")));
                break;
            }
        };
        if !more {
            break;
        }
        let line = line_at(record.position().unwrap_or(reader.position()).byte());
        let fields: Result<Vec<&str>, _> = record.iter().map(std::str::from_utf8).collect();
        let Ok(fields) = fields else {
            problems.push(CsvProblem::new(
                line,
                "the line is not valid UTF-8; save the file as UTF-8",
            ));
            if columns.is_none() {
                // Without a readable header no line can be understood.
                return (Vec::new(), problems);
            }
            continue;
        };
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let Some(cols) = &columns else {
            match parse_header(line, &fields) {
                Ok(cols) => columns = Some(cols),
                Err(mut header_problems) => {
                    problems.append(&mut header_problems);
                    return (Vec::new(), problems);
                }
            }
            continue;
        };
        if fields.len() > cols.len() {
            problems.push(CsvProblem::new(
                line,
                format!(
                    "the line has {} fields but the header has {}",
                    fields.len(),
                    cols.len()
                ),
            ));
            continue;
        }
        let mut member = NewMember::default();
        for (col, value) in cols.iter().zip(fields.iter().copied()) {
            let value = match col {
                Column::Login => trim_spaces(value),
                _ => value.trim(),
            }
            .to_string();
            match col {
                Column::Name => member.name = value,
                Column::Login => member.login = value,
                Column::Phone => member.phone = value,
                Column::Email => member.email = (!value.is_empty()).then_some(value),
            }
        }
        match member.validate() {
            Err(errors) => problems.push(CsvProblem::new(line, errors.summary())),
            Ok(valid) => {
                let key = valid.login.to_lowercase();
                if let Some(first) = seen.get(&key) {
                    problems.push(CsvProblem::new(
                        line,
                        format!(
                            "Login: {:?} is already used on line {first} of this file",
                            valid.login
                        ),
                    ));
                } else {
                    seen.insert(key, line);
                    rows.push((line, member));
                }
            }
        }
    }
    if columns.is_none() && problems.is_empty() {
        problems.push(CsvProblem::new(
            1,
            "the file is empty; expected a header row with the columns name, login, phone (and optionally email)",
        ));
    }
    (rows, problems)
}

fn parse_header(line: usize, fields: &[&str]) -> Result<Vec<Column>, Vec<CsvProblem>> {
    let mut problems = Vec::new();
    let mut cols = Vec::with_capacity(fields.len());
    for raw in fields {
        let name = raw.trim();
        match Column::from_header(name) {
            Some(c) if cols.contains(&c) => {
                problems.push(CsvProblem::new(
                    line,
                    format!("column {name:?} appears twice in the header"),
                ));
            }
            Some(c) => cols.push(c),
            None => problems.push(CsvProblem::new(
                line,
                format!(
                    "unknown column {name:?} in the header; the columns are name, login, phone and email"
                ),
            )),
        }
    }
    let missing: Vec<&str> = [
        (Column::Name, "name"),
        (Column::Login, "login"),
        (Column::Phone, "phone"),
    ]
    .iter()
    .filter(|(c, _)| !cols.contains(c))
    .map(|(_, n)| *n)
    .collect();
    if !missing.is_empty() {
        problems.push(CsvProblem::new(
            line,
            format!(
                "the header lacks the column(s) {}; it must name name, login, phone (and optionally email)",
                missing.join(", ")
            ),
        ));
    }
    if problems.is_empty() {
        Ok(cols)
    } else {
        Err(problems)
    }
}

/// Split off the rows whose login (case-insensitively) already belongs to an existing member,
/// reporting each as a problem on its line.
pub fn split_existing(
    rows: Vec<(usize, NewMember)>,
    existing: &[Member],
) -> (Vec<(usize, NewMember)>, Vec<CsvProblem>) {
    let taken: std::collections::HashSet<String> =
        existing.iter().map(|m| m.login.to_lowercase()).collect();
    let mut problems = Vec::new();
    let rows = rows
        .into_iter()
        .filter(|(line, m)| {
            let login = m.login.trim();
            if taken.contains(&login.to_lowercase()) {
                problems.push(CsvProblem::new(
                    *line,
                    format!("Login: a member with login {login:?} already exists"),
                ));
                false
            } else {
                true
            }
        })
        .collect();
    (rows, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nm(name: &str, login: &str, phone: &str, email: Option<&str>) -> NewMember {
        NewMember {
            name: name.into(),
            login: login.into(),
            phone: phone.into(),
            email: email.map(String::from),
        }
    }

    #[test]
    fn valid_member_is_trimmed_and_normalised() {
        let v = nm(" Li Lei ", " li.lei ", "+86 138 0013 8000", Some(" "))
            .validate()
            .unwrap();
        assert_eq!(v.name, "Li Lei");
        assert_eq!(v.login, "li.lei");
        assert_eq!(v.mobile.as_str(), "13800138000");
        assert_eq!(v.email, None);
    }

    #[test]
    fn login_control_characters_are_refused_not_trimmed() {
        for login in [
            "al\u{1b}ice",
            "alice\n",
            "\talice",
            "alice\u{85}",
            "a\u{9b}b",
        ] {
            let e = nm("A", login, "13800138000", None).validate().unwrap_err();
            let msg = e.login.unwrap();
            assert!(
                msg.contains("control characters (found U+"),
                "{login:?}: {msg}"
            );
        }
        let (rows, problems) = parse_members_csv(b"name,login,phone\nB,\"bob\t\",13800138000\n");
        assert!(rows.is_empty());
        assert!(
            problems[0].message.contains("control characters"),
            "{problems:?}"
        );
    }

    #[test]
    fn every_field_is_reported() {
        let e = nm(" ", "bad login", "123", Some("nope"))
            .validate()
            .unwrap_err();
        assert_eq!(e.name.as_deref(), Some("name is required"));
        assert!(e.login.as_deref().unwrap().contains("only letters"));
        assert!(e.phone.as_deref().unwrap().contains("11 digits"));
        assert!(e.email.as_deref().unwrap().contains("not an email"));
        let s = e.summary();
        assert!(s.starts_with("Name: name is required; Login: "), "{s}");
        assert!(s.contains("; Phone: ") && s.contains("; Email: "), "{s}");
    }

    #[test]
    fn limits_and_control_characters() {
        let long_name = "x".repeat(MAX_NAME_CHARS + 1);
        let e = nm(&long_name, &"a".repeat(65), "13800138000", None)
            .validate()
            .unwrap_err();
        assert!(e.name.unwrap().contains("too long"));
        assert!(e.login.unwrap().contains("too long"));
        let e = nm("a\u{1b}[2J", "ok", "13800138000", None)
            .validate()
            .unwrap_err();
        assert!(e.name.unwrap().contains("control"));
        // 100 multi-byte characters are fine.
        assert!(
            nm(&"李".repeat(100), "a-b_c.d@e", "13800138000", None)
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn email_check() {
        for ok in ["a@b.co", "first.last+tag@mail.example.com"] {
            assert_eq!(check_email(ok), None, "{ok}");
        }
        for bad in [
            "a", "@b.co", "a@b", "a@.co", "a@b.", "a@@b.co", "a b@c.de", "a@b@c.de",
        ] {
            assert!(check_email(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn csv_any_column_order_and_case() {
        let csv =
            "Phone,LOGIN,name\n13800138000,li,Li Lei\n\n\"139 0013 9000\",han,\"Han, Meimei\"\n";
        let (rows, problems) = parse_members_csv(csv.as_bytes());
        assert_eq!(problems, []);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[1].0, 4);
        assert_eq!(rows[1].1.name, "Han, Meimei");
        assert_eq!(rows[1].1.email, None);
    }

    #[test]
    fn csv_line_numbers_count_blank_lines_and_quoted_newlines() {
        let csv = "\n\nname,login,phone\r\n\r\nA,a,13800138000\r\n\"Multi\nline\",m,13800138001\n   \n\nB,b,bad\n";
        let (rows, problems) = parse_members_csv(csv.as_bytes());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 5);
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [6, 10], "{problems:?}");
        assert!(problems[0].message.contains("control"));
    }

    #[test]
    fn csv_header_problems() {
        let (rows, problems) = parse_members_csv(b"name,login,mobile\nA,a,13800138000\n");
        assert!(rows.is_empty());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].message.contains("unknown column \"mobile\""));
        assert!(problems[1].message.contains("lacks the column(s) phone"));
        assert!(problems.iter().all(|p| p.line == 1));
        let (_, problems) = parse_members_csv(b"");
        assert!(problems[0].message.contains("empty"));
    }

    #[test]
    fn csv_line_problems_have_line_numbers() {
        let mut csv = b"name,login,phone,email\n".to_vec();
        csv.extend_from_slice(b"Good,good,13800138000,g@x.io\n");
        csv.extend_from_slice(b"Bad phone,bp,12345,\n");
        csv.extend_from_slice(b"No login,,13800138001,\n");
        csv.extend_from_slice(b"Dup,GOOD,13800138002,\n");
        csv.extend_from_slice(b"Caf\xe9,cafe,13800138003,\n");
        csv.extend_from_slice(b"Too,many,13800138004,a@b.cd,extra\n");
        csv.extend_from_slice(b"Short,short,13800138005\n");
        let (rows, problems) = parse_members_csv(&csv);
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7], "{problems:?}");
        assert!(problems[0].message.starts_with("Phone: "));
        assert!(problems[1].message.contains("login is required"));
        assert!(problems[2].message.contains("already used on line 2"));
        assert!(problems[3].message.contains("UTF-8"));
        assert!(problems[4].message.contains("5 fields"));
        let logins: Vec<&str> = rows.iter().map(|(_, m)| m.login.as_str()).collect();
        assert_eq!(logins, ["good", "short"]);
    }

    #[test]
    fn existing_logins_are_split_off() {
        let rows = vec![
            (2, nm("A", "Alice", "13800138000", None)),
            (3, nm("B", "bob", "13800138001", None)),
        ];
        let existing = [Member {
            id: 1,
            name: "Alice".into(),
            login: "alice".into(),
            mobile: Mobile::parse("13900139000").unwrap(),
            email: None,
            dingtalk_userid: None,
            resolved_at: None,
            channel_ids: Vec::new(),
        }];
        let (rows, problems) = split_existing(rows, &existing);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            problems,
            [CsvProblem::new(
                2,
                "Login: a member with login \"Alice\" already exists"
            )]
        );
    }
}
