//! Status changes of a visit, from the dashboard ("Подтвердить") and the calendar panel.

use crate::error::AppError;
use leptos::prelude::*;

/// Moves an appointment to `status` (the transition rules are `booking::Status::can_transition`)
/// and tells every open page and API client about it.
// A stable URL (no generated suffix) so that tests and logs can name it.
#[server(endpoint = "change_status")]
pub async fn change_status(
    id: i64,
    status: String,
    reason: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::booking::{Change, Status};
    use crate::session::ssr::refused;

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff_changing().await?;
    let status = Status::parse(&status).ok_or_else(|| refused("Неизвестный статус"))?;
    // A cancellation keeps its reason in the history; an empty field is no reason.
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    apply_web_change(
        &state,
        tenant,
        user.id,
        id,
        Change {
            status: Some(status),
            reason,
            ..Change::default()
        },
    )
    .await
}

/// Applies a staff member's change of a visit made in the web admin (the `booking::change_visit`
/// use case: it commits and tells every open page and API client).
#[cfg(feature = "ssr")]
pub(crate) async fn apply_web_change(
    state: &crate::domain::AppState,
    tenant: crate::domain::db::TenantId,
    user_id: i64,
    id: i64,
    change: crate::domain::booking::Change,
) -> Result<(), AppError> {
    use crate::domain::booking::{self, Channel};

    booking::change_visit(state, tenant, id, change, Some(user_id), Channel::Web).await?;
    Ok(())
}
