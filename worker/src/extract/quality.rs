//! Content quality, 0-100, with its breakdown: length (30 points, best at 300-3,000
//! characters), readability (25, best at 10-20 words per sentence), structure (20, headings
//! and lists) and diversity (25, the share of distinct words). Pages that are not content
//! (bot challenges, soft 404s, login walls, near-empty pages) are flagged and capped low.

use std::borrow::Cow;

use rustc_hash::FxHashSet;
use serde::Serialize;

const LENGTH_POINTS: f64 = 30.0;
const READABILITY_POINTS: f64 = 25.0;
const STRUCTURE_POINTS: f64 = 20.0;
const DIVERSITY_POINTS: f64 = 25.0;
/// The most a flagged page can score.
const FLAGGED_CAP: u8 = 10;
/// Fewer words than this is a near-empty page.
const NEAR_EMPTY_WORDS: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    BotChallenge,
    Soft404,
    LoginWall,
    NearEmpty,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quality {
    pub score: u8,
    pub length: f64,
    pub readability: f64,
    pub structure: f64,
    pub diversity: f64,
    pub flags: Vec<Flag>,
}

/// What the score is computed from.
pub struct Input<'a> {
    pub title: Option<&'a str>,
    pub text: &'a str,
    pub headings: usize,
    /// List items in the content.
    pub list_items: usize,
    /// The page has a password field.
    pub password_field: bool,
}

const CHALLENGE_PHRASES: &[&str] = &[
    "checking your browser",
    "verify you are human",
    "verifying you are human",
    "are you a robot",
    "enable javascript and cookies to continue",
    "attention required! | cloudflare",
    "ddos protection by",
    "please complete the security check",
    "just a moment...",
];
const NOT_FOUND_PHRASES: &[&str] = &[
    "page not found",
    "404 not found",
    "page you are looking for",
    "page you were looking for",
    "page you requested",
    "could not be found",
    "doesn't exist",
    "does not exist",
    "no longer available",
];
const LOGIN_PHRASES: &[&str] = &[
    "sign in to continue",
    "log in to continue",
    "login to continue",
    "please log in",
    "please sign in",
    "you must be logged in",
    "sign in to your account",
    "log in to your account",
];

pub fn score(input: &Input) -> Quality {
    let text = input.text;
    let words: Vec<&str> = text.split_whitespace().collect();
    let chars = super::whitespace::visible_chars(text);
    let flags = flags(input, words.len());

    let length = LENGTH_POINTS * length_factor(chars);
    let readability = READABILITY_POINTS * readability_factor(text, words.len());
    let structure = STRUCTURE_POINTS
        * (0.5 * (input.headings as f64 / 2.0).min(1.0)
            + 0.5 * (input.list_items as f64 / 3.0).min(1.0));
    let diversity = DIVERSITY_POINTS * diversity_factor(&words);
    let total = (length + readability + structure + diversity).round() as u8;
    Quality {
        score: if flags.is_empty() {
            total
        } else {
            total.min(FLAGGED_CAP)
        },
        length: round1(length),
        readability: round1(readability),
        structure: round1(structure),
        diversity: round1(diversity),
        flags,
    }
}

fn flags(input: &Input, words: usize) -> Vec<Flag> {
    let title = input.title.unwrap_or_default().to_lowercase();
    // The phrases of a challenge, 404 or login page are near the top of a short page.
    let head: String = input
        .text
        .chars()
        .take(600)
        .collect::<String>()
        .to_lowercase();
    let short = words < 300;
    let any = |phrases: &[&str], s: &str| phrases.iter().any(|p| s.contains(p));
    let mut flags = Vec::new();
    if any(CHALLENGE_PHRASES, &title) || (short && any(CHALLENGE_PHRASES, &head)) {
        flags.push(Flag::BotChallenge);
    }
    if title.contains("404")
        || any(NOT_FOUND_PHRASES, &title)
        || (short && any(NOT_FOUND_PHRASES, &head))
    {
        flags.push(Flag::Soft404);
    }
    if short && (input.password_field || any(LOGIN_PHRASES, &head)) {
        flags.push(Flag::LoginWall);
    }
    if words < NEAR_EMPTY_WORDS {
        flags.push(Flag::NearEmpty);
    }
    flags
}

/// 1 within 300-3,000 characters, falling linearly to 0 at none and at 10,000.
fn length_factor(chars: usize) -> f64 {
    let c = chars as f64;
    if c < 300.0 {
        c / 300.0
    } else if c <= 3000.0 {
        1.0
    } else {
        (1.0 - (c - 3000.0) / 7000.0).max(0.3)
    }
}

