//! The symptom rules: which combinations of concepts point at which likely causes. A table,
//! kept in Rust rather than in a data file because each rule names concepts, categories and
//! weights that the compiler checks.
//!
//! A rule fires when every group in `when` has at least one concept of the message and none of
//! `unless` is present; each `boost` concept present adds 10 % confidence (see
//! [`super::diagnosis::diagnose`]). Several rules may name the same cause; the most confident
//! firing one is kept.

use super::concepts::{Category as Cat, Concept as C};
use super::diagnosis::{cause, Cause, Rule};

// Shared cause lists.
#[rustfmt::skip]
const SUSPENSION_PARTS: &[(C, f32)] = &[
    (C::Suspension, 0.9),
    (C::StabLink, 0.7),
    (C::BallJoint, 0.7),
];
#[rustfmt::skip]
const BRAKE_DISCS: Cause = cause(
    "Деформация тормозных дисков",
    0.7, &[Cat::Brakes], &[(C::Disc, 1.0), (C::Brake, 0.3)],
);
#[rustfmt::skip]
const PADS_WORN: Cause = cause("Износ тормозных колодок", 0.75, &[Cat::Brakes], &[(C::Pads, 1.0)]);
#[rustfmt::skip]
const WHEEL_IMBALANCE: Cause = cause(
    "Дисбаланс колёс",
    0.65, &[Cat::Tires], &[(C::Balance, 1.0), (C::Tires, 0.4)],
);
#[rustfmt::skip]
const BATTERY_FLAT: Cause = cause(
    "Разряжен или изношен аккумулятор",
    0.6, &[Cat::Electrical], &[(C::Battery, 1.0)],
);
#[rustfmt::skip]
const LOW_COOLANT: Cause = cause(
    "Низкий уровень антифриза или утечка охлаждающей жидкости",
    0.6, &[Cat::Cooling], &[(C::Coolant, 1.0), (C::Thermostat, 0.8)],
);
#[rustfmt::skip]
const COOLANT_LEAK: Cause = cause(
    "Утечка антифриза (патрубки, радиатор, помпа)",
    0.7, &[Cat::Cooling], &[(C::Coolant, 1.0)],
);
#[rustfmt::skip]
const ECU_FAULT: Cause = cause(
    "Ошибка системы управления двигателем — нужно считать коды",
    0.7, &[Cat::Diagnostics], &[(C::Computer, 1.0), (C::CheckEngine, 0.9), (C::ErrorCode, 0.8)],
);
#[rustfmt::skip]
const MISFIRE_PLUGS: Cause = cause(
    "Пропуски зажигания: износ свечей",
    0.65, &[Cat::Engine], &[(C::Spark, 1.0)],
);
#[rustfmt::skip]
const MISFIRE_COILS: Cause = cause(
    "Неисправность катушки или проводов зажигания",
    0.45, &[Cat::Engine, Cat::Diagnostics],
    &[(C::Ignition, 1.0), (C::Spark, 0.6), (C::Computer, 0.7)],
);
#[rustfmt::skip]
const EXHAUST_BURNT: Cause = cause(
    "Прогар глушителя, гофры или прокладки выпускного тракта",
    0.7, &[Cat::Exhaust], &[(C::Exhaust, 1.0)],
);
#[rustfmt::skip]
const ATF_WORN: Cause = cause(
    "Износ масла в АКПП или неисправность гидроблока",
    0.65, &[Cat::Transmission], &[(C::Transmission, 1.0)],
);

