//! What a company shows car owners on its public page (`/b/{slug}`, issue 15): read by the
//! company's slug, without a login, through Row-Level Security as that company. Only what the
//! company publishes anyway: its name, shops (address, phone, weekly hours), active services
//! with prices, and its bot's username.

use chrono::Weekday;

use super::{
    accounts, company, db::Db, hours::WorkingHours, services, shops, telegram, Error, Result,
};
use crate::model::{PublicCompany, PublicService, PublicShop};

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
    let catalogue = services::by_section(&mut read).await?;
    let bot = telegram::status(&mut read).await?.bot_username;
    drop(read);
    let sections = catalogue
        .into_iter()
        .map(|(section, list)| {
            let list = list
                .into_iter()
                .map(|service| PublicService {
                    price: crate::format::rubles(service.price),
                    minutes: service.duration_minutes,
                    name: service.name,
                    description: service.description,
                })
                .collect();
            (section, list)
        })
        .collect();
    Ok(PublicCompany {
        name,
        shops: shops
            .into_iter()
            .map(|shop| {
                let hours = WorkingHours::from_json(&shop.working_hours)?;
                Ok(PublicShop {
                    hours: std::iter::successors(Some(Weekday::Mon), |d| Some(d.succ()))
                        .zip(crate::format::WEEKDAYS)
                        .map(|(weekday, day)| (day.to_string(), hours.day_text(weekday)))
                        .collect(),
                    name: shop.name,
                    address: shop.address,
                    phone: shop.phone,
                })
            })
            .collect::<Result<_>>()?,
        sections,
        bot,
    })
}