/// 1 when sentences average 10-20 words, falling off on either side.
fn readability_factor(text: &str, words: usize) -> f64 {
    if words == 0 {
        return 0.0;
    }
    let sentences = text
        .split(['.', '!', '?', '\n'])
        .filter(|s| s.split_whitespace().count() > 0)
        .count()
        .max(1);
    let average = words as f64 / sentences as f64;
    if average < 10.0 {
        average / 10.0
    } else if average <= 20.0 {
        1.0
    } else {
        (1.0 - (average - 20.0) / 30.0).max(0.0)
    }
}

/// The share of distinct words; long texts repeat words naturally, so the ratio is taken
/// over windows of 100 words.
fn diversity_factor(words: &[&str]) -> f64 {
    if words.is_empty() {
        return 0.0;
    }
    let ratios: Vec<f64> = words
        .chunks(100)
        .filter(|w| w.len() >= 20 || words.len() < 100)
        .map(|window| {
            let distinct: FxHashSet<Cow<str>> = window
                .iter()
                .map(|w| {
                    if w.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
                        Cow::Borrowed(*w)
                    } else {
                        Cow::Owned(w.to_lowercase())
                    }
                })
                .collect();
            distinct.len() as f64 / window.len() as f64
        })
        .collect();
    let ratio = ratios.iter().sum::<f64>() / ratios.len().max(1) as f64;
    // Ordinary prose has 0.6-0.8 distinct words per 100; 0.7 and up earns everything.
    (ratio / 0.7).min(1.0)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &str) -> Input<'_> {
        Input {
            title: Some("Guide"),
            text,
            headings: 0,
            list_items: 0,
            password_field: false,
        }
    }

    /// Twelve-word sentences of distinct words, `n` of them.
    fn prose(n: usize) -> String {
        (0..n)
            .map(|i| {
                let words: Vec<String> = (0..12).map(|j| format!("w{i}x{j}")).collect();
                format!("{}.", words.join(" "))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn well_formed_content_scores_full_marks() {
        let text = prose(20); // 240 words, about 1,400 characters
        let q = score(&Input {
            headings: 2,
            list_items: 3,
            ..input(&text)
        });
        assert_eq!(
            (q.length, q.readability, q.structure, q.diversity),
            (30.0, 25.0, 20.0, 25.0)
        );
        assert_eq!(q.score, 100);
        assert!(q.flags.is_empty());
    }

    #[test]
    fn each_component_loses_points_as_described() {
        // No structure: 80.
        let text = prose(20);
        assert_eq!(score(&input(&text)).score, 80);
        // One heading, no lists: 10 of 20 for structure.
        let q = score(&Input {
            headings: 1,
            ..input(&text)
        });
        assert_eq!(q.structure, 5.0);
        // Sentences of 40 words: readability 25 * (1 - 20/30).
        let long: String = (0..6)
            .map(|i| {
                format!(
                    "{}.",
                    (0..40)
                        .map(|j| format!("l{i}y{j}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            })
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(score(&input(&long)).readability, 8.3);
        // The same word over and over: little diversity.
        let repeated = "word ".repeat(200);
        assert!(score(&input(&repeated)).diversity < 1.0);
        // 150 characters: half the length points.
        let short = "a".repeat(150);
        assert_eq!(score(&input(&short)).length, 15.0);
    }

    #[test]
    fn pages_that_are_not_content_are_flagged_and_capped() {
        let body = prose(10);
        let cases = [
            (
                Some("Just a moment..."),
                "Checking your browser before accessing.".to_string(),
                Flag::BotChallenge,
            ),
            (
                Some("Page not found"),
                format!("Sorry. {body}"),
                Flag::Soft404,
            ),
            (
                Some("Acme"),
                format!("Oops, the page you are looking for does not exist. {body}"),
                Flag::Soft404,
            ),
            (
                Some("Acme"),
                format!("Please sign in to continue. {body}"),
                Flag::LoginWall,
            ),
            (Some("Acme"), "Hello there.".to_string(), Flag::NearEmpty),
        ];
        for (title, text, flag) in cases {
            let q = score(&Input {
                title,
                headings: 3,
                list_items: 5,
                ..input(&text)
            });
            assert!(q.flags.contains(&flag), "{text}: {:?}", q.flags);
            assert!(q.score <= FLAGGED_CAP, "{text}: {}", q.score);
        }
        let q = score(&Input {
            password_field: true,
            ..input(&prose(10))
        });
        assert!(q.flags.contains(&Flag::LoginWall));
    }
}
