//! Parts of a page that React streams late. A server-rendered React page sends each part
//! that was not ready as a placeholder (`<template id="B:0">` followed by a fallback such
//! as "Loading…", between `<!--$?-->` and `<!--/$-->`) and, further down, the part itself
//! in a hidden segment (`<div hidden id="S:0">`), which an inline script then moves into
//! the placeholder. No script runs here, so a reader would see the fallback and the
//! article body would be hidden at the end of the page: this makes the same moves.
//!
//! The placeholder is matched to the segment of the same number (`B:x` and `P:x` to
//! `S:x`), as React numbers them; the script that would name the pair is not read.

use ego_tree::NodeId;
use rustc_hash::FxHashMap as HashMap;
use scraper::{Html, Node};

use super::nesting::MAX_DEPTH;

/// What the streaming pass turns a placeholder `template` into (a template's content is
/// not part of the document tree, so the element would take nothing).
pub const SLOT: &str = "deferred-slot";

/// A fallback is a spinner or a line of text: one not closed within this many siblings is
/// left as it is (and a page of many placeholders costs linear time, not quadratic).
const MAX_FALLBACK: usize = 64;

/// Whether an element id names a React placeholder (`B:x`, a boundary, or `P:x`, a
/// segment placeholder).
pub fn is_placeholder(id: &str) -> bool {
    placeholder_number(id).is_some()
}

fn placeholder_number(id: &str) -> Option<&str> {
    number(id, "B:").or_else(|| number(id, "P:"))
}

fn number<'a>(id: &'a str, prefix: &str) -> Option<&'a str> {
    id.strip_prefix(prefix)
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Moves each segment's content into its placeholder, and takes out the fallback that
/// the placeholder's closing comment bounds.
pub fn fill(doc: &mut Html) {
    let mut slots = Vec::new();
    let mut segments: HashMap<&str, NodeId> = HashMap::default();
    // The work all the moves may take, in nodes visited or moved: a real page moves each
    // segment once, a made-up one could make each move carry all the earlier ones.
    let mut budget = 0usize;
    for node in doc.tree.nodes() {
        budget += 1;
        let Some(el) = node.value().as_element() else {
            continue;
        };
        let Some(id) = el.id() else {
            continue;
        };
        if el.name() == SLOT {
            if let Some(n) = placeholder_number(id) {
                slots.push((node.id(), n.to_owned()));
            }
        } else if el.name() == "div"
            && let Some(n) = number(id, "S:")
        {
            segments.entry(n).or_insert(node.id());
        }
    }
    let pairs: Vec<(NodeId, NodeId)> = slots
        .iter()
        .filter_map(|(slot, n)| segments.get(n.as_str()).map(|&segment| (*slot, segment)))
        .collect();
    for (slot, segment) in pairs {
        // A placeholder taken out with another's fallback has nowhere to go; a segment
        // holding its own placeholder (only a made-up page does) stays where it is.
        let placed = doc.tree.get(slot).is_some_and(|s| {
            s.ancestors().last().map(|top| top.id()) == Some(doc.tree.root().id())
                && !s.ancestors().any(|a| a.id() == segment)
        });
        // Segments may hold placeholders of their own: a chain of deep ones would nest
        // the page past the guard the parse had (`nesting`), which the recursive stages
        // after it rely on.
        let depth = doc.tree.get(slot).map_or(0, |s| s.ancestors().count());
        let room = MAX_DEPTH.checked_sub(depth);
        if !placed
            || room
                .and_then(|room| height(doc, segment, room, &mut budget))
                .is_none()
        {
            continue;
        }
        let children: Vec<NodeId> = doc
            .tree
            .get(segment)
            .map(|s| s.children().map(|c| c.id()).collect())
            .unwrap_or_default();
        let Some(left) = budget.checked_sub(children.len()) else {
            return;
        };
        budget = left;
        remove_fallback(doc, slot);
        if let Some(mut slot) = doc.tree.get_mut(slot) {
            for child in children {
                slot.insert_id_before(child);
            }
        }
    }
}

/// How deep `id`'s content nests below it, if no deeper than `limit`; each node visited is
/// taken from `budget`, and an exhausted budget counts as too deep (`None`).
fn height(doc: &Html, id: NodeId, limit: usize, budget: &mut usize) -> Option<usize> {
    let Some(top) = doc.tree.get(id) else {
        return Some(0);
    };
    let mut deepest = 0;
    let mut stack: Vec<_> = top.children().map(|c| (c, 1)).collect();
    while let Some((node, level)) = stack.pop() {
        deepest = deepest.max(level);
        if deepest > limit || *budget == 0 {
            return None;
        }
        *budget -= 1;
        stack.extend(node.children().map(|c| (c, level + 1)));
    }
    Some(deepest)
}

