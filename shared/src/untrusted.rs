//! Values that came from a crawled page are untrusted text. Before one is stored as a
//! finding or offered as a suggestion it passes here: only http(s) URLs are kept as URLs,
//! emails and phone numbers are validated and normalised, and every other string becomes
//! plain text (no markup) of bounded length. A value that fails is dropped, never repaired
//! into something that looks valid.

use url::Url;

/// Longest URL kept.
pub const MAX_URL: usize = 2048;
/// Longest email address (RFC 5321's path limit).
const MAX_EMAIL: usize = 254;

/// An absolute http(s) URL, resolved against `base` when relative; no credentials, no
/// other scheme (`javascript:`, `data:`, `mailto:` …), at most [`MAX_URL`] characters.
pub fn http_url(raw: &str, base: Option<&Url>) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_URL {
        return None;
    }
    let url = match base {
        Some(base) => base.join(raw).ok()?,
        None => Url::parse(raw).ok()?,
    };
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none();
    let url = String::from(url);
    (ok && url.len() <= MAX_URL).then_some(url)
}

/// An email address as a contact channel: `local@domain`, percent-decoded, lower-cased,
/// the local part of the characters RFC 5322 allows unquoted, the domain a valid host
/// name with a dot.
pub fn email(raw: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(raw.trim())
        .decode_utf8()
        .ok()?;
    let address = decoded.trim().to_ascii_lowercase();
    if address.len() > MAX_EMAIL {
        return None;
    }
    let (local, domain) = address.rsplit_once('@')?;
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
    let domain_ok = domain.contains('.')
        && !domain.starts_with('[')
        && crate::domain::Domain::parse(domain).is_ok_and(|d| d.to_string() == domain);
    (local_ok && domain_ok).then_some(address)
}

/// A phone number as dialled: digits with an optional leading `+`, separators removed,
/// 5 to 20 digits. Anything else in it (letters, markup) refuses it.
pub fn phone(raw: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(raw.trim())
        .decode_utf8()
        .ok()?;
    let raw = decoded.trim();
    let mut out = String::with_capacity(raw.len());
    for (i, c) in raw.chars().enumerate() {
        match c {
            '0'..='9' => out.push(c),
            '+' if i == 0 => out.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
            _ => return None,
        }
    }
    let digits = out.trim_start_matches('+').len();
    (5..=20).contains(&digits).then_some(out)
}

/// Plain text of at most `max_chars` characters: markup (anything from `<` and a letter,
/// `/`, `!` or `?` to the next `>`) removed, control characters dropped, whitespace runs
/// collapsed; a cut is marked with `…`.
pub fn plain_text(raw: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(raw.len().min(max_chars.saturating_mul(4)));
    let mut count = 0;
    let mut cut = false;
    let mut space = false;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '<'
            && chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?'))
        {
            // A tag, to its end (or to the end of the text, when it never closes).
            chars.by_ref().find(|&c| c == '>');
            space = true;
            continue;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if c.is_control() {
            continue;
        }
        let needed = 1 + usize::from(space && count > 0);
        if count + needed > max_chars {
            cut = true;
            break;
        }
        if space && count > 0 {
            out.push(' ');
            count += 1;
        }
        space = false;
        out.push(c);
        count += 1;
    }
    if cut && max_chars > 0 {
        // Room for the ellipsis within the bound.
        while count + 1 > max_chars {
            out.pop();
            count -= 1;
        }
        let kept = out.trim_end().len();
        out.truncate(kept);
        out.push('…');
    }
    out
}

/// A BCP 47 language tag as pages declare them (`en`, `pt-BR`, `zh-Hant-TW`).
pub fn language_tag(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let mut parts = raw.split(['-', '_']);
    let primary = parts.next()?;
    let primary_ok =
        (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic());
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    (primary_ok && rest_ok && raw.len() <= 35).then(|| raw.replace('_', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://acme.test/docs/").unwrap()
    }

    #[test]
    fn only_http_urls_are_kept_resolved_against_the_page() {
        assert_eq!(
            http_url("/logo.png", Some(&base())).as_deref(),
            Some("https://acme.test/logo.png")
        );
        assert_eq!(
            http_url("img/a.svg", Some(&base())).as_deref(),
            Some("https://acme.test/docs/img/a.svg")
        );
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "java\tscript:alert(1)",
            "data:image/svg+xml;base64,AAAA",
            "vbscript:x",
            "mailto:a@b.test",
            "https://user:pw@acme.test/",
            "",
        ] {
            assert_eq!(http_url(bad, Some(&base())), None, "{bad:?}");
        }
        assert_eq!(http_url("/x", None), None, "relative without a base");
        let long = format!("https://acme.test/{}", "a".repeat(MAX_URL));
        assert_eq!(http_url(&long, None), None);
    }

    #[test]
    fn emails_are_validated_and_normalised() {
        assert_eq!(
            email("Support@Acme.test").as_deref(),
            Some("support@acme.test")
        );
        assert_eq!(email("help%40acme.test").as_deref(), Some("help@acme.test"));
        assert_eq!(
            email("a.b+tag@mail.acme.test").as_deref(),
            Some("a.b+tag@mail.acme.test")
        );
        for bad in [
            "<b>x</b>@evil.test",
            "x@evil.test\"><script>",
            "%3Cimg%20src=x%3E@evil.test",
            "noat.test",
            "a@localhost",
            "a@@b.test",
            ".a@b.test",
            "a@b_c.test",
            "",
        ] {
            assert_eq!(email(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn phones_are_digits_with_an_optional_plus() {
        assert_eq!(phone("+1 (555) 010-0100").as_deref(), Some("+15550100100"));
        assert_eq!(phone("020%207946%200000").as_deref(), Some("02079460000"));
        for bad in [
            "123",
            "+1<script>",
            "call us",
            "1+23456",
            "1".repeat(21).as_str(),
        ] {
            assert_eq!(phone(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn text_loses_markup_and_is_bounded() {
        assert_eq!(
            plain_text("  Hello <b>world</b>\n\n<script>x</script>ok ", 100),
            "Hello world x ok"
        );
        assert_eq!(plain_text("1 < 2 and 3 > 2", 100), "1 < 2 and 3 > 2");
        assert_eq!(plain_text("<img src=x onerror=alert(1)", 100), "");
        let cut = plain_text(&"word ".repeat(100), 20);
        assert!(cut.chars().count() <= 20, "{cut:?}");
        assert!(cut.ends_with('…'), "{cut:?}");
        assert_eq!(plain_text("exactly", 7), "exactly");
    }

    #[test]
    fn language_tags() {
        assert_eq!(language_tag("pt_BR").as_deref(), Some("pt-BR"));
        assert_eq!(language_tag("en").as_deref(), Some("en"));
        assert_eq!(language_tag("<x>"), None);
        assert_eq!(language_tag("english-language-please"), None);
    }
}
