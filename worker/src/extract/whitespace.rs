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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_whitespace_become_one_space() {
        assert_eq!(squash("  Tea \n&\tCo  "), "Tea & Co");
        assert_eq!(squash(" \u{a0}\n "), "");
    }
}
