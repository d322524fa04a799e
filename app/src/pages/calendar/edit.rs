//! Correcting a visit from its panel: services, car, the client's words, staff's note and the
//! concierge's findings (one form, one server function; the rules are `booking::change`'s), and
//! the visit's timeline.

use leptos::prelude::*;

use super::{HistoryLine, ServiceChoice, Visit};
use crate::components::{
    feedback::ErrorNotice,
    form::{error_since, INPUT, PRIMARY_BUTTON},
};
use crate::error::AppError;

/// Applies the parts of the form that differ from the visit as it is: new services are checked
/// like a move (the bay and time must still fit: 409 otherwise), a car must be the client's, and
/// findings that differ from those shown are kept as staff's correction, with who and when.
/// `causes` holds one cause per line.
// A stable URL (no generated suffix) so that tests and logs can name it.
#[server(endpoint = "edit_visit")]
pub async fn edit_visit(
    id: i64,
    service_ids: Vec<i64>,
    vehicle_id: Option<i64>,
    customer_note: String,
    staff_note: String,
    summary: String,
    causes: String,
) -> Result<(), AppError> {
    use crate::domain::booking::{self, Change, Findings};
    use crate::session::ssr::refused;

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff_changing().await?;
    if service_ids.is_empty() {
        return Err(refused("Выберите хотя бы одну услугу"));
    }
    let mut tx = state.db.tenant_read_tx(tenant).await?;
    let current = booking::get(&mut tx, id).await?;
    drop(tx);
    let same_services = {
        let (mut now, mut asked) = (current.service_ids.clone(), service_ids.clone());
        now.sort_unstable();
        asked.sort_unstable();
        now == asked
    };
    let (summary_now, causes_now) = match &current.ai_edit {
        Some(edit) => (edit.summary.clone(), edit.causes.clone()),
        None => (
            current.ai_summary.clone(),
            super::schedule::ssr::ai_causes(
                current
                    .ai_analysis
                    .as_ref()
                    .and_then(|a| a.parse())
                    .as_ref(),
            ),
        ),
    };
    let findings = Findings {
        summary: summary.trim().to_owned(),
        causes: causes
            .lines()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    let changed = |now: &str, asked: &str| (now.trim() != asked.trim()).then(|| asked.to_owned());
    let change = Change {
        service_ids: (!same_services).then_some(service_ids),
        vehicle_id: (vehicle_id != current.vehicle_id).then_some(vehicle_id),
        customer_note: changed(&current.customer_note, &customer_note),
        staff_note: changed(&current.staff_note, &staff_note),
        findings: (findings.summary != summary_now.trim() || findings.causes != causes_now)
            .then_some(findings),
        ..Change::default()
    };
    if change == Change::default() {
        return Ok(());
    }
    crate::pages::appointment_status::apply_web_change(&state, tenant, user.id, id, change).await
}

/// «Изменить запись»: a disclosure under the visit's details, closed until staff open it.
#[component]
pub(super) fn EditVisitForm(
    visit: Visit,
    services: Vec<ServiceChoice>,
    edit: ServerAction<EditVisit>,
) -> impl IntoView {
    let error = error_since(edit.into(), edit.version().get_untracked());
    let id = visit.id;
    let (summary, causes) = match &visit.edited_findings {
        Some(edited) => (edited.summary.clone(), edited.causes.join("\n")),
        None => (visit.ai_summary.clone(), visit.ai_causes.join("\n")),
    };
    // Only services the visit does not have can be missing from the catalogue list (retired
    // ones stay on the visit as booked): the form offers the catalogue.
    let movable = visit.can_move();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(form) = read_form(&ev) {
            edit.dispatch(EditVisit {
                id,
                service_ids: form
                    .all("service")
                    .iter()
                    .filter_map(|v| v.parse().ok())
                    .collect(),
                vehicle_id: form.one("vehicle").parse().ok(),
                customer_note: form.one("customer_note"),
                staff_note: form.one("staff_note"),
                summary: form.one("summary"),
                causes: form.one("causes"),
            });
        }
    };
    view! {
        <details class="mt-4 border-t pt-4" data-testid="edit-visit">
            <summary class="cursor-pointer text-sm font-medium text-blue-800">"Изменить запись"</summary>
            <form on:submit=submit class="mt-3 space-y-3">
                <fieldset disabled=!movable>
                    <legend class="mb-1 text-sm font-medium">"Услуги"</legend>
                    {(!movable).then(|| view! { <p class="text-xs text-slate-500">"Услуги завершённой или отменённой записи не меняются."</p> })}
                    <div class="max-h-48 space-y-1 overflow-y-auto rounded-lg border p-2">
                        {services.into_iter().map(|s| view! {
                            <label class="flex items-start gap-2 text-sm">
                                <input type="checkbox" name="service" value=s.id checked=visit.service_ids.contains(&s.id) class="mt-1"/>
                                <span>{s.name} <span class="text-slate-500">{format!(" · {} мин · {}", s.duration_minutes, crate::format::kopecks(s.price_kopecks))}</span></span>
                            </label>
                        }).collect_view()}
                    </div>
                </fieldset>
                <div>
                    <label for="edit-car" class="block text-sm font-medium">"Автомобиль"</label>
                    <select id="edit-car" name="vehicle" class="w-full rounded-lg border bg-white px-2 py-2 text-sm">
                        <option value="" selected=visit.vehicle_id.is_none()>"Не указан"</option>
                        {visit.client_cars.iter().map(|(car, label)| view! {
                            <option value=*car selected=visit.vehicle_id == Some(*car)>{label.clone()}</option>
                        }).collect_view()}
                    </select>
                    <p class="text-xs text-slate-500">"Новый автомобиль добавляется в карточке клиента."</p>
                </div>
                <Note id="edit-customer-note" label="Слова клиента" name="customer_note" value=visit.customer_note.clone()/>
                <Note id="edit-staff-note" label="Заметка сотрудника (клиент её не видит)" name="staff_note" value=visit.staff_note.clone()/>
                <Note id="edit-summary" label="Вывод по обращению" name="summary" value=summary/>
                <Note id="edit-causes" label="Вероятные причины — по одной в строке" name="causes" value=causes/>
                {move || error().map(|error| view! { <ErrorNotice error/> })}
                <button type="submit" class=PRIMARY_BUTTON disabled=move || edit.pending().get()>
                    {move || if edit.pending().get() { "Сохраняем…" } else { "Сохранить изменения" }}
                </button>
            </form>
        </details>
    }
}

