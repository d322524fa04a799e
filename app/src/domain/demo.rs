//! Demo data (`seed-demo`): two companies so that tenant isolation is visible from the first
//! minute, each with shops, the demo catalogue, clients with cars and a week of appointments in
//! every status. Idempotent: a company that already exists is left as it is. Each company is
//! created in one transaction, so a company either exists completely or not at all.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    accounts::{create_staff_in, create_tenant_in, tenant_id_by_slug, NewTenant},
    auth::Role,
    concierge::Concierge,
    db::{TenantId, Tx},
    Db, Result,
};

pub const DEMO_PASSWORD: &str = "demo-password";

/// The demo catalogue, a copy of `shared/eval/catalogue.json`.
pub(crate) const CATALOGUE_JSON: &str = include_str!("../../data/catalogue.json");

#[derive(Deserialize)]
struct Catalogue {
    services: Vec<CatalogueService>,
}

#[derive(Deserialize)]
struct CatalogueService {
    category: String,
    name: String,
    price: Decimal,
    duration_minutes: i32,
    keywords: String,
}

struct DemoShop {
    name: &'static str,
    address: &'static str,
    phone: &'static str,
    bays: i32,
    open: &'static str,
    close: &'static str,
    sunday: bool,
    /// Latitude and longitude, for the bot's nearest shop.
    location: (f64, f64),
}

struct DemoTenant {
    name: &'static str,
    slug: &'static str,
    admin: (&'static str, &'static str),
    managers: &'static [(&'static str, &'static str)],
    shops: &'static [DemoShop],
    /// Offsets the pseudo-random choices so the two companies do not look identical.
    seed: u64,
}

const TENANTS: &[DemoTenant] = &[
    DemoTenant {
        name: "Автосервис Север",
        slug: "sever",
        admin: ("admin@sever.demo", "Ирина Соколова"),
        managers: &[("manager@sever.demo", "Павел Мельников")],
        shops: &[
            DemoShop {
                name: "Север на Ленинградке",
                address: "Москва, Ленинградское ш., 52",
                phone: "+74951234501",
                bays: 3,
                open: "09:00",
                close: "20:00",
                sunday: false,
                location: (55.8395, 37.4867),
            },
            DemoShop {
                name: "Север в Химках",
                address: "Химки, ул. Победы, 7",
                phone: "+74951234502",
                bays: 2,
                open: "09:00",
                close: "20:00",
                sunday: false,
                location: (55.8890, 37.4440),
            },
        ],
        seed: 7,
    },
    DemoTenant {
        name: "Гараж 24",
        slug: "garage24",
        admin: ("admin@garage24.demo", "Артём Гаражный"),
        managers: &[],
        shops: &[DemoShop {
            name: "Гараж 24 на Профсоюзной",
            address: "Москва, ул. Профсоюзная, 24",
            phone: "+74957654324",
            bays: 2,
            open: "08:00",
            close: "22:00",
            sunday: true,
            location: (55.6760, 37.5650),
        }],
        seed: 1013,
    },
];

/// What `seed-demo` did, for the CLI to report.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub created: Vec<&'static str>,
    pub existing: Vec<&'static str>,
}

pub async fn seed_demo(db: &Db) -> Result<SeedReport> {
    let catalogue: Catalogue = serde_json::from_str(CATALOGUE_JSON)
        .map_err(|e| super::Error::Internal(format!("demo catalogue: {e}")))?;
    let mut report = SeedReport::default();
    for tenant in TENANTS {
        if tenant_id_by_slug(db, tenant.slug).await?.is_some() {
            report.existing.push(tenant.slug);
            continue;
        }
        let mut tx = db.platform_tx().await?;
        let id = create_tenant_in(
            &mut tx,
            &NewTenant {
                name: tenant.name,
                slug: tenant.slug,
                timezone: "Europe/Moscow",
                admin_email: tenant.admin.0,
                admin_password: DEMO_PASSWORD,
                admin_full_name: tenant.admin.1,
            },
        )
        .await?;
        fill_tenant(&mut tx, id, tenant, &catalogue).await?;
        tx.commit().await?;
        tracing::info!(slug = tenant.slug, "demo company created");
        report.created.push(tenant.slug);
    }
    Ok(report)
}

