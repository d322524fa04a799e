//! Step 3 of the pipeline: what the customer wants — to book, to move or cancel a visit, how their
//! car is getting on, a price, a consultation, or something else. Signals are found first, then
//! [`decide_intent`] applies an explicit precedence.

use super::concepts::{direct_weight, is_car_topic, is_symptom, Concept};
use super::text::fuzzy_prefix;

/// What the customer wants from this message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Wants to come in.
    Booking,
    /// Wants to move a visit («перенесите на четверг», «сдвинуть на час позже»).
    Reschedule,
    /// Wants to cancel a visit («отмените запись», «не смогу приехать»).
    Cancel,
    /// Asks how the car in the shop is getting on («когда будет готова?», «можно забирать?»).
    VisitStatus,
    /// Asks what a job costs («сколько стоит…», «почём…»).
    Price,
    /// Asks about a symptom or a duration.
    Consultation,
    /// Opening hours, address, payment, thanks, spam, small talk.
    Other,
}

impl Intent {
    pub const ALL: [Intent; 7] = [
        Intent::Booking,
        Intent::Reschedule,
        Intent::Cancel,
        Intent::VisitStatus,
        Intent::Price,
        Intent::Consultation,
        Intent::Other,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Intent::Booking => "booking",
            Intent::Reschedule => "reschedule",
            Intent::Cancel => "cancel",
            Intent::VisitStatus => "visit_status",
            Intent::Price => "price",
            Intent::Consultation => "consultation",
            Intent::Other => "other",
        }
    }

    pub fn parse(value: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.as_str() == value)
    }

    /// About a visit the customer already has: answered from their visits, not the catalogue.
    pub fn is_about_a_visit(self) -> bool {
        matches!(
            self,
            Intent::Reschedule | Intent::Cancel | Intent::VisitStatus
        )
    }
}

fn starts_any(word: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| word.starts_with(p))
}

