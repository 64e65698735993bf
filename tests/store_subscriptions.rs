//! Integration tests for the subscription catalogue, method choices, custom receivers and
//! members, on real database files.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notifydesk::domain::catalogue::{Catalogue, NodeDef, TypeDef};
use notifydesk::domain::member::NewMember;
use notifydesk::domain::subscription::{Method, MethodChange, SubscriptionRow};
use notifydesk::store::{Store, StoreError};

fn db(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("notifydesk.db")
}

fn change(t: &str, n: &str, method: Method, on: bool) -> MethodChange {
    MethodChange {
        type_code: t.into(),
        node_code: n.into(),
        method,
        on,
    }
}

fn row<'a>(rows: &'a [SubscriptionRow], t: &str, n: &str) -> Option<&'a SubscriptionRow> {
    rows.iter().find(|r| r.type_code == t && r.node_code == n)
}

fn on(rows: &[SubscriptionRow], t: &str, n: &str) -> Vec<Method> {
    row(rows, t, n)
        .unwrap_or_else(|| panic!("no row {t}/{n}"))
        .methods
        .iter()
        .collect()
}

fn nm(name: &str, login: &str, phone: &str) -> NewMember {
    NewMember {
        name: name.into(),
        login: login.into(),
        phone: phone.into(),
        email: None,
    }
}

fn open(path: &Path) -> Store {
    Store::open(path).unwrap()
}

#[test]
fn fresh_database_has_every_catalogue_row_in_order_with_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db(&dir));
    let rows = store.subscription_rows().unwrap();
    let cat = Catalogue::embedded();
    assert_eq!(rows.len(), 17);
    let expected: Vec<(String, String)> = cat
        .types
        .iter()
        .flat_map(|t| t.nodes.iter().map(|n| (t.code.clone(), n.code.clone())))
        .collect();
    let got: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.type_code.clone(), r.node_code.clone()))
        .collect();
    assert_eq!(got, expected);
    let r = row(&rows, "sql_task", "to_be_approved").unwrap();
    assert_eq!(r.type_label, "SQL Task");
    assert_eq!(r.node_label, "To be approved");
    assert_eq!(r.receiver, "Approvers");
    assert!(r.custom_receivers.is_empty());
    for r in &rows {
        assert_eq!(
            r.methods.iter().collect::<Vec<_>>(),
            [Method::Inbox],
            "{}/{}",
            r.type_code,
            r.node_code
        );
    }
    assert_eq!(
        row(&rows, "data_export", "export_failed").unwrap().receiver,
        "Applicant"
    );
}

#[test]
fn toggles_persist_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    {
        let mut store = open(&path);
        store
            .apply_method_changes(&[
                change("sql_task", "to_be_approved", Method::Personal, true),
                change("sql_task", "to_be_approved", Method::Email, true),
                change("data_export", "approved", Method::Sms, true),
                change("data_export", "approved", Method::Sms, false),
                change("permission_apply", "revoked", Method::Webhook, true),
            ])
            .unwrap();
    }
    let store = open(&path);
    let rows = store.subscription_rows().unwrap();
    assert_eq!(
        on(&rows, "sql_task", "to_be_approved"),
        [Method::Inbox, Method::Email, Method::Personal]
    );
    assert_eq!(on(&rows, "data_export", "approved"), [Method::Inbox]);
    assert_eq!(
        on(&rows, "permission_apply", "revoked"),
        [Method::Inbox, Method::Webhook]
    );
    // Same node code under another type is independent.
    assert_eq!(
        on(&rows, "permission_apply", "to_be_approved"),
        [Method::Inbox]
    );
}

#[test]
fn a_batch_with_an_unknown_node_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&db(&dir));
    let e = store
        .apply_method_changes(&[
            change("sql_task", "approved", Method::Phone, true),
            change("sql_task", "no_such_node", Method::Phone, true),
        ])
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "the subscription node sql_task/no_such_node was not found"
    );
    let e = store
        .apply_method_changes(&[change("no_type", "approved", Method::Sms, true)])
        .unwrap_err();
    assert!(e.to_string().contains("no_type/approved"), "{e}");
    let rows = store.subscription_rows().unwrap();
    assert_eq!(on(&rows, "sql_task", "approved"), [Method::Inbox]);
}