/// Small deterministic generator: the demo looks the same on every machine.
/// A demo client: (client id, car id, name, writes to the bot).
type DemoClient = (i64, i64, String, bool);

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const FIRST_NAMES: &[&str] = &[
    "Алексей",
    "Мария",
    "Дмитрий",
    "Елена",
    "Сергей",
    "Ольга",
    "Андрей",
    "Наталья",
    "Михаил",
    "Анна",
    "Николай",
    "Татьяна",
    "Владимир",
    "Юлия",
    "Игорь",
    "Светлана",
];
const LAST_NAMES: &[(&str, &str)] = &[
    ("Иванов", "Иванова"),
    ("Смирнов", "Смирнова"),
    ("Кузнецов", "Кузнецова"),
    ("Попов", "Попова"),
    ("Васильев", "Васильева"),
    ("Петров", "Петрова"),
    ("Новиков", "Новикова"),
    ("Фёдоров", "Фёдорова"),
    ("Морозов", "Морозова"),
    ("Волков", "Волкова"),
    ("Лебедев", "Лебедева"),
    ("Козлов", "Козлова"),
];
const CARS: &[(&str, &str)] = &[
    ("Lada", "Vesta"),
    ("Lada", "Granta"),
    ("Kia", "Rio"),
    ("Hyundai", "Solaris"),
    ("Toyota", "Camry"),
    ("Volkswagen", "Polo"),
    ("Skoda", "Octavia"),
    ("Renault", "Logan"),
    ("Haval", "Jolion"),
    ("Chery", "Tiggo 7 Pro"),
    ("BMW", "X3"),
    ("Mercedes-Benz", "E 200"),
];
const PLATE_LETTERS: &[char] = &['А', 'В', 'Е', 'К', 'М', 'Н', 'О', 'Р', 'С', 'Т', 'У', 'Х'];
const TELEGRAM_WORDS: &[&str] = &[
    "Стучит что-то спереди справа на кочках, можно записаться?",
    "Скрипят тормоза при торможении",
    "Нужно переобуться на зимнюю резину",
    "Горит чек, машина едет нормально",
    "Кондиционер дует тёплым воздухом",
    "Пора делать ТО, когда есть окно?",
];

const CLIENTS_PER_TENANT: usize = 30;

async fn fill_tenant(
    tx: &mut Tx,
    tenant: TenantId,
    demo: &DemoTenant,
    catalogue: &Catalogue,
) -> Result<()> {
    let mut rng = Lcg(demo.seed);
    for (email, name) in demo.managers {
        create_staff_in(tx, tenant, email, DEMO_PASSWORD, name, Role::Manager).await?;
    }
    let shops = insert_shops(tx, tenant, demo).await?;
    let services = insert_services(tx, tenant, catalogue).await?;
    let clients = insert_clients(tx, tenant, demo, &mut rng).await?;
    let analyses = concierge_analyses(tx, tenant).await?;
    insert_week(tx, tenant, &shops, &services, &clients, &analyses, &mut rng).await
}

async fn insert_shops<'d>(
    tx: &mut Tx,
    tenant: TenantId,
    demo: &'d DemoTenant,
) -> Result<Vec<(i64, &'d DemoShop)>> {
    let mut shops = Vec::new();
    for shop in demo.shops {
        let day = json!([[shop.open, shop.close]]);
        let hours = json!({
            "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day,
            "sun": if shop.sunday { day.clone() } else { json!([]) },
        });
        let id = sqlx::query_scalar!(
            "INSERT INTO shops (tenant_id, name, address, phone, timezone, bays, working_hours, slot_minutes,
                                latitude, longitude)
             VALUES ($1, $2, $3, $4, 'Europe/Moscow', $5, $6, 30, $7, $8) RETURNING id",
            tenant.0,
            shop.name,
            shop.address,
            shop.phone,
            shop.bays,
            hours,
            shop.location.0,
            shop.location.1,
        )
        .fetch_one(&mut **tx)
        .await?;
        shops.push((id, shop));
    }

    Ok(shops)
}

