//! Writes an element as plain text (one block per line) and as Markdown that keeps
//! headings, lists, links, code and tables, collecting the heading outline on the way.

use std::hash::BuildHasher;

use ego_tree::NodeRef;
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};
use scraper::{ElementRef, Node};

use super::whitespace::squash;

/// A heading of the main content, as the outline lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub text: String,
}

/// Elements that start and end a block of text.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "br",
];

/// A block of at least this many lines and characters that repeats one written before it
/// is left out: a carousel's cloned slides, a layout's mobile and desktop copies, the
/// post a forum reply quotes whole. A single line must be longer to count (a paragraph,
/// not a product tile's "Free shipping on orders over $50", which every tile repeats).
/// Development split: +0.0023 F1 for blocks (96 pages up, 45 down: some references keep a
/// "top rated" strip and the full list it repeats), +0.0005 more for lines (52 up, 45
/// down).
const REPEAT_LINES: usize = 2;
const REPEAT_MIN: usize = 50;
const LINE_REPEAT_MIN: usize = 150;

#[derive(Default)]
pub struct Writer {
    text: String,
    markdown: String,
    outline: Vec<Heading>,
    /// The block being written, as plain text and as Markdown.
    line: String,
    md_line: String,
    /// Markdown put before the block's first word (`## `, `- `, `> `).
    prefix: String,
    list_depth: usize,
    quote_depth: usize,
    /// Cells of the table row being written, and whether the header rule is out.
    row: Option<Vec<String>>,
    table_rows: usize,
    /// Blocks ended so far: an inline element that saw one end cannot be wrapped.
    blocks: usize,
    /// The blocks written so far that may repeat (see `REPEAT_LINES`), by the hash of their
    /// text, with where their text ends.
    blocks_seen: FxHashMap<u64, usize>,
    /// The long lines written so far, by the hash of their text.
    lines_seen: FxHashSet<u64>,
}

impl Writer {
    /// Writes `node` and its content; `skip` leaves out a subtree.
    pub fn element(&mut self, node: ElementRef, skip: &dyn Fn(NodeRef<Node>) -> bool) {
        self.node(*node, skip);
        self.end_block();
    }

    pub fn finish(mut self) -> (String, String, Vec<Heading>) {
        self.end_block();
        let text = self.text.trim_end().to_owned();
        let markdown = self.markdown.trim_end().to_owned();
        (text, markdown, self.outline)
    }