/// Verbs of coming to the shop. Past forms (`приехал домой, а там…`) narrate
/// and are excluded by [`is_past_tense`].
#[rustfmt::skip]
const MOTION: &[&str] = &[
    "приех", "приед", "подъех", "подъед", "подьех", "подьед", "заеду", "заедем", "заехат", "загнат",
    "загоню", "пригнат", "пригоню", "подгоню", "подогнат", "заскоч", "приезж", "подъезж", "прийти",
    "приду", "подойти", "подойду",
];
/// Wish or possibility, which turns a day word or a motion verb into a request.
#[rustfmt::skip]
const WISH: &[&str] = &[
    "можно", "хочу", "хотел", "хотела", "хотим", "надо", "нужно", "нужна", "нужен", "могу", "смогу",
    "сможете", "получится", "планирую", "хотелось",
];
#[rustfmt::skip]
const DAY: &[&str] = &[
    "сегодня", "завтра", "послезавтра", "понедельн", "вторник", "среду", "среда", "четверг",
    "пятниц", "суббот", "воскресен", "выходн", "недел", "числа",
];
#[rustfmt::skip]
const TIME_OF_DAY: &[&str] = &["утр", "вечер", "обед"];
/// Imperatives addressed to the shop: the customer asks for the work itself.
#[rustfmt::skip]
const IMPERATIVE: &[&str] = &[
    "посмотрите", "гляньте", "поменяйте", "замените", "сделайте", "проверьте", "почините",
    "отремонтируйте", "продиагностируйте", "примите", "залейте", "заправьте", "переобуйте",
];
#[rustfmt::skip]
const SERVICE_INFINITIVES: &[&str] = &[
    "поменять", "заменить", "сделать", "починить", "пройти", "отремонтировать", "проверить",
    "продиагностировать", "переобуться", "переобуть", "заправить", "отбалансировать",
];
#[rustfmt::skip]
const SLOT: &[&str] = &["окно", "окна", "окошк", "время", "место", "места", "слот", "дату", "дата"];
#[rustfmt::skip]
const HOURS: &[&str] = &[
    // The shop's hours, not a bonnet or a door that "открывается".
    "работаете",
    "открываетесь",
    "открываются",
    "открытие",
    "открыты",
    "закрываетесь",
    "режим",
    "график",
    "круглосуточ",
    "праздник",
];
#[rustfmt::skip]
const LOCATION: &[&str] = &[
    "адрес", "находит", "проехать", "доехать", "добраться", "метро", "ориентир", "навигатор",
    "локаци",
];
/// Words that ask about the place only when no symptom is told: «где вы?», «есть парковка?»,
/// but «руль тяжелый на парковке» and «не пойму, где течет» are about the car.
#[rustfmt::skip]
const LOCATION_IN_STORIES: &[&str] = &["парковк"];
#[rustfmt::skip]
const PAYMENT: &[&str] = &[
    "оплат", "картой", "наличн", "налом", "безнал", "перевод", "сбп", "рассрочк", "кредит",
];
#[rustfmt::skip]
const THANKS: &[&str] = &["спасибо", "спс", "благодар", "отзыв", "молодц"];
/// A complaint about the shop: outright (`жалоба`, `хамство`, `не извинились`)...
#[rustfmt::skip]
const COMPLAINT: &[&str] = &[
    "жалоб", "пожалуюсь", "претензи", "хамств", "хамят", "хамил", "нахамил", "хамск", "извинил",
    "извинени", "безобрази",
];
/// ...or a harsh word about the service or the staff (`ужасное обслуживание`); the same word
/// about the car (`скрипят ужасно`) is a symptom told strongly.
#[rustfmt::skip]
const HARSH: &[&str] = &[
    "ужасн", "отвратит", "кошмарн", "отстойн", "безобразн", "худш", "паршив",
];
/// The service and the people of the shop, which [`HARSH`] words next to them complain about.
#[rustfmt::skip]
const SERVICE_NOUNS: &[&str] = &[
    "обслуживан", "сервис", "отношени", "персонал", "сотрудник", "менеджер", "администрат",
    "приемщик", "мастер",
];
#[rustfmt::skip]
const SPAM: &[&str] = &[
    "продам", "продаю", "продается", "куплю", "покупаю", "заработ", "реклам", "http", "www",
    "казино", "крипт", "инвест",
];
#[rustfmt::skip]
const CONSULT_WORDS: &[&str] = &[
    "долго", "займет", "занимает", "почему", "отчего", "причин", "опасн", "подскаж", "посовет",
    "объясн",
];
/// `почем` is matched whole: it begins `почему`; so are `цене`, `ценой` (not `ценен`).
#[rustfmt::skip]
const PRICE_WORDS: &[&str] = &["цена", "цену", "цены", "ценник", "стоимост", "прайс", "расценк"];
/// What follows `сколько` in a question of price: `стоит`, `будет стоить`, `обойдется`.
#[rustfmt::skip]
const COST_VERBS: &[&str] = &["стоит", "стоить", "стоят", "обойдет", "обойдут"];
/// `сколько выйдет ТО?` asks the price too, unless it asks for how long ([`DURATION`]).
#[rustfmt::skip]
const COMES_TO: &[&str] = &["выйдет", "выйдут", "выходит"];
/// Words that make `сколько выйдет` a question of time, not money.
#[rustfmt::skip]
const DURATION: &[&str] = &["времен", "час", "дн", "дня", "минут", "недел", "долго"];
/// Moving a visit: `перенести`, `сдвинуть`, `перезаписаться`.
#[rustfmt::skip]
const RESCHEDULE: &[&str] = &["перенес", "перенест", "перенос", "сдвин", "передвин"];
/// Words naming the visit itself.
#[rustfmt::skip]
const VISIT_WORDS: &[&str] = &["запис", "визит", "прием", "бронь"];
/// The visit as a noun (`запись`, `бронь`), not the verb `записаться`: what can be cancelled or
/// be no longer needed.
#[rustfmt::skip]
const VISIT_NOUNS: &[&str] = &[
    "запись", "записи", "записью", "визит", "визита", "визиту", "бронь", "брони", "бронирован",
];
/// Forms of `записать(ся)` that tell of a visit already booked (`я записан`, `записывался`),
/// not of a wish to book.
#[rustfmt::skip]
const BOOKED: &[&str] = &[
    "записан", "записана", "записаны", "записался", "записалась", "записались", "записывался",
    "записывалась", "записывались", "записал", "записала", "записали",
];
/// Verbs of removing, which with a visit noun cancel it: `удалите запись`, `снимите бронь`,
/// `отказываюсь от записи`, and `аннулировать` (also with one `н`).
#[rustfmt::skip]
const REMOVE: &[&str] = &["удал", "сним", "снят", "убер", "убрат", "отказ", "откаж"];
#[rustfmt::skip]
const ANNUL: &[&str] = &["аннул", "анул"];
/// No longer needed: `не нужна`, `не надо`, `не актуальна`.
#[rustfmt::skip]
const NEEDED: &[&str] = &["нужна", "нужен", "нужно", "надо", "актуальн", "требуется"];
/// Possessives that make «что там с моей…» about the customer's own car or order.
#[rustfmt::skip]
const MY: &[&str] = &["моей", "моим", "моя", "мою", "моего", "моем", "нашей", "нашим", "нашу"];
/// Handing the car over to the shop, told in the past (`сдал`, `оставляла`, `пригнал`).
#[rustfmt::skip]
const HANDED_OVER: &[&str] = &[
    "сдал", "сдала", "сдали", "сдавал", "сдавала", "сдавали", "оставил", "оставила", "оставили",
    "оставлял", "оставляла", "оставляли", "пригнал", "пригнала", "загнал", "загнала", "отдал",
    "отдала", "отдавал", "отдавала",
];
/// A stage of the work: `на каком этапе`, `на какой стадии`, `как продвигается`, `в каком
/// состоянии`.
#[rustfmt::skip]
const STAGE: &[&str] = &["этап", "стади", "продвига", "состояни"];
/// Parts for the job (`запчасти`, `детали`) and their arrival (`пришли`, `привезли`).
#[rustfmt::skip]
const PARTS: &[&str] = &["запчаст", "детал", "комплектующ"];
#[rustfmt::skip]
const ARRIVED: &[&str] = &["пришл", "пришел", "приехал", "привезли", "поступил", "доставили"];
/// The shop finishing the work, in the future: `когда закончите?`, `когда доделаете?`.
#[rustfmt::skip]
const WILL_FINISH: &[&str] = &[
    "закончите", "доделаете", "сделаете", "почините", "отремонтируете",
];
#[rustfmt::skip]
const CAR_WORDS: &[&str] = &["машин", "авто", "тачк", "ласточк"];

