//! The three onboarding steps and what completes each, kept here only: the config
//! endpoint refuses a move past a step whose criteria do not hold, and the overall
//! progress lists the steps whose criteria hold.
//!
//! - Design (1): the primary colour, the secondary colour and the widget's position are
//!   set (typed, or a suggestion accepted, which writes it).
//! - Content (2): a domain is set, and its analysis succeeded or the guest chose to skip
//!   it (`skipAnalysis`).
//! - Contact (3): at least one contact channel is chosen, or the guest chose none
//!   (`noContact`).

use serde::Serialize;

use crate::onboarding::TempConfiguration;

pub const TOTAL: i16 = 3;

/// One criterion of a step, named as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
pub enum Criterion {
    #[serde(rename = "primaryColor")]
    #[cfg_attr(feature = "openapi", oai(rename = "primaryColor"))]
    PrimaryColor,
    #[serde(rename = "secondaryColor")]
    #[cfg_attr(feature = "openapi", oai(rename = "secondaryColor"))]
    SecondaryColor,
    #[serde(rename = "floatiePosition")]
    #[cfg_attr(feature = "openapi", oai(rename = "floatiePosition"))]
    FloatiePosition,
    #[serde(rename = "domain")]
    #[cfg_attr(feature = "openapi", oai(rename = "domain"))]
    Domain,
    /// The domain's analysis succeeded, or `skipAnalysis` was chosen.
    #[serde(rename = "analysis")]
    #[cfg_attr(feature = "openapi", oai(rename = "analysis"))]
    Analysis,
    /// A contact channel, or `noContact` was chosen.
    #[serde(rename = "contactChannel")]
    #[cfg_attr(feature = "openapi", oai(rename = "contactChannel"))]
    ContactChannel,
}

impl Criterion {
    pub fn as_str(self) -> &'static str {
        match self {
            Criterion::PrimaryColor => "primaryColor",
            Criterion::SecondaryColor => "secondaryColor",
            Criterion::FloatiePosition => "floatiePosition",
            Criterion::Domain => "domain",
            Criterion::Analysis => "analysis",
            Criterion::ContactChannel => "contactChannel",
        }
    }
}

/// What the criteria look at.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub config: &'a TempConfiguration,
    pub domain: Option<&'a str>,
    /// The guest's latest analysis of its current domain succeeded.
    pub analysis_succeeded: bool,
}

/// The step's name (1 design, 2 content, 3 contact).
pub fn name(step: i16) -> &'static str {
    match step {
        1 => "design",
        2 => "content",
        3 => "contact",
        _ => "start",
    }
}

/// The criteria of `step` that do not hold.
pub fn missing(step: i16, facts: &Facts) -> Vec<Criterion> {
    let c = facts.config;
    let mut out = Vec::new();
    match step {
        1 => {
            if c.design.primary_color.is_none() {
                out.push(Criterion::PrimaryColor);
            }
            if c.design.secondary_color.is_none() {
                out.push(Criterion::SecondaryColor);
            }
            if c.design.floatie_position.is_none() {
                out.push(Criterion::FloatiePosition);
            }
        }
        2 => {
            if facts.domain.is_none() {
                out.push(Criterion::Domain);
            }
            if !facts.analysis_succeeded && c.skip_analysis != Some(true) {
                out.push(Criterion::Analysis);
            }
        }
        3 => {
            let chosen = c.contact.as_ref().is_some_and(|m| !m.is_empty());
            if !chosen && c.no_contact != Some(true) {
                out.push(Criterion::ContactChannel);
            }
        }
        _ => {}
    }
    out
}

/// The steps whose criteria hold.
pub fn completed(facts: &Facts) -> Vec<i16> {
    (1..=TOTAL)
        .filter(|s| missing(*s, facts).is_empty())
        .collect()
}

/// A move from `from` to `to` that passes a step whose criteria do not hold: that step and
/// what it misses. Moving back, or onto the next step only after the current one holds,
/// is fine.
pub fn blocked_move(from: i16, to: i16, facts: &Facts) -> Option<(i16, Vec<Criterion>)> {
    (from.max(1)..to).find_map(|step| {
        let missing = missing(step, facts);
        (!missing.is_empty()).then_some((step, missing))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onboarding::Design;

    fn facts<'a>(
        config: &'a TempConfiguration,
        domain: Option<&'static str>,
        ok: bool,
    ) -> Facts<'a> {
        Facts {
            config,
            domain,
            analysis_succeeded: ok,
        }
    }

    #[test]
    fn each_step_names_what_it_misses() {
        let empty = TempConfiguration::default();
        let f = facts(&empty, None, false);
        assert_eq!(
            missing(1, &f),
            [
                Criterion::PrimaryColor,
                Criterion::SecondaryColor,
                Criterion::FloatiePosition
            ]
        );
        assert_eq!(missing(2, &f), [Criterion::Domain, Criterion::Analysis]);
        assert_eq!(missing(3, &f), [Criterion::ContactChannel]);
        assert!(completed(&f).is_empty());

        let set = TempConfiguration {
            design: Design {
                primary_color: Some("#111111".into()),
                secondary_color: Some("#222222".into()),
                floatie_position: Some("left".into()),
                ..Design::default()
            },
            no_contact: Some(true),
            ..Default::default()
        };
        assert_eq!(completed(&facts(&set, Some("a.example"), true)), [1, 2, 3]);
        let skipped = TempConfiguration {
            skip_analysis: Some(true),
            ..set.clone()
        };
        assert_eq!(
            completed(&facts(&skipped, Some("a.example"), false)),
            [1, 2, 3]
        );
        assert_eq!(completed(&facts(&set, Some("a.example"), false)), [1, 3]);
    }

    #[test]
    fn forward_moves_need_the_steps_passed_and_back_is_free() {
        let empty = TempConfiguration::default();
        let f = facts(&empty, None, false);
        assert_eq!(blocked_move(0, 1, &f), None, "onto the first step");
        assert_eq!(blocked_move(1, 2, &f).map(|b| b.0), Some(1));
        assert_eq!(blocked_move(0, 3, &f).map(|b| b.0), Some(1));
        assert_eq!(blocked_move(3, 1, &f), None);
        assert_eq!(blocked_move(2, 2, &f), None);
    }
}