    fn node(&mut self, node: NodeRef<Node>, skip: &dyn Fn(NodeRef<Node>) -> bool) {
        match node.value() {
            Node::Text(t) => self.inline(t),
            Node::Element(el) => {
                if skip(node) {
                    return;
                }
                let name = el.name();
                match name {
                    "pre" => return self.pre(node),
                    "br" => return self.end_block(),
                    "hr" => {
                        self.end_block();
                        self.markdown.push_str("---\n\n");
                        return;
                    }
                    "tr" => return self.table_row(node, skip),
                    _ => {}
                }
                let block = BLOCKS.contains(&name);
                if block {
                    self.end_block();
                }
                let written = (self.text.len(), self.markdown.len(), self.outline.len());
                match name {
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                        let level = name.as_bytes()[1] - b'0';
                        self.prefix = format!("{} ", "#".repeat(level as usize));
                    }
                    "li" => {
                        let indent = "  ".repeat(self.list_depth.saturating_sub(1));
                        let ordered = node
                            .parent()
                            .and_then(|p| p.value().as_element().map(|e| e.name() == "ol"))
                            .unwrap_or(false);
                        self.prefix = format!("{indent}{}", if ordered { "1. " } else { "- " });
                    }
                    "ul" | "ol" => self.list_depth += 1,
                    "blockquote" => self.quote_depth += 1,
                    "table" => self.table_rows = 0,
                    _ => {}
                }
                let md_start = self.md_line.len();
                let blocks = self.blocks;
                for child in node.children() {
                    self.node(child, skip);
                }
                let inline_span = blocks == self.blocks;
                match name {
                    _ if !inline_span => {}
                    "a" => {
                        let label = self.md_line[md_start..].trim().to_owned();
                        if let Some(href) = el.attr("href").filter(|h| {
                            !label.is_empty()
                                && !h.starts_with("javascript:")
                                && !h.starts_with('#')
                        }) {
                            self.md_line.truncate(md_start);
                            let lead = if self.md_line.ends_with(' ') || self.md_line.is_empty() {
                                ""
                            } else {
                                " "
                            };
                            self.md_line.push_str(&format!("{lead}[{label}]({href}) "));
                        }
                    }
                    "code" | "kbd" | "samp" => {
                        let code = self.md_line[md_start..].trim().to_owned();
                        if !code.is_empty() && !code.contains('`') {
                            self.md_line.truncate(md_start);
                            self.md_line.push_str(&format!(" `{code}` "));
                        }
                    }
                    "strong" | "b" | "em" | "i" => {}
                    _ => {}
                }
                if let ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", Some(level)) =
                    (name, name.as_bytes().get(1))
                {
                    let heading = squash(&self.line);
                    if !heading.is_empty() {
                        self.outline.push(Heading {
                            level: level - b'0',
                            text: heading,
                        });
                    }
                }
                match name {
                    "ul" | "ol" => self.list_depth = self.list_depth.saturating_sub(1),
                    "blockquote" => self.quote_depth = self.quote_depth.saturating_sub(1),
                    _ => {}
                }
                if block {
                    self.end_block();
                    self.drop_if_repeated(written);
                }
            }
            _ => {}
        }
    }

    /// Takes back what the block started at `written` (lengths of text, Markdown and
    /// outline) wrote when it repeats an earlier block. A block holding only a child block
    /// writes the same text as that child: only a copy that starts after the earlier one
    /// ended is a repeat.
    fn drop_if_repeated(&mut self, (text, markdown, outline): (usize, usize, usize)) {
        let block = &self.text[text..];
        // Each line ends in a newline; counting stops at the one that makes enough.
        let lines = memchr::memchr_iter(b'\n', block.as_bytes())
            .take(REPEAT_LINES)
            .count();
        if block.len() < REPEAT_MIN || lines < REPEAT_LINES {
            return;
        }
        let end = self.text.len();
        let earlier_end = *self
            .blocks_seen
            .entry(FxBuildHasher.hash_one(block))
            .or_insert(end);
        if earlier_end <= text {
            self.text.truncate(text);
            self.markdown.truncate(markdown);
            self.outline.truncate(outline);
        }
    }

    fn inline(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut squashed = String::with_capacity(text.len());
        let mut space = false;
        for c in text.chars() {
            if c.is_whitespace() {
                space = true;
            } else {
                if space {
                    squashed.push(' ');
                }
                space = false;
                squashed.push(c);
            }
        }
        if space {
            squashed.push(' ');
        }
        self.line.push_str(&squashed);
        self.md_line.push_str(&squashed);
    }

    fn pre(&mut self, node: NodeRef<Node>) {
        self.end_block();
        let code: String = node
            .descendants()
            .filter_map(|n| n.value().as_text().map(|t| t.to_string()))
            .collect();
        let code = code.trim_matches('\n');
        if code.trim().is_empty() {
            return;
        }
        self.text.push_str(code);
        self.text.push('\n');
        self.markdown.push_str("```\n");
        self.markdown.push_str(code);
        self.markdown.push_str("\n```\n\n");
    }

    fn table_row(&mut self, node: NodeRef<Node>, skip: &dyn Fn(NodeRef<Node>) -> bool) {
        self.end_block();
        let mut cells = Vec::new();
        for cell in node.children().filter(|c| {
            c.value()
                .as_element()
                .is_some_and(|e| matches!(e.name(), "td" | "th"))
        }) {
            let mut inner = Writer::default();
            for child in cell.children() {
                inner.node(child, skip);
            }
            let (text, _, _) = inner.finish();
            cells.push(squash(&text));
        }
        if cells.iter().all(String::is_empty) {
            return;
        }
        self.row = Some(cells.clone());
        self.text.push_str(&cells.join(" "));
        self.text.push('\n');
        let escaped: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
        self.markdown
            .push_str(&format!("| {} |\n", escaped.join(" | ")));
        if self.table_rows == 0 {
            self.markdown
                .push_str(&format!("|{}\n", "---|".repeat(cells.len().max(1))));
        }
        self.table_rows += 1;
    }

    fn end_block(&mut self) {
        self.blocks += 1;
        let line = squash(&self.line);
        let repeated =
            line.len() >= LINE_REPEAT_MIN && !self.lines_seen.insert(FxBuildHasher.hash_one(&line));
        // A heading's line joined the outline as the heading ended: a repeat leaves both.
        if repeated && self.outline.last().is_some_and(|h| h.text == line) {
            self.outline.pop();
        }
        if !line.is_empty() && !repeated {
            self.text.push_str(&line);
            self.text.push('\n');
            let quote = "> ".repeat(self.quote_depth);
            let md = squash(&self.md_line);
            self.markdown
                .push_str(&format!("{quote}{}{md}\n\n", self.prefix));
        }
        if self.row.take().is_none() && !line.is_empty() {
            self.table_rows = 0;
        }
        self.line.clear();
        self.md_line.clear();
        self.prefix.clear();
    }
}

