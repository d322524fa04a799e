//! What a company shows car owners on its public page (`/b/{slug}`, issue 15): read by the
//! company's slug, without a login, through Row-Level Security as that company. Only what the
//! company publishes anyway: its name, shops (address, phone, weekly hours), active services
//! with prices, and its bot's username.

use super::{accounts, company, db::Db, services, shops, telegram, Error, Result};
use crate::model::{PublicCompany, PublicService, PublicShop};

const DAYS: [(&str, &str); 7] = [
    ("mon", "Пн"),
    ("tue", "Вт"),
    ("wed", "Ср"),
    ("thu", "Чт"),
    ("fri", "Пт"),
    ("sat", "Сб"),
    ("sun", "Вс"),
];

/// The company of `slug`; `NotFound` when there is none.
pub async fn company(db: &Db, slug: &str) -> Result<PublicCompany> {
    let slug = slug.trim();
    if slug.is_empty() || slug.len() > 64 {
        return Err(Error::NotFound);
    }
    let tenant = accounts::tenant_id_by_slug(db, slug)
        .await?
        .ok_or(Error::NotFound)?;
    let mut read = db.tenant_read_tx(tenant).await?;
    let name = company::get(&mut read).await?.name;
    let shops = shops::list(&mut read, 0, 100).await?;
    let catalogue = services::list(&mut read, None, 0, 1000).await?;
    let bot = telegram::status(&mut read).await?.bot_username;
    drop(read);
    let mut sections: Vec<(String, Vec<PublicService>)> = Vec::new();
    for service in catalogue.into_iter().filter(|s| s.is_active) {
        let section = crate::format::category_label(&service.category);
        let entry = PublicService {
            name: service.name,
            description: service.description,
            price: crate::format::rubles(service.price),
            minutes: service.duration_minutes,
        };
        match sections.iter_mut().find(|(name, _)| *name == section) {
            Some((_, list)) => list.push(entry),
            None => sections.push((section, vec![entry])),
        }
    }
    sections.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(PublicCompany {
        name,
        shops: shops
            .into_iter()
            .map(|shop| PublicShop {
                hours: DAYS
                    .iter()
                    .map(|(key, day)| (day.to_string(), hours_text(&shop.working_hours[*key])))
                    .collect(),
                name: shop.name,
                address: shop.address,
                phone: shop.phone,
            })
            .collect(),
        sections,
        bot,
    })
}

/// `[["09:00","13:00"],["14:00","20:00"]]` → «09:00–13:00, 14:00–20:00»; none → «выходной».
fn hours_text(day: &serde_json::Value) -> String {
    let intervals: Vec<String> = day
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| Some(format!("{}–{}", i.get(0)?.as_str()?, i.get(1)?.as_str()?)))
        .collect();
    if intervals.is_empty() {
        "выходной".to_string()
    } else {
        intervals.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_hours_read_as_people_write_them() {
        let day = serde_json::json!([["09:00", "13:00"], ["14:00", "20:00"]]);
        assert_eq!(hours_text(&day), "09:00–13:00, 14:00–20:00");
        assert_eq!(hours_text(&serde_json::json!([])), "выходной");
        assert_eq!(hours_text(&serde_json::Value::Null), "выходной");
    }
}
