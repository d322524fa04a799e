//! Точки: the company's shops with their bays and opening hours. Admins edit; managers read.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::components::{
    feedback::{EmptyState, ErrorNotice, Loading},
    form::{Field, PlainEditor, PlainForm, TextArea, INPUT},
};

/// Days as the working-hours JSON names them, with their Russian names.
const DAYS: [(&str, &str); 7] = [
    ("mon", "Понедельник"),
    ("tue", "Вторник"),
    ("wed", "Среда"),
    ("thu", "Четверг"),
    ("fri", "Пятница"),
    ("sat", "Суббота"),
    ("sun", "Воскресенье"),
];

/// A shop as the form shows it; `hours` holds one text per day, «09:00-13:00, 14:00-20:00» or
/// empty for a day off.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShopInput {
    /// Empty for a new shop.
    pub id: Option<i64>,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub timezone: String,
    pub bays: String,
    pub slot_minutes: String,
    pub hours: Vec<String>,
    /// The bays' names, one a line in the order of the bays; an empty line keeps «Пост N».
    pub bay_names: String,
    /// «55.7558, 37.6173» (latitude, longitude) or empty: where the shop is, for the bot.
    #[serde(default)]
    pub location: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShopsView {
    pub can_edit: bool,
    pub shops: Vec<ShopInput>,
}

#[server]
pub async fn load_shops() -> Result<ShopsView, AppError> {
    use crate::domain::shops;

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let list = shops::list(&mut tx, 0, 100).await?;
    tx.commit().await?;
    Ok(ShopsView {
        can_edit: user.role.is_admin(),
        shops: list
            .into_iter()
            .map(|shop| ShopInput {
                id: Some(shop.id),
                hours: DAYS
                    .iter()
                    .map(|(key, _)| ssr::day_text(&shop.working_hours[*key]))
                    .collect(),
                name: shop.name,
                address: shop.address,
                phone: shop.phone,
                timezone: shop.timezone,
                bays: shop.bays.to_string(),
                slot_minutes: shop.slot_minutes.to_string(),
                bay_names: shop.bay_names.join("\n"),
                location: match (shop.latitude, shop.longitude) {
                    (Some(lat), Some(lon)) => format!("{lat}, {lon}"),
                    _ => String::new(),
                },
            })
            .collect(),
    })
}

#[server]
pub async fn save_shop(shop: ShopInput) -> Result<(), AppError> {
    use crate::domain::shops;
    use crate::session::ssr::refused;

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    let bays: i32 = shop
        .bays
        .trim()
        .parse()
        .map_err(|_| refused("Количество постов: целое число"))?;
    let slot_minutes: i32 = shop
        .slot_minutes
        .trim()
        .parse()
        .map_err(|_| refused("Шаг записи: целое число минут"))?;
    let working_hours = ssr::hours_json(&shop.hours).map_err(|m| refused(&m))?;
    let bay_names: Vec<String> = shop.bay_names.lines().map(str::to_string).collect();
    let (latitude, longitude) = ssr::location(&shop.location).map_err(|m| refused(&m))?;
    let timezone = match shop.timezone.trim() {
        "" => "Europe/Moscow".to_string(),
        tz => tz.to_string(),
    };
    match shop.id {
        Some(id) => {
            shops::change(
                &state.db,
                tenant,
                id,
                shops::ShopPatch {
                    name: Some(shop.name),
                    address: Some(shop.address),
                    phone: Some(shop.phone),
                    timezone: Some(timezone),
                    bays: Some(bays),
                    working_hours: Some(working_hours),
                    slot_minutes: Some(slot_minutes),
                    bay_names: Some(bay_names),
                    latitude: Some(latitude),
                    longitude: Some(longitude),
                },
            )
            .await?
        }
        None => {
            shops::add(
                &state.db,
                tenant,
                shops::NewShop {
                    name: shop.name,
                    address: shop.address,
                    phone: shop.phone,
                    timezone,
                    bays,
                    working_hours,
                    slot_minutes,
                    bay_names,
                    latitude,
                    longitude,
                },
            )
            .await?
        }
    };
    // Back to the list with the form empty (followed by `public/forms.js`, or natively).
    leptos_axum::redirect(&crate::session::ssr::public_url(&state.config, "/shops"));
    Ok(())
}

