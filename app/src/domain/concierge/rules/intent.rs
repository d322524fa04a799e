//! Step 3 of the pipeline: what the customer wants — to book, to move or cancel a visit, how their
//! car is getting on, a price, a consultation, or something else. Signals are found first, then
//! [`decide_intent`] applies an explicit precedence.

use super::concepts::{direct_weight, is_car_topic, Concept};
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
const SLOT: &[&str] = &["окно", "окна", "окошк", "время", "место", "места", "слот"];
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
    "где", "адрес", "находит", "проехать", "доехать", "добраться", "парковк", "метро", "ориентир",
    "навигатор", "локаци",
];
#[rustfmt::skip]
const PAYMENT: &[&str] = &[
    "оплат", "картой", "наличн", "налом", "безнал", "перевод", "сбп", "рассрочк", "кредит",
];
#[rustfmt::skip]
const THANKS: &[&str] = &["спасибо", "спс", "благодар", "отзыв", "молодц"];
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
/// `почем` is matched whole: it begins `почему`.
#[rustfmt::skip]
const PRICE_WORDS: &[&str] = &["цена", "цену", "цены", "ценник", "стоимост", "прайс", "расценк"];
/// Moving a visit: `перенести`, `сдвинуть`, `перезаписаться`.
#[rustfmt::skip]
const RESCHEDULE: &[&str] = &["перенес", "перенест", "перенос", "сдвин", "передвин"];
/// Words naming the visit itself.
#[rustfmt::skip]
const VISIT_WORDS: &[&str] = &["запис", "визит", "прием", "бронь"];
#[rustfmt::skip]
const CAR_WORDS: &[&str] = &["машин", "авто", "тачк", "ласточк"];

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
    /// What a job costs.
    price: bool,
    /// A softer wish (`хочу на диагностику`, `шиномонтаж на субботу`).
    weak_booking: bool,
    /// An imperative asking the shop to do the work (`посмотрите?`, `замените`).
    request: bool,
    /// A question about cause, danger, price or duration.
    consult: bool,
    /// Opening hours, location, payment, thanks.
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

    let other_topic = hours
        || w.any(|x| starts_any(x, LOCATION) || starts_any(x, PAYMENT) || starts_any(x, THANKS));

    let cancel = asks_to_cancel(&w);
    IntentSignals {
        booking,
        reschedule: asks_to_reschedule(&w),
        cancel: cancel.0,
        cannot_come: cancel.1,
        status: asks_status(&w, question),
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
        || w.any_at(|i| w.at(i).starts_with("скольк") && w.after_hours_preposition(i))
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
    let book_verb = w.any(|x| {
        x.starts_with("запис")
            || x.starts_with("запиш")
            || fuzzy_prefix(&x.chars().collect::<Vec<_>>(), &zapis)
    });
    // «Не смогу приехать» is the opposite of coming.
    let motion = w.any_at(|i| {
        starts_any(w.at(i), MOTION) && !is_past_tense(w.at(i)) && !w.near(i, 2, |p| p == "не")
    });
    let accept = w.any(|x| starts_any(x, &["примет", "примите", "возьмет", "возьмете"]));
    let to_you = w.any_at(|i| w.at(i) == "к" && w.at(i + 1) == "вам") && !w.any(|x| x == "как");
    let slot = w.any_at(|i| {
        starts_any(w.at(i), SLOT)
            && w.near(i, 2, |p| {
                matches!(p, "есть" | "будет" | "найдется") || p.starts_with("свободн")
            })
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
        || w.any_at(|i| {
            let verb = w.at(i);
            // «поменять время», not «изменилось время прогрева».
            starts_any(verb, &["помен", "измен"])
                && !is_past_tense(verb)
                && !verb.ends_with("лось")
                && matches!(w.at(i + 1), "время" | "дату")
        })
}

/// Cancelling a visit: `отменить` (`explicit`), or `не смогу приехать` / `не приеду`, which a
/// request to book in the same message outweighs («сам не смогу приехать, запишите жену»).
fn asks_to_cancel(w: &Words) -> (bool, bool) {
    let explicit = w.any(|x| x.starts_with("отмен"));
    let cannot_come = w.any_at(|i| {
        w.at(i) == "не"
            && (matches!(w.at(i + 1), "приеду" | "приду" | "подъеду")
                || (matches!(w.at(i + 1), "смогу" | "сможем" | "успею" | "получится")
                    && (2..=3).any(|k| starts_any(w.at(i + k), MOTION))))
    });
    (explicit, cannot_come)
}

/// How the car in the shop is getting on: `когда будет готова?`, `машина готова?`, `можно
/// забирать?`, `как там моя машина?`, `уже сделали?`. `готов приехать` is a wish to come and
/// `готовлю машину к зиме` is not about readiness.
fn asks_status(w: &Words, question: bool) -> bool {
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
    let how_is_it = w.any_at(|i| {
        w.at(i) == "как"
            && w.at(i + 1) == "там"
            && (1..=3).any(|k| starts_any(w.at(i + k), CAR_WORDS))
    });
    // «Уже сделали?», «закончили ли?» — a question right next to the word, not a story.
    let finished = question
        && w.any_at(|i| {
            matches!(w.at(i), "закончили" | "доделали" | "сделали")
                && (w.near(i, 1, |p| matches!(p, "уже" | "когда"))
                    || matches!(w.at(i + 1), "ли" | "уже"))
        });
    ready || collect || how_is_it || finished || w.any(|x| x.starts_with("статус"))
}

/// What a job costs: `сколько стоит`, `сколько будет стоить`, `почём`, `цена`.
fn asks_price(w: &Words) -> bool {
    w.any(|x| x == "почем" || starts_any(x, PRICE_WORDS))
        || w.any_at(|i| {
            w.at(i).starts_with("скольк")
                && (1..=2).any(|k| starts_any(w.at(i + k), &["стоит", "стоить", "обойдет"]))
        })
}

/// A question about cause, danger or duration.
fn asks_consultation(w: &Words) -> bool {
    w.any_at(|i| {
        let x = w.at(i);
        (x.starts_with("скольк")
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
///    "не смогу в пятницу, перенесите"), cancelling it, how the car is getting on;
/// 3. an explicit booking request wins even over a symptom question
///    ("стучит на кочках, можно записаться на завтра?") — the booking flow
///    shows the suggested services anyway;
/// 4. a question about price is a price question, and one about cause or duration a
///    consultation, even if the customer also says they want the work done ("хочу поменять
///    ремень, сколько по времени?");
/// 5. a soft wish for a service is a booking, and so is an imperative
///    ("посмотрите?") about the car even when phrased as a question;
/// 6. hours / location / payment / thanks are "other";
/// 7. a described symptom or part is a consultation; anything else is "other".
pub(super) fn decide_intent(s: &IntentSignals) -> Intent {
    if s.spam {
        Intent::Other
    } else if s.reschedule {
        Intent::Reschedule
    } else if s.cancel || (s.cannot_come && !s.booking) {
        Intent::Cancel
    } else if s.status {
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