#[cfg(test)]
mod tests {
    use scraper::{Html, Selector};

    use super::*;

    fn render(html: &str) -> (String, String, Vec<Heading>) {
        let doc = Html::parse_document(html);
        let body = doc
            .select(&Selector::parse("body").unwrap())
            .next()
            .unwrap();
        let mut w = Writer::default();
        w.element(body, &|_| false);
        w.finish()
    }

    #[test]
    fn a_repeated_block_is_written_once() {
        let slide = "<div class=slide><h3>Colourful design</h3><p>Both models come in grey, \
                     mint, silver or lavender.</p></div>";
        let tile = |name: &str| {
            format!(
                "<li><div><h4>{name}</h4><p>Free shipping on orders over $50 to anywhere in \
                     the country, every day of the year</p></div></li>"
            )
        };
        let (text, md, outline) = render(&format!(
            "<body><div><div>{slide}</div></div>{slide}{slide}<ul>{}{}</ul></body>",
            tile("Mug"),
            tile("Cup")
        ));
        assert_eq!(text.matches("Both models").count(), 1, "{text}");
        assert_eq!(md.matches("Both models").count(), 1, "{md}");
        assert_eq!(
            outline
                .iter()
                .filter(|h| h.text == "Colourful design")
                .count(),
            1
        );
        // Tiles that share a line are not repeats of each other; a long paragraph is.
        assert_eq!(text.matches("Free shipping").count(), 2, "{text}");
        let long = format!(
            "<p>{}</p>",
            "A paragraph long enough to be a copy. ".repeat(5)
        );
        let heading = format!(
            "<h2>{}</h2>",
            "A heading long enough to be a copy. ".repeat(5)
        );
        let (text, _, outline) = render(&format!(
            "<body>{long}<p>Between</p>{long}{heading}<p>Between</p>{heading}</body>"
        ));
        assert_eq!(text.matches("long enough").count(), 10, "{text}");
        assert_eq!(outline.len(), 1, "{outline:?}");
    }

    #[test]
    fn markdown_keeps_headings_lists_links_code_and_tables() {
        let (text, md, outline) = render(
            "<body><h2>Plans</h2><p>See <a href='/pricing'>pricing</a> and <code>npm i</code>.</p>\
             <ul><li>One</li><li>Two</li></ul><ol><li>First</li></ol>\
             <pre>let x = 1;\nlet y = 2;</pre>\
             <table><tr><th>Plan</th><th>Price</th></tr><tr><td>Pro</td><td>$9</td></tr></table></body>",
        );
        assert!(md.contains("## Plans"), "{md}");
        assert!(md.contains("[pricing](/pricing)"), "{md}");
        assert!(md.contains("`npm i`"), "{md}");
        assert!(md.contains("- One\n\n- Two"), "{md}");
        assert!(md.contains("1. First"), "{md}");
        assert!(md.contains("```\nlet x = 1;\nlet y = 2;\n```"), "{md}");
        assert!(
            md.contains("| Plan | Price |\n|---|---|\n| Pro | $9 |"),
            "{md}"
        );
        assert!(
            text.starts_with("Plans\nSee pricing and npm i.\nOne\nTwo\n"),
            "{text}"
        );
        assert_eq!(
            outline,
            vec![Heading {
                level: 2,
                text: "Plans".into()
            }]
        );
    }
}
