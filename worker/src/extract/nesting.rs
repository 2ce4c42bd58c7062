//! A guard in front of the DOM parser: html5ever's tree building slows down quadratically
//! with nesting depth (100,000 nested `<div>`s take minutes, and so does a lol_html pass
//! that tracks end tags), so one linear scan over the tags unwraps elements nested deeper
//! than a limit, keeping their text. It is a guard, not a parser: it only has to be right
//! about tags, comments and raw-text elements, and it changes nothing on ordinary pages.

/// Deeper than any real page nests; shallow enough that parsing stays fast.
pub const MAX_DEPTH: usize = 256;

/// Elements without content, or whose end tag may be left out: they do not count.
fn uncounted(name: &[u8]) -> bool {
    matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"source"
            | b"track"
            | b"wbr"
            | b"html"
            | b"head"
            | b"body"
            | b"p"
            | b"li"
            | b"dt"
            | b"dd"
            | b"tr"
            | b"td"
            | b"th"
            | b"thead"
            | b"tbody"
            | b"tfoot"
            | b"option"
            | b"optgroup"
            | b"colgroup"
            | b"caption"
            | b"rt"
            | b"rp"
    )
}

/// Tag names this long are none of the ones the scan looks for.
const MAX_NAME: usize = 16;

/// Returns the HTML with tags nested deeper than `max_depth` removed (their content kept);
/// `None` when nothing had to change, so ordinary pages are not copied.
pub fn flatten(html: &str, max_depth: usize) -> Option<String> {
    if memchr::memchr_iter(b'<', html.as_bytes()).count() <= max_depth {
        return None;
    }
    let bytes = html.as_bytes();
    let mut out: Option<String> = None;
    let mut depth = 0usize;
    let mut copied = 0; // bytes of `html` already copied to `out`
    let mut i = 0;
    let mut buffer = [0u8; MAX_NAME];
    while let Some(offset) = memchr::memchr(b'<', &bytes[i..]) {
        let start = i + offset;
        let rest = &bytes[start..];
        if rest.starts_with(b"<!--") {
            i = find(bytes, start + 4, b"-->").map_or(bytes.len(), |e| e + 3);
            continue;
        }
        let Some(end) = tag_end(bytes, start) else {
            break;
        };
        let closing = rest.get(1) == Some(&b'/');
        let name_start = start + if closing { 2 } else { 1 };
        // The name, lower-cased into a buffer (longer names only need to be non-empty).
        let length = bytes[name_start..end]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
        let name = &mut buffer[..length.min(MAX_NAME)];
        name.copy_from_slice(&bytes[name_start..name_start + name.len()]);
        name.make_ascii_lowercase();
        let name = &*name;
        i = end + 1;
        if name.is_empty() || uncounted(name) || bytes[end - 1] == b'/' {
            continue;
        }
        if !closing && matches!(name, b"script" | b"style" | b"textarea" | b"title") {
            // Raw text: nothing inside is a tag.
            i = find_close(bytes, i, name)
                .and_then(|at| tag_end(bytes, at))
                .map_or(bytes.len(), |e| e + 1);
            continue;
        }
        let deep = if closing {
            let deep = depth > max_depth;
            depth = depth.saturating_sub(1);
            deep
        } else {
            depth += 1;
            depth > max_depth
        };
        if deep {
            let out = out.get_or_insert_with(|| String::with_capacity(html.len()));
            out.push_str(&html[copied..start]);
            copied = end + 1;
        }
    }
    out.map(|mut out| {
        out.push_str(&html[copied..]);
        out
    })
}

/// The `>` that ends the tag opening at `start`, skipping quoted attribute values.
fn tag_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        i += memchr::memchr3(b'>', b'"', b'\'', bytes.get(i..)?)?;
        match bytes[i] {
            b'>' => return Some(i),
            quote => i += 1 + memchr::memchr(quote, bytes.get(i + 1..)?)? + 1,
        }
    }
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes.get(from..)?, needle).map(|p| p + from)
}

/// The `</name` (any case) at or after `from`: every `</` is looked at, not every byte,
/// since the raw text of a script bundle can be most of a page.
fn find_close(bytes: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut at = from;
    loop {
        let found = find(bytes, at, b"</")?;
        let after = &bytes[found + 2..];
        if after.len() >= name.len() && after[..name.len()].eq_ignore_ascii_case(name) {
            return Some(found);
        }
        at = found + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_are_left_alone() {
        let html = "<html><body><ul><li>a<li>b</ul><p>one<p>two<br><img src=x></body></html>";
        assert_eq!(flatten(html, 4), None);
    }

    #[test]
    fn deep_nesting_is_unwrapped_keeping_text_comments_and_scripts_aside() {
        let html = format!(
            "<body>{}<!-- <div><div> --><script>if (a<b) {{ '<div>' }}</script>deep text{}</body>",
            "<div class=\"x>y\">".repeat(2000),
            "</div>".repeat(2000)
        );
        let flat = flatten(&html, 100).expect("changed");
        assert!(flat.contains("deep text"));
        assert!(flat.contains("<script>if (a<b)"));
        assert_eq!(flat.matches("<div class").count(), 100);
        assert_eq!(flat.matches("</div>").count(), 100);
    }

    #[test]
    fn a_hundred_thousand_nested_divs_parse_quickly() {
        let html = format!(
            "<body>{}deep{}</body>",
            "<div>".repeat(100_000),
            "</div>".repeat(100_000)
        );
        let started = std::time::Instant::now();
        let facts = super::super::page::parse(&html, &url::Url::parse("http://a.test/").unwrap());
        assert_eq!(facts.text, "deep");
        // Generous even for an unoptimised build; the unguarded parse took minutes.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }
}
