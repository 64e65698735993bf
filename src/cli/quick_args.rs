//! The TUI's usual command line — options only, no environment overrides — read without clap.
//! clap's first parse costs ≈ 70 µs of cold code and first allocations, ≈ 4 % of the TUI's
//! start-up. Anything this does not recognise (a command, `--help`, an unknown, repeated or
//! hyphen-led value, a `NOTIFYDESK_*` variable clap would read) answers `None` and the caller
//! asks clap. Tests hold the answers equal to clap's, the defaults included.

use std::ffi::OsString;
use std::path::PathBuf;

use super::args::{DEFAULT_HTTP_TIMEOUT, Globals, parse_lang};

/// The environment variables clap reads for [`Globals`] (a test compares with clap's list).
pub(super) const ENV_VARS: [&str; 7] = [
    "NOTIFYDESK_DB",
    "NOTIFYDESK_DINGTALK_API",
    "NOTIFYDESK_DINGTALK_OAPI",
    "NOTIFYDESK_WECOM_API",
    "NOTIFYDESK_FEISHU_API",
    "NOTIFYDESK_LARK_API",
    "NOTIFYDESK_HTTP_TIMEOUT",
];

/// `args` (program name first) as clap would read them, or `None` to ask clap.
pub(super) fn parse(args: &[OsString], env_set: impl Fn(&str) -> bool) -> Option<Globals> {
    if ENV_VARS.iter().any(|v| env_set(v)) {
        return None;
    }
    let mut g = Globals {
        db: None,
        dingtalk_api: crate::dingtalk::DINGTALK_API.into(),
        dingtalk_oapi: crate::dingtalk::DINGTALK_OAPI.into(),
        wecom_api: crate::wecom::WECOM_API.into(),
        feishu_api: crate::feishu::FEISHU_API.into(),
        lark_api: crate::feishu::LARK_API.into(),
        http_timeout: DEFAULT_HTTP_TIMEOUT,
        lang: None,
        no_color: false,
        sandbox: false,
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        let arg = arg.to_str()?;
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (arg, None),
        };
        if !name.starts_with("--") || seen.contains(&name) {
            return None;
        }
        seen.push(name);
        let flag = match name {
            "--no-color" => Some(&mut g.no_color),
            "--sandbox" => Some(&mut g.sandbox),
            _ => None,
        };
        if let Some(flag) = flag {
            // A flag takes no value (`--no-color=true` is clap's error to give).
            if inline.is_some() {
                return None;
            }
            *flag = true;
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => rest.next()?.to_str()?,
        };
        if value.is_empty() || value.starts_with('-') {
            return None;
        }
        match name {
            "--db" => g.db = Some(PathBuf::from(value)),
            "--dingtalk-api" => g.dingtalk_api = value.into(),
            "--dingtalk-oapi" => g.dingtalk_oapi = value.into(),
            "--wecom-api" => g.wecom_api = value.into(),
            "--feishu-api" => g.feishu_api = value.into(),
            "--lark-api" => g.lark_api = value.into(),
            "--http-timeout" => g.http_timeout = value.parse().ok()?,
            "--lang" => g.lang = Some(parse_lang(value).ok()?),
            _ => return None,
        }
    }
    Some(g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::Cli;
    use clap::{CommandFactory, Parser};

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    /// What clap makes of `args` when none of the variables is set in this process.
    fn clap_globals(args: &[&str]) -> Option<String> {
        let cli = Cli::try_parse_from(args).ok()?;
        cli.command.is_none().then(|| format!("{:?}", cli.global))
    }

    #[test]
    fn the_environment_variables_are_the_ones_clap_reads() {
        let mut from_clap: Vec<String> = Cli::command()
            .get_arguments()
            .filter_map(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()))
            .collect();
        from_clap.sort();
        let mut ours: Vec<String> = ENV_VARS.iter().map(|s| s.to_string()).collect();
        ours.sort();
        assert_eq!(from_clap, ours);
    }

    #[test]
    fn any_variable_set_leaves_it_to_clap() {
        for var in ENV_VARS {
            assert!(parse(&os(&["notifydesk"]), |v| v == var).is_none(), "{var}");
        }
    }

    #[test]
    fn what_it_reads_clap_reads_alike_and_the_rest_it_leaves_to_clap() {
        if ENV_VARS.iter().any(|v| std::env::var_os(v).is_some()) {
            eprintln!("skipped: a NOTIFYDESK_* variable is set for this test process");
            return;
        }
        let cases: &[&[&str]] = &[
            &["notifydesk"],
            &[
                "notifydesk",
                "--db",
                "/tmp/x.db",
                "--lang",
                "zh",
                "--no-color",
            ],
            &["notifydesk", "--sandbox"],
            &[
                "notifydesk",
                "--http-timeout",
                "3",
                "--dingtalk-api=http://127.0.0.1:1",
            ],
            &["notifydesk", "--http-timeout=0.5", "--lang=en"],
            &[
                "notifydesk",
                "--wecom-api",
                "http://127.0.0.1:2",
                "--lark-api",
                "http://h",
            ],
            &[
                "notifydesk",
                "--feishu-api",
                "http://f",
                "--dingtalk-oapi",
                "http://o",
            ],
            &[
                "notifydesk",
                "--db",
                "relative/nd.db",
                "--no-color",
                "--sandbox",
            ],
            &["notifydesk", "--db=/a=b.db"],
            &["notifydesk", "--http-timeout", "1e1"],
            // Left to clap: commands, help, mistakes and odd forms.
            &["notifydesk", "channel", "list"],
            &["notifydesk", "--db", "/tmp/x.db", "paths"],
            &["notifydesk", "--help"],
            &["notifydesk", "-h"],
            &["notifydesk", "--version"],
            &["notifydesk", "--lang", "fr"],
            &["notifydesk", "--dbb", "x"],
            &["notifydesk", "--db"],
            &["notifydesk", "--db", "a", "--db", "b"],
            &["notifydesk", "--db", "-x"],
            &["notifydesk", "--db="],
            &["notifydesk", "--no-color=true"],
            &["notifydesk", "--http-timeout", "soon"],
            &["notifydesk", "--", "--db"],
        ];
        for args in cases {
            let quick = parse(&os(args), |_| false).map(|g| format!("{g:?}"));
            let clap = clap_globals(args);
            match &quick {
                // Whatever it reads, clap reads the same.
                Some(q) => assert_eq!(Some(q), clap.as_ref(), "{args:?}"),
                // Otherwise clap answers: an error, help, or a command.
                None => assert!(
                    clap.is_none() || args.iter().any(|a| a.contains('=') || *a == "--"),
                    "{args:?}: clap reads it alone: {clap:?}"
                ),
            }
        }
        // The usual forms are all read here.
        for args in &cases[..10] {
            assert!(parse(&os(args), |_| false).is_some(), "{args:?}");
        }
    }
}