#[test]
fn inbox_changes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&db(&dir));
    let e = store
        .apply_method_changes(&[
            change("sql_task", "approved", Method::Sms, true),
            change("sql_task", "approved", Method::Inbox, false),
        ])
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    assert!(e.to_string().contains("Inbox is always on"), "{e}");
    let rows = store.subscription_rows().unwrap();
    assert_eq!(on(&rows, "sql_task", "approved"), [Method::Inbox]);
}

/// The embedded catalogue with `sql_task/approved` relabelled, `sql_task/rejected` removed and
/// `sql_task/rolled_back` added.
fn modified_catalogue(version: u32) -> Catalogue {
    let mut cat = Catalogue::embedded().clone();
    cat.version = version;
    let sql = &mut cat.types[0];
    assert_eq!(sql.code, "sql_task");
    sql.nodes
        .iter_mut()
        .find(|n| n.code == "approved")
        .unwrap()
        .en = "Approval passed".into();
    sql.nodes.retain(|n| n.code != "rejected");
    sql.nodes.push(NodeDef {
        code: "rolled_back".into(),
        en: "Rolled back".into(),
        zh: "已回滚".into(),
        receiver: "executor".into(),
    });
    // Round-trip through the parser so the test catalogue is one a release could ship.
    Catalogue::parse(&serde_json::to_string(&cat).unwrap()).unwrap()
}

#[test]
fn catalogue_upgrade_keeps_choices_and_restores_returning_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let mut store = open(&path);
    store
        .apply_method_changes(&[
            change("sql_task", "approved", Method::Email, true),
            change("sql_task", "rejected", Method::Personal, true),
        ])
        .unwrap();
    store
        .add_member(&nm("Wang Fang", "wangfang", "13800138000"))
        .unwrap();
    store
        .set_custom_receivers("sql_task", "rejected", &["wangfang".into()])
        .unwrap();

    store.sync_catalogue(&modified_catalogue(2)).unwrap();
    let rows = store.subscription_rows().unwrap();
    assert_eq!(rows.len(), 17);
    assert!(row(&rows, "sql_task", "rejected").is_none());
    let approved = row(&rows, "sql_task", "approved").unwrap();
    assert_eq!(approved.node_label, "Approval passed");
    assert_eq!(
        approved.methods.iter().collect::<Vec<_>>(),
        [Method::Inbox, Method::Email]
    );
    let new = row(&rows, "sql_task", "rolled_back").unwrap();
    assert_eq!(new.receiver, "Executor");
    assert_eq!(new.methods.iter().collect::<Vec<_>>(), [Method::Inbox]);
    // New node comes last within its type, before the next type.
    let pos = |n: &str| {
        rows.iter()
            .position(|r| r.type_code == "sql_task" && r.node_code == n)
    };
    assert_eq!(pos("rolled_back"), Some(7));
    assert_eq!(rows[8].type_code, "permission_apply");
    // A retired node cannot be changed.
    assert!(matches!(
        store.apply_method_changes(&[change("sql_task", "rejected", Method::Sms, true)]),
        Err(StoreError::NotFound { .. })
    ));
    drop(store);

    // Reopening with the older embedded catalogue keeps the newer one.
    let mut store = open(&path);
    let rows = store.subscription_rows().unwrap();
    assert!(row(&rows, "sql_task", "rejected").is_none());
    assert!(row(&rows, "sql_task", "rolled_back").is_some());

    // The node comes back in a later catalogue, with the choices made before.
    let mut v3 = Catalogue::embedded().clone();
    v3.version = 3;
    store.sync_catalogue(&v3).unwrap();
    let rows = store.subscription_rows().unwrap();
    assert_eq!(rows.len(), 17);
    let rejected = row(&rows, "sql_task", "rejected").unwrap();
    assert_eq!(
        rejected.methods.iter().collect::<Vec<_>>(),
        [Method::Inbox, Method::Personal]
    );
    assert_eq!(rejected.custom_receivers, ["wangfang"]);
    assert_eq!(
        row(&rows, "sql_task", "approved").unwrap().node_label,
        "Approved"
    );
    assert!(row(&rows, "sql_task", "rolled_back").is_none());
}

