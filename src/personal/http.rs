//! The HTTP client every personal-channel platform client uses: no redirects (a redirect could
//! carry a token or secret to another host), no Referer, bounded timeouts, rustls.

use std::time::Duration;

/// Timeouts of one platform client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpOptions {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> HttpOptions {
        HttpOptions {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Build the reqwest client for a platform.
pub fn http_client(opts: HttpOptions) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .timeout(opts.timeout)
        .connect_timeout(opts.connect_timeout)
        .user_agent(concat!("notifydesk/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// A platform's HTTP client, built on its first call. Building one loads the system's CA
/// certificates (several ms); three eager ones (WeCom, Feishu, Lark) held back the TUI's
/// first frame, which needs none of them.
#[derive(Debug)]
pub struct LazyHttp {
    opts: HttpOptions,
    client: std::sync::OnceLock<reqwest::Client>,
}

impl LazyHttp {
    pub fn new(opts: HttpOptions) -> LazyHttp {
        LazyHttp {
            opts,
            client: std::sync::OnceLock::new(),
        }
    }

    /// The client, built now if this is the first call (the error names no URL).
    pub fn get(&self) -> Result<&reqwest::Client, String> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        let built = http_client(self.opts).map_err(|e| e.without_url().to_string())?;
        Ok(self.client.get_or_init(|| built))
    }

    pub fn is_built(&self) -> bool {
        self.client.get().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_built_on_first_use_and_kept() {
        let http = LazyHttp::new(HttpOptions::default());
        assert!(!http.is_built(), "nothing is built before a call");
        let first: *const reqwest::Client = http.get().unwrap();
        assert!(http.is_built());
        assert!(std::ptr::eq(first, http.get().unwrap()), "built once");
    }
}