/// Deletes a shop without appointments; one with history is refused (409) by `shops::delete`.
#[server]
pub async fn remove_shop(id: i64) -> Result<(), AppError> {
    use crate::domain::shops;

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    shops::remove(&state.db, tenant, id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    use serde_json::{Map, Value};

    use super::DAYS;

    /// «55.7558, 37.6173» (or with a space, or a semicolon, between them) → both coordinates;
    /// empty → neither. Their ranges are checked by `shops`.
    pub fn location(text: &str) -> Result<(Option<f64>, Option<f64>), String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok((None, None));
        }
        let parts: Vec<&str> = text
            .split([',', ';', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        match parts.as_slice() {
            [lat, lon] => match (lat.parse::<f64>(), lon.parse::<f64>()) {
                (Ok(lat), Ok(lon)) if lat.is_finite() && lon.is_finite() => {
                    Ok((Some(lat), Some(lon)))
                }
                _ => Err(LOCATION_FORMAT.to_string()),
            },
            _ => Err(LOCATION_FORMAT.to_string()),
        }
    }

    const LOCATION_FORMAT: &str =
        "Координаты: широта и долгота через запятую, например 55.7558, 37.6173";

    /// `[["09:00","13:00"],["14:00","20:00"]]` → «09:00-13:00, 14:00-20:00».
    pub fn day_text(day: &Value) -> String {
        day.as_array()
            .map(|intervals| {
                intervals
                    .iter()
                    .filter_map(|interval| {
                        let from = interval.get(0)?.as_str()?;
                        let to = interval.get(1)?.as_str()?;
                        Some(format!("{from}-{to}"))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }

    /// The form's day texts as working-hours JSON. Only the shape is read here; the times
    /// themselves are checked by `shops` (the one place for that rule).
    pub fn hours_json(days: &[String]) -> Result<Value, String> {
        let mut map = Map::new();
        for (index, (key, name)) in DAYS.iter().enumerate() {
            let text = days.get(index).map(String::as_str).unwrap_or("");
            let mut intervals = Vec::new();
            for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (from, to) = part
                    .split_once(['-', '–'])
                    .ok_or_else(|| format!("{name}: укажите часы как 09:00-20:00"))?;
                intervals.push(Value::from(vec![from.trim(), to.trim()]));
            }
            map.insert(key.to_string(), Value::Array(intervals));
        }
        Ok(Value::Object(map))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn day_texts_round_trip_through_the_json_form() {
            let mut days = vec![String::new(); 7];
            days[0] = "09:00-13:00, 14:00–20:00".into();
            let json = hours_json(&days).expect("valid form");
            assert_eq!(day_text(&json["mon"]), "09:00-13:00, 14:00-20:00");
            assert_eq!(day_text(&json["sun"]), "");
            days[1] = "с девяти".into();
            assert!(hours_json(&days).is_err());
        }

        #[test]
        fn coordinates_are_read_as_the_maps_copy_them() {
            assert_eq!(location(""), Ok((None, None)));
            assert_eq!(
                location(" 55.7558, 37.6173 "),
                Ok((Some(55.7558), Some(37.6173)))
            );
            assert_eq!(
                location("55.7558 37.6173"),
                Ok((Some(55.7558), Some(37.6173)))
            );
            assert!(location("55,7558, 37,6173").is_err());
            assert!(location("Москва").is_err());
            assert!(location("55.7").is_err());
        }
    }
}

#[component]
pub fn ShopsPage() -> impl IntoView {
    view! {
        <Title text="Точки — Auto-Concierge"/>
        <h1 class="mb-4 text-2xl font-semibold">"Точки"</h1>
        <ShopsEditor/>
        <crate::pages::closures::ClosuresEditor/>
    }
}

/// The shops and their form; `?edit=<id>` puts that shop in the form.
#[component]
fn ShopsEditor() -> impl IntoView {
    let view_data = Resource::new(|| (), |_| load_shops());
    let editing = crate::components::form::editing();
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match view_data.await {
                    Ok(data) => {
                        let shop = editing.and_then(|id| data.shops.iter().find(|s| s.id == Some(id)).cloned());
                        view! {
                            <div class="grid gap-4 lg:grid-cols-2">
                                <ShopList shops=data.shops can_edit=data.can_edit/>
                                {data.can_edit.then(|| view! { <ShopForm shop/> })}
                            </div>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ShopList(shops: Vec<ShopInput>, can_edit: bool) -> impl IntoView {
    if shops.is_empty() {
        return view! { <EmptyState text="Точек пока нет."/> }.into_any();
    }
    view! {
        <div class="space-y-3">
            {shops.into_iter().map(|shop| {
                let id = shop.id.unwrap_or_default();
                let name = shop.name.clone();
                let remove = ServerAction::<RemoveShop>::new();
                view! {
                    <section class="rounded-xl bg-white p-4 shadow" aria-label=shop.name.clone()>
                        <h2 class="font-semibold">{shop.name.clone()}</h2>
                        <p class="text-sm text-slate-600">{shop.address.clone()} " · " {shop.phone.clone()}</p>
                        <p class="text-sm">"Постов: " {shop.bays.clone()} " · шаг записи " {shop.slot_minutes.clone()} " мин · " {shop.timezone.clone()}</p>
                        {(!shop.bay_names.trim().is_empty()).then(|| view! {
                            <p class="text-sm" data-testid="bay-names">"Посты: " {bay_list(&shop.bay_names)}</p>
                        })}
                        <dl class="mt-2 grid grid-cols-2 gap-x-4 text-sm sm:grid-cols-4">
                            {DAYS.iter().zip(shop.hours.iter()).map(|((_, day), hours)| view! {
                                <div>
                                    <dt class="text-slate-500">{*day}</dt>
                                    <dd>{if hours.is_empty() { "выходной".to_string() } else { hours.clone() }}</dd>
                                </div>
                            }).collect_view()}
                        </dl>
                        {can_edit.then(|| view! {
                            <div class="mt-3 flex flex-wrap items-start gap-2">
                                <a class="rounded-lg border px-3 py-1 text-sm" href=crate::public_path::public_url(&format!("/shops?edit={id}#shop-form"))>
                                    "Изменить"<span class="sr-only">" " {name.clone()}</span>
                                </a>
                                <PlainForm action=remove>
                                    <input type="hidden" name="id" value=id/>
                                    <button type="submit" class="rounded-lg border border-red-300 px-3 py-1 text-sm text-red-700">
                                        "Удалить"<span class="sr-only">" " {name}</span>
                                    </button>
                                </PlainForm>
                            </div>
                        })}
                    </section>
                }
            }).collect_view()}
        </div>
    }
    .into_any()
}

/// «Подъёмник, Пост 2, Развал»: the names typed, one a line, with the default for a blank one.
fn bay_list(names: &str) -> String {
    names
        .lines()
        .enumerate()
        .map(|(i, name)| match name.trim() {
            "" => format!("Пост {}", i + 1),
            name => name.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
fn ShopForm(shop: Option<ShopInput>) -> impl IntoView {
    let save = ServerAction::<SaveShop>::new();
    let is_new = shop.is_none();
    let shop = shop.unwrap_or_else(|| ShopInput {
        timezone: "Europe/Moscow".into(),
        bays: "2".into(),
        slot_minutes: "30".into(),
        hours: vec![
            "09:00-20:00".into(),
            "09:00-20:00".into(),
            "09:00-20:00".into(),
            "09:00-20:00".into(),
            "09:00-20:00".into(),
            "10:00-18:00".into(),
            String::new(),
        ],
        ..ShopInput::default()
    });
    let (heading, submit) = if is_new {
        ("Новая точка".to_string(), "Добавить точку")
    } else {
        (format!("Изменить: {}", shop.name), "Сохранить")
    };
    let cancel = (!is_new).then(|| "/shops".to_string());
    view! {
        <PlainEditor action=save id="shop-form" heading submit cancel>
            {shop.id.map(|id| view! { <input type="hidden" name="shop[id]" value=id/> })}
            <Field id="shop-name" label="Название" name="shop[name]" required=true value=shop.name.clone()/>
            <div class="grid gap-2 sm:grid-cols-2">
                <Field id="shop-address" label="Адрес" name="shop[address]" value=shop.address.clone()/>
                <Field id="shop-phone" label="Телефон" name="shop[phone]" kind="tel" value=shop.phone.clone()/>
            </div>
            <div>
                <label for="shop-location" class="block text-sm font-medium">"Координаты"</label>
                <input id="shop-location" name="shop[location]" value=shop.location.clone() placeholder="55.7558, 37.6173"
                    inputmode="decimal" aria-describedby="shop-location-hint" class=INPUT/>
                <p id="shop-location-hint" class="text-xs text-slate-500">
                    "Широта и долгота через запятую (в Яндекс Картах — правой кнопкой по точке). Клиенту, приславшему боту геопозицию, бот предложит ближайшую точку."
                </p>
            </div>
            <div class="grid grid-cols-3 gap-2">
                <Field id="shop-bays" label="Постов" name="shop[bays]" inputmode="numeric" required=true value=shop.bays.clone()/>
                <Field id="shop-slot" label="Шаг, мин" name="shop[slot_minutes]" inputmode="numeric" required=true value=shop.slot_minutes.clone()/>
                <Field id="shop-tz" label="Часовой пояс" name="shop[timezone]" value=shop.timezone.clone()/>
            </div>
            <TextArea
                id="shop-bay-names"
                label="Названия постов"
                name="shop[bay_names]"
                value=shop.bay_names.clone()
                hint="По одному на строку, по порядку постов, до 40 символов; пустая строка — «Пост N»."
            />
            <fieldset>
                <legend class="text-sm font-medium">"Часы работы (пусто — выходной)"</legend>
                <div class="mt-1 grid gap-2 sm:grid-cols-2">
                    {DAYS.iter().enumerate().map(|(index, (key, day))| view! {
                        <div>
                            <label for=format!("shop-hours-{key}") class="block text-sm text-slate-600">{*day}</label>
                            <input
                                id=format!("shop-hours-{key}")
                                name=format!("shop[hours][{index}]")
                                placeholder="09:00-20:00"
                                value=shop.hours.get(index).cloned().unwrap_or_default()
                                class=INPUT
                            />
                        </div>
                    }).collect_view()}
                </div>
            </fieldset>
        </PlainEditor>
    }
}