/// `сколько` and its colloquial and transliterated forms (`скока`, `скоко`, `сколко`).
fn is_how_much(w: &str) -> bool {
    starts_any(w, &["скольк", "сколк"]) || matches!(w, "скока" | "скоко" | "скок" | "скоки")
}

fn is_past_tense(w: &str) -> bool {
    ["л", "ла", "ли", "ло", "лся", "лась", "лись"]
        .iter()
        .any(|e| w.ends_with(e))
}

/// Signals found in a message, kept separate so the precedence in
/// [`decide_intent`] reads as a table.
#[derive(Debug, Default)]
pub(super) struct IntentSignals {
    /// Explicit request to book a visit.
    booking: bool,
    /// To move a visit.
    reschedule: bool,
    /// To cancel a visit: said outright (`отменить`)...
    cancel: bool,
    /// ...or as «не смогу приехать», which a request to book outweighs.
    cannot_come: bool,
    /// How the car in the shop is getting on.
    status: bool,
    /// Hints of the same that a request to book outweighs (`запчасти пришли?`, `когда
    /// закончите?`, `сдал машину…, что там?`).
    soft_status: bool,
    /// What a job costs.
    price: bool,
    /// A softer wish (`хочу на диагностику`, `шиномонтаж на субботу`).
    weak_booking: bool,
    /// An imperative asking the shop to do the work (`посмотрите?`, `замените`).
    request: bool,
    /// A question about cause, danger, price or duration.
    consult: bool,
    /// Opening hours, location, payment, thanks, complaints.
    other_topic: bool,
    spam: bool,
    question: bool,
    /// The message talks about the car (parts, symptoms), not only actions.
    car_topic: bool,
}

/// A message's words with the look-arounds the signals need; a position out of range reads as
/// an empty word.
struct Words<'a>(&'a [String]);

impl<'a> Words<'a> {
    fn at(&self, i: usize) -> &'a str {
        self.0.get(i).map(String::as_str).unwrap_or("")
    }

    fn any(&self, pred: impl Fn(&str) -> bool) -> bool {
        self.0.iter().any(|w| pred(w))
    }

    /// Does any position satisfy `pred` (for checks that look at the neighbours)?
    fn any_at(&self, pred: impl Fn(usize) -> bool) -> bool {
        (0..self.0.len()).any(pred)
    }

    /// Does one of the `before` words in front of position `i` satisfy `pred`?
    fn near(&self, i: usize, before: usize, pred: impl Fn(&str) -> bool) -> bool {
        (i.saturating_sub(before)..i).any(|j| pred(self.at(j)))
    }

    /// "Можно ездить?" asks whether driving is safe: a question, not a wish to come.
    fn can_drive(&self, i: usize) -> bool {
        starts_any(self.at(i + 1), &["ездить", "ехать", "дальше"])
    }

    /// `во сколько`, `до скольки`: the word at `i` asks about opening hours.
    fn after_hours_preposition(&self, i: usize) -> bool {
        self.near(i, 1, |p| matches!(p, "во" | "до" | "со" | "с"))
    }
}

pub(super) fn intent_signals(
    words: &[String],
    hits: &[(usize, Concept)],
    question: bool,
) -> IntentSignals {
    let w = Words(words);
    let request = asks_for_work(&w);
    // An imperative is also a wish: "поменяйте масло в четверг" books like "хочу … в четверг".
    // «Не смогу» is no wish.
    let wish = request
        || w.any_at(|i| WISH.contains(&w.at(i)) && !w.can_drive(i) && !w.near(i, 1, |p| p == "не"));
    let hours = asks_hours(&w);
    let booking = asks_to_book(&w, wish, hours, question);

    // A wish about anything a service is named after (parts, systems, diagnostics).
    let service_wish = wish && hits.iter().any(|&(_, c)| direct_weight(c) >= 0.6);
    let on_day = w.any_at(|i| w.at(i) == "на" && (1..=2).any(|k| starts_any(w.at(i + k), DAY)));
    let weak_booking = (service_wish || on_day) && !hours;

    // «Где» and «парковка» ask about the place unless the message tells a symptom.
    let symptom = hits.iter().any(|&(_, c)| is_symptom(c));
    let place = asks_place(&w) || (!symptom && w.any(|x| starts_any(x, LOCATION_IN_STORIES)));
    let other_topic = hours
        || place
        || complains(&w)
        || w.any(|x| starts_any(x, LOCATION) || starts_any(x, PAYMENT) || starts_any(x, THANKS));

    let cancel = asks_to_cancel(&w);
    let (status, soft_status) = asks_status(&w, question, symptom);
    IntentSignals {
        booking,
        reschedule: asks_to_reschedule(&w),
        cancel: cancel.0,
        cannot_come: cancel.1,
        status,
        soft_status,
        price: asks_price(&w),
        weak_booking,
        request,
        consult: asks_consultation(&w),
        other_topic,
        spam: w.any(|x| starts_any(x, SPAM)),
        question,
        car_topic: hits.iter().any(|&(_, c)| is_car_topic(c)),
    }
}