async fn insert_services<'c>(
    tx: &mut Tx,
    tenant: TenantId,
    catalogue: &'c Catalogue,
) -> Result<Vec<(i64, &'c CatalogueService)>> {
    let mut services = Vec::new();
    for s in &catalogue.services {
        let id = sqlx::query_scalar!(
            "INSERT INTO services (tenant_id, name, category, price, duration_minutes, keywords)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            tenant.0,
            s.name,
            s.category,
            s.price,
            s.duration_minutes,
            s.keywords,
        )
        .fetch_one(&mut **tx)
        .await?;
        services.push((id, s));
    }

    Ok(services)
}

/// The company's clients, each with a car; every fourth writes to the bot.
async fn insert_clients(
    tx: &mut Tx,
    tenant: TenantId,
    demo: &DemoTenant,
    rng: &mut Lcg,
) -> Result<Vec<DemoClient>> {
    let mut clients = Vec::new();
    for i in 0..CLIENTS_PER_TENANT {
        let female = i % 3 == 1;
        let first = FIRST_NAMES[(i * 2 + usize::from(female)) % FIRST_NAMES.len()];
        let last = LAST_NAMES[rng.below(LAST_NAMES.len())];
        let full_name = format!("{} {first}", if female { last.1 } else { last.0 });
        let phone = format!("+7916{:03}{:04}", demo.seed % 1000, 1000 + i);
        let telegram_id = (i % 4 == 0).then(|| 500_000_000 + demo.seed as i64 * 1000 + i as i64);
        let notes = if i % 7 == 0 {
            "Постоянный клиент, просит звонить заранее"
        } else {
            ""
        };
        let client_id = sqlx::query_scalar!(
            "INSERT INTO clients (tenant_id, full_name, phone, telegram_id, telegram_chat_id, notes)
             VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
            tenant.0,
            full_name,
            phone,
            telegram_id,
            notes,
        )
        .fetch_one(&mut **tx)
        .await?;
        let (make, model) = CARS[rng.below(CARS.len())];
        let plate: String = format!(
            "{}{:03}{}{}{}",
            PLATE_LETTERS[rng.below(PLATE_LETTERS.len())],
            1 + rng.below(998),
            PLATE_LETTERS[rng.below(PLATE_LETTERS.len())],
            PLATE_LETTERS[rng.below(PLATE_LETTERS.len())],
            [77, 97, 99, 177, 197, 50, 750][rng.below(7)]
        );
        let vehicle_id = sqlx::query_scalar!(
            "INSERT INTO vehicles (tenant_id, client_id, make, model, year, plate, mileage_km)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            tenant.0,
            client_id,
            make,
            model,
            2008 + rng.below(17) as i32,
            plate,
            (10 + rng.below(190)) as i32 * 1000,
        )
        .fetch_one(&mut **tx)
        .await?;
        clients.push((client_id, vehicle_id, full_name, telegram_id.is_some()));
    }

    Ok(clients)
}

/// What the concierge makes of each Telegram customer's words, with this company's catalogue:
/// the visit card shows it as it would for a visit booked in the bot. `(summary, analysis)`.
async fn concierge_analyses(tx: &mut Tx, tenant: TenantId) -> Result<Vec<(String, Value)>> {
    let concierge = Concierge::new(None)?;
    let concierge_catalogue = concierge.catalogue(tx, tenant).await?;
    let mut analyses = Vec::with_capacity(TELEGRAM_WORDS.len());
    for words in TELEGRAM_WORDS {
        let answer = concierge.analyze(&concierge_catalogue, words).await?;
        // The causes; for a plain request ("переобуться") there are none, then what it suggested.
        let summary = if answer.diagnoses.is_empty() {
            let names: Vec<&str> = answer.services.iter().map(|s| s.name.as_str()).collect();
            format!("Предложено: {}", names.join(", "))
        } else {
            answer.summary()
        };
        let analysis = serde_json::to_value(&answer)
            .map_err(|e| super::Error::Internal(format!("demo analysis: {e}")))?;
        analyses.push((summary, analysis));
    }

    Ok(analyses)
}

