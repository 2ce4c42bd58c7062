//! Text as a reader sees it: runs of whitespace as one space, none at either end.

/// Collapses whitespace, in one pass and one allocation (link and meta texts are squashed
/// by the hundred on every page).
pub fn squash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Characters that are not whitespace. Most text is ASCII, where bytes are characters: the
/// DOM stage counts every text node of the page this way.
pub fn visible_chars(s: &str) -> usize {
    if s.is_ascii() {
        // char::is_whitespace in ASCII: tab to carriage return, and space.
        s.bytes()
            .filter(|b| !matches!(b, b'\t'..=b'\r' | b' '))
            .count()
    } else {
        s.chars().filter(|c| !c.is_whitespace()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_whitespace_become_one_space() {
        assert_eq!(squash("  Tea \n&\tCo  "), "Tea & Co");
        assert_eq!(squash(" \u{a0}\n "), "");
    }

    #[test]
    fn visible_characters_are_counted_alike_in_ascii_and_beyond() {
        let ascii = "a b\tc\nd\x0be\x0cf\rg";
        assert_eq!(visible_chars(ascii), 7);
        assert_eq!(visible_chars(&format!("{ascii} é\u{a0}")), 8);
    }
}