/// An imperative, or "Можно (у вас) поменять колодки?": the customer asks for the work itself
/// (unlike "можно ли …").
fn asks_for_work(w: &Words) -> bool {
    let can_do = w.any_at(|i| {
        w.at(i) == "можно"
            && w.at(i + 1) != "ли"
            && (1..=3).any(|k| SERVICE_INFINITIVES.contains(&w.at(i + k)))
    });
    can_do || w.any(|x| IMPERATIVE.contains(&x))
}

/// Opening hours: `работаете`, `во сколько`, `до скольки`.
fn asks_hours(w: &Words) -> bool {
    w.any(|x| starts_any(x, HOURS))
        || w.any_at(|i| is_how_much(w.at(i)) && w.after_hours_preposition(i))
}

/// «Где вы?», «где у вас…»: `где` as a question about the shop's place. `где-то` (somewhere)
/// arrives glued (`гдето`, see `text`); written apart, `где то` is the same.
fn asks_place(w: &Words) -> bool {
    w.any_at(|i| {
        w.at(i) == "где"
            && !matches!(w.at(i + 1), "то" | "нибудь" | "либо")
            && !w.near(i, 3, |p| {
                starts_any(p, &["понять", "пойму", "понимаю", "знаю", "видно"])
            })
    })
}

/// A complaint about the service: an outright word of complaint, or a harsh word right next to
/// the service or the staff (`ужасное обслуживание`, `мастер отвратительный`).
fn complains(w: &Words) -> bool {
    w.any(|x| starts_any(x, COMPLAINT))
        || w.any_at(|i| {
            starts_any(w.at(i), HARSH)
                && (starts_any(w.at(i + 1), SERVICE_NOUNS)
                    || w.near(i, 1, |p| starts_any(p, SERVICE_NOUNS)))
        })
}

/// An explicit request to book, move or cancel a visit.
fn asks_to_book(w: &Words, wish: bool, hours: bool, question: bool) -> bool {
    // "неделю назад" dates the past, it does not ask for a day.
    let day = w.any_at(|i| starts_any(w.at(i), DAY) && w.at(i + 1) != "назад");
    let time_of_day = w.any(|x| starts_any(x, TIME_OF_DAY));
    let when = w.any(|x| x == "когда");

    // `запис…` covers запишите/записаться/запись; a one-vowel typo of `запиш`
    // (`запешите`) is accepted, but not of `запис` (that would be `запас(ка)`).
    let zapis: Vec<char> = "запиш".chars().collect();
    // «Я записан», «записывался» tell of a visit booked already, not of a wish to book.
    let book_verb = w.any(|x| {
        (x.starts_with("запис")
            || x.starts_with("запиш")
            || fuzzy_prefix(&x.chars().collect::<Vec<_>>(), &zapis))
            && !BOOKED.contains(&x)
    });
    // «Не смогу приехать» is the opposite of coming.
    let motion = w.any_at(|i| {
        starts_any(w.at(i), MOTION) && !is_past_tense(w.at(i)) && !w.near(i, 2, |p| p == "не")
    });
    let accept = w.any(|x| starts_any(x, &["примет", "примите", "возьмет", "возьмете"]));
    let to_you = w.any_at(|i| w.at(i) == "к" && w.at(i + 1) == "вам") && !w.any(|x| x == "как");
    // «Есть окно?», «свободное время», «когда ближайшее окошко?» (but not «в ближайшее время»,
    // which only dates something).
    let slot = w.any_at(|i| {
        starts_any(w.at(i), SLOT)
            && w.near(i, 2, |p| {
                matches!(p, "есть" | "будет" | "найдется") || p.starts_with("свободн")
            })
    }) || w.any_at(|i| {
        w.at(i).starts_with("ближайш")
            && starts_any(w.at(i + 1), SLOT)
            && !w.near(i, 1, |p| p == "в")
    }) || (w.any(|x| x.starts_with("свободн")) && question);
    let when_can = w.any_at(|i| w.at(i) == "когда" && matches!(w.at(i + 1), "можно" | "сможете"));

    book_verb
        || accept
        || slot
        || when_can
        || (motion && (wish || day || time_of_day || when || question))
        || (to_you && (wish || day))
        || (wish && (day || time_of_day) && !hours)
}