#[test]
fn removing_a_whole_type_hides_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&db(&dir));
    let mut cat = Catalogue::embedded().clone();
    cat.version = 2;
    cat.types.retain(|t| t.code != "data_export");
    store.sync_catalogue(&cat).unwrap();
    let rows = store.subscription_rows().unwrap();
    assert_eq!(rows.len(), 12);
    assert!(rows.iter().all(|r| r.type_code != "data_export"));
}

#[test]
fn syncing_the_same_catalogue_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let mut store = open(&path);
    let version = store.setting("catalogue.version").unwrap();
    let hash = store.setting("catalogue.hash").unwrap();
    assert_eq!(version.as_deref(), Some("1"));
    assert!(hash.is_some());
    // Make the stored labels differ from the catalogue behind the store's back: a real sync
    // would overwrite them, a skipped one leaves them.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE subscription_node SET en = 'Tampered' WHERE type_code = 'sql_task' AND code = 'approved'",
            [],
        )
        .unwrap();
    }
    store.sync_catalogue(Catalogue::embedded()).unwrap();
    drop(store);
    let store = open(&path);
    let rows = store.subscription_rows().unwrap();
    assert_eq!(
        row(&rows, "sql_task", "approved").unwrap().node_label,
        "Tampered"
    );
    assert_eq!(store.setting("catalogue.hash").unwrap(), hash);

    // Same version, different content (e.g. a development build): synced.
    let mut store = store;
    let mut cat = Catalogue::embedded().clone();
    cat.types[0].nodes[0].en = "Draft".into();
    store.sync_catalogue(&cat).unwrap();
    let rows = store.subscription_rows().unwrap();
    assert_eq!(rows[0].node_label, "Draft");
    assert_eq!(
        row(&rows, "sql_task", "approved").unwrap().node_label,
        "Approved"
    );
    assert_ne!(store.setting("catalogue.hash").unwrap(), hash);
}

#[test]
fn custom_receivers_are_sorted_and_validated() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&db(&dir));
    for (name, login, phone) in [
        ("Zhang Wei", "zhangwei", "13800138001"),
        ("Li Na", "Lina", "13800138002"),
        ("Bob", "bob", "13800138003"),
    ] {
        store.add_member(&nm(name, login, phone)).unwrap();
    }
    store
        .set_custom_receivers(
            "sql_task",
            "execution_failed",
            &["zhangwei".into(), "LINA".into(), "bob".into(), "Bob".into()],
        )
        .unwrap();
    let rows = store.subscription_rows().unwrap();
    assert_eq!(
        row(&rows, "sql_task", "execution_failed")
            .unwrap()
            .custom_receivers,
        ["bob", "Lina", "zhangwei"]
    );
    // Unknown login: named in the error, nothing changed.
    let e = store
        .set_custom_receivers(
            "sql_task",
            "execution_failed",
            &["bob".into(), "ghost".into()],
        )
        .unwrap_err();
    assert_eq!(e.to_string(), "a member with login \"ghost\" was not found");
    let rows = store.subscription_rows().unwrap();
    assert_eq!(
        row(&rows, "sql_task", "execution_failed")
            .unwrap()
            .custom_receivers
            .len(),
        3
    );
    // Unknown node.
    assert!(matches!(
        store.set_custom_receivers("sql_task", "nope", &[]),
        Err(StoreError::NotFound { .. })
    ));
    // Empty list clears them; the default receiver stays.
    store
        .set_custom_receivers("sql_task", "execution_failed", &[])
        .unwrap();
    let rows = store.subscription_rows().unwrap();
    let r = row(&rows, "sql_task", "execution_failed").unwrap();
    assert!(r.custom_receivers.is_empty());
    assert_eq!(r.receiver, "Submitter");
}

