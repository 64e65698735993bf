//! A database with the DingTalk channel, Personal Channel on for SQL Task / To be approved and
//! members known to a fake DingTalk, plus the binary's command line pointed at both. Shared by
//! the tests that run `notifydesk` as a process.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use dingtalk_fake::{FakeApp, FakeDingTalk};
use notifydesk::store::Store;

pub const KEY: &str = "dingcli0002";
pub const SECRET: &str = "cli-delivery-secret";

pub struct Env {
    pub fake: FakeDingTalk,
    pub dir: tempfile::TempDir,
}

impl Env {
    /// Members u1..=n with phones 1390000nnnn (userids user1..).
    pub fn new(members: usize) -> Env {
        let fake = FakeDingTalk::start_background();
        fake.add_app(FakeApp::new(KEY, SECRET));
        let dir = tempfile::tempdir().unwrap();
        let env = Env { fake, dir };
        let mut store = Store::open(&env.db()).unwrap();
        super::fixtures::channel_with_personal(&mut store, KEY, SECRET, "13900000001");
        super::fixtures::members(&env.fake, &mut store, members, |i| format!("1390000{i:04}"));
        env
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("nd.db")
    }

    /// The binary with a clean environment: this database, this fake, no standard input.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_notifydesk"));
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("NOTIFYDESK_DB", self.db())
            .env("NOTIFYDESK_DINGTALK_API", self.fake.base_url())
            .env("NOTIFYDESK_DINGTALK_OAPI", self.fake.base_url())
            .args(args)
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }
}

pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
