//! The client card's forms: contacts and notes, a car (add or correct), removing a car, merging
//! a duplicate, and a new client. Plain forms with no WASM behind them (`PlainForm`): a refusal
//! is shown under the form with what was typed kept, a saved change reloads the card (the server
//! renders it), and a new client's card opens once created.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::card::CarRow;
use crate::components::form::{Field, PlainForm, PRIMARY_BUTTON};
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactInput {
    pub full_name: String,
    pub phone: String,
    pub email: String,
    pub notes: String,
    /// The checkbox «Не присылать сообщения»: present (`on`) when ticked.
    #[serde(default)]
    pub no_messages: Option<String>,
}

/// A car's form as typed: numbers and the date stay text until the server reads them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CarInput {
    /// Empty for a new car.
    pub id: Option<i64>,
    pub make: String,
    pub model: String,
    pub year: String,
    pub plate: String,
    pub vin: String,
    pub mileage_km: String,
    pub mileage_read_on: String,
}

/// Saves the card's name, phone, e-mail and notes; an empty phone or e-mail removes it.
#[server]
pub async fn save_client(id: i64, client: ContactInput) -> Result<(), AppError> {
    use crate::domain::clients::{self, ClientPatch};

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::staff_changing().await?;
    let patch = ClientPatch {
        full_name: Some(client.full_name),
        phone: Some(ssr::filled(client.phone)),
        email: Some(ssr::filled(client.email)),
        notes: Some(client.notes),
        no_messages: Some(client.no_messages.is_some()),
        ..ClientPatch::default()
    };
    clients::change(&state, tenant, id, patch).await?;
    Ok(())
}

/// Adds a car to the card (`id` empty) or corrects one.
#[server]
pub async fn save_car(client_id: i64, car: CarInput) -> Result<(), AppError> {
    use crate::domain::clients::{cars, VehiclePatch};

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::staff_changing().await?;
    let id = car.id;
    let car = ssr::read_car(car)?;
    match id {
        None => {
            cars::add(&state, tenant, client_id, car).await?;
        }
        Some(id) => {
            let patch = VehiclePatch {
                make: Some(car.make),
                model: Some(car.model),
                year: Some(car.year),
                plate: Some(car.plate),
                vin: Some(car.vin),
                mileage_km: Some(car.mileage_km),
                mileage_read_on: Some(car.mileage_read_on),
            };
            cars::change(&state, tenant, client_id, id, patch).await?;
        }
    }
    Ok(())
}

#[server]
pub async fn remove_car(client_id: i64, id: i64) -> Result<(), AppError> {
    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::staff_changing().await?;
    crate::domain::clients::cars::remove(&state, tenant, client_id, id).await?;
    Ok(())
}

/// Merges card `drop` into card `keep`: its visits, cars, messages and contacts move.
#[server]
pub async fn merge_clients(keep: i64, drop: i64) -> Result<(), AppError> {
    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::staff_changing().await?;
    crate::domain::clients::merge(&state, tenant, keep, drop).await?;
    Ok(())
}

/// A walk-in or a caller: a new card, with their car when they give one; its id, and the browser
/// is sent to it.
#[server]
pub async fn create_client(client: ContactInput, car: CarInput) -> Result<i64, AppError> {
    use crate::domain::clients::{self, NewClient};

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::staff_changing().await?;
    let car = ssr::read_car(car)?;
    let has_car = !(car.make.trim().is_empty()
        && car.model.trim().is_empty()
        && car.plate.is_none()
        && car.vin.is_none());
    let new = NewClient {
        full_name: client.full_name,
        phone: ssr::filled(client.phone),
        email: ssr::filled(client.email),
        telegram_id: None,
        notes: client.notes,
        vehicles: if has_car { vec![car] } else { Vec::new() },
    };
    let id = clients::add(&state, tenant, new).await?.id;
    // The browser goes on to the new card (followed by `public/forms.js`, or natively).
    leptos_axum::redirect(&crate::session::ssr::public_url(
        &state.config,
        &format!("/clients/{id}"),
    ));
    Ok(id)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::CarInput;
    use crate::{domain::clients::NewVehicle, error::AppError, session::ssr::refused};

    /// A field as typed, or `None` when left empty.
    pub(super) fn filled(text: String) -> Option<String> {
        Some(text.trim().to_string()).filter(|t| !t.is_empty())
    }

    /// The car's form as the domain takes it; its rules (VIN, year, mileage) are checked there.
    pub(super) fn read_car(car: CarInput) -> Result<NewVehicle, AppError> {
        let year = match car.year.trim() {
            "" => None,
            year => Some(
                year.parse()
                    .map_err(|_| refused("Год выпуска: четыре цифры, например 2017"))?,
            ),
        };
        // «120 000» as people type it.
        let mileage: String = car
            .mileage_km
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let mileage_km = match mileage.as_str() {
            "" => None,
            km => Some(
                km.parse()
                    .map_err(|_| refused("Пробег: целое число километров"))?,
            ),
        };
        let mileage_read_on = match car.mileage_read_on.trim() {
            "" => None,
            day => Some(
                day.parse()
                    .map_err(|_| refused("Дата пробега: ГГГГ-ММ-ДД"))?,
            ),
        };
        Ok(NewVehicle {
            make: car.make,
            model: car.model,
            year,
            plate: filled(car.plate),
            vin: filled(car.vin),
            mileage_km,
            mileage_read_on,
        })
    }
}

