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
