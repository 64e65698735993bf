//! Worker identities for delivery claims: `<host>/<pid namespace>/<pid>/<random>`. Host, pid
//! namespace and pid let a worker on the same machine tell that another one is dead (its
//! claims can end at once); containers sharing a hostname have different pid namespaces, so
//! they never judge each other's pids. The random part keeps two workers of one process apart.

/// A fresh owner id for a worker of this process.
pub fn new_owner_id() -> String {
    format!(
        "{}/{}/{}/{:08x}",
        hostname(),
        pid_namespace(),
        std::process::id(),
        rand::random::<u32>()
    )
}

/// The pid namespace's inode (`/proc/self/ns/pid` → `pid:[4026531836]`), or `-` if unknown.
fn pid_namespace() -> String {
    std::fs::read_link("/proc/self/ns/pid")
        .ok()
        .and_then(|p| {
            let s = p.to_string_lossy().into_owned();
            let inner = s.strip_prefix("pid:[")?.strip_suffix(']')?.to_string();
            inner.bytes().all(|b| b.is_ascii_digit()).then_some(inner)
        })
        .unwrap_or_else(|| "-".into())
}

/// True only when `owner` certainly belongs to a process that is gone: same host, and no
/// process with its pid exists. Anything uncertain (another host, a malformed id, a pid that
/// exists, perhaps reused) is "maybe alive", and its lease runs out on its own.
pub fn is_dead(owner: &str) -> bool {
    let mut parts = owner.split('/');
    let (Some(host), Some(ns), Some(pid), Some(_)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if host != hostname() || ns == "-" || ns != pid_namespace() {
        return false;
    }
    let Ok(pid) = pid.parse::<libc::pid_t>() else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // Signal 0 checks existence only. ESRCH = no such process; EPERM = it exists (other user).
    // SAFETY: kill with signal 0 sends nothing.
    let r = unsafe { libc::kill(pid, 0) };
    r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success.
    let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if r != 0 {
        return "localhost".into();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).replace('/', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_alive_and_a_finished_child_is_dead() {
        assert!(!is_dead(&new_owner_id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let ns = pid_namespace();
        assert!(is_dead(&format!("{}/{ns}/{pid}/00000000", hostname())));
        // Another host or pid namespace, or a malformed id: never presumed dead.
        assert!(!is_dead(&format!("elsewhere.example/{ns}/{pid}/00000000")));
        assert!(!is_dead(&format!("{}/1/{pid}/00000000", hostname())));
        assert!(!is_dead("garbage"));
    }
}
