//! `/concierge`: the concierge's reading of a customer's message, for staff and mobile triage.

use axum::{extract::State, Json};
use serde::Deserialize;
use utoipa::ToSchema;

use app::domain::{concierge::ConciergeAnswer, AppState};

use super::{auth::Staff, error::ApiResult, ApiJson};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeRequest {
    /// The customer's own words, 1 to 4000 characters.
    pub text: String,
}

/// Intent, likely causes and matching services of this company's catalogue with prices.
/// `engine` says whether the LLM answered or the built-in rules (no LLM configured, or it
/// failed, timed out or answered out of contract); `latency_ms` is the time the answer took.
#[utoipa::path(post, path = "/api/v1/concierge/analyze", tag = "concierge", security(("bearer" = [])),
    request_body = AnalyzeRequest,
    responses((status = 200, body = ConciergeAnswer), (status = 401), (status = 422, description = "Empty text or longer than 4000 characters")))]
pub async fn analyze(
    State(state): State<AppState>,
    mut staff: Staff,
    ApiJson(request): ApiJson<AnalyzeRequest>,
) -> ApiResult<Json<ConciergeAnswer>> {
    staff.release_tx();
    let answer = state
        .concierge
        .analyze_for_tenant(&state.db, staff.tenant, &request.text)
        .await?;
    Ok(Json(answer))
}