/// A week of visits around today: three blocks a bay a day, some left free on other days.
async fn insert_week(
    tx: &mut Tx,
    tenant: TenantId,
    shops: &[(i64, &DemoShop)],
    services: &[(i64, &CatalogueService)],
    clients: &[DemoClient],
    analyses: &[(String, Value)],
    rng: &mut Lcg,
) -> Result<()> {
    // Services that fit a three-hour block, so appointments of one bay never overlap.
    let short: Vec<_> = services
        .iter()
        .filter(|(_, s)| s.duration_minutes <= 90)
        .collect();
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Moscow)
        .date_naive();
    let mut n = 0usize;
    for day_offset in -3i64..=3 {
        let date = today + Duration::days(day_offset);
        for (shop_id, shop) in shops {
            if date.weekday() == Weekday::Sun && !shop.sunday {
                continue;
            }
            let open: NaiveTime = shop
                .open
                .parse()
                .map_err(|_| super::Error::Internal("demo hours".into()))?;
            for bay in 1..=shop.bays {
                for block in 0..3 {
                    // Today is full, so the dashboard has something in every column.
                    if day_offset != 0 && rng.below(10) < 4 {
                        continue;
                    }
                    let start = open + Duration::hours(1 + block * 3);
                    let picked: Vec<&(i64, &CatalogueService)> = {
                        let first = short[rng.below(short.len())];
                        let second = short[rng.below(short.len())];
                        if rng.below(3) == 0 && first.0 != second.0 {
                            vec![first, second]
                        } else {
                            vec![first]
                        }
                    };
                    let status = demo_status(day_offset, block, n);
                    let client = &clients[rng.below(clients.len())];
                    let visit = DemoVisit {
                        shop_id: *shop_id,
                        bay,
                        date,
                        start,
                        services: &picked,
                        status,
                        client,
                        n,
                    };
                    insert_appointment(tx, tenant, visit, analyses).await?;
                    n += 1;
                }
            }
        }
    }
    Ok(())
}

/// Past days are mostly done, today is under way, the coming days are requests and bookings;
/// the cycles make sure every status appears.
fn demo_status(day_offset: i64, block: i64, n: usize) -> &'static str {
    match day_offset {
        d if d < 0 => [
            "completed",
            "completed",
            "no_show",
            "completed",
            "cancelled",
        ][n % 5],
        0 => ["completed", "in_progress", "confirmed"][block as usize % 3],
        _ => ["confirmed", "new", "new", "confirmed", "cancelled"][n % 5],
    }
}

/// One visit of the demo week: where, when, what, for whom; `n` counts the visits, so that
/// sources and the customer's words vary.
struct DemoVisit<'a> {
    shop_id: i64,
    bay: i32,
    date: NaiveDate,
    start: NaiveTime,
    services: &'a [&'a (i64, &'a CatalogueService)],
    status: &'static str,
    client: &'a DemoClient,
    n: usize,
}

async fn insert_appointment(
    tx: &mut Tx,
    tenant: TenantId,
    visit: DemoVisit<'_>,
    analyses: &[(String, Value)],
) -> Result<()> {
    let start_time = chrono_tz::Europe::Moscow
        .from_local_datetime(&visit.date.and_time(visit.start))
        .earliest()
        .ok_or_else(|| super::Error::Internal("demo time".into()))?
        .with_timezone(&Utc);
    let minutes: i64 = visit
        .services
        .iter()
        .map(|(_, s)| i64::from(s.duration_minutes))
        .sum();
    let end_time = start_time + Duration::minutes(minutes);
    let total: Decimal = visit.services.iter().map(|(_, s)| s.price).sum();
    let (client_id, vehicle_id, _, has_telegram) = visit.client;
    let n = visit.n;
    let source = if *has_telegram && n.is_multiple_of(2) {
        "telegram"
    } else if n.is_multiple_of(3) {
        "api"
    } else {
        "web"
    };
    let (note, summary, analysis) = if source == "telegram" {
        let i = n % TELEGRAM_WORDS.len();
        let (summary, analysis) = &analyses[i];
        (TELEGRAM_WORDS[i], summary.as_str(), Some(analysis))
    } else {
        ("", "", None)
    };
    let cancel_reason = (visit.status == "cancelled").then_some(CANCEL_REASON);
    let id = sqlx::query_scalar!(
        "INSERT INTO appointments (tenant_id, shop_id, client_id, vehicle_id, bay, start_time, end_time,
                                   status, source, customer_note, ai_summary, ai_analysis, total_price,
                                   cancel_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        tenant.0,
        visit.shop_id,
        client_id,
        vehicle_id,
        visit.bay,
        start_time,
        end_time,
        visit.status,
        source,
        note,
        summary,
        analysis,
        total,
        cancel_reason,
    )
    .fetch_one(&mut **tx)
    .await?;
    for (service_id, s) in visit.services {
        sqlx::query!(
            "INSERT INTO appointment_services (tenant_id, appointment_id, service_id, price, duration_minutes)
             VALUES ($1, $2, $3, $4, $5)",
            tenant.0,
            id,
            service_id,
            s.price,
            s.duration_minutes,
        )
        .execute(&mut **tx)
        .await?;
    }
    insert_history(tx, tenant, id, visit.status, source).await
}

