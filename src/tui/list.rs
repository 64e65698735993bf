//! The one list cursor: moving, paging and jumping within `len` rows, and the scroll offset
//! that keeps the cursor in view. Every list of the TUI moves through these.

/// `cursor` moved by `delta` rows, kept within `0..len`.
pub fn step(cursor: usize, len: usize, delta: isize) -> usize {
    if len == 0 {
        return 0;
    }
    cursor.saturating_add_signed(delta).min(len - 1)
}

/// The first row to show so that `cursor` is visible in `height` rows, moving as little as
/// possible from `offset`.
pub fn scroll_to(cursor: usize, offset: usize, height: usize) -> usize {
    if cursor < offset {
        cursor
    } else if height > 0 && cursor >= offset + height {
        cursor + 1 - height
    } else {
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_stay_in_the_list() {
        assert_eq!(step(0, 5, -3), 0);
        assert_eq!(step(2, 5, 10), 4);
        assert_eq!(step(3, 0, 1), 0);
        assert_eq!(scroll_to(9, 0, 5), 5);
        assert_eq!(scroll_to(2, 5, 5), 2);
        assert_eq!(scroll_to(6, 5, 5), 5);
    }
}
