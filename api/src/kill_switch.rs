//! The `onboarding` kill switch: while an operator has it off, the onboarding operations
//! answer 503 `onboarding_disabled` (the guests' data is kept, and the flags and the logos
//! stay readable so a UI can say why). The `analysis` switch is honoured where analyses
//! start (`routes::analysis`) and where the worker takes them.

use onboard_shared::flags;
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::{error::ApiError, error::ErrorCode, state::AppState};

/// Paths under the onboarding prefix the switch leaves on.
const LEFT_ON: [&str; 2] = ["/api/onboarding/flags", "/api/onboarding/logos/"];

pub async fn onboarding<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let path = req.uri().path();
    let switched =
        path.starts_with("/api/onboarding/") && !LEFT_ON.iter().any(|p| path.starts_with(p));
    if switched && let Some(state) = req.data::<AppState>() {
        match state.flags.switch_on(flags::ONBOARDING).await {
            Ok(true) => {}
            Ok(false) => {
                return Ok(ApiError::switched_off(
                    ErrorCode::OnboardingDisabled,
                    "Onboarding is switched off for the moment; your progress is kept. \
                     Try again later.",
                )
                .into_response());
            }
            Err(e) => return Ok(ApiError::from(e).into_response()),
        }
    }
    Ok(next.call(req).await?.into_response())
}
