//! robots.txt per RFC 9309: fetched once per origin through the guarded fetcher, our user
//! agent's group (else `*`) obeyed, Crawl-delay honoured up to a cap. A 4xx robots.txt
//! allows everything; a 5xx or an unreachable one disallows everything for the run.

use std::time::Duration;

use texting_robots::Robot;
use url::Url;

use super::fetch::Fetcher;

/// At most this much of a robots.txt is parsed (RFC 9309 asks for at least 500 KiB).
pub const MAX_ROBOTS_BYTES: usize = 500 * 1024;

#[derive(Debug)]
pub enum Robots {
    AllowAll,
    DisallowAll(String),
    Rules {
        robot: Box<Robot>,
        delay: Option<Duration>,
    },
}

impl Robots {
    /// Fetches and parses `origin/robots.txt` (redirects followed by the fetcher).
    pub async fn fetch(
        fetcher: &Fetcher,
        origin: &Url,
        user_agent: &str,
        max_delay: Duration,
    ) -> Robots {
        let Ok(url) = origin.join("/robots.txt") else {
            return Robots::AllowAll;
        };
        match fetcher.get_limited(&url, MAX_ROBOTS_BYTES).await {
            Ok(r) if r.status.is_success() => Self::parse(&r.body, user_agent, max_delay),
            Ok(r) if r.status.is_client_error() => Robots::AllowAll,
            Ok(r) => Robots::DisallowAll(format!("robots.txt answered HTTP {}", r.status.as_u16())),
            Err(e) => Robots::DisallowAll(format!("robots.txt unreachable: {e}")),
        }
    }

    pub fn parse(body: &[u8], user_agent: &str, max_delay: Duration) -> Robots {
        // The product token is the user agent's first word (`Onboard/0.1.0 (...)` → `Onboard`).
        let token = user_agent.split(['/', ' ']).next().unwrap_or(user_agent);
        match Robot::new(token, body) {
            Ok(robot) => {
                let delay = robot
                    .delay
                    .filter(|d| d.is_finite() && *d > 0.0)
                    .map(|d| Duration::from_secs_f32(d).min(max_delay));
                Robots::Rules {
                    robot: Box::new(robot),
                    delay,
                }
            }
            // An unparsable file says nothing we can obey; RFC 9309 treats what cannot be
            // parsed as no rules.
            Err(_) => Robots::AllowAll,
        }
    }

    pub fn allowed(&self, url: &Url) -> bool {
        match self {
            Robots::AllowAll => true,
            Robots::DisallowAll(_) => false,
            Robots::Rules { robot, .. } => robot.allowed(url.as_str()),
        }
    }

    pub fn delay(&self) -> Option<Duration> {
        match self {
            Robots::Rules { delay, .. } => *delay,
            _ => None,
        }
    }

    pub fn sitemaps(&self) -> Vec<String> {
        match self {
            Robots::Rules { robot, .. } => robot.sitemaps.clone(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UA: &str = "Onboard/0.1.0 (+site analysis)";

    #[test]
    fn our_group_wins_over_the_wildcard() {
        let txt = b"User-agent: *\nDisallow: /\n\nUser-agent: onboard\nDisallow: /private\nCrawl-delay: 2\nSitemap: https://a.test/s.xml\n";
        let robots = Robots::parse(txt, UA, Duration::from_secs(10));
        assert!(robots.allowed(&Url::parse("https://a.test/help").unwrap()));
        assert!(!robots.allowed(&Url::parse("https://a.test/private/x").unwrap()));
        assert_eq!(robots.delay(), Some(Duration::from_secs(2)));
        assert_eq!(robots.sitemaps(), ["https://a.test/s.xml"]);
    }

    #[test]
    fn crawl_delay_is_capped() {
        let robots = Robots::parse(
            b"User-agent: *\nCrawl-delay: 3600\n",
            UA,
            Duration::from_secs(5),
        );
        assert_eq!(robots.delay(), Some(Duration::from_secs(5)));
    }
}