/// Moving a visit: `перенести запись`, `сдвинуть визит на час`, `перенесите на четверг`,
/// `перезаписаться`, or `поменять время` of it. A verb alone is not enough: «перенести АКБ в
/// багажник» and «бампер сдвинулся» are about the car.
fn asks_to_reschedule(w: &Words) -> bool {
    let about_a_visit = |i: usize| {
        (i.saturating_sub(3)..=i + 4).any(|j| {
            let x = w.at(j);
            starts_any(x, VISIT_WORDS)
                || (starts_any(x, DAY) && w.at(j + 1) != "назад")
                || matches!(
                    x,
                    "позже" | "раньше" | "пораньше" | "попозже" | "час" | "часа"
                )
        })
    };
    w.any(|x| starts_any(x, &["перезапис", "перезапиш"]))
        || w.any_at(|i| starts_any(w.at(i), RESCHEDULE) && about_a_visit(i))
        || asks_other_time(w)
        || w.any_at(|i| {
            let verb = w.at(i);
            // «поменять время», not «изменилось время прогрева».
            starts_any(verb, &["помен", "измен"])
                && !is_past_tense(verb)
                && !verb.ends_with("лось")
                && matches!(w.at(i + 1), "время" | "дату")
        })
}

/// The customer has a visit and asks for another time: «у меня запись на завтра, а можно на
/// вечер?», «я записан на пятницу, можно пораньше?». The visit is told first (`у меня запись`,
/// `моя запись`, `я записан`), then a wish (`можно`, `давайте`, `лучше`) for a day, a time of day
/// or an hour.
fn asks_other_time(w: &Words) -> bool {
    let has_visit = |i: usize| {
        let x = w.at(i);
        BOOKED.contains(&x)
            || (VISIT_NOUNS.contains(&x)
                && w.near(i, 2, |p| {
                    matches!(p, "меня" | "моя" | "мою" | "нас" | "наша" | "нашу")
                }))
    };
    let other_time = |j: usize| {
        let x = w.at(j);
        starts_any(x, DAY)
            || starts_any(x, TIME_OF_DAY)
            || x.chars().next().is_some_and(|c| c.is_ascii_digit())
            || matches!(
                x,
                "после"
                    | "позже"
                    | "раньше"
                    | "пораньше"
                    | "попозже"
                    | "другое"
                    | "другой"
            )
    };
    let wish_for_time = |j: usize| {
        matches!(w.at(j), "можно" | "давайте" | "лучше" | "нельзя")
            && (1..=4).any(|k| {
                let x = w.at(j + k);
                other_time(j + k)
                    || (matches!(x, "на" | "в" | "к" | "с") && other_time(j + k + 1))
            })
            // «…можно в субботу ещё и развал сделать?» adds a job, it moves nothing.
            && !(1..=6).any(|k| {
                let x = w.at(j + k);
                SERVICE_INFINITIVES.contains(&x) || matches!(x, "еще" | "заодно" | "также" | "тоже")
            })
    };
    w.any_at(|i| has_visit(i) && (i + 1..w.0.len()).any(wish_for_time))
}

/// Cancelling a visit: `отменить`, `аннулировать`, a visit noun with a verb of removing
/// (`удалите запись`, `запись можно снять`) or told no longer needed (`запись больше не нужна`)
/// (`explicit`); or `не смогу приехать` / `не приеду`, which a request to book in the same
/// message outweighs («сам не смогу приехать, запишите жену»).
fn asks_to_cancel(w: &Words) -> (bool, bool) {
    let visit_around = |i: usize, before: usize, after: usize| {
        (i.saturating_sub(before)..=i + after).any(|j| j != i && VISIT_NOUNS.contains(&w.at(j)))
    };
    let removed = w.any_at(|i| starts_any(w.at(i), REMOVE) && visit_around(i, 4, 3));
    // «Запись … больше не нужна»: the visit noun first, `не` + need within the next words.
    let not_needed = w.any_at(|i| {
        VISIT_NOUNS.contains(&w.at(i))
            && (i + 1..=i + 5).any(|j| w.at(j) == "не" && starts_any(w.at(j + 1), NEEDED))
    });
    let explicit =
        removed || not_needed || w.any(|x| x.starts_with("отмен") || starts_any(x, ANNUL));
    let cannot_come = w.any_at(|i| {
        w.at(i) == "не"
            && (matches!(w.at(i + 1), "приеду" | "приду" | "подъеду")
                || (matches!(w.at(i + 1), "смогу" | "сможем" | "успею" | "получится")
                    && (2..=3).any(|k| starts_any(w.at(i + k), MOTION))))
    });
    (explicit, cannot_come)
}

