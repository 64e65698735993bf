//! One rule for every platform's configurable base URL.

use url::Url;

/// Parse a platform base URL (`--feishu-api`, `NOTIFYDESK_WECOM_API`, …). The error names the
/// URL by scheme and host only: what was typed may hold credentials or a token. Plain http is
/// refused except to this machine, because secrets and tokens travel in these requests.
pub fn parse_base_url(which: &str, s: &str) -> Result<Url, String> {
    let shown = Url::parse(s.trim())
        .ok()
        .and_then(|u| Some(format!("{}://{}", u.scheme(), u.host_str()?)))
        .unwrap_or_else(|| "(unparsable)".into());
    let bad = |why: &str| format!("{which} base URL {shown}: {why}");
    let url = Url::parse(s.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("missing host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not contain a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain credentials"));
    }
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if url.scheme() == "http" && !loopback {
        return Err(bad(
            "plain http would send the secret unencrypted; use https (http is for a local sandbox on 127.0.0.1 only)",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(parse_base_url("Feishu", "http://127.0.0.1:9/").is_ok());
        assert!(parse_base_url("Feishu", "https://open.feishu.cn").is_ok());
        let e = parse_base_url("Feishu", "http://open.feishu.cn").unwrap_err();
        assert!(e.contains("plain http"), "{e}");
        let e = parse_base_url("WeCom", "https://u:pw@qyapi.weixin.qq.com").unwrap_err();
        assert!(e.contains("credentials") && !e.contains("pw"), "{e}");
        assert!(parse_base_url("WeCom", "https://h/?access_token=x").is_err());
    }
}
