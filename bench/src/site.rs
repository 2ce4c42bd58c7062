//! A generated company website: a home page, `sections` section pages, and `per_section`
//! article pages in each, with navigation, related links, lists and tables, about 10-15 KB
//! of HTML a page, as real sites have.

const WORDS: &[&str] = &[
    "account",
    "billing",
    "customer",
    "support",
    "widget",
    "install",
    "configure",
    "team",
    "workspace",
    "invoice",
    "integration",
    "dashboard",
    "report",
    "export",
    "security",
    "login",
    "password",
    "subscription",
    "plan",
    "feature",
    "update",
    "release",
    "guide",
    "question",
    "answer",
    "contact",
    "email",
    "phone",
    "chat",
    "ticket",
    "request",
    "response",
    "time",
    "service",
    "product",
    "order",
    "shipping",
    "return",
    "refund",
    "policy",
    "privacy",
    "data",
];

/// Deterministic pseudo-random numbers (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn sentence(&mut self) -> String {
        let len = 8 + self.below(12);
        let mut s: Vec<&str> = (0..len).map(|_| WORDS[self.below(WORDS.len())]).collect();
        let first = s[0];
        let capital = format!("{}{}", first[..1].to_uppercase(), &first[1..]);
        s[0] = &capital;
        format!("{}.", s.join(" "))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SiteShape {
    pub sections: usize,
    pub per_section: usize,
}

impl SiteShape {
    /// 1 + 10 + 990 = 1,001 pages.
    pub const THOUSAND: SiteShape = SiteShape {
        sections: 10,
        per_section: 99,
    };

    pub fn pages(&self) -> usize {
        1 + self.sections + self.sections * self.per_section
    }
}

fn article_path(section: usize, page: usize) -> String {
    format!("/section/{section}/page/{page}")
}

fn layout(title: &str, nav: &str, main: &str, related: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} | Acme</title>\
         <meta name=\"description\" content=\"{title} at Acme.\"><meta name=\"viewport\" content=\"width=device-width\">\
         <link rel=\"stylesheet\" href=\"/static/site.css\"><link rel=\"icon\" href=\"/favicon.ico\">\
         <script>window.dataLayer=[];function gtag(){{dataLayer.push(arguments)}}</script></head>\
         <body><header class=\"site-header\"><a class=\"logo\" href=\"/\"><img src=\"/logo.png\" alt=\"Acme\"></a>\
         <nav class=\"main-nav\"><ul>{nav}</ul></nav></header>\
         <main><article>{main}</article><aside class=\"related\"><h2>Related</h2><ul>{related}</ul></aside></main>\
         <footer><p>&copy; Acme Inc.</p><a href=\"/section/0\">Help</a> <a href=\"mailto:support@acme.test\">Email</a></footer>\
         </body></html>"
    )
}

/// The page at `path`, if the site has one.
pub fn page(shape: SiteShape, path: &str) -> Option<String> {
    let nav: String = (0..shape.sections)
        .map(|s| format!("<li><a href=\"/section/{s}\">Section {s}</a></li>"))
        .collect();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (seed, title, links): (u64, String, Vec<String>) = match parts.as_slice() {
        [""] => (
            1,
            "Home".into(),
            (0..shape.sections)
                .map(|s| format!("/section/{s}"))
                .collect(),
        ),
        ["section", s] => {
            let s: usize = s.parse().ok().filter(|s| *s < shape.sections)?;
            (
                100 + s as u64,
                format!("Section {s}"),
                (0..shape.per_section).map(|p| article_path(s, p)).collect(),
            )
        }
        ["section", s, "page", p] => {
            let s: usize = s.parse().ok().filter(|s| *s < shape.sections)?;
            let p: usize = p.parse().ok().filter(|p| *p < shape.per_section)?;
            let seed = 10_000 + (s * shape.per_section + p) as u64;
            let mut rng = Rng(seed);
            let related = (0..8)
                .map(|_| article_path(rng.below(shape.sections), rng.below(shape.per_section)))
                .collect();
            (seed, format!("Article {s}-{p}"), related)
        }
        _ => return None,
    };
    let mut rng = Rng(seed * 7919 + 1);
    let mut main = format!("<h1>{title}</h1>");
    for h in 0..4 {
        main.push_str(&format!("<h2>Part {h}</h2>"));
        for _ in 0..4 {
            let p: Vec<String> = (0..4).map(|_| rng.sentence()).collect();
            main.push_str(&format!("<p>{}</p>", p.join(" ")));
        }
        let items: String = (0..4)
            .map(|_| format!("<li>{}</li>", rng.sentence()))
            .collect();
        main.push_str(&format!("<ul>{items}</ul>"));
    }
    let rows: String = (0..5)
        .map(|i| format!("<tr><td>Row {i}</td><td>{}</td></tr>", rng.sentence()))
        .collect();
    main.push_str(&format!(
        "<table><tr><th>Item</th><th>Detail</th></tr>{rows}</table>"
    ));
    let related: String = links
        .iter()
        .map(|l| format!("<li><a href=\"{l}\">{l}</a></li>"))
        .collect();
    Some(layout(&title, &nav, &main, &related))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_is_reachable_and_sized_like_a_real_one() {
        let shape = SiteShape::THOUSAND;
        assert_eq!(shape.pages(), 1001);
        let home = page(shape, "/").unwrap();
        assert!(home.contains("/section/9"));
        let article = page(shape, "/section/3/page/42").unwrap();
        assert!(
            (8_000..30_000).contains(&article.len()),
            "{}",
            article.len()
        );
        assert!(page(shape, "/section/3/page/99").is_none());
        assert_eq!(page(shape, "/section/3/page/42"), Some(article));
    }
}