/// How the car in the shop is getting on: `когда будет готова?`, `машина готова?`, `можно
/// забирать?`, `как там моя машина?`, `что там с моей ладой?`, `уже сделали?`, `на каком этапе
/// ремонт?`. `готов приехать` is a wish to come and `готовлю машину к зиме` is not about
/// readiness. The second value holds the softer hints, which a request to book outweighs:
/// `запчасти пришли?`, `когда закончите?`, and a car handed over (`сдал машину в понедельник`)
/// with `что там?` or `есть новости?`.
fn asks_status(w: &Words, question: bool, symptom: bool) -> (bool, bool) {
    let ready = w.any_at(|i| {
        matches!(w.at(i), "готов" | "готова" | "готово")
            && !starts_any(w.at(i + 1), MOTION)
            && (w.near(i, 3, |p| {
                p == "когда" || p == "уже" || starts_any(p, CAR_WORDS) || p == "будет"
            }) || starts_any(w.at(i + 1), CAR_WORDS)
                || matches!(w.at(i + 1), "ли" | "уже"))
    });
    let collect = w.any_at(|i| {
        starts_any(w.at(i), &["забира", "забрат", "заберу", "забер"])
            && w.near(i, 3, |p| matches!(p, "когда" | "можно" | "уже"))
    });
    // «Как там моя машина?», «что там с моей приорой?» — not «что там с ценой?», nor «что там с
    // моим аккумулятором, почему садится?», which tells a symptom.
    let how_is_it = w.any_at(|i| {
        matches!(w.at(i), "как" | "что")
            && w.at(i + 1) == "там"
            && (1..=3).any(|k| {
                starts_any(w.at(i + k), CAR_WORDS) || (!symptom && MY.contains(&w.at(i + k)))
            })
    });
    let stage = w.any_at(|i| {
        starts_any(w.at(i), STAGE) && w.near(i, 2, |p| starts_any(p, &["каком", "какой", "как"]))
    });
    // «Уже сделали?», «закончили ли?» — a question right next to the word, not a story.
    let finished = question
        && w.any_at(|i| {
            matches!(w.at(i), "закончили" | "доделали" | "сделали")
                && (w.near(i, 1, |p| matches!(p, "уже" | "когда"))
                    || matches!(w.at(i + 1), "ли" | "уже"))
        });
    let strong =
        ready || collect || how_is_it || stage || finished || w.any(|x| x.starts_with("статус"));

    let parts_came = question
        && w.any_at(|i| {
            starts_any(w.at(i), PARTS)
                && (i.saturating_sub(2)..=i + 2).any(|j| starts_any(w.at(j), ARRIVED))
        });
    let will_finish =
        w.any_at(|i| WILL_FINISH.contains(&w.at(i)) && w.near(i, 2, |p| p == "когда"));
    // «Сдал октавию в понедельник… что там?»; «сдавал месяц назад» tells of an old visit, and
    // «что там может течь?» asks about a symptom.
    let handed_over = question
        && !w.any(|x| x == "назад")
        && w.any_at(|i| HANDED_OVER.contains(&w.at(i)) && !w.near(i, 1, |p| p == "не"))
        && w.any_at(|i| {
            (matches!(w.at(i), "что" | "как")
                && w.at(i + 1) == "там"
                && !matches!(w.at(i + 2), "может" | "могло" | "можно" | "такое" | "за"))
                || w.at(i) == "новости"
        });
    (strong, parts_came || will_finish || handed_over)
}

/// What a job costs: `сколько стоит`, `сколько у вас будет стоить`, `скока выйдет`, `почём`,
/// `цена`; not `сколько по времени выйдет`.
fn asks_price(w: &Words) -> bool {
    w.any(|x| x == "почем" || matches!(x, "цене" | "ценой") || starts_any(x, PRICE_WORDS))
        || w.any_at(|i| {
            is_how_much(w.at(i))
                && ((1..=3).any(|k| starts_any(w.at(i + k), COST_VERBS))
                    || ((1..=3).any(|k| starts_any(w.at(i + k), COMES_TO))
                        && !(1..=4).any(|k| starts_any(w.at(i + k), DURATION))))
        })
}

/// A question about cause, danger or duration.
fn asks_consultation(w: &Words) -> bool {
    w.any_at(|i| {
        let x = w.at(i);
        (is_how_much(x)
            && !w.after_hours_preposition(i)
            && !starts_any(w.at(i + 1), &["работаете", "открываетесь", "закрываетесь"]))
            || starts_any(x, CONSULT_WORDS)
            || (matches!(x, "можно" | "нормально") && w.can_drive(i))
            || (x == "что"
                && (1..=2).any(|k| {
                    matches!(
                        w.at(i + k),
                        "это"
                            | "может"
                            | "могло"
                            | "делать"
                            | "случилось"
                            | "такое"
                            | "за"
                    )
                }))
            || (x == "чем" && w.near(i, 1, |p| p == "в"))
            || (x == "чего" && w.near(i, 2, |p| p == "из"))
            || (x == "ли"
                && w.near(i, 1, |p| {
                    matches!(
                        p,
                        "можно" | "стоит" | "нужно" | "надо" | "нормально" | "опасно"
                    )
                }))
    })
}

