//! What the guest should do next, as a stable code and a sentence a UI can show.

use super::{SessionStatus, steps};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "openapi",
    derive(poem_openapi::Enum),
    oai(rename_all = "snake_case")
)]
pub enum NextAction {
    /// The session is paused or was abandoned: resume it.
    Resume,
    SetDomain,
    StartAnalysis,
    WaitForAnalysis,
    /// The analysis suggested colours: accept or change them.
    ReviewSuggestedColors,
    ChooseDesign,
    ChooseContactChannel,
    VerifyDomain,
    Complete,
    /// Onboarding is complete.
    Done,
}

/// Where the guest's analysis of its current domain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisState {
    None,
    UnderWay,
    Succeeded,
    /// Failed or cancelled.
    Ended,
}

/// What the recommendation looks at.
#[derive(Debug, Clone, Copy)]
pub struct Situation<'a> {
    pub status: SessionStatus,
    pub facts: steps::Facts<'a>,
    pub analysis: AnalysisState,
    pub colors_suggested: bool,
    pub verified: bool,
}

impl NextAction {
    pub fn message(self) -> &'static str {
        match self {
            NextAction::Resume => "Pick up where you left off.",
            NextAction::SetDomain => "Enter your website's domain.",
            NextAction::StartAnalysis => "Start the analysis of your website (or skip it).",
            NextAction::WaitForAnalysis => {
                "Your website is being analysed; this takes a minute or two."
            }
            NextAction::ReviewSuggestedColors => "Review the colours we found on your website.",
            NextAction::ChooseDesign => "Choose your widget's colours and position.",
            NextAction::ChooseContactChannel => {
                "Choose how customers can contact you (or choose none)."
            }
            NextAction::VerifyDomain => "Prove you control your domain to go live.",
            NextAction::Complete => "Everything is set: complete onboarding to go live.",
            NextAction::Done => "Onboarding is complete.",
        }
    }
}

/// The one next thing to do: the first step whose criteria do not hold, then going live.
pub fn next_action(s: &Situation) -> NextAction {
    match s.status {
        SessionStatus::Completed => return NextAction::Done,
        SessionStatus::Paused | SessionStatus::Abandoned => return NextAction::Resume,
        SessionStatus::Active => {}
    }
    let analysis_step = || match (s.facts.domain, s.analysis) {
        (None, _) => NextAction::SetDomain,
        (Some(_), AnalysisState::UnderWay) => NextAction::WaitForAnalysis,
        (Some(_), _) => NextAction::StartAnalysis,
    };
    if !steps::missing(1, &s.facts).is_empty() {
        return if s.colors_suggested {
            NextAction::ReviewSuggestedColors
        } else if s.facts.domain.is_none() || s.analysis == AnalysisState::UnderWay {
            analysis_step()
        } else {
            NextAction::ChooseDesign
        };
    }
    if !steps::missing(2, &s.facts).is_empty() {
        return analysis_step();
    }
    if !steps::missing(3, &s.facts).is_empty() {
        return NextAction::ChooseContactChannel;
    }
    if !s.verified {
        return NextAction::VerifyDomain;
    }
    NextAction::Complete
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onboarding::{Design, TempConfiguration};

    #[test]
    fn the_first_unmet_step_decides_then_going_live() {
        let empty = TempConfiguration::default();
        let mut s = Situation {
            status: SessionStatus::Active,
            facts: steps::Facts {
                config: &empty,
                domain: None,
                analysis_succeeded: false,
            },
            analysis: AnalysisState::None,
            colors_suggested: false,
            verified: false,
        };
        assert_eq!(next_action(&s), NextAction::SetDomain);
        s.facts.domain = Some("a.example");
        assert_eq!(next_action(&s), NextAction::ChooseDesign);
        s.analysis = AnalysisState::UnderWay;
        assert_eq!(next_action(&s), NextAction::WaitForAnalysis);
        s.colors_suggested = true;
        assert_eq!(next_action(&s), NextAction::ReviewSuggestedColors);

        let designed = TempConfiguration {
            design: Design {
                primary_color: Some("#111111".into()),
                secondary_color: Some("#222222".into()),
                floatie_position: Some("right".into()),
                ..Design::default()
            },
            ..Default::default()
        };
        s.facts.config = &designed;
        assert_eq!(next_action(&s), NextAction::WaitForAnalysis);
        s.analysis = AnalysisState::Succeeded;
        s.facts.analysis_succeeded = true;
        assert_eq!(next_action(&s), NextAction::ChooseContactChannel);
        let all = TempConfiguration {
            no_contact: Some(true),
            ..designed.clone()
        };
        s.facts.config = &all;
        assert_eq!(next_action(&s), NextAction::VerifyDomain);
        s.verified = true;
        assert_eq!(next_action(&s), NextAction::Complete);
        s.status = SessionStatus::Paused;
        assert_eq!(next_action(&s), NextAction::Resume);
        s.status = SessionStatus::Completed;
        assert_eq!(next_action(&s), NextAction::Done);
    }
}