const CANCEL_REASON: &str = "Клиент перенёс визит";

/// The status history that leads to `status`: booked through `source`, moved on in the admin.
async fn insert_history(
    tx: &mut Tx,
    tenant: TenantId,
    appointment: i64,
    status: &str,
    source: &str,
) -> Result<()> {
    let path: &[&str] = match status {
        "new" => &["new"],
        "confirmed" => &["new", "confirmed"],
        "in_progress" => &["new", "confirmed", "in_progress"],
        "completed" => &["new", "confirmed", "in_progress", "completed"],
        "no_show" => &["new", "confirmed", "no_show"],
        _ => &["new", "cancelled"],
    };
    let mut from: Option<&str> = None;
    for &to in path {
        sqlx::query!(
            "INSERT INTO appointment_status_history (tenant_id, appointment_id, from_status, to_status, channel, reason)
             VALUES ($1, $2, $3, $4, $5, $6)",
            tenant.0,
            appointment,
            from,
            to,
            if from.is_none() { source } else { "web" },
            (to == "cancelled").then_some(CANCEL_REASON),
        )
        .execute(&mut **tx)
        .await?;
        from = Some(to);
    }
    Ok(())
}

/// The demo logins, printed by the quick-start command.
pub fn demo_logins() -> Vec<(&'static str, &'static str)> {
    TENANTS
        .iter()
        .flat_map(|t| {
            std::iter::once(t.admin.0)
                .chain(t.managers.iter().map(|m| m.0))
                .map(move |e| (t.name, e))
        })
        .collect()
}

/// A year of history for the reports' benchmark (`seed-history`): the company «История» (short
/// name `istoriya`, admin `admin@istoriya.demo`, the demo password) with three shops in three
/// time zones, ten bays each, open 08:00–21:00 every day, the demo catalogue, 3000 clients, and
/// `visits_per_day` visits (±20 %) a day for `months` months up to today: 30–90 minutes each on
/// a 30-minute grid, past ones completed (83 %), not come (6 %) or cancelled (11 %), booked
/// from Telegram (55 %, each with the customer's message and the concierge's analysis before it),
/// by staff (35 %) or the API. Deterministic, and refused when the company exists.
pub mod history {
    use super::*;

    pub const SLUG: &str = "istoriya";
    const SHOPS: [(&str, &str); 3] = [
        ("История на Тверской", "Europe/Moscow"),
        ("История в Екатеринбурге", "Asia/Yekaterinburg"),
        ("История в Калининграде", "Europe/Kaliningrad"),
    ];
    const BAYS: i32 = 10;
    const CLIENTS: usize = 3000;
    const BATCH: usize = 2000;

    /// One generated visit, before it is inserted.
    struct Visit {
        shop: i64,
        bay: i32,
        client: i64,
        start: chrono::DateTime<Utc>,
        minutes: i64,
        status: &'static str,
        source: &'static str,
        created: chrono::DateTime<Utc>,
        services: Vec<(i64, Decimal, i32)>,
    }

