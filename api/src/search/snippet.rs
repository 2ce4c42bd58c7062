//! The snippet shown under a search hit: the sentence that holds the most query terms,
//! continued up to a length, cut at a word.

use std::collections::HashSet;

use unicode_segmentation::UnicodeSegmentation;

use super::words::Words;

/// Characters in a snippet, at most (plus the ellipses).
pub const MAX_CHARS: usize = 240;

pub fn around(text: &str, terms: &HashSet<String>, words: &Words) -> String {
    let sentences: Vec<(usize, &str)> = text.split_sentence_bound_indices().collect();
    let mut best = (0usize, 0usize); // (distinct terms, sentence index)
    for (i, (_, sentence)) in sentences.iter().enumerate() {
        let found: HashSet<String> = words
            .terms(sentence)
            .filter(|t| terms.contains(t))
            .collect();
        if found.len() > best.0 {
            best = (found.len(), i);
        }
    }
    let start = sentences.get(best.1).map_or(0, |(at, _)| *at);
    let rest = &text[start..];
    let mut snippet = String::new();
    if start > 0 {
        snippet.push('…');
    }
    let mut taken = 0;
    let mut truncated = false;
    for word in rest.split_whitespace() {
        let len = word.chars().count();
        if taken + len > MAX_CHARS {
            truncated = true;
            break;
        }
        if taken > 0 {
            snippet.push(' ');
            taken += 1;
        }
        snippet.push_str(word);
        taken += len;
    }
    if truncated {
        snippet.push('…');
    }
    snippet
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(words: &Words, query: &str) -> HashSet<String> {
        words.terms(query).collect()
    }

    #[test]
    fn the_snippet_starts_at_the_sentence_with_most_query_terms() {
        let words = Words::for_language(Some("en"));
        let text = "Welcome to Acme. We ship worldwide.\n\nRefunds are paid within 14 days of \
                    the return. Contact us for anything else.";
        let snippet = around(text, &terms(&words, "refund return"), &words);
        assert_eq!(
            snippet,
            "…Refunds are paid within 14 days of the return. Contact us for anything else."
        );
    }

    #[test]
    fn a_long_text_is_cut_at_a_word_and_a_miss_starts_at_the_top() {
        let words = Words::for_language(Some("en"));
        let text = "lorem ".repeat(100);
        let snippet = around(&text, &terms(&words, "absent"), &words);
        assert!(snippet.starts_with("lorem"), "{snippet}");
        assert!(snippet.ends_with("lorem…"), "{snippet}");
        assert!(snippet.chars().count() <= MAX_CHARS + 1);
    }
}
