//! Unit tests of `runner`, kept beside it so the module stays short.

mod loads {
    use super::super::*;
    use crate::store::DeliveryFilter;
    use std::time::Duration;

    /// Typing a search over 1,000,000 deliveries asks for a page per keystroke, each up to a
    /// second of work: only the newest one may run, or the answer comes seconds late.
    #[tokio::test]
    async fn log_loads_replaced_by_a_newer_one_are_skipped() {
        let store = StoreHandle::spawn(Store::open_in_memory().unwrap()).unwrap();
        let client = Client::new(Default::default(), Default::default()).unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut runner = Runner::new(store.clone(), client, PersonalClients::default(), tx);
        // The store thread is busy meanwhile, as it is with a search in progress.
        let busy = store.call(|_| std::thread::sleep(Duration::from_millis(300)));
        for text in ["C", "Ch", "Cha", "Chan"] {
            runner.run(Effect::LoadLog {
                filter: DeliveryFilter {
                    text: Some(text.into()),
                    ..DeliveryFilter::default()
                },
                before: None,
            });
        }
        busy.await.unwrap();
        // A job queued after them: when it has answered, every load has been dealt with.
        store.call(|_| ()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut loaded = 0;
        while let Ok(msg) = rx.try_recv() {
            match msg {
                Msg::LogLoaded(page) => {
                    page.unwrap();
                    loaded += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(loaded, 1, "only the newest load runs");
    }
}

mod notices {
    use super::super::*;

    #[test]
    fn delivery_trouble_is_told_in_the_interface_language() {
        let zh = |n| delivery_notice(Lang::Zh, n, "database is locked");
        assert_eq!(zh(DeliveryNotice::Off), "发送已关闭：database is locked");
        assert_eq!(
            zh(DeliveryNotice::Retrying),
            "发送出错：database is locked（正在重试）"
        );
        assert_eq!(
            zh(DeliveryNotice::Stopped),
            "发送已停止：database is locked"
        );
        // English as it always was.
        let en = |n| delivery_notice(Lang::En, n, "x");
        assert_eq!(en(DeliveryNotice::Off), "Delivery is off: x");
        assert_eq!(en(DeliveryNotice::Retrying), "Delivery: x (retrying)");
        assert_eq!(en(DeliveryNotice::Stopped), "Delivery stopped: x");
    }
}
