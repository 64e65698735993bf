//! The one focus ring of the forms: Tab and Shift-Tab move through a fixed order and wrap.

/// The element after (or before) `current` in `ring`, wrapping at both ends.
pub fn step<T: Copy + PartialEq>(ring: &[T], current: T, forward: bool) -> T {
    let n = ring.len();
    let i = ring.iter().position(|f| *f == current).unwrap_or(0);
    ring[if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }]
}

#[cfg(test)]
mod tests {
    #[test]
    fn wraps_both_ways() {
        assert_eq!(super::step(&[1, 2, 3], 3, true), 1);
        assert_eq!(super::step(&[1, 2, 3], 1, false), 3);
        assert_eq!(super::step(&[1, 2, 3], 2, true), 3);
    }
}