#[test]
fn members_crud() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let mut store = open(&path);
    let zhang = store
        .add_member(&NewMember {
            name: " Zhang Wei ".into(),
            login: "zhangwei".into(),
            phone: "+86 138-0013-8000".into(),
            email: Some("zw@example.com".into()),
        })
        .unwrap();
    assert_eq!(zhang.name, "Zhang Wei");
    assert_eq!(zhang.mobile.as_str(), "13800138000");
    assert_eq!(zhang.email.as_deref(), Some("zw@example.com"));
    let an = store
        .add_member(&nm("An Qi", "anqi", "13900139000"))
        .unwrap();

    // Sorted by name.
    let names: Vec<String> = store
        .members()
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["An Qi", "Zhang Wei"]);

    // Duplicate login, case-insensitively.
    let e = store
        .add_member(&nm("Other", "ZhangWei", "13700137000"))
        .unwrap_err();
    assert!(matches!(e, StoreError::Duplicate { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "a member with login \"ZhangWei\" already exists"
    );
    assert_eq!(
        store.member_by_login("ZHANGWEI").unwrap().unwrap().id,
        zhang.id
    );
    assert_eq!(store.member_by_login("nobody").unwrap(), None);

    // Validation errors name every field.
    let e = store.add_member(&nm("", "x y", "1")).unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }));
    let msg = e.to_string();
    assert!(
        msg.starts_with("invalid member: Name: name is required; Login: ")
            && msg.contains("; Phone: "),
        "{msg}"
    );

    // Userid: kept when only the name changes, cleared when the phone changes.
    store
        .set_member_userid(zhang.id, Some("manager4521"), 1_700_000_000)
        .unwrap();
    let upd = NewMember {
        name: "Zhang Wei (DBA)".into(),
        login: "zhangwei".into(),
        phone: "13800138000".into(),
        email: None,
    };
    let m = store.update_member(zhang.id, &upd).unwrap();
    assert_eq!(m.dingtalk_userid.as_deref(), Some("manager4521"));
    assert_eq!(m.resolved_at, Some(1_700_000_000));
    assert_eq!(m.email, None);
    let m = store
        .update_member(
            zhang.id,
            &NewMember {
                phone: "13800138999".into(),
                ..upd.clone()
            },
        )
        .unwrap();
    assert_eq!(m.dingtalk_userid, None);
    assert_eq!(m.resolved_at, None);
    assert_eq!(m.mobile.as_str(), "13800138999");
    // Renaming onto another member's login is refused.
    assert!(matches!(
        store.update_member(
            zhang.id,
            &NewMember {
                login: "ANQI".into(),
                ..upd.clone()
            }
        ),
        Err(StoreError::Duplicate { .. })
    ));
    // Changing only the case of one's own login is fine.
    assert_eq!(
        store
            .update_member(
                zhang.id,
                &NewMember {
                    login: "ZhangWei".into(),
                    ..upd.clone()
                }
            )
            .unwrap()
            .login,
        "ZhangWei"
    );
    assert!(matches!(
        store.update_member(9999, &upd),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.set_member_userid(9999, None, 0),
        Err(StoreError::NotFound { .. })
    ));

    // "Not found" lookups are remembered with their time.
    store.set_member_userid(an.id, None, 1_700_000_100).unwrap();
    drop(store);
    let mut store = open(&path);
    let an = store.member_by_login("anqi").unwrap().unwrap();
    assert_eq!(
        (an.dingtalk_userid, an.resolved_at),
        (None, Some(1_700_000_100))
    );

    // Delete.
    assert!(store.delete_member(zhang.id).unwrap());
    assert!(!store.delete_member(zhang.id).unwrap());
    assert_eq!(store.members().unwrap().len(), 1);
}