    /// Creates the company and its history; returns how many visits it holds.
    pub async fn seed(db: &Db, months: u32, visits_per_day: u32) -> Result<usize> {
        if tenant_id_by_slug(db, SLUG).await?.is_some() {
            return Err(super::super::Error::validation(
                "Компания istoriya уже есть: удалите её (tenant delete) или используйте как есть",
            ));
        }
        let catalogue: Catalogue = serde_json::from_str(CATALOGUE_JSON)
            .map_err(|e| super::super::Error::Internal(format!("demo catalogue: {e}")))?;
        let mut tx = db.platform_tx().await?;
        let tenant = create_tenant_in(
            &mut tx,
            &NewTenant {
                name: "История",
                slug: SLUG,
                timezone: "Europe/Moscow",
                admin_email: "admin@istoriya.demo",
                admin_password: DEMO_PASSWORD,
                admin_full_name: "Анна Историк",
            },
        )
        .await?;
        let services = insert_services(&mut tx, tenant, &catalogue).await?;
        let services: Vec<(i64, Decimal, i32)> = services
            .iter()
            .map(|(id, s)| (*id, s.price, s.duration_minutes))
            .collect();
        let day = json!([["08:00", "21:00"]]);
        let hours = json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day});
        let mut shops = Vec::new();
        for (name, zone) in SHOPS {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO shops (tenant_id, name, timezone, bays, working_hours, slot_minutes)
                 VALUES ($1, $2, $3, $4, $5, 30) RETURNING id",
            )
            .bind(tenant.0)
            .bind(name)
            .bind(zone)
            .bind(BAYS)
            .bind(&hours)
            .fetch_one(&mut *tx)
            .await?;
            shops.push((
                id,
                zone.parse::<chrono_tz::Tz>()
                    .unwrap_or(chrono_tz::Europe::Moscow),
            ));
        }
        let clients: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO clients (tenant_id, full_name, phone, telegram_id, telegram_chat_id)
             SELECT $1, 'Клиент ' || i, '+7900' || lpad(i::text, 7, '0'), 500000000 + i, 500000000 + i
             FROM generate_series(1, $2) AS i RETURNING id",
        )
        .bind(tenant.0)
        .bind(CLIENTS as i32)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;

        let mut rng = Lcg(20_261_207);
        let today = Utc::now().date_naive();
        let first = today - Duration::days(i64::from(months) * 30);
        let now = Utc::now();
        let mut visits: Vec<Visit> = Vec::new();
        let mut total = 0;
        let mut day = first;
        while day <= today {
            let wanted = (f64::from(visits_per_day)
                * (0.8 + 0.4 * (rng.below(1000) as f64 / 1000.0)))
                as usize;
            // One cursor per shop and bay: minutes after 08:00 local.
            let mut cursors = vec![0i64; shops.len() * BAYS as usize];
            for i in 0..wanted {
                let lane = (i + rng.below(3)) % cursors.len();
                let gap = 30 * rng.below(2) as i64;
                let two = rng.below(10) < 3;
                let minutes = if two {
                    90
                } else {
                    30 * (1 + rng.below(2) as i64)
                };
                let begin = cursors[lane] + gap;
                if begin + minutes > 13 * 60 {
                    continue;
                }
                cursors[lane] = begin + minutes;
                let (shop, zone) = shops[lane / BAYS as usize];
                let local = day.and_hms_opt(8, 0, 0).unwrap_or_default() + Duration::minutes(begin);
                let Some(start) = zone.from_local_datetime(&local).earliest() else {
                    continue;
                };
                let start = start.with_timezone(&Utc);
                let lead = Duration::minutes(rng.below(14 * 24 * 60) as i64);
                let created = (start - lead).min(now);
                let roll = rng.below(100);
                let status = if start > now {
                    if roll < 50 {
                        "new"
                    } else {
                        "confirmed"
                    }
                } else if roll < 83 {
                    "completed"
                } else if roll < 89 {
                    "no_show"
                } else {
                    "cancelled"
                };
                let source = match rng.below(100) {
                    0..=54 => "telegram",
                    55..=89 => "web",
                    _ => "api",
                };
                let mut chosen = vec![services[rng.below(services.len())]];
                if two {
                    let other = services[rng.below(services.len())];
                    if other.0 != chosen[0].0 {
                        chosen.push(other);
                    }
                }
                visits.push(Visit {
                    shop,
                    bay: (lane % BAYS as usize) as i32 + 1,
                    client: clients[rng.below(clients.len())],
                    start,
                    minutes,
                    status,
                    source,
                    created,
                    services: chosen,
                });
                total += 1;
                if visits.len() >= BATCH {
                    insert_batch(db, tenant, &mut visits).await?;
                }
            }
            day += Duration::days(1);
        }
        insert_batch(db, tenant, &mut visits).await?;
        let mut tx = db.tenant_tx(tenant).await?;
        for (shop, _) in &shops {
            sqlx::query("SELECT report_rebuild_shop($1)")
                .bind(shop)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("SELECT report_rebuild_messages($1)")
            .bind(tenant.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(total)
    }

    /// Inserts `visits` (and empties it): for Telegram ones the customer's message with the
    /// concierge's analysis, from minutes to two days before booking; the visits; their services.
    async fn insert_batch(db: &Db, tenant: TenantId, visits: &mut Vec<Visit>) -> Result<()> {
        if visits.is_empty() {
            return Ok(());
        }
        let mut tx = db.tenant_tx(tenant).await?;
        // The reports' rollups are counted once at the end (migration 0016), not row by row.
        sqlx::query("SET LOCAL app.report_rollups = 'deferred'")
            .execute(&mut *tx)
            .await?;
        // The messages first: a Telegram visit remembers when its customer first wrote.
        let telegram: Vec<&Visit> = visits.iter().filter(|v| v.source == "telegram").collect();
        sqlx::query(
            "INSERT INTO bot_messages (tenant_id, chat_id, client_id, direction, author, text, analysis, created_at)
             SELECT $1, 500000000 + c, c, 'in', 'customer', 'Хочу записаться',
                    '{\"engine\": \"rules\", \"intent\": \"booking\"}'::jsonb,
                    at - (5 + extract(epoch FROM at)::bigint % 2880) * interval '1 minute'
             FROM unnest($2::bigint[], $3::timestamptz[]) AS t(c, at)",
        )
        .bind(tenant.0)
        .bind(telegram.iter().map(|v| v.client).collect::<Vec<_>>())
        .bind(telegram.iter().map(|v| v.created).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO appointments (tenant_id, shop_id, client_id, bay, start_time, end_time,
                                       status, source, total_price, created_at, updated_at)
             SELECT $1, shop, client, bay, start_at, start_at + make_interval(mins => minutes::int),
                    status, source, total, created, created
             FROM unnest($2::bigint[], $3::bigint[], $4::int[], $5::timestamptz[], $6::bigint[],
                         $7::text[], $8::text[], $9::numeric[], $10::timestamptz[])
                  AS t(shop, client, bay, start_at, minutes, status, source, total, created)
             RETURNING id",
        )
        .bind(tenant.0)
        .bind(visits.iter().map(|v| v.shop).collect::<Vec<_>>())
        .bind(visits.iter().map(|v| v.client).collect::<Vec<_>>())
        .bind(visits.iter().map(|v| v.bay).collect::<Vec<_>>())
        .bind(visits.iter().map(|v| v.start).collect::<Vec<_>>())
        .bind(visits.iter().map(|v| v.minutes).collect::<Vec<_>>())
        .bind(visits.iter().map(|v| v.status).collect::<Vec<_>>())
        .bind(visits.iter().map(|v| v.source).collect::<Vec<_>>())
        .bind(
            visits
                .iter()
                .map(|v| v.services.iter().map(|s| s.1).sum::<Decimal>())
                .collect::<Vec<_>>(),
        )
        .bind(visits.iter().map(|v| v.created).collect::<Vec<_>>())
        .fetch_all(&mut *tx)
        .await?;
        let (mut appointment, mut service, mut price, mut minutes) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (id, visit) in ids.iter().zip(visits.iter()) {
            for (s, p, m) in &visit.services {
                appointment.push(*id);
                service.push(*s);
                price.push(*p);
                minutes.push(*m);
            }
        }
        sqlx::query(
            "INSERT INTO appointment_services (tenant_id, appointment_id, service_id, price, duration_minutes)
             SELECT $1, a, s, p, m FROM unnest($2::bigint[], $3::bigint[], $4::numeric[], $5::int[]) AS t(a, s, p, m)",
        )
        .bind(tenant.0)
        .bind(appointment)
        .bind(service)
        .bind(price)
        .bind(minutes)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        visits.clear();
        Ok(())
    }
}
