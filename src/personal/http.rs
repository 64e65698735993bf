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

/// rustls' cryptography for this process: ring (reqwest is built without a provider). Every
/// client this crate builds calls it first; call it before building a `reqwest::Client`
/// yourself. A provider installed earlier stays.
pub fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Build the reqwest client for a platform.
pub fn http_client(opts: HttpOptions) -> reqwest::Result<reqwest::Client> {
    install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .timeout(opts.timeout)
        .connect_timeout(opts.connect_timeout)
        .user_agent(concat!("notifydesk/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// A platform's HTTP client, built on its first call: building rustls' configuration costs
/// milliseconds that start-up (the TUI's first frame) should not pay for platforms that may
/// never be called.
#[derive(Debug)]
pub struct LazyHttp {
    opts: HttpOptions,
    cell: std::sync::OnceLock<reqwest::Client>,
}

impl LazyHttp {
    pub fn new(opts: HttpOptions) -> LazyHttp {
        LazyHttp {
            opts,
            cell: std::sync::OnceLock::new(),
        }
    }

    pub fn get(&self) -> reqwest::Result<&reqwest::Client> {
        if let Some(c) = self.cell.get() {
            return Ok(c);
        }
        let built = http_client(self.opts)?;
        // Another caller may have won the race: theirs is as good as ours.
        Ok(self.cell.get_or_init(|| built))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Building the TLS client costs milliseconds: nothing before the first call needs it.
    #[test]
    fn the_client_is_built_on_first_use_and_kept() {
        let lazy = LazyHttp::new(HttpOptions::default());
        assert!(lazy.cell.get().is_none());
        let a = lazy.get().unwrap() as *const reqwest::Client;
        let b = lazy.get().unwrap() as *const reqwest::Client;
        assert_eq!(a, b);
    }
}