#[test]
fn deleting_a_member_removes_them_as_custom_receiver() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&db(&dir));
    let a = store.add_member(&nm("A", "a", "13800138001")).unwrap();
    store.add_member(&nm("B", "b", "13800138002")).unwrap();
    for (t, n) in [("sql_task", "approved"), ("data_export", "export_failed")] {
        store
            .set_custom_receivers(t, n, &["a".into(), "b".into()])
            .unwrap();
    }
    assert!(store.delete_member(a.id).unwrap());
    let rows = store.subscription_rows().unwrap();
    assert_eq!(
        row(&rows, "sql_task", "approved").unwrap().custom_receivers,
        ["b"]
    );
    assert_eq!(
        row(&rows, "data_export", "export_failed")
            .unwrap()
            .custom_receivers,
        ["b"]
    );
}

#[test]
fn import_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&db(&dir));
    store
        .add_member(&nm("Existing", "taken", "13800138000"))
        .unwrap();
    let good = [nm("A", "a", "13800138001"), nm("B", "b", "13800138002")];
    let e = store
        .import_members(&[good[0].clone(), nm("C", "TAKEN", "13800138003")])
        .unwrap_err();
    assert!(matches!(e, StoreError::Duplicate { .. }), "{e:?}");
    let e = store
        .import_members(&[
            good[0].clone(),
            good[1].clone(),
            nm("D", "A", "13800138004"),
        ])
        .unwrap_err();
    assert!(e.to_string().contains("appears twice"), "{e}");
    let e = store
        .import_members(&[good[0].clone(), nm("E", "e", "bad")])
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    assert_eq!(store.members().unwrap().len(), 1);
    assert_eq!(store.import_members(&good).unwrap(), 2);
    assert_eq!(store.members().unwrap().len(), 3);
    assert_eq!(store.import_members(&[]).unwrap(), 0);
}

#[test]
fn five_thousand_rows_load_and_list_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let mut cat = Catalogue::embedded().clone();
    cat.version = 50;
    cat.types = (0..50)
        .map(|t| TypeDef {
            code: format!("type_{t:02}"),
            en: format!("Type {t}"),
            zh: format!("类型 {t}"),
            nodes: (0..100)
                .map(|n| NodeDef {
                    code: format!("node_{n:03}"),
                    en: format!("Node {n}"),
                    zh: format!("节点 {n}"),
                    receiver: if n % 2 == 0 { "submitter" } else { "approvers" }.into(),
                })
                .collect(),
        })
        .collect();
    assert_eq!(cat.row_count(), 5000);
    let mut store = open(&path);
    let started = Instant::now();
    store.sync_catalogue(&cat).unwrap();
    let sync_took = started.elapsed();
    store.add_member(&nm("M", "m", "13800138000")).unwrap();
    let changes: Vec<MethodChange> = (0..50)
        .map(|t| change(&format!("type_{t:02}"), "node_099", Method::Personal, true))
        .collect();
    store.apply_method_changes(&changes).unwrap();
    store
        .set_custom_receivers("type_49", "node_000", &["m".into()])
        .unwrap();
    drop(store);

    let store = open(&path);
    let started = Instant::now();
    let rows = store.subscription_rows().unwrap();
    let list_took = started.elapsed();
    assert_eq!(rows.len(), 5000);
    assert_eq!(rows[0].type_code, "type_00");
    assert_eq!(rows[0].node_code, "node_000");
    assert_eq!(rows[0].receiver, "Submitter");
    assert_eq!(rows[1].receiver, "Approvers");
    assert_eq!(rows[4999].node_code, "node_099");
    assert_eq!(
        rows[4999].methods.iter().collect::<Vec<_>>(),
        [Method::Inbox, Method::Personal]
    );
    assert_eq!(rows[4900].custom_receivers, ["m"]);
    // Speed is for benchmarks: these bounds only catch a pathological slowdown (a fsync per
    // row, a query per row) and leave a loaded 2-core debug build ample room.
    eprintln!("5000 rows: sync {sync_took:?}, list {list_took:?}");
    assert!(
        sync_took < Duration::from_secs(60),
        "sync took {sync_took:?}"
    );
    assert!(
        list_took < Duration::from_secs(20),
        "listing took {list_took:?}"
    );
}
