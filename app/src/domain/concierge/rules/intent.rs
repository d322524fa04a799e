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
/// Getting in to the shop (`попасть к вам`, `попаду на шиномонтаж`), which counts as coming only
/// before `к`/`на`: «попасть в яму» is a story.
#[rustfmt::skip]
const GET_IN: &[&str] = &["попасть", "попаду", "попадем", "попадём"];
/// Wish or possibility, which turns a day word or a motion verb into a request.
#[rustfmt::skip]
const WISH: &[&str] = &[
    "можно", "хочу", "хотел", "хотела", "хотим", "надо", "нужно", "нужна", "нужен", "могу", "смогу",
    "сможете", "можете", "получится", "планирую", "хотелось", "давайте", "давай",
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
/// The shop's work asked as a question in the future (`глянете?`, `сделаете в субботу?`): with a
/// day or an hour next to it, like an imperative, it asks for a visit.
#[rustfmt::skip]
const WILL_YOU: &[&str] = &[
    "глянете", "посмотрите", "сделаете", "поменяете", "почините", "проверите", "продиагностируете",
    "отремонтируете", "переобуете", "возьметесь", "займетесь",
];
/// Days that name a visit's date, unlike `неделю` or `числа`, which also date a story.
#[rustfmt::skip]
const VISIT_DAY: &[&str] = &[
    "сегодня", "завтра", "послезавтра", "понедельн", "вторник", "среду", "четверг", "пятниц",
    "суббот", "воскресен", "выходн",
];
#[rustfmt::skip]
const SERVICE_INFINITIVES: &[&str] = &[
    "поменять", "заменить", "сделать", "починить", "пройти", "отремонтировать", "проверить",
    "продиагностировать", "переобуться", "переобуть", "заправить", "отбалансировать", "посмотреть",
    "глянуть",
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
    // `продаю` but not `продают` (shops sell things: «везде продают розовый»).
    "продам", "продаю", "продается", "куплю", "покупаю", "заработ", "реклам", "http", "www",
    "казино", "крипт", "инвест",
];
#[rustfmt::skip]
const CONSULT_WORDS: &[&str] = &[
    "долго", "займет", "занимает", "почему", "отчего", "причин", "опасн", "подскаж", "посовет",
    "объясн", "отличает", "отличаю", "разниц",
];
/// Mixing or diluting fluids (`мешать`, `смешивать`, `разбавить`, `совместимы`): a question
/// about what to pour, never a request for work.
#[rustfmt::skip]
const MIXING: &[&str] = &[
    "смешив", "смешат", "смешает", "смешают", "смешал", "намеша", "перемеш", "разбав", "совместим",
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
const MY: &[&str] = &[
    "моей", "моим", "моя", "мою", "моего", "моем", "мой", "моему", "нашей", "нашим", "нашу", "наш",
    "нашему", "нашего",
];
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
const ARRIVED: &[&str] = &[
    "пришл", "пришел", "приехал", "привезли", "подвезли", "поступил", "доставили", "заказали",
    "придут", "приедут", "привезут",
];
/// The shop's finding told in the past (`нашли причину?`, `выяснили?`, `посмотрели мою машину?`):
/// about the customer's car only next to `уже`/`ли`, `вы`, a possessive or «что там».
#[rustfmt::skip]
const FOUND: &[&str] = &[
    "нашли", "выяснили", "разобрались", "определили", "обнаружили", "поняли", "посмотрели",
    "глянули", "проверили", "продиагностировали",
];
/// The same, told of one mechanic: `мастер нашёл причину?`.
#[rustfmt::skip]
const FOUND_ONE: &[&str] = &[
    "нашел", "выяснил", "разобрался", "определил", "обнаружил", "понял", "посмотрел", "глянул",
    "проверил",
];
/// Standing in the shop: `машина у вас стоит`, `третий день у вас торчит`.
#[rustfmt::skip]
const STANDS: &[&str] = &["стоит", "стоять", "простаива", "торчит", "находится", "пылится"];
/// Striking a name off the list: `вычеркните меня`.
#[rustfmt::skip]
const STRIKE: &[&str] = &["вычерк"];
/// Freeing a slot or a visit: `освобождаю окно на пятницу`.
#[rustfmt::skip]
const FREE: &[&str] = &["освобож", "освобод"];
/// Words that offer another time after «не смогу»: `давайте`, `можно`, `лучше`, `могу`.
#[rustfmt::skip]
const OFFER: &[&str] = &[
    "давайте", "давай", "можно", "лучше", "тогда", "могу", "смогу", "сможем", "приеду", "подъеду",
    "заеду", "удобно", "получится", "перенесите", "запишите", "поставьте",
];
/// The shop finishing the work, in the future: `когда закончите?`, `когда доделаете?`.
#[rustfmt::skip]
const WILL_FINISH: &[&str] = &[
    "закончите", "доделаете", "сделаете", "почините", "отремонтируете",
];
/// Getting to the shop, said after «не успею»: `доехать`, `добраться`.
#[rustfmt::skip]
const ARRIVING: &[&str] = &["доех", "доед", "добер", "добрат"];
/// Collecting the car: `забирать`, `забрать`, `заберу`.
#[rustfmt::skip]
const COLLECT: &[&str] = &["забира", "забрат", "заберу", "забер"];
#[rustfmt::skip]
const CAR_WORDS: &[&str] = &["машин", "авто", "тачк", "ласточк"];

/// `сколько` and its colloquial and transliterated forms (`скока`, `скоко`, `сколко`).
fn is_how_much(w: &str) -> bool {
    starts_any(w, &["скольк", "сколк"]) || matches!(w, "скока" | "скоко" | "скок" | "скоки")
}

/// A verb of the customer coming (`приеду`, `подъехать`); not `приехал`, which narrates, nor
/// `придут`/`приедут`, which tell of parts or of other people.
fn is_coming(w: &str) -> bool {
    starts_any(w, MOTION) && !is_past_tense(w) && !w.ends_with("ут")
}

fn is_past_tense(w: &str) -> bool {
    ["л", "ла", "ли", "ло", "лся", "лась", "лись"]
        .iter()
        .any(|e| w.ends_with(e))
}

/// A verb in the past (`опустил`, `загорелся`, `поменяли`, `было`): a vowel, `л`, then `а`/`и`/`о`
/// or nothing, then `ся`/`сь` or nothing. Nouns such as `масло` or `стекло` have a consonant
/// before the `л`.
fn looks_past(w: &str) -> bool {
    let stem = w
        .strip_suffix("ся")
        .or_else(|| w.strip_suffix("сь"))
        .unwrap_or(w);
    let mut rev = stem.chars().rev();
    let mut c = rev.next();
    if matches!(c, Some('а' | 'и' | 'о')) {
        c = rev.next();
    }
    c == Some('л') && rev.next().is_some_and(super::text::is_ru_vowel) && rev.next().is_some()
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

    /// Does a word in `from..=to` (clamped to the message) satisfy `pred`?
    fn within(&self, from: usize, to: usize, pred: impl Fn(&str) -> bool) -> bool {
        (from..=to.min(self.0.len())).any(|j| pred(self.at(j)))
    }

    /// A day or an hour that dates a story: a verb in the past right after it, or after an hour
    /// that follows it («в субботу опустил окно», «сегодня утром загорелся чек»).
    fn story_date(&self, j: usize) -> bool {
        looks_past(self.at(j + 1))
            || (starts_any(self.at(j + 1), TIME_OF_DAY) && looks_past(self.at(j + 2)))
    }

    /// A day or an hour the customer could come at: `в субботу`, `завтра`, `с утра`, `к 10`, `на
    /// этой неделе`. Not the story's `по утрам`, `неделю назад`, `уже неделю` or `в субботу
    /// опустил`.
    fn visit_time(&self, j: usize) -> bool {
        let x = self.at(j);
        let prev = if j == 0 { "" } else { self.at(j - 1) };
        if self.story_date(j) {
            return false;
        }
        (starts_any(x, VISIT_DAY) && self.at(j + 1) != "назад")
            || (starts_any(x, TIME_OF_DAY) && prev != "по")
            || (x.starts_with("недел")
                && (matches!(prev, "на" | "в" | "эту" | "этой" | "через")
                    || prev.starts_with("след")))
            || (x.chars().next().is_some_and(|c| c.is_ascii_digit())
                && matches!(prev, "в" | "к" | "на"))
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
        || w.any_at(|i| WISH.contains(&w.at(i)) && !w.can_drive(i) && !w.near(i, 1, |p| p == "не"))
        // «Мне бы на диагностику», «нам бы окошко».
        || w.any_at(|i| w.at(i) == "бы" && w.near(i, 1, |p| matches!(p, "мне" | "нам")));
    let hours = asks_hours(&w);
    let booking = asks_to_book(&w, wish, hours, question);

    // A wish about anything a service is named after (parts, systems, diagnostics).
    let service_wish = wish && hits.iter().any(|&(_, c)| direct_weight(c) >= 0.6);
    let on_day = w.any_at(|i| {
        w.at(i) == "на" && (1..=2).any(|k| starts_any(w.at(i + k), DAY) && !w.story_date(i + k))
    });
    let weak_booking = (service_wish || on_day) && !hours;

    // «Где» and «парковка» ask about the place unless the message tells a symptom.
    let symptom = hits.iter().any(|&(_, c)| is_symptom(c));
    let place = asks_place(&w) || (!symptom && w.any(|x| starts_any(x, LOCATION_IN_STORIES)));
    let other_topic = hours
        || place
        || complains(&w)
        || w.any(|x| starts_any(x, LOCATION) || starts_any(x, PAYMENT) || starts_any(x, THANKS));

    let cancel = asks_to_cancel(&w);
    let price = asks_price(&w);
    let (status, soft_status) = asks_status(&w, question, symptom, price);
    IntentSignals {
        booking,
        reschedule: asks_to_reschedule(&w) || asks_another_day(&w),
        cancel: cancel.0,
        cannot_come: cancel.1,
        status,
        soft_status,
        price,
        weak_booking,
        request,
        consult: asks_consultation(&w),
        other_topic,
        spam: w.any(|x| starts_any(x, SPAM) && !x.starts_with("продают")),
        question,
        car_topic: hits.iter().any(|&(_, c)| is_car_topic(c)),
    }
}

/// An imperative, the shop's work in the future ("глянете?"), or "Можно (у вас) поменять колодки?",
/// "сможете посмотреть?": the customer asks for the work itself (unlike "можно ли …").
fn asks_for_work(w: &Words) -> bool {
    let can_do = w.any_at(|i| {
        matches!(w.at(i), "можно" | "можете" | "сможете")
            && w.at(i + 1) != "ли"
            && (1..=3).any(|k| SERVICE_INFINITIVES.contains(&w.at(i + k)))
    });
    can_do || w.any(|x| IMPERATIVE.contains(&x) || WILL_YOU.contains(&x))
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
    // "неделю назад" dates the past, it does not ask for a day; nor does "уже неделю" (but "на
    // следующей неделе" does).
    let day = w.any_at(|i| {
        let x = w.at(i);
        starts_any(x, DAY)
            && w.at(i + 1) != "назад"
            && !w.story_date(i)
            && (!x.starts_with("недел") || w.visit_time(i))
    });
    // «С утра», «вечером»; not the habitual «по утрам» nor «утром загорелся», which tell a story.
    let time_of_day = w.any_at(|i| {
        starts_any(w.at(i), TIME_OF_DAY) && !w.near(i, 1, |p| p == "по") && !w.story_date(i)
    });
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
        let x = w.at(i);
        (is_coming(x)
            || (GET_IN.contains(&x) && (1..=2).any(|k| matches!(w.at(i + k), "к" | "на"))))
            && !w.near(i, 2, |p| p == "не")
    });
    // «Глянете в субботу с утра?», «завтра посмотрите?», «замените в пятницу?»: the shop's work
    // asked for a day or an hour next to it. «Когда сделаете?» asks after a car in the shop.
    let work_at_time = w.any_at(|i| {
        let x = w.at(i);
        (WILL_YOU.contains(&x) || IMPERATIVE.contains(&x))
            && !w.near(i, 1, |p| p == "когда")
            && (i.saturating_sub(2)..=i + 4).any(|j| j != i && w.visit_time(j))
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
    }) || (w.any(|x| x.starts_with("свободн")) && question)
        || w.any_at(|i| {
            let x = w.at(i);
            starts_any(x, SLOT)
                // «Окошко найдется?», «окно на субботу», «место на 10».
                && (matches!(w.at(i + 1), "есть" | "будет" | "найдется" | "найдете")
                    || (matches!(w.at(i + 1), "на" | "в" | "к")
                        && (w.visit_time(i + 2) || w.visit_time(i + 3)))
                    // «Мне бы окошко», «нужно место» (not «нужно время», which may be the job's).
                    || (x != "время"
                        && w.near(i, 2, |p| {
                            matches!(p, "бы" | "нужно" | "нужна" | "нужен" | "хочу" | "дайте")
                        })))
        });
    let when_can = w.any_at(|i| w.at(i) == "когда" && matches!(w.at(i + 1), "можно" | "сможете"));

    book_verb
        || accept
        || slot
        || work_at_time
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
    let other_time = |j: usize| is_other_time(w, j);
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

/// A day, an hour or another time asked for: `четверг`, `утром`, `11`, `позже`, `на след
/// неделю`, `другой день`.
fn is_other_time(w: &Words, j: usize) -> bool {
    let x = w.at(j);
    starts_any(x, DAY)
        || starts_any(x, TIME_OF_DAY)
        || x.chars().next().is_some_and(|c| c.is_ascii_digit())
        || starts_any(x, &["след", "друг"])
        || matches!(x, "после" | "позже" | "раньше" | "пораньше" | "попозже")
}

/// «Не смогу» at `i` (the `не`) about coming: `не приеду`, `не смогу приехать`, `приехать никак
/// не смогу`, `в среду не получится`, `к 10 не успеваю`, `меня не ждите`. `не могу` counts only
/// with a day or an hour: «не могу приехать, не заводится» asks for help.
fn cannot_come_at(w: &Words, i: usize) -> bool {
    let next = w.at(i + 1);
    let time_near = || (i.saturating_sub(3)..=i + 3).any(|j| j != i && w.visit_time(j));
    // «Завтра никак», but not «никак не заводится».
    if w.at(i) == "никак" {
        return next != "не" && time_near();
    }
    if w.at(i) != "не" {
        return false;
    }
    // «Не успеваю забрать сегодня» is about collecting the car, «не ждите, пока сломается» advice.
    if (i + 1..=i + 3).any(|j| starts_any(w.at(j), COLLECT))
        || (next == "ждите" && matches!(w.at(i + 2), "пока" | "когда"))
    {
        return false;
    }
    let coming = |x: &str| is_coming(x) || starts_any(x, ARRIVING);
    // «Не смогу выехать, не заводится»: the modal governs another verb.
    let other_verb = (i + 2..=i + 3).any(|j| {
        let x = w.at(j);
        ["ть", "ться", "ти", "тись"].iter().any(|e| x.ends_with(e)) && !coming(x)
    });
    let motion_near = (2..=3).any(|k| coming(w.at(i + k))) || w.near(i, 3, is_coming);
    matches!(
        next,
        "приеду" | "приду" | "подъеду" | "заеду" | "попаду" | "ждите"
    ) || (matches!(
        next,
        "смогу"
            | "сможем"
            | "успею"
            | "успеем"
            | "успеваю"
            | "получится"
            | "получается"
            | "выйдет"
    ) && !other_verb
        && (motion_near || time_near()))
        || (next == "могу" && !other_verb && time_near())
}

/// Cannot come, then another time offered: «в среду никак не смогу, давайте на след неделю», «к 9
/// не успеваю, можно к 11?», «завтра не получится, а в пятницу можно?». The new time follows a
/// word of offer ([`OFFER`]) after the «не смогу», or lies past that clause with the offer right
/// after it. A wish to book someone or something new (`можно записать жену на субботу`) moves
/// nothing.
fn asks_another_day(w: &Words) -> bool {
    if w.any(|x| x.starts_with("записат")) {
        return false;
    }
    let offer = |o: usize| OFFER.contains(&w.at(o)) && !w.near(o, 1, |p| p == "не");
    // «…а в пятницу есть время?»
    let slot_after = |o: usize| w.at(o) == "есть" || starts_any(w.at(o), SLOT);
    w.any_at(|i| {
        cannot_come_at(w, i)
            && (i + 3..w.0.len()).any(|j| {
                is_other_time(w, j)
                    && ((i + 2..j).any(offer)
                        || (j >= i + 4 && (j + 1..=j + 2).any(|o| offer(o) || slot_after(o))))
            })
    })
}

/// Cancelling a visit: `отменить`, `аннулировать`, `отбой`, a visit noun with a verb of removing
/// (`удалите запись`, `запись можно снять`) or told no longer needed (`запись больше не нужна`),
/// the customer struck off or taken off for a day (`на среду меня вычеркивайте`, `уберите меня на
/// среду`), a slot freed (`освобождаю окно`), a day no longer current (`на субботу уже не
/// актуально`) (`explicit`); or «не смогу» about coming ([`cannot_come_at`]), which a request to
/// book in the same message outweighs («сам не смогу приехать, запишите жену»).
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
    // «Уберите меня на среду», «снимите нас из списка» — not «удалите меня из рассылки».
    let removed_me = w.any_at(|i| {
        starts_any(w.at(i), REMOVE)
            && (1..=2).any(|k| matches!(w.at(i + k), "меня" | "нас"))
            && (i.saturating_sub(4)..=i + 4)
                .any(|j| w.visit_time(j) || w.at(j).starts_with("списк"))
    });
    // «На среду меня вычеркивайте», «вычеркните, пожалуйста» — not «вычеркните ошибку из чека».
    let struck = w.any_at(|i| {
        starts_any(w.at(i), STRIKE)
            && (matches!(w.at(i + 1), "" | "пожалуйста" | "плиз" | "тогда" | "уже")
                || (i.saturating_sub(4)..=i + 3).any(|j| {
                    let x = w.at(j);
                    matches!(x, "меня" | "нас") || VISIT_NOUNS.contains(&x) || w.visit_time(j)
                }))
    });
    // «Освобождаю окно на пятницу», «освободите мое место».
    let freed = w.any_at(|i| {
        starts_any(w.at(i), FREE)
            && (i + 1..=i + 3).any(|j| starts_any(w.at(j), SLOT) || VISIT_NOUNS.contains(&w.at(j)))
    });
    // «На субботу уже не актуально».
    let stale = w.any_at(|i| {
        w.at(i) == "не"
            && w.at(i + 1).starts_with("актуальн")
            && (i.saturating_sub(4)..i).any(|j| w.visit_time(j))
    });
    let explicit = removed
        || not_needed
        || removed_me
        || struck
        || freed
        || stale
        || w.any(|x| x.starts_with("отмен") || starts_any(x, ANNUL) || x == "отбой");
    let cannot_come = w.any_at(|i| cannot_come_at(w, i));
    (explicit, cannot_come)
}

/// How the car in the shop is getting on: `когда будет готова?`, `машина готова?`, `можно
/// забирать?`, `как там моя машина?`, `что там с моей ладой?`, `уже сделали?`, `на каком этапе
/// ремонт?`. `готов приехать` is a wish to come and `готовлю машину к зиме` is not about
/// readiness. The second value holds the softer hints, which a request to book outweighs:
/// `запчасти пришли?`, `когда закончите?`, a car handed over (`сдал машину в понедельник`) with
/// `что там?` or `есть новости?`, what the shop found (`нашли уже причину?`), the car standing in
/// the shop since a day (`машина у вас с понедельника стоит`), `сколько ещё ждать?`.
fn asks_status(w: &Words, question: bool, symptom: bool, price: bool) -> (bool, bool) {
    let ready = w.any_at(|i| {
        matches!(w.at(i), "готов" | "готова" | "готово")
            && !starts_any(w.at(i + 1), MOTION)
            && (w.near(i, 3, |p| {
                p == "когда" || p == "уже" || starts_any(p, CAR_WORDS) || p == "будет"
            }) || starts_any(w.at(i + 1), CAR_WORDS)
                || matches!(w.at(i + 1), "ли" | "уже"))
    });
    let collect = w.any_at(|i| {
        starts_any(w.at(i), COLLECT) && w.near(i, 3, |p| matches!(p, "когда" | "можно" | "уже"))
    });
    // The shop's finding asked after: «нашли уже причину?», «вы посмотрели?», «что там по моей
    // приоре, нашли причину стука?», «ну что, выяснили?»; not «в другом сервисе не нашли
    // причину» nor «мне уже проверили аккумулятор, он целый».
    let found = question
        && !w.any(|x| x == "назад" || x.starts_with("прошл"))
        && w.any_at(|i| {
            let by_mechanic = FOUND_ONE.contains(&w.at(i))
                && w.near(i, 2, |p| starts_any(p, &["мастер", "механик"]));
            let by_the_shop = FOUND.contains(&w.at(i))
                && (matches!(w.at(i + 1), "уже" | "ли")
                    || w.near(i, 2, |p| p == "вы")
                    || w.within(i.saturating_sub(3), i + 3, |p| MY.contains(&p))
                    || w.near(i, 3, |p| p == "там")
                    || (w.near(i, 2, |p| p == "что") && w.near(i, 3, |p| p == "ну")));
            (by_mechanic || by_the_shop) && !w.near(i, 1, |p| p == "не")
        });
    // «Как там моя машина?», «что там с моей приорой?», «что по моей машине?» — not «что там с
    // ценой?», nor «что там с моим аккумулятором, почему садится?», which tells a symptom (unless
    // it asks what the shop found about it).
    let how_is_it = w.any_at(|i| {
        let x = w.at(i);
        let mine = |k: usize| MY.contains(&w.at(i + k)) && (!symptom || found);
        (matches!(x, "как" | "что")
            && w.at(i + 1) == "там"
            && (1..=4).any(|k| starts_any(w.at(i + k), CAR_WORDS) || mine(k)))
            || (x == "что" && w.at(i + 1) == "по" && (2..=3).any(mine))
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

    // «Запчасти пришли?», «запчасти по моему заказ-наряду приехали?», «детали заказали?»; not
    // «запчасти привезли свои, можно поставить?».
    let parts_came = question
        && w.any_at(|i| {
            starts_any(w.at(i), PARTS)
                && (i.saturating_sub(2)..=i + 5).any(|j| starts_any(w.at(j), ARRIVED))
                // «Запчасти привезли свои» are the customer's own.
                && !w.within(i.saturating_sub(2), i + 3, |p| p.starts_with("сво"))
        });
    // The car standing in the shop for a while: «машина у вас с понедельника стоит», «моя машина
    // уже третий день у вас»; not «сколько у вас стоит…» nor «у меня машина стоит неделю».
    let since = |j: usize| {
        let (x, next) = (w.at(j), w.at(j + 1));
        (matches!(x, "с" | "со")
            && (starts_any(next, DAY) || starts_any(next, TIME_OF_DAY) || next == "вчера"))
            || (matches!(
                x,
                "уже"
                    | "который"
                    | "второй"
                    | "третий"
                    | "четвертый"
                    | "целую"
                    | "целый"
            ) && starts_any(next, &["день", "дня", "дней", "недел", "сутк"]))
    };
    let at_shop = !price
        && w.any_at(|i| {
            starts_any(w.at(i), CAR_WORDS)
                && (i.saturating_sub(3)..=i + 3).any(|v| w.at(v) == "у" && w.at(v + 1) == "вас")
                && (i.saturating_sub(4)..=i + 7)
                    .any(|j| (starts_any(w.at(j), STANDS) && w.at(j + 1) != "ли") || since(j))
        });
    // «Сколько ещё ждать?», «ещё долго ждать машину?».
    let wait_more = question
        && w.any_at(|i| {
            w.at(i) == "еще"
                && w.within(i.saturating_sub(2), i + 2, |p| {
                    matches!(p, "ждать" | "ждем" | "жду" | "ожидать")
                })
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
    let soft = parts_came || will_finish || handed_over || found || at_shop || wait_more;
    (strong, soft)
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

/// A question about cause, danger or duration; whether fluids mix (`мешать можно?`); which is
/// better (`какое масло лучше?`).
fn asks_consultation(w: &Words) -> bool {
    w.any_at(|i| {
        let x = w.at(i);
        starts_any(x, MIXING)
            || matches!(x, "мешать" | "мешают" | "мешаются")
            || (x == "лучше"
                && w.near(i, 3, |p| {
                    matches!(p, "какое" | "какой" | "какую" | "какие" | "что" | "чем")
                }))
            || (is_how_much(x)
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

    /// A visit asked for indirectly: the shop's work in the future or an imperative with a day or
    /// an hour next to it, a slot wished for (`мне бы окошко`), getting in (`попасть к вам`). A
    /// request for a slot outweighs a price question in the same message. Without a time, «посмотрите,
    /// что это?» asks what it is, and a habitual `по утрам` or `уже неделю` is no time for a visit.
    #[test]
    fn booking_asked_indirectly() {
        for t in [
            "стучит спереди справа на кочках. глянете в субботу с утра?",
            "в четверг после обеда посмотрите?",
            "Подвеска гремит, посмотрите?",
            "а завтра вечером глянете ходовую?",
            "Можете завтра посмотреть подвеску?",
            "мне бы окошко на завтра. И сколько по деньгам выйдет замена колодок?",
            "Мне бы на диагностику в пятницу",
            "На субботу окошко найдется?",
            "окошко на завтра есть? и почем развал?",
            "Нужно место на вторник под замену масла",
            "в пятницу реально попасть на шиномонтаж?",
            "давайте в субботу в 10, нужно ТО",
            "сделаете замену масла в понедельник?",
            "glyanete v subbotu utrom?",
            "глянете?",
            "сможете посмотреть?",
            "а можно на след неделе глянуть подвеску?",
        ] {
            assert_eq!(intent_of(t), Intent::Booking, "{t}");
        }
        for t in [
            "Стучит спереди, посмотрите, что это может быть?",
            "по утрам стучит спереди, посмотрите, что это может быть?",
            "уже неделю горит чек, гляньте, что это может быть?",
            "Влетел в яму, что это может быть? Руль стоит криво",
            // A day with a verb in the past dates a story.
            "сегодня утром загорелся чек, посмотрите, что это может быть?",
            "окно в субботу опустил, а теперь не поднимается",
            "на выходных поменял колодки, скрипят, это нормально?",
        ] {
            assert_eq!(intent_of(t), Intent::Consultation, "{t}");
        }
        assert_eq!(intent_of("Когда сделаете мою машину?"), Intent::VisitStatus);
    }

    /// Which fluid to pour, whether two mix, which is better: a consultation, also when the shops
    /// «продают» something and without a question mark.
    #[test]
    fn fluids_are_a_consultation() {
        for t in [
            "антифриз у меня зеленый залит, а везде продают розовый. мешать можно или менять?",
            "можно ли смешивать антифриз разных цветов?",
            "Тосол с антифризом мешать можно",
            "какое масло лучше залить в двигатель, 5w30 или 5w40?",
            "Чем отличается красный антифриз от зеленого?",
            "тормозную жидкость DOT4 и DOT5 можно смешать?",
            "масло другого производителя долить можно, не страшно?",
            "в магазинах продают только красный антифриз, а у меня зеленый. что делать?",
            "антифриз разбавить водой можно зимой?",
        ] {
            assert_eq!(intent_of(t), Intent::Consultation, "{t}");
        }
        assert_eq!(intent_of("Продаю антифриз, недорого"), Intent::Other);
        assert_eq!(
            intent_of("Запишите на замену антифриза, мешать не хочу"),
            Intent::Booking
        );
    }

    /// «Не смогу» about a day, then another time offered, moves the visit; «не смогу» alone
    /// cancels it; a wish to book someone else, or «не могу» about a car that will not start,
    /// moves nothing.
    #[test]
    fn cannot_come_then_another_time() {
        for t in [
            "ребенок заболел, в среду на ТО приехать никак не смогу( давайте на след неделю какой нибудь день",
            "Завтра не получится приехать, давайте в пятницу?",
            "в четверг к 9 не успеваю, можно к 11?",
            "Не смогу в понедельник, можно в среду?",
            "на работе завал, сегодня не приеду, давайте завтра",
            "заболел, в субботу никак не смогу, могу в понедельник утром",
            "На 10 утра не успеваю, а на 12 можно?",
            "в пятницу не получится, лучше на следующей неделе",
            "Не успеваю к 10, можно попозже?",
            "Завтра никак, работа. Можно на послезавтра?",
            "прошу прощения, в четверг не получается, а в пятницу есть время?",
        ] {
            assert_eq!(intent_of(t), Intent::Reschedule, "{t}");
        }
        for t in [
            "Завтра не смогу приехать",
            "в среду никак не получится приехать, извините",
        ] {
            assert_eq!(intent_of(t), Intent::Cancel, "{t}");
        }
        for t in [
            "Сам не смогу приехать, можно записать жену на субботу?",
            "Не смогу приехать раньше субботы, можно записаться на субботу?",
            "в будни не могу, можно в субботу приехать?",
        ] {
            assert_eq!(intent_of(t), Intent::Booking, "{t}");
        }
        // Collecting the car is no visit to move.
        for t in [
            "не успеваю забрать сегодня, можно завтра заберу?",
            "не получится сегодня забрать машину",
        ] {
            assert!(
                !matches!(intent_of(t), Intent::Reschedule | Intent::Cancel),
                "{t}"
            );
        }
        for t in [
            "не могу приехать, машина не заводится, что делать?",
            "завтра не смогу выехать, машина не заводится, что делать?",
        ] {
            assert_eq!(intent_of(t), Intent::Consultation, "{t}");
        }
    }

    /// Struck off, taken off the list, not to be waited for, a slot freed, no longer current:
    /// the visit is cancelled. The same verbs about a receipt, an order or a mailing are not.
    #[test]
    fn cancel_struck_off() {
        for t in [
            "у знакомого в гараже уже поменяли колодки, так что на среду меня вычеркивайте",
            "Вычеркните меня на пятницу",
            "вычеркните пожалуйста, планы поменялись",
            "уберите меня из записи на субботу",
            "Уберите меня на среду",
            "на завтра нас не ждите, машину продали",
            "Меня завтра не ждите",
            "отбой по записи на четверг",
            "на субботу уже не актуально, разобрался сам",
            "Освобождаю свое окно на пятницу",
            "ne zhdite menya zavtra",
        ] {
            assert_eq!(intent_of(t), Intent::Cancel, "{t}");
        }
        for t in [
            "вычеркните ошибку из чека",
            "Вычеркните из заказа замену фильтра, остальное делайте",
            "уберите меня из рассылки",
            "Снимите колесо и посмотрите тормоза, запишите на завтра",
            "не ждите, пока сломается, меняйте ремень вовремя?",
            "отбойник стучит спереди",
        ] {
            assert_ne!(intent_of(t), Intent::Cancel, "{t}");
        }
    }

    /// The car in the shop asked after: what the shop found, parts for the customer's order, the
    /// car standing there since a day, how much longer to wait. The same words in a story about
    /// another shop, the customer's own garage or a price are not about a visit.
    #[test]
    fn visit_status_asked_after() {
        for t in [
            "что там по моей приоре, нашли причину стука?",
            "chto tam po moey priore, nashli prichinu?",
            "запчасти по моему заказ-наряду приехали? машина у вас с понедельника на рейке стоит",
            "машина у вас стоит уже неделю, когда будет готова",
            "Нашли уже, что стучит?",
            "вы уже посмотрели мою машину?",
            "Что по моей машине?",
            "Детали на мою шкоду заказали?",
            "Моя машина у вас третий день стоит, что по срокам?",
            "Сколько ещё ждать машину?",
            "как там мой заказ?",
            "ну что, выяснили, почему троит?",
            "мастер нашел причину?",
            "как там дела с моей машиной?",
            "сколько ещё ждать, пока запчасти придут?",
            "когда приедут запчасти на мою машину?",
        ] {
            assert_eq!(intent_of(t), Intent::VisitStatus, "{t}");
        }
        for (t, want) in [
            (
                "В другом сервисе не нашли причину стука, что это может быть?",
                Intent::Consultation,
            ),
            (
                "Мне уже проверили аккумулятор, он целый, почему не заводится?",
                Intent::Consultation,
            ),
            (
                "У меня машина стоит неделю, не заводится, что делать?",
                Intent::Consultation,
            ),
            ("Сколько у вас стоит покраска машины?", Intent::Price),
        ] {
            assert_eq!(intent_of(t), want, "{t}");
        }
        for t in [
            "Сколько ждать запись на шиномонтаж?",
            "Можно машину у вас оставить на ночь?",
            "запчасти привезли свои, можно поставить у вас?",
            "в прошлый раз мастер нашел причину, а стук вернулся, почему?",
        ] {
            assert!(!intent_of(t).is_about_a_visit(), "{t}");
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
