//! Searching markup words (class names, CSS, attribute values) without copying them to lower
//! case first: on every element of every page, the copies cost more than the search.

/// Where `needle` (ASCII) first occurs in `haystack`, ignoring ASCII case.
pub fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Whether `needle` (ASCII) occurs in `haystack`, ignoring ASCII case.
pub fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    find_ignore_case(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_is_ignored_and_positions_are_bytes() {
        assert_eq!(find_ignore_case("color: RGB(1,2,3)", "rgb"), Some(7));
        assert_eq!(find_ignore_case("é Logo", "logo"), Some(3));
        assert!(contains_ignore_case("site-LOGO", "logo"));
        assert!(!contains_ignore_case("lo", "logo"));
    }
}
