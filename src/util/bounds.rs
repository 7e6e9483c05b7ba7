//! Range bounds helpers, and the end of a key-prefix range.

use std::ops::Bound;

/// Whether no value can lie between `start` and `end`: a reversed range (start above end),
/// or equal bounds of which one excludes the value. `BTreeMap::range` panics on these, so
/// callers check first; the SQL layer builds such ranges from user input
/// (`WHERE k BETWEEN 5 AND 2`).
pub fn is_empty<T: Ord + ?Sized>(start: Bound<&T>, end: Bound<&T>) -> bool {
    match (start, end) {
        (Bound::Included(s), Bound::Included(e)) => s > e,
        (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e))
        | (Bound::Excluded(s), Bound::Included(e)) => s >= e,
        _ => false,
    }
}

/// The smallest key greater than every key starting with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::is_empty;
    use std::ops::Bound::{Excluded, Included, Unbounded};

    #[test]
    fn reversed_and_degenerate_ranges_are_empty() {
        assert!(is_empty(Included(&5), Included(&2)));
        assert!(!is_empty(Included(&2), Included(&2)));
        assert!(is_empty(Excluded(&2), Included(&2)));
        assert!(is_empty(Included(&2), Excluded(&2)));
        assert!(!is_empty(Included(&1), Excluded(&2)));
        assert!(!is_empty(Unbounded, Excluded(&2)));
        assert!(!is_empty(Included(&9), Unbounded));
    }
}