/// The fallback runs from the placeholder to the `<!--/$-->` comment closing it (a
/// fallback may hold boundaries of its own, each opened by `<!--$…-->`): removed when that
/// comment is there (pages saved without comments keep their fallback).
fn remove_fallback(doc: &mut Html, slot: NodeId) {
    let Some(node) = doc.tree.get(slot) else {
        return;
    };
    let mut fallback = Vec::new();
    let (mut depth, mut closed) = (0usize, false);
    for sibling in node.next_siblings().take(MAX_FALLBACK) {
        if let Node::Comment(c) = sibling.value() {
            let c = c.trim();
            if c == "/$" {
                if depth == 0 {
                    closed = true;
                    break;
                }
                depth -= 1;
            } else if c.starts_with('$') {
                depth += 1;
            }
        }
        fallback.push(sibling.id());
    }
    if closed {
        for id in fallback {
            if let Some(mut n) = doc.tree.get_mut(id) {
                n.detach();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{main_content, nesting};

    fn text(html: &str) -> String {
        main_content::from_html(html, &[]).text
    }

    const PARA: &str = "Index funds track a market index, so one purchase spreads the money over \
        every company in it, at a fraction of the cost of picking stocks one by one.";

    #[test]
    fn streamed_parts_are_read_where_they_belong() {
        let html = format!(
            "<html><body><nav><a href=/>Home</a></nav><main><article><h1>How to invest</h1>\
             <!--$?--><template id=\"B:0\"></template><div>Loading paragraph...</div><!--/$-->\
             <p>The middle paragraph was ready when the page was sent.</p>\
             <!--$?--><template id=\"B:1\"></template><div>Loading paragraph...</div><!--/$-->\
             </article></main><footer>Footer</footer>\
             <div hidden id=\"S:1\"><p>Last: {PARA}</p></div>\
             <div hidden id=\"S:0\"><p>First: {PARA}</p><p>Second: {PARA}</p></div>\
             <div hidden id=\"S:7\"><p>Never placed: nothing waits for this segment.</p></div>\
             </body></html>"
        );
        let text = text(&html);
        let first = text.find("First:").expect(&text);
        let middle = text.find("middle paragraph").expect(&text);
        let last = text.find("Last:").expect(&text);
        assert!(first < middle && middle < last, "{text}");
        assert!(!text.contains("Loading"), "{text}");
        assert!(!text.contains("Never placed"), "{text}");
    }

    #[test]
    fn odd_placeholders_neither_panic_nor_loop() {
        // A placeholder inside another's fallback, one inside its own segment, and two
        // segments of one number.
        let html = "<html><body><main><!--$?--><template id=\"B:0\"></template>\
                    <!--$?--><template id=\"B:1\"></template><!--/$--><!--/$-->\
                    <p>Kept text of the page itself.</p></main>\
                    <div hidden id=\"S:2\"><template id=\"P:2\"></template>Own</div>\
                    <div hidden id=\"S:0\"><p>Zero: the part streamed late is as long as the rest.</p></div><div hidden id=\"S:0\">Zero again</div>\
                    <div hidden id=\"S:1\">One</div></body></html>";
        let text = text(html);
        assert!(text.contains("Zero"), "{text}");
        assert!(text.contains("Kept text"), "{text}");
        assert!(!text.contains("One"), "{text}");
    }

    #[test]
    fn chained_segments_do_not_nest_the_page_deeper_than_the_guard() {
        // Each segment nests 200 deep and holds the next one's placeholder: filled blindly,
        // 40 of them would nest 8,000 deep, past what the recursive stages can walk.
        let deep = |n: usize| {
            format!(
                "<div hidden id=\"S:{n:x}\">{open}<p>Part {n}</p><template id=\"B:{next:x}\"></template>{close}</div>",
                open = "<div>".repeat(200),
                close = "</div>".repeat(200),
                next = n + 1,
            )
        };
        let segments: String = (0..40).map(deep).collect();
        let html = format!(
            "<html><body><main><template id=\"B:0\"></template></main>{segments}</body></html>"
        );
        let (_, doc) =
            crate::extract::prepare(&html, &url::Url::parse("https://a.test/").unwrap(), false);
        let depth = doc
            .tree
            .nodes()
            .map(|n| n.ancestors().count())
            .max()
            .unwrap_or(0);
        assert!(depth <= nesting::MAX_DEPTH + 8, "{depth}");
        let text = text(&html);
        assert!(text.contains("Part 0"), "{text}");
    }

    #[test]
    fn placeholders_are_told_by_their_ids() {
        assert!(is_placeholder("B:0"));
        assert!(is_placeholder("P:1f"));
        assert!(!is_placeholder("B:"));
        assert!(!is_placeholder("S:0"));
        assert!(!is_placeholder("banner"));
    }
}