/// Precedence, strongest first:
/// 1. spam is never served;
/// 2. what is about a visit the customer has: moving it (also when they say they cannot come:
///    "не смогу в пятницу, перенесите"), cancelling it, how the car is getting on (the softer
///    hints of it, such as "запчасти пришли?", only without a request to book);
/// 3. an explicit booking request wins even over a symptom question
///    ("стучит на кочках, можно записаться на завтра?") — the booking flow
///    shows the suggested services anyway;
/// 4. a question about price is a price question, and one about cause or duration a
///    consultation, even if the customer also says they want the work done ("хочу поменять
///    ремень, сколько по времени?");
/// 5. a soft wish for a service is a booking, and so is an imperative
///    ("посмотрите?") about the car even when phrased as a question;
/// 6. hours / location / payment / thanks / complaints are "other";
/// 7. a described symptom or part is a consultation; anything else is "other".
pub(super) fn decide_intent(s: &IntentSignals) -> Intent {
    if s.spam {
        Intent::Other
    } else if s.reschedule {
        Intent::Reschedule
    } else if s.cancel || (s.cannot_come && !s.booking) {
        Intent::Cancel
    } else if s.status || (s.soft_status && !s.booking) {
        Intent::VisitStatus
    } else if s.booking {
        Intent::Booking
    } else if s.price && (s.car_topic || !s.other_topic) {
        Intent::Price
    } else if s.consult && (s.car_topic || !s.other_topic) {
        Intent::Consultation
    } else if (s.weak_booking && !s.question) || (s.request && s.car_topic) {
        Intent::Booking
    } else if s.other_topic {
        Intent::Other
    } else if s.car_topic {
        Intent::Consultation
    } else {
        Intent::Other
    }
}

#[cfg(test)]
mod tests {
    use super::super::RulesEngine;
    use super::*;

    fn intent_of(text: &str) -> Intent {
        RulesEngine::new(Vec::new()).analyze(text).intent
    }

    #[test]
    fn booking_intents() {
        for t in [
            "Запишите на замену колодок",
            "Можно записаться на завтра?",
            "Хочу приехать в субботу",
            "Есть время в пятницу?",
            "когда есть окно?",
            "Стучит подвеска, можно к вам в понедельник?",
            "Когда можно подъехать?",
            "шиномонтаж на субботу",
        ] {
            assert_eq!(intent_of(t), Intent::Booking, "{t}");
        }
    }

    #[test]
    fn consultation_intents() {
        for t in [
            "Что это может быть? Стучит спереди",
            "Горит чек, это опасно?",
            "Сколько по времени займёт замена ремня ГРМ? Хочу поменять",
            "Тормоза скрипят",
            "Приехал домой, а под машиной лужа",
            "Неделю назад поменял масло, теперь горит лампа. Можно ездить?",
        ] {
            assert_eq!(intent_of(t), Intent::Consultation, "{t}");
        }
    }

    #[test]
    fn intents_about_a_visit_and_prices() {
        for (t, want) in [
            ("Можно перенести запись на четверг?", Intent::Reschedule),
            ("Мне нужно сдвинуть визит на час позже", Intent::Reschedule),
            (
                "Не смогу в пятницу, перенесите на понедельник",
                Intent::Reschedule,
            ),
            ("Можно поменять время записи?", Intent::Reschedule),
            ("Хочу отменить запись", Intent::Cancel),
            ("Завтра не смогу приехать", Intent::Cancel),
            ("Когда будет готова машина?", Intent::VisitStatus),
            ("Машина уже готова?", Intent::VisitStatus),
            ("Можно забирать?", Intent::VisitStatus),
            ("Как там моя машина?", Intent::VisitStatus),
            ("Сколько стоит замена масла?", Intent::Price),
            ("Почём развал-схождение?", Intent::Price),
            ("хочу поменять резину, сколько будет стоить?", Intent::Price),
            ("Готов приехать завтра утром", Intent::Booking),
            ("Почему стучит подвеска?", Intent::Consultation),
            (
                "Сам поменять не получится, запишите на субботу",
                Intent::Booking,
            ),
            ("Машину уже сделали?", Intent::VisitStatus),
            ("Запишите на замену масла, сколько стоит?", Intent::Booking),
        ] {
            assert_eq!(intent_of(t), want, "{t}");
        }
    }

    /// Words of moving, finishing or readiness in a story about the car are not about a visit.
    #[test]
    fn stories_about_the_car_are_not_about_a_visit() {
        for t in [
            "Месяц назад сделали ТО, а уже горит чек",
            "Сиденье не сдвигается",
            "Бампер сдвинулся после удара",
            "Нужно перенести АКБ в багажник",
            "Сможете поменять за день ремень ГРМ?",
            "Готовлю машину к зиме, что проверить?",
            "Антифриз уже закончился",
            "Изменилось время прогрева двигателя",
        ] {
            let intent = intent_of(t);
            assert!(
                !intent.is_about_a_visit() && intent != Intent::Price,
                "{t}: {intent:?}"
            );
        }
    }