#[component]
pub fn ClientContact(
    id: i64,
    full_name: String,
    phone: String,
    email: String,
    notes: String,
    no_messages: bool,
) -> impl IntoView {
    let save = ServerAction::<SaveClient>::new();
    view! {
        <PlainForm action=save class="space-y-2">
            <input type="hidden" name="id" value=id/>
            <Field id="client-name" label="Имя" name="client[full_name]" value=full_name/>
            <div class="grid gap-2 sm:grid-cols-2">
                <Field id="client-phone" label="Телефон" name="client[phone]" kind="tel" placeholder="+79161234567" value=phone/>
                <Field id="client-email" label="E-mail" name="client[email]" kind="email" value=email/>
            </div>
            <div>
                <label for="client-notes" class="block text-sm font-medium">"Заметки"</label>
                <textarea id="client-notes" name="client[notes]" rows="3" class="w-full rounded-lg border px-3 py-2">{notes}</textarea>
            </div>
            <label class="flex items-center gap-2 text-sm">
                <input type="checkbox" name="client[no_messages]" checked=no_messages/>
                "Не присылать сообщения (клиент отказался)"
            </label>
            <button type="submit" class=PRIMARY_BUTTON>"Сохранить"</button>
        </PlainForm>
    }
}

/// Adds a car (`car: None`) or corrects one.
#[component]
pub fn CarForm(client_id: i64, car: Option<CarRow>) -> impl IntoView {
    let save = ServerAction::<SaveCar>::new();
    let prefix = match &car {
        Some(car) => format!("car-{}", car.id),
        None => "car-new".to_string(),
    };
    let id = move |field: &str| format!("{prefix}-{field}");
    let is_new = car.is_none();
    let car = car.unwrap_or_default();
    view! {
        <PlainForm action=save class="mt-2 space-y-2">
            <input type="hidden" name="client_id" value=client_id/>
            {(!is_new).then(|| view! { <input type="hidden" name="car[id]" value=car.id/> })}
            <div class="grid grid-cols-2 gap-2">
                <Field id=id("make") label="Марка" name="car[make]" value=car.make/>
                <Field id=id("model") label="Модель" name="car[model]" value=car.model/>
                <Field id=id("year") label="Год" name="car[year]" inputmode="numeric" value=car.year/>
                <Field id=id("plate") label="Госномер" name="car[plate]" value=car.plate/>
            </div>
            <Field id=id("vin") label="VIN (17 знаков)" name="car[vin]" value=car.vin/>
            <div class="grid grid-cols-2 gap-2">
                <Field id=id("mileage") label="Пробег, км" name="car[mileage_km]" inputmode="numeric" value=car.mileage_km/>
                <Field id=id("read-on") label="На дату" name="car[mileage_read_on]" kind="date" value=car.mileage_read_on/>
            </div>
            <button type="submit" class=PRIMARY_BUTTON>
                {if is_new { "Добавить автомобиль" } else { "Сохранить автомобиль" }}
            </button>
        </PlainForm>
    }
}

#[component]
pub fn RemoveCarButton(client_id: i64, id: i64, label: String) -> impl IntoView {
    let remove = ServerAction::<RemoveCar>::new();
    view! {
        <PlainForm action=remove class="mt-2">
            <input type="hidden" name="client_id" value=client_id/>
            <input type="hidden" name="id" value=id/>
            <button type="submit" class="rounded-lg border border-red-300 px-3 py-1 text-sm text-red-700 disabled:opacity-60">
                "Удалить автомобиль"<span class="sr-only">" " {label}</span>
            </button>
        </PlainForm>
    }
}

/// «Объединить»: what moves is shown before the button; the card that goes is `drop`.
#[component]
pub fn MergeCard(keep: i64, drop: i64, name: String, moves: String) -> impl IntoView {
    let merge = ServerAction::<MergeClients>::new();
    view! {
        <details class="mt-1">
            <summary class="cursor-pointer text-sm font-medium text-blue-700">"Объединить с этой карточкой"</summary>
            <PlainForm action=merge class="mt-1 space-y-2">
                <input type="hidden" name="keep" value=keep/>
                <input type="hidden" name="drop" value=drop/>
                <p class="text-sm">
                    "Карточка «" {name} "» будет удалена. " {moves}
                    ". Имя, телефон, e-mail и Telegram этой карточки сохранятся, недостающие возьмутся из удаляемой."
                </p>
                <button type="submit" class=PRIMARY_BUTTON>"Объединить"</button>
            </PlainForm>
        </details>
    }
}

/// The new client's form; once created, their card opens.
#[component]
pub fn NewClientForm() -> impl IntoView {
    let create = ServerAction::<CreateClient>::new();
    view! {
        <PlainForm action=create class="mt-2 space-y-2">
            <div class="grid gap-2 sm:grid-cols-3">
                <Field id="new-client-name" label="Имя" name="client[full_name]" value=""/>
                <Field id="new-client-phone" label="Телефон" name="client[phone]" kind="tel" placeholder="+79161234567" value=""/>
                <Field id="new-client-email" label="E-mail" name="client[email]" kind="email" value=""/>
            </div>
            <input type="hidden" name="client[notes]" value=""/>
            <fieldset class="grid gap-2 sm:grid-cols-3">
                <legend class="text-sm font-medium">"Автомобиль (если известен)"</legend>
                <Field id="new-car-make" label="Марка" name="car[make]" value=""/>
                <Field id="new-car-model" label="Модель" name="car[model]" value=""/>
                <Field id="new-car-plate" label="Госномер" name="car[plate]" value=""/>
                <Field id="new-car-vin" label="VIN" name="car[vin]" value=""/>
                <Field id="new-car-year" label="Год" name="car[year]" inputmode="numeric" value=""/>
                <Field id="new-car-mileage" label="Пробег, км" name="car[mileage_km]" inputmode="numeric" value=""/>
                <input type="hidden" name="car[mileage_read_on]" value=""/>
            </fieldset>
            <button type="submit" class=PRIMARY_BUTTON>"Создать карточку"</button>
        </PlainForm>
    }
}