#[component]
fn Note(id: &'static str, label: &'static str, name: &'static str, value: String) -> impl IntoView {
    view! {
        <div>
            <label for=id class="block text-sm font-medium">{label}</label>
            <textarea id=id name=name rows="2" class=INPUT prop:value=value.clone()>{value.clone()}</textarea>
        </div>
    }
}

/// The fields of a submitted form.
struct FormFields(leptos::web_sys::FormData);

impl FormFields {
    fn one(&self, name: &str) -> String {
        self.0.get(name).as_string().unwrap_or_default()
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .get_all(name)
            .iter()
            .filter_map(|v| v.as_string())
            .collect()
    }
}

fn read_form(ev: &leptos::ev::SubmitEvent) -> Option<FormFields> {
    use leptos::wasm_bindgen::JsCast;
    let form = ev
        .target()?
        .dyn_into::<leptos::web_sys::HtmlFormElement>()
        .ok()?;
    leptos::web_sys::FormData::new_with_form(&form)
        .ok()
        .map(FormFields)
}

/// The visit's life: booked, then each status change with who, through what and why.
#[component]
pub(super) fn Timeline(history: Vec<HistoryLine>) -> impl IntoView {
    (!history.is_empty()).then(|| view! {
        <section class="mt-4 border-t pt-4" aria-labelledby="timeline-title">
            <h3 id="timeline-title" class="mb-2 text-sm font-medium">"История"</h3>
            <ol class="relative space-y-2 border-l border-slate-300 pl-4 text-sm" data-testid="visit-history">
                {history.into_iter().map(|line| view! {
                    <li class="relative">
                        <span class="absolute -left-[1.3rem] top-1.5 h-2 w-2 rounded-full bg-blue-700" aria-hidden="true"></span>
                        <p class="font-medium">{line.what}</p>
                        <p class="text-xs text-slate-500">{line.when} " · " {line.who}</p>
                        {line.reason.map(|r| view! { <p class="text-xs italic">"«" {r} "»"</p> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    })
}
