//! Searching markup words (class names, CSS, attribute values) without copying them to lower
//! case first: on every element of every page, the copies cost more than the search.

/// Where `needle` (ASCII) first occurs in `haystack`, ignoring ASCII case.
pub fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = needle.split_first() else {
        return Some(0);
    };
    let last_start = haystack.len().checked_sub(needle.len())?;
    // Jump between the first byte's two cases (memchr's vector search), then compare.
    memchr::memchr2_iter(
        first.to_ascii_lowercase(),
        first.to_ascii_uppercase(),
        &haystack[..=last_start],
    )
    .find(|&at| haystack[at + 1..at + needle.len()].eq_ignore_ascii_case(rest))
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

    #[test]
    fn the_first_match_is_found_wherever_it_is() {
        // A false start on the first byte, a match at the very end, an exact fit.
        assert_eq!(find_ignore_case("Lox loGo", "logo"), Some(4));
        assert_eq!(find_ignore_case("LOGO", "logo"), Some(0));
        assert_eq!(find_ignore_case("logo logo", "LOGO"), Some(0));
        assert_eq!(find_ignore_case("display:none", "none"), Some(8));
        assert_eq!(find_ignore_case("", "x"), None);
        assert_eq!(find_ignore_case("abc", ""), Some(0));
    }
}
