//! The two response headers the client acts on: `Retry-After` and `Location`.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use url::Url;

/// A server cannot make us wait longer than this, whatever it says.
pub(crate) const MAX_SERVER_WAIT: Duration = Duration::from_secs(24 * 3600);

/// `Retry-After` as delay-seconds or an HTTP date (RFC 9110: IMF-fixdate, or the obsolete
/// RFC 850 and asctime forms). A date in the past means "now". `None` if unreadable.
pub(crate) fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits for a u64 is still "a very long time".
        let secs = v.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_SERVER_WAIT));
    }
    let at = DateTime::parse_from_rfc2822(v)
        .map(|d| d.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(v, "%A, %d-%b-%y %H:%M:%S GMT").map(|n| n.and_utc())
        })
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%a %b %e %H:%M:%S %Y").map(|n| n.and_utc()))
        .ok()?;
    let wait = (at - now).to_std().unwrap_or(Duration::ZERO);
    Some(wait.min(MAX_SERVER_WAIT))
}

/// The host (and explicit port) a redirect points to, for the error text: resolved against
/// the request URL, printable characters only, no credentials or path. "unknown" if absent.
pub(crate) fn redirect_host(location: Option<&str>, request: &Url) -> String {
    let Some(target) = location.and_then(|l| request.join(l.trim()).ok()) else {
        return "unknown".into();
    };
    let Some(host) = target.host_str() else {
        return "unknown".into();
    };
    let shown = match target.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let clean: String = shown
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'))
        .take(100)
        .collect();
    if clean.is_empty() {
        "unknown".into()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = DateTime::parse_from_rfc2822("Wed, 21 Oct 2015 07:28:00 GMT")
            .unwrap()
            .with_timezone(&Utc);
        let secs = |s: u64| Some(Duration::from_secs(s));
        assert_eq!(retry_after("120", now), secs(120));
        assert_eq!(retry_after(" 0 ", now), secs(0));
        assert_eq!(
            retry_after("99999999999999999999999", now),
            Some(MAX_SERVER_WAIT)
        );
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:29:30 GMT", now), secs(90));
        assert_eq!(
            retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now),
            secs(60)
        );
        assert_eq!(retry_after("Wed Oct 21 07:28:30 2015", now), secs(30));
        assert_eq!(retry_after("Tue, 20 Oct 2015 07:28:00 GMT", now), secs(0));
        for bad in ["", "-5", "1.5", "soon", "120s"] {
            assert_eq!(retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn redirect_hosts() {
        let req = Url::parse("https://api.dingtalk.com/v1.0/x?access_token=t").unwrap();
        let host = |l: Option<&str>| redirect_host(l, &req);
        assert_eq!(host(Some("http://127.0.0.1:8081/a?b=c")), "127.0.0.1:8081");
        assert_eq!(host(Some("https://user:pw@evil.example/x")), "evil.example");
        assert_eq!(host(Some("/elsewhere")), "api.dingtalk.com");
        assert_eq!(host(Some("http://[::1]:9/")), "[::1]:9");
        assert_eq!(host(None), "unknown");
        assert_eq!(host(Some("http://")), "unknown");
    }
}