#[rustfmt::skip]
pub(super) const RULES: &[Rule] = &[
    // --- suspension ---
    Rule {
        when: &[&[C::Knock], &[C::Bumps, C::Suspension, C::StabLink, C::BallJoint, C::Shock]],
        unless: &[],
        boost: &[C::Bumps],
        causes: &[
            cause(
                "Износ стоек стабилизатора",
                0.6, &[Cat::Suspension], &[(C::StabLink, 1.0), (C::Suspension, 0.6)],
            ),
            cause(
                "Износ шаровой опоры или сайлентблоков",
                0.45, &[Cat::Suspension], &[(C::BallJoint, 1.0), (C::Suspension, 0.6)],
            ),
            cause(
                "Износ амортизаторов или опорных подшипников",
                0.35, &[Cat::Suspension], &[(C::Shock, 1.0), (C::Suspension, 0.5)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Knock]],
        // A bare knock defaults to the suspension unless something places it elsewhere.
        unless: &[
            C::Bumps, C::Suspension, C::StabLink, C::BallJoint, C::Shock, C::SteeringWheel,
            C::SteeringRack, C::Turn, C::Engine, C::Transmission, C::Exhaust, C::Brake,
        ],
        boost: &[],
        causes: &[
            cause(
                "Износ элементов подвески (стойки стабилизатора, шаровые опоры)",
                0.45, &[Cat::Suspension], SUSPENSION_PARTS,
            ),
        ],
    },
    Rule {
        when: &[&[C::Knock], &[C::SteeringWheel, C::SteeringRack, C::Turn]],
        unless: &[C::Engine],
        boost: &[C::Turn],
        causes: &[
            cause(
                "Износ рулевой рейки или рулевых тяг",
                0.55, &[Cat::Steering, Cat::Suspension],
                &[(C::SteeringRack, 1.0), (C::PowerSteering, 0.5)],
            ),
            cause(
                "Износ ШРУСа или шаровой опоры",
                0.35, &[Cat::Suspension], &[(C::BallJoint, 0.9), (C::Suspension, 0.6)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Heavy], &[C::SteeringWheel, C::SteeringRack, C::PowerSteering]],
        unless: &[],
        boost: &[],
        causes: &[
            cause(
                "Неисправность усилителя руля (ГУР/ЭУР)",
                0.6, &[Cat::Steering], &[(C::PowerSteering, 1.0), (C::SteeringRack, 0.8)],
            ),
            cause(
                "Износ или закисание рулевой рейки",
                0.45, &[Cat::Steering], &[(C::SteeringRack, 1.0)],
            ),
        ],
    },
    Rule {
        // A whine that follows the steering wheel is the power-steering pump.
        when: &[&[C::Hum, C::Squeak], &[C::PowerSteering, C::SteeringWheel]],
        unless: &[C::Speed, C::Brake],
        boost: &[C::Turn, C::PowerSteering],
        causes: &[
            cause(
                "Низкий уровень жидкости ГУР или износ насоса",
                0.6, &[Cat::Steering], &[(C::PowerSteering, 1.0), (C::SteeringRack, 0.8)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Sway]],
        unless: &[],
        boost: &[C::Shock],
        causes: &[cause("Износ амортизаторов", 0.65, &[Cat::Suspension], &[(C::Shock, 1.0)])],
    },
    Rule {
        when: &[&[C::Shock], &[C::Leak, C::Knock]],
        unless: &[],
        boost: &[],
        causes: &[cause("Износ амортизаторов", 0.65, &[Cat::Suspension], &[(C::Shock, 1.0)])],
    },
    Rule {
        when: &[&[C::Squeak], &[C::Bumps, C::Suspension]],
        unless: &[C::Brake, C::Pads],
        boost: &[],
        causes: &[
            cause(
                "Износ сайлентблоков или шаровых опор",
                0.5, &[Cat::Suspension], &[(C::Suspension, 0.9), (C::BallJoint, 0.8)],
            ),
        ],
    },
    // --- brakes ---
    Rule {
        when: &[&[C::Squeak], &[C::Brake, C::Pads]],
        unless: &[],
        boost: &[],
        causes: &[
            PADS_WORN,
            cause("Износ или коррозия тормозных дисков", 0.35, &[Cat::Brakes], &[(C::Disc, 1.0)]),
        ],
    },
    Rule {
        when: &[&[C::WeakBraking]],
        unless: &[],
        boost: &[],
        causes: &[
            cause("Износ тормозных колодок", 0.55, &[Cat::Brakes], &[(C::Pads, 1.0)]),
            cause(
                "Воздух в тормозной системе или старая тормозная жидкость",
                0.4, &[Cat::Brakes], &[(C::BrakeFluid, 1.0)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Vibration, C::Warp], &[C::Brake]],
        unless: &[],
        boost: &[C::Disc, C::Warp],
        causes: &[
            BRAKE_DISCS,
            cause("Неравномерный износ тормозных колодок", 0.3, &[Cat::Brakes], &[(C::Pads, 1.0)]),
        ],
    },
    Rule {
        when: &[&[C::Disc], &[C::Warp]],
        unless: &[],
        boost: &[],
        causes: &[BRAKE_DISCS],
    },
    Rule {
        when: &[&[C::Pedal], &[C::Soft]],
        unless: &[C::Clutch],
        boost: &[C::Brake],
        causes: &[
            cause(
                "Воздух в тормозной системе или старая тормозная жидкость",
                0.7, &[Cat::Brakes], &[(C::BrakeFluid, 1.0)],
            ),
            cause(
                "Утечка тормозной жидкости или неисправность главного тормозного цилиндра",
                0.4, &[Cat::Brakes], &[(C::BrakeFluid, 0.8), (C::Brake, 0.4)],
            ),
        ],
    },
    // --- wheels, tyres, alignment ---
    Rule {
        when: &[&[C::Vibration], &[C::Speed, C::Wheels, C::Tires]],
        unless: &[C::Brake],
        boost: &[C::SteeringWheel, C::Speed],
        causes: &[
            WHEEL_IMBALANCE,
            cause(
                "Деформация колёсного диска или грыжа на шине",
                0.4, &[Cat::Tires], &[(C::Tires, 0.9), (C::Balance, 0.6)],
            ),
            cause(
                "Износ элементов подвески или рулевых тяг",
                0.3, &[Cat::Suspension, Cat::Steering], SUSPENSION_PARTS,
            ),
        ],
    },
    Rule {
        when: &[&[C::Hum], &[C::Speed, C::Wheels]],
        unless: &[C::PowerSteering, C::Transmission, C::Engine, C::Exhaust],
        boost: &[],
        causes: &[
            cause(
                "Износ ступичного подшипника",
                0.55, &[Cat::Suspension], &[(C::HubBearing, 1.0), (C::Suspension, 0.7)],
            ),
            cause(
                "Неравномерный износ шин",
                0.35, &[Cat::Tires, Cat::Alignment], &[(C::Tires, 0.8), (C::Alignment, 0.5)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Pull]],
        unless: &[],
        boost: &[C::SteeringWheel],
        causes: &[
            cause(
                "Нарушены углы установки колёс (развал-схождение)",
                0.7, &[Cat::Alignment], &[(C::Alignment, 1.0)],
            ),
            cause(
                "Разное давление в шинах или неравномерный износ",
                0.35, &[Cat::Tires], &[(C::Tires, 0.7)],
            ),
            cause(
                "Износ или повреждение элементов подвески",
                0.3, &[Cat::Suspension], SUSPENSION_PARTS,
            ),
        ],
    },
    Rule {
        when: &[&[C::Pull], &[C::Bumps]],
        unless: &[],
        boost: &[],
        causes: &[
            cause(
                "Повреждение подвески или колеса после удара",
                0.5, &[Cat::Suspension, Cat::Alignment],
                &[(C::Suspension, 0.9), (C::Alignment, 0.6)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Tires], &[C::Wear, C::Consume]],
        unless: &[],
        boost: &[],
        causes: &[
            cause(
                "Нарушены углы установки колёс (развал-схождение)",
                0.6, &[Cat::Alignment], &[(C::Alignment, 1.0)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Puncture]],
        unless: &[],
        boost: &[C::Tires, C::Wheels],
        causes: &[cause("Прокол или повреждение шины", 0.7, &[Cat::Tires], &[(C::Tires, 1.0)])],
    },
    // --- electrical ---
    Rule {
        when: &[&[C::NoStart, C::HardStart], &[C::Click]],
        unless: &[],
        boost: &[C::Battery],
        causes: &[
            cause("Разряжен аккумулятор", 0.75, &[Cat::Electrical], &[(C::Battery, 1.0)]),
            cause(
                "Неисправность втягивающего реле или стартера",
                0.45, &[Cat::Electrical], &[(C::Starter, 1.0), (C::Electrics, 0.6)],
            ),
        ],
    },
    Rule {
        when: &[&[C::NoStart]],
        unless: &[C::Click],
        boost: &[C::Battery],
        causes: &[
            BATTERY_FLAT,
            cause(
                "Неисправность стартера",
                0.35, &[Cat::Electrical], &[(C::Starter, 1.0), (C::Electrics, 0.5)],
            ),
            cause(
                "Проблемы с подачей топлива или зажиганием",
                0.3, &[Cat::Engine, Cat::Diagnostics], &[(C::Spark, 0.7), (C::Computer, 0.7)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Drain], &[C::Battery, C::NoStart]],
        unless: &[],
        boost: &[],
        causes: &[
            cause(
                "Утечка тока или износ аккумулятора",
                0.65, &[Cat::Electrical], &[(C::Battery, 1.0), (C::Electrics, 0.7)],
            ),
            cause(
                "Генератор не заряжает аккумулятор",
                0.45, &[Cat::Electrical], &[(C::Alternator, 1.0), (C::Electrics, 0.8)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Battery]],
        unless: &[C::Drain, C::NoStart, C::Click],
        boost: &[],
        causes: &[cause("Износ аккумулятора", 0.45, &[Cat::Electrical], &[(C::Battery, 1.0)])],
    },
    Rule {
        when: &[&[C::HardStart]],
        unless: &[C::Click],
        boost: &[],
        causes: &[
            cause("Износ свечей зажигания", 0.5, &[Cat::Engine], &[(C::Spark, 1.0)]),
            cause("Слабый аккумулятор", 0.4, &[Cat::Electrical], &[(C::Battery, 1.0)]),
        ],
    },
    Rule {
        when: &[&[C::Light], &[C::NotWork, C::BulbOut]],
        unless: &[],
        boost: &[C::BulbOut],
        causes: &[
            cause(
                "Перегорела лампа",
                0.6, &[Cat::Electrical], &[(C::Light, 1.0), (C::Electrics, 1.0)],
            ),
            cause(
                "Перегорел предохранитель или окислился разъём",
                0.45, &[Cat::Electrical], &[(C::Fuse, 1.0), (C::Electrics, 0.9)],
            ),
        ],
    },
    Rule {
        when: &[&[C::BulbOut]],
        unless: &[C::Light],
        boost: &[],
        causes: &[
            cause(
                "Перегорела лампа указателя поворота",
                0.6, &[Cat::Electrical], &[(C::Light, 1.0), (C::Electrics, 1.0)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Fuse, C::Electrics, C::Alternator]],
        unless: &[C::Light, C::Fan],
        boost: &[C::NotWork],
        causes: &[
            cause(
                "Неисправность электропроводки или генератора",
                0.45, &[Cat::Electrical],
                &[(C::Electrics, 1.0), (C::Alternator, 0.8), (C::Fuse, 0.8)],
            ),
        ],
    },
    // --- climate and cooling ---
    Rule {
        when: &[&[C::Aircon], &[C::Warm, C::NotWork]],
        unless: &[],
        boost: &[],
        causes: &[
            cause(
                "Недостаточно хладагента (утечка фреона)",
                0.7, &[Cat::Aircon], &[(C::Aircon, 1.0)],
            ),
            cause(
                "Неисправность компрессора или муфты кондиционера",
                0.35, &[Cat::Aircon], &[(C::Aircon, 1.0)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Heater], &[C::Cold, C::NotWork]],
        unless: &[],
        boost: &[],
        causes: &[
            cause(
                "Неисправность термостата или низкий уровень антифриза",
                0.6, &[Cat::Cooling], &[(C::Thermostat, 1.0), (C::Coolant, 1.0)],
            ),
            cause(
                "Завоздушивание системы охлаждения или засор радиатора печки",
                0.4, &[Cat::Cooling], &[(C::Coolant, 0.9)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Overheat]],
        unless: &[],
        boost: &[C::Temp, C::Engine],
        causes: &[
            LOW_COOLANT,
            cause(
                "Неисправность термостата или вентилятора охлаждения",
                0.45, &[Cat::Cooling, Cat::Electrical],
                &[(C::Coolant, 0.9), (C::Thermostat, 1.0), (C::Fan, 1.0)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Temp], &[C::Red, C::Rise, C::Leave]],
        unless: &[C::Overheat],
        boost: &[C::Red],
        causes: &[
            LOW_COOLANT,
            cause(
                "Неисправность термостата или вентилятора охлаждения",
                0.45, &[Cat::Cooling, Cat::Electrical],
                &[(C::Coolant, 0.9), (C::Thermostat, 1.0), (C::Fan, 1.0)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Fan], &[C::NotWork]],
        unless: &[],
        boost: &[],
        causes: &[
            cause(
                "Неисправность вентилятора охлаждения или его реле",
                0.6, &[Cat::Cooling, Cat::Electrical],
                &[(C::Fan, 1.0), (C::Electrics, 0.9), (C::Coolant, 0.5)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Leak], &[C::Green]],
        unless: &[],
        boost: &[],
        causes: &[COOLANT_LEAK],
    },
    Rule {
        when: &[&[C::Coolant], &[C::Leak, C::Leave]],
        unless: &[],
        boost: &[],
        causes: &[COOLANT_LEAK],
    },
    Rule {
        when: &[&[C::Leak]],
        unless: &[C::Green, C::Coolant, C::Oil, C::Brake, C::Shock, C::Aircon, C::PowerSteering],
        boost: &[C::Fluid],
        causes: &[
            cause(
                "Утечка технической жидкости (антифриз, масло или тормозная жидкость)",
                0.4, &[Cat::Cooling, Cat::Oil, Cat::Brakes],
                &[(C::Coolant, 0.7), (C::Oil, 0.6), (C::BrakeFluid, 0.5)],
            ),
        ],
    },
    // --- diagnostics and engine ---
    Rule {
        when: &[&[C::CheckEngine, C::ErrorCode]],
        unless: &[C::Oil],
        boost: &[C::Glow],
        causes: &[
            ECU_FAULT,
            cause(
                "Неисправность датчика (лямбда-зонд, ДМРВ) или зажигания",
                0.4, &[Cat::Diagnostics, Cat::Engine], &[(C::Computer, 0.8), (C::Spark, 0.5)],
            ),
        ],
    },
    Rule {
        when: &[&[C::CheckEngine], &[C::Refill, C::Fuel]],
        unless: &[],
        boost: &[],
        causes: &[
            cause(
                "Некачественное топливо или неплотно закрыта крышка бака",
                0.5, &[Cat::Diagnostics], &[(C::Computer, 1.0)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Lamp], &[C::Glow]],
        unless: &[C::Oil, C::CheckEngine, C::Battery, C::Light],
        boost: &[],
        causes: &[
            cause(
                "Сработал индикатор неисправности — нужна компьютерная диагностика",
                0.5, &[Cat::Diagnostics], &[(C::Computer, 1.0)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Oil], &[C::Pressure, C::Lamp, C::Glow]],
        unless: &[],
        boost: &[C::Pressure, C::Lamp],
        causes: &[
            cause(
                "Низкий уровень или давление масла",
                0.7, &[Cat::Oil, Cat::Engine], &[(C::Oil, 1.0)],
            ),
            cause(
                "Неисправность датчика давления масла",
                0.4, &[Cat::Diagnostics, Cat::Electrical],
                &[(C::Computer, 0.8), (C::Electrics, 0.6)],
            ),
            cause("Износ масляного насоса", 0.3, &[Cat::Engine], &[(C::Engine, 0.8)]),
        ],
    },
    Rule {
        when: &[&[C::Oil], &[C::Consume, C::Leave]],
        unless: &[],
        boost: &[],
        causes: &[
            cause(
                "Износ маслосъёмных колпачков или поршневых колец",
                0.6, &[Cat::Engine], &[(C::Engine, 1.0), (C::Diag, 0.5)],
            ),
            cause(
                "Утечка масла через сальники или прокладки",
                0.45, &[Cat::Engine, Cat::Oil], &[(C::Oil, 1.0)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Oil], &[C::Leak]],
        unless: &[C::Transmission],
        boost: &[],
        causes: &[
            cause(
                "Утечка масла через сальники или прокладки",
                0.6, &[Cat::Engine, Cat::Oil], &[(C::Oil, 0.8), (C::Engine, 0.6)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Misfire]],
        unless: &[],
        boost: &[C::Idle, C::Engine, C::Vibration],
        causes: &[MISFIRE_PLUGS, MISFIRE_COILS],
    },
    Rule {
        when: &[&[C::Vibration], &[C::Idle]],
        unless: &[C::Misfire],
        boost: &[C::Engine],
        causes: &[MISFIRE_PLUGS, MISFIRE_COILS],
    },
    Rule {
        when: &[&[C::Vibration], &[C::Idle, C::Engine]],
        unless: &[C::Speed, C::Brake],
        boost: &[],
        causes: &[cause("Износ опор двигателя", 0.3, &[Cat::Engine], &[(C::Engine, 0.6)])],
    },
    Rule {
        when: &[&[C::Stall]],
        unless: &[],
        boost: &[C::Idle],
        causes: &[
            cause(
                "Загрязнение дроссельной заслонки или неисправность датчиков",
                0.5, &[Cat::Diagnostics, Cat::Engine], &[(C::Computer, 1.0), (C::Spark, 0.5)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Jerk], &[C::Speed, C::Engine]],
        unless: &[C::Transmission, C::Shift, C::Clutch],
        boost: &[],
        causes: &[
            MISFIRE_PLUGS,
            cause(
                "Проблемы с подачей топлива или датчиками",
                0.4, &[Cat::Diagnostics, Cat::Engine], &[(C::Computer, 1.0)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Belt], &[C::Squeak]],
        unless: &[],
        boost: &[],
        causes: &[
            cause(
                "Износ или ослабление натяжения приводного ремня",
                0.6, &[Cat::Engine], &[(C::Belt, 1.0)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Knock], &[C::Engine]],
        unless: &[],
        boost: &[],
        causes: &[
            cause(
                "Стук в двигателе (гидрокомпенсаторы, цепь ГРМ)",
                0.45, &[Cat::Engine, Cat::Diagnostics], &[(C::Timing, 0.8), (C::Computer, 0.5)],
            ),
        ],
    },
    Rule {
        when: &[&[C::NoPower]],
        unless: &[C::Clutch, C::Transmission],
        boost: &[C::CheckEngine],
        causes: &[
            cause(
                "Потеря мощности: неисправность датчиков или зажигания",
                0.55, &[Cat::Diagnostics, Cat::Engine], &[(C::Computer, 1.0), (C::Spark, 0.7)],
            ),
            cause(
                "Засорение топливного или воздушного фильтра",
                0.35, &[Cat::Maintenance, Cat::Engine], &[(C::Filter, 1.0), (C::Maintenance, 0.7)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Fuel], &[C::Consume]],
        unless: &[],
        boost: &[],
        causes: &[
            cause(
                "Повышенный расход топлива: датчики или форсунки",
                0.55, &[Cat::Diagnostics, Cat::Engine], &[(C::Computer, 1.0), (C::Spark, 0.6)],
            ),
            cause("Износ свечей зажигания", 0.4, &[Cat::Engine], &[(C::Spark, 1.0)]),
        ],
    },
    Rule {
        when: &[&[C::Fuel], &[C::Smell, C::Leak]],
        unless: &[],
        boost: &[],
        causes: &[
            cause(
                "Утечка топлива (шланги, топливный насос, форсунки)",
                0.6, &[Cat::Engine, Cat::Diagnostics], &[(C::Engine, 0.8), (C::Computer, 0.8)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Smell], &[C::Aircon]],
        unless: &[],
        boost: &[],
        causes: &[
            cause(
                "Загрязнение испарителя кондиционера — нужна антибактериальная обработка",
                0.6, &[Cat::Aircon], &[(C::Aircon, 1.0)],
            ),
        ],
    },
    Rule {
        // The colour of the smoke tells the cause; without one, both engine and ECU.
        when: &[&[C::Smoke]],
        unless: &[],
        boost: &[C::Exhaust],
        causes: &[
            cause(
                "Угар масла: износ колпачков, колец или турбины",
                0.5, &[Cat::Engine], &[(C::Engine, 1.0)],
            ),
            cause(
                "Переобогащение смеси или неисправность датчиков",
                0.4, &[Cat::Diagnostics, Cat::Engine], &[(C::Computer, 1.0)],
            ),
            cause(
                "Попадание антифриза в цилиндры (прокладка ГБЦ)",
                0.3, &[Cat::Cooling, Cat::Engine], &[(C::Coolant, 0.8), (C::Engine, 0.8)],
            ),
        ],
    },
    // --- transmission ---
    Rule {
        when: &[&[C::Jerk], &[C::Transmission, C::Shift]],
        unless: &[C::Clutch],
        boost: &[C::Transmission, C::Shift],
        causes: &[
            ATF_WORN,
            cause(
                "Требуется адаптация или ремонт коробки передач",
                0.35, &[Cat::Transmission], &[(C::Transmission, 1.0)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Clutch], &[C::Slip]],
        unless: &[],
        boost: &[],
        causes: &[cause("Износ диска сцепления", 0.75, &[Cat::Transmission], &[(C::Clutch, 1.0)])],
    },
    Rule {
        when: &[&[C::Clutch]],
        unless: &[C::Slip],
        boost: &[C::Pedal, C::Heavy, C::NotWork],
        causes: &[
            cause(
                "Износ сцепления или его привода",
                0.5, &[Cat::Transmission], &[(C::Clutch, 1.0)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Shift], &[C::NotWork]],
        unless: &[C::Clutch],
        boost: &[],
        causes: &[
            cause(
                "Неисправность сцепления или механизма переключения",
                0.5, &[Cat::Transmission], &[(C::Clutch, 1.0), (C::Transmission, 0.8)],
            ),
        ],
    },
    Rule {
        when: &[&[C::Transmission], &[C::Hum, C::Knock, C::Leak, C::Slip]],
        unless: &[C::Jerk],
        boost: &[],
        causes: &[ATF_WORN],
    },
    // --- exhaust ---
    Rule {
        when: &[&[C::Exhaust], &[C::Loud, C::Burnt, C::Knock, C::Hum]],
        unless: &[],
        boost: &[C::Loud, C::Burnt],
        causes: &[EXHAUST_BURNT],
    },
    Rule {
        when: &[&[C::Loud]],
        unless: &[C::Exhaust, C::Suspension, C::Brake, C::SteeringWheel, C::Knock],
        boost: &[C::Burnt],
        causes: &[
            cause("Прогар глушителя или гофры", 0.45, &[Cat::Exhaust], &[(C::Exhaust, 1.0)]),
        ],
    },
];