    /// Slang and transliterated price questions; `сколько выйдет` by time is no price.
    #[test]
    fn price_in_other_words() {
        for (t, want) in [
            ("скока стоит замена ремня?", Intent::Price),
            ("Скоко будет стоить развал?", Intent::Price),
            ("сколько у вас стоит развал?", Intent::Price),
            ("Сколько выйдет замена колодок с дисками?", Intent::Price),
            ("Что там по цене на развал?", Intent::Price),
            ("что там с ценой на ТО?", Intent::Price),
            ("skolko stoit razval na kia rio?", Intent::Price),
            (
                "Сколько по времени выйдет замена сцепления?",
                Intent::Consultation,
            ),
            (
                "в ближайшее время хочу поменять ремень, почём?",
                Intent::Price,
            ),
        ] {
            assert_eq!(intent_of(t), want, "{t}");
        }
    }

    /// A nearest slot, and Russian typed in Latin letters.
    #[test]
    fn booking_in_other_words() {
        for t in [
            "какое ближайшее время на замену масла?",
            "Ближайшая дата на ТО?",
            "dobryi den, mozhno priehat zavtra na diagnostiku?",
            "zapishite na zamenu kolodok v pyatnitsu",
            "Записался на ТО на субботу",
        ] {
            assert_eq!(intent_of(t), Intent::Booking, "{t}");
        }
    }

    /// A visit told first, then a wish for another time, moves it; a wish for another job or
    /// for company does not.
    #[test]
    fn other_time_for_a_visit() {
        for t in [
            "Я записана на среду на 11, можно попозже?",
            "у нас запись на субботу, давайте на воскресенье утром",
        ] {
            assert_eq!(intent_of(t), Intent::Reschedule, "{t}");
        }
        for t in [
            "Я записан на субботу на ТО, можно в субботу ещё и развал сделать?",
            "Записалась на пятницу, можно приехать с ребенком?",
            "Можно на пятницу записаться?",
        ] {
            assert_ne!(intent_of(t), Intent::Reschedule, "{t}");
        }
    }

    /// Removing a visit, annulling it (with a one-`н` typo) or saying it is no longer needed
    /// cancels it; the same words about other things do not.
    #[test]
    fn cancel_in_other_words() {
        for t in [
            "Удалите, пожалуйста, мою запись на среду",
            "Бронь на субботу уже не нужна",
            "Аннулируйте визит на завтра",
            "анулировать запись",
            "Снимите меня с записи на пятницу",
            "отказываюсь от записи, справился сам",
            "otmenite moyu zapis na zavtra",
        ] {
            assert_eq!(intent_of(t), Intent::Cancel, "{t}");
        }
        for t in [
            "Запись на ТО нужна на эту неделю",
            "запись на ТО нужна",
            "Нужно удалить ошибки, запишите на диагностику",
            "Снимите колесо и посмотрите тормоза, запишите на завтра",
            "Можно записаться? Ничего с собой брать не нужно?",
        ] {
            assert_eq!(intent_of(t), Intent::Booking, "{t}");
        }
    }

    /// The car in the shop asked about in other words; the same words in a question about a
    /// symptom, a price or a new visit are not about a visit.
    #[test]
    fn visit_status_in_other_words() {
        for t in [
            "Что там с моей шкодой, уже починили?",
            "Как продвигается ремонт?",
            "На какой стадии работы по моей машине?",
            "Запчасти уже привезли?",
            "Когда доделаете мою машину?",
            "Оставила машину утром на ТО, что там?",
            "kogda budet gotova mashina?",
        ] {
            assert_eq!(intent_of(t), Intent::VisitStatus, "{t}");
        }
        for (t, want) in [
            ("Что там может стучать на кочках?", Intent::Consultation),
            (
                "Оставил машину на ночь на улице, утром не завелась, что там может быть?",
                Intent::Consultation,
            ),
            (
                "Сдавал машину месяц назад, а теперь снова стучит, что там?",
                Intent::Consultation,
            ),
            (
                "Запчасти пришли, когда можно приехать на установку?",
                Intent::Booking,
            ),
            (
                "Что там с моим аккумулятором, почему садится?",
                Intent::Consultation,
            ),
        ] {
            assert_eq!(intent_of(t), want, "{t}");
        }
    }

    /// Complaints about the service are "other"; a harsh word about the car is a symptom, and
    /// `где-то` or a car park in a story about the car asks for no address.
    #[test]
    fn complaints_and_places_in_stories() {
        for t in [
            "Отвратительное обслуживание, мастер нахамил",
            "Хочу написать жалобу на администратора",
            "Был записан на 10, приняли только в 12, безобразие",
            "Есть у вас парковка?",
            "gde vy nahodites?",
        ] {
            assert_eq!(intent_of(t), Intent::Other, "{t}");
        }
        for t in [
            "Тормоза ужасно скрипят",
            "Стучит где-то сзади",
            "стучит где то под капотом",
            "Руль тугой на парковке",
        ] {
            assert_eq!(intent_of(t), Intent::Consultation, "{t}");
        }
    }

    #[test]
    fn other_intents() {
        for t in [
            "Во сколько вы открываетесь?",
            "До скольки работаете в субботу?",
            "Где вы находитесь?",
            "Можно оплатить картой?",
            "Спасибо!",
            "Продам гараж",
            "Здравствуйте",
            "",
        ] {
            assert_eq!(intent_of(t), Intent::Other, "{t}");
        }
    }
}
