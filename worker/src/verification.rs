//! The domain-verification check: the site is fetched with the crawler's guarded client and
//! searched for the guest's token, in a `<meta>` tag of the home page or in the file under
//! `/.well-known/`. What was looked for and what the site answered is kept for the guest;
//! addresses and connection errors are not (a failed check must not describe a network).

use onboard_shared::{
    domain::Domain,
    entities::domain_verification,
    verification::{self, FILE_PATH, META_NAME, Method, Status},
};
use scraper::{Html, Selector};
use sea_orm::{DbErr, EntityTrait};
use tracing::info;
use url::Url;

use crate::{context::JobContext, crawl::fetch::Fetcher};

/// The home page is read up to this many bytes for the tag.
const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// The verification file is read up to this many bytes.
const MAX_FILE_BYTES: usize = 16 * 1024;

/// Checks one verification row and records the outcome.
#[tracing::instrument(skip_all, fields(verification_id = id, guest))]
pub async fn run(ctx: &JobContext, id: i64) -> Result<(), DbErr> {
    let Some(row) = domain_verification::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
    else {
        return Ok(());
    };
    tracing::Span::current().record("guest", tracing::field::display(row.guest_uuid));
    if row.status == Status::Verified {
        return Ok(());
    }
    let outcome = check(&ctx.fetcher, &row.domain, &row.token).await;
    info!(domain = %row.domain, verified = outcome.is_ok(), "verification checked");
    verification::finish_check(&ctx.db, id, outcome).await
}

/// Looks for the token on the site: the home page's `<meta>` tag first, then the file.
/// On failure, says what was looked for and what each place answered.
pub async fn check(fetcher: &Fetcher, domain: &str, token: &str) -> Result<Method, String> {
    let parsed =
        Domain::parse(domain).map_err(|e| format!("{domain:?} is not a valid domain: {e}"))?;
    let mut answers = Vec::new();

    match fetch_own(fetcher, &parsed, "/", MAX_PAGE_BYTES).await {
        Ok((url, page)) => {
            if page_has_token(&page, token) {
                return Ok(Method::Meta);
            }
            answers.push(format!("{url} has no such tag"));
        }
        Err(answer) => answers.push(answer),
    }
    match fetch_own(fetcher, &parsed, FILE_PATH, MAX_FILE_BYTES).await {
        Ok((url, body)) => {
            if body.lines().any(|line| line.trim() == token) {
                return Ok(Method::File);
            }
            answers.push(format!("{url} does not contain the token"));
        }
        Err(answer) => answers.push(answer),
    }
    Err(format!(
        "Looked for <meta name=\"{META_NAME}\" content=\"{token}\"> on the home page of \
         {parsed} and for a file at {FILE_PATH} containing {token}: {}.",
        answers.join("; ")
    ))
}

/// Fetches a path of the domain (https first, then http). Redirects may move between the
/// schemes and the `www.` twin only: a token found on another host proves nothing. Returns
/// the final URL and the body of a 2xx answer, or what the site answered instead.
async fn fetch_own(
    fetcher: &Fetcher,
    domain: &Domain,
    path: &str,
    max_bytes: usize,
) -> Result<(Url, String), String> {
    let mut answer = None;
    for scheme in ["https", "http"] {
        let url = domain
            .home_url(scheme)
            .join(path)
            .expect("a path joins a home URL");
        match fetcher.get_limited(&url, max_bytes).await {
            Ok(fetched) if !same_site(domain, &fetched.url) => {
                return Err(format!("{url} redirects to another site"));
            }
            Ok(fetched) if fetched.status.is_success() => {
                return Ok((fetched.url.clone(), fetched.text()));
            }
            Ok(fetched) => {
                return Err(format!("{url} answered HTTP {}", fetched.status.as_u16()));
            }
            // Connection errors are not described: which ports answer is not the guest's
            // business. The https attempt's failure gives way to the http one's answer.
            Err(_) => answer = Some(format!("{url} could not be reached")),
        }
    }
    Err(answer.unwrap_or_default())
}

/// The domain itself or its `www.` twin, on the domain's port (or the scheme's default).
fn same_site(domain: &Domain, url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let want = domain.host();
    let bare = |h: &str| h.strip_prefix("www.").unwrap_or(h).to_owned();
    let same_port = match domain.port() {
        Some(port) => url.port_or_known_default() == Some(port),
        None => url.port().is_none(),
    };
    (host == want || bare(host) == bare(want)) && same_port
}

/// Whether a page carries `<meta name="onboard-site-verification" content="TOKEN">`.
pub fn page_has_token(html: &str, token: &str) -> bool {
    let doc = Html::parse_document(html);
    let metas = Selector::parse("meta[name][content]").expect("a valid selector");
    doc.select(&metas).any(|meta| {
        let el = meta.value();
        el.attr("name")
            .is_some_and(|n| n.trim().eq_ignore_ascii_case(META_NAME))
            && el.attr("content").is_some_and(|c| c.trim() == token)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_is_found_by_name_and_exact_token() {
        let page =
            |head: &str| format!("<html><head><title>A</title>{head}</head><body>x</body></html>");
        assert!(page_has_token(
            &page(r#"<meta name="onboard-site-verification" content="tok-1">"#),
            "tok-1"
        ));
        assert!(page_has_token(
            &page(r#"<META NAME="Onboard-Site-Verification" CONTENT=" tok-1 ">"#),
            "tok-1"
        ));
        assert!(!page_has_token(
            &page(r#"<meta name="onboard-site-verification" content="tok-2">"#),
            "tok-1"
        ));
        assert!(!page_has_token(
            &page(r#"<meta name="description" content="tok-1">"#),
            "tok-1"
        ));
        assert!(!page_has_token(&page("<p>tok-1</p>"), "tok-1"));
    }

    #[test]
    fn redirects_may_only_reach_the_www_twin() {
        let d = Domain::parse("acme.test").unwrap();
        assert!(same_site(
            &d,
            &Url::parse("https://www.acme.test/").unwrap()
        ));
        assert!(same_site(&d, &Url::parse("http://acme.test/x").unwrap()));
        assert!(!same_site(&d, &Url::parse("https://evil.test/").unwrap()));
        assert!(!same_site(
            &d,
            &Url::parse("https://acme.test.evil.test/").unwrap()
        ));
        assert!(!same_site(
            &d,
            &Url::parse("http://acme.test:8080/").unwrap()
        ));
        let with_port = Domain::parse("127.0.0.1:8080").unwrap();
        assert!(same_site(
            &with_port,
            &Url::parse("http://127.0.0.1:8080/x").unwrap()
        ));
        assert!(!same_site(
            &with_port,
            &Url::parse("http://127.0.0.1:9090/x").unwrap()
        ));
    }
}
