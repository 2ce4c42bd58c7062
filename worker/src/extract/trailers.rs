//! Blocks a page labels as something other than its content: "related posts", cross-sell
//! carousels ("customers also viewed"), the questions a Q&A site lists beside the one
//! asked. Their markup is ordinary (a `div`, a `section`), their class words are anyone's,
//! but they say what they are in a heading of their own, so the heading is the evidence: a
//! block whose first text is such a heading, or, when the heading sits among the content's
//! own children, the heading and the link lists that follow it. Comment headings are not
//! labels: on a forum the replies are the content.

use ego_tree::{NodeId, NodeRef};
use rustc_hash::FxHashSet as HashSet;
use scraper::Node;

use super::clean;

/// Labels, lower-case with spaces squashed, that a block's heading contains.
const CONTAINS: &[&str] = &[
    // Cross-sell and recommendations.
    "also viewed",
    "also bought",
    "also purchased",
    "also like",
    "also enjoy",
    "you may like",
    "you might like",
    "similar items",
    "similar products",
    "related products",
    "related items",
    "recently viewed",
    "recommended for you",
    "recommended products",
    "frequently bought together",
    "more like this",
    "sponsored items",
    "more from this seller",
    // Related reading.
    "related posts",
    "related articles",
    "related stories",
    "related content",
    "related resources",
    "related reading",
    "recent posts",
    "popular posts",
    "more stories",
    "more articles",
    "read next",
    "keep reading",
    // A Q&A site's other questions.
    "related questions",
    "linked questions",
    "hot network questions",
    "similar questions",
];

/// Labels a heading is exactly, give or take a count ("Customer reviews (12)").
const EXACT: &[&str] = &["like this:", "share this:", "related", "customer reviews"];

/// A heading longer than this is content that happens to use the words.
const MAX_LABEL: usize = 60;

/// Whether a heading's text labels a block that is not content.
pub fn is_label(text: &str) -> bool {
    if text.is_empty() || text.len() > MAX_LABEL {
        return false;
    }
    let label = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if CONTAINS.iter().any(|p| label.contains(p)) {
        return true;
    }
    let bare = label
        .trim_start_matches(|c: char| c.is_ascii_digit() || c.is_whitespace() || c == ',')
        .trim_end_matches(|c: char| c == ':' || c.is_whitespace())
        .trim_end_matches(|c: char| c.is_ascii_digit() || c == '(' || c == ')' || c == ' ');
    EXACT
        .iter()
        .any(|e| bare == e.trim_end_matches(':') || label == *e)
}

fn level(node: NodeRef<Node>) -> Option<u8> {
    let name = node.value().as_element()?.name();
    match name.as_bytes() {
        [b'h', d @ b'1'..=b'6'] => Some(d - b'0'),
        _ => None,
    }
}

fn has_text(node: NodeRef<Node>) -> bool {
    match node.value() {
        Node::Text(t) => !t.trim().is_empty(),
        Node::Element(_) => node.children().any(has_text),
        _ => false,
    }
}

/// Whether `node` sits in furniture (a dialog, a pop-up) below `top`.
fn in_furniture(node: NodeRef<Node>, top: NodeRef<Node>) -> bool {
    node.ancestors()
        .take_while(|a| a.id() != top.id())
        .filter_map(|a| a.value().as_element())
        .any(|e| clean::classify(e) != clean::Kind::Content)
}

/// Whether a heading's text labels a block that is not content.
fn labels(heading: NodeRef<Node>) -> bool {
    let mut text = String::new();
    for d in heading.descendants() {
        if let Node::Text(t) = d.value() {
            text.push_str(t);
            if text.len() > 4 * MAX_LABEL {
                return false;
            }
        }
    }
    is_label(text.trim())
}

/// The labelled blocks under `root`. A heading that labels one gives the largest ancestor
/// whose first text it is, that holds no other heading of its level or above, and whose
/// text (`measure` gives text and link characters) is at most `limit`. A heading with text
/// before it in its own parent gives itself and the link lists that follow it.
pub fn find(
    root: NodeRef<Node>,
    measure: impl Fn(NodeId) -> (usize, usize),
    limit: usize,
) -> HashSet<NodeId> {
    let mut found = HashSet::default();
    for heading in root.descendants() {
        let Some(rank) = level(heading) else {
            continue;
        };
        if !labels(heading) {
            continue;
        }
        let mut block = heading;
        while !block.prev_siblings().any(has_text)
            && let Some(parent) = block.parent()
            && parent.id() != root.id()
            && measure(parent.id()).0 <= limit
            && !matches!(
                parent.value().as_element().map(|e| e.name()),
                Some("body" | "main" | "article") | None
            )
            && !parent.descendants().any(|d| {
                d.id() != heading.id()
                    && level(d).is_some_and(|l| l <= rank)
                    && has_text(d)
                    && !labels(d)
                    && !in_furniture(d, parent)
            })
        {
            block = parent;
        }
        found.insert(block.id());
        if block.id() == heading.id() {
            for next in heading.next_siblings() {
                let (text, link) = measure(next.id());
                if level(next).is_some() || (text > 0 && (link as f64) < clean::LINKY * text as f64)
                {
                    break;
                }
                found.insert(next.id());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        for yes in [
            "People who viewed this item also viewed",
            "Customers also bought",
            "Related posts",
            "Hot Network Questions",
            "Like this:",
        ] {
            assert!(is_label(yes), "{yes}");
        }
        for no in [
            "How we make widgets",
            "Commentary on the 2024 budget",
            "Related rates in calculus",
            // A forum's replies are its content.
            "12 Replies",
            "Reviews of the best hiking boots we tested this year, with photos of each",
        ] {
            assert!(!is_label(no), "{no}");
        }
    }
}
