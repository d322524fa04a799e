//! The closed vocabulary shared by messages, symptom rules and the catalogue: concepts (parts,
//! symptoms, actions) and the service categories they belong to.

use super::text::normalize;

/// Declares [`Concept`] with the list of all its values, so that the lexicon data file can name
/// them without a second hand-kept table.
macro_rules! concepts {
    ($($(#[$attr:meta])* $name:ident,)*) => {
        /// Concepts recognised in text. Parts/systems are what a service works on,
        /// symptoms describe what the customer notices, actions what they want done.
        /// Declaration order matters a little: the planner adds up concept weights in it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub(super) enum Concept {
            $($(#[$attr])* $name,)*
        }

        impl Concept {
            /// Every concept, in declaration order.
            pub(super) const ALL: &[Concept] = &[$(Concept::$name,)*];

            /// The concept's name in the lexicon data file: the variant's own name.
            pub(super) fn name(self) -> &'static str {
                match self {
                    $(Concept::$name => stringify!($name),)*
                }
            }
        }
    };
}

concepts! {
    // Parts and systems.
    Aircon,
    Heater,
    Coolant,
    Thermostat,
    Fan,
    Battery,
    Starter,
    Alternator,
    Light,
    Fuse,
    Electrics,
    CheckEngine,
    Computer,
    Diag,
    Suspension,
    StabLink,
    Shock,
    BallJoint,
    HubBearing,
    SteeringWheel,
    SteeringRack,
    PowerSteering,
    Brake,
    Pads,
    Disc,
    BrakeFluid,
    Pedal,
    Fluid,
    Oil,
    Filter,
    Maintenance,
    Tires,
    Wheels,
    Balance,
    Alignment,
    Spark,
    Ignition,
    Engine,
    Belt,
    Timing,
    Transmission,
    Shift,
    Clutch,
    Exhaust,
    Lamp,
    Fuel,
    Season,
    /// Glass and body parts the demo catalogue lacks; still "about the car".
    Body,
    // Symptoms and circumstances.
    Knock,
    Squeak,
    Hum,
    Vibration,
    Heavy,
    Turn,
    Pull,
    Bumps,
    Sway,
    Warp,
    Soft,
    WeakBraking,
    NoStart,
    HardStart,
    Click,
    Drain,
    NotWork,
    BulbOut,
    Glow,
    Warm,
    Cold,
    Overheat,
    Temp,
    Red,
    Rise,
    Leak,
    Leave,
    Consume,
    Green,
    Pressure,
    Misfire,
    Idle,
    Stall,
    Jerk,
    Slip,
    Loud,
    Burnt,
    Puncture,
    Wear,
    Speed,
    ErrorCode,
    Smoke,
    Smell,
    NoPower,
    // Actions.
    Replace,
    Refill,
    Repair,
}

pub(super) const N_CONCEPTS: usize = Concept::ALL.len();
// A concept set is a `u128` bitset.
const _: () = assert!(N_CONCEPTS <= 128);

impl Concept {
    /// The concept of that name in the lexicon data file.
    pub(super) fn from_name(name: &str) -> Option<Concept> {
        Concept::ALL.iter().copied().find(|c| c.name() == name)
    }
}

/// Small bitset of concepts (fits in a `u128`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct ConceptSet(pub(super) u128);

impl ConceptSet {
    pub(super) fn insert(&mut self, c: Concept) {
        self.0 |= 1u128 << (c as u8);
    }
    pub(super) fn has(&self, c: Concept) -> bool {
        self.0 & (1u128 << (c as u8)) != 0
    }
    pub(super) fn any(&self, cs: &[Concept]) -> bool {
        cs.iter().any(|&c| self.has(c))
    }
}

/// How much a concept shared by message and catalogue entry says about the
/// entry being the right service. A part or service name is decisive, a body
/// system is a hint, a symptom word in the keywords a weak hint, and an action
/// (`замена`) almost nothing since most services are replacements.
pub(super) fn direct_weight(c: Concept) -> f32 {
    use Concept::*;
    match c {
        Aircon | Coolant | Thermostat | Battery | Starter | Alternator | Fuse | CheckEngine
        | Computer | StabLink | Shock | BallJoint | HubBearing | SteeringRack | PowerSteering
        | Pads | BrakeFluid | Oil | Filter | Maintenance | Tires | Balance | Alignment | Spark
        | Ignition | Timing | Transmission | Clutch | Exhaust => 1.0,
        Belt => 0.8,
        Suspension | Brake | Disc | Electrics | Light | Fan | Diag | Body => 0.6,
        Heater => 0.5,
        Wheels | Season => 0.4,
        Engine | SteeringWheel | Pedal | Fluid | Lamp | Shift | Fuel => 0.3,
        Refill => 0.2,
        Replace | Repair => 0.1,
        _ => 0.25,
    }
}

/// Concepts that name a specific part or service (as opposed to a body system,
/// symptom or action). An entry whose name carries one the customer did not ask
/// about is slightly less likely (`масло в АКПП` when they asked for `масло`).
pub(super) fn is_specific_part(c: Concept) -> bool {
    direct_weight(c) >= 1.0
}

/// Concepts that show the message is about the car at all (not just an action).
pub(super) fn is_car_topic(c: Concept) -> bool {
    !matches!(
        c,
        Concept::Replace | Concept::Refill | Concept::Repair | Concept::Season
    )
}

/// Concepts that describe what the customer notices (`стучит`, `тяжелый`, `не заводится`): the
/// block of the declaration from [`Concept::Knock`] to [`Concept::NoPower`].
pub(super) fn is_symptom(c: Concept) -> bool {
    (Concept::Knock as u8..=Concept::NoPower as u8).contains(&(c as u8))
}

/// Service categories known to the rules. Tenants may spell theirs differently;
/// see [`Category::parse`] and [`infer_category`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Category {
    Diagnostics,
    Suspension,
    Brakes,
    Oil,
    Maintenance,
    Tires,
    Alignment,
    Electrical,
    Aircon,
    Engine,
    Cooling,
    Transmission,
    Exhaust,
    Steering,
}

impl Category {
    /// Recognises the demo catalogue's English keys and common Russian names.
    pub(super) fn parse(s: &str) -> Option<Category> {
        let s = normalize(s.trim());
        let table: &[(Category, &[&str])] = &[
            (Category::Diagnostics, &["diagnost", "диагност"]),
            (
                Category::Suspension,
                &["suspension", "chassis", "подвеск", "ходов"],
            ),
            (Category::Brakes, &["brake", "тормоз"]),
            (Category::Oil, &["oil", "масл"]),
            (
                Category::Maintenance,
                &["maintenance", "service", "то", "техобслуж", "обслуживан"],
            ),
            (Category::Tires, &["tire", "tyre", "wheel", "шин", "колес"]),
            (Category::Alignment, &["alignment", "развал", "геометр"]),
            (Category::Electrical, &["electr", "электр"]),
            (
                Category::Aircon,
                &["aircon", "air con", "ac", "climate", "кондиц", "климат"],
            ),
            (Category::Engine, &["engine", "motor", "двигат", "мотор"]),
            (Category::Cooling, &["cooling", "охлажд"]),
            (
                Category::Transmission,
                &[
                    "transmission",
                    "gearbox",
                    "clutch",
                    "трансмис",
                    "кпп",
                    "коробк",
                    "сцеплен",
                ],
            ),
            (Category::Exhaust, &["exhaust", "выхлоп", "глушит"]),
            (Category::Steering, &["steering", "рулев"]),
        ];
        table.iter().find_map(|(cat, keys)| {
            keys.iter()
                .any(|k| {
                    if k.chars().count() <= 2 {
                        s == *k
                    } else {
                        s.starts_with(k)
                    }
                })
                .then_some(*cat)
        })
    }
}

/// The category a part concept belongs to, for catalogues with unknown
/// category strings.
pub(super) fn concept_category(c: Concept) -> Option<Category> {
    use Concept::*;
    Some(match c {
        Aircon => Category::Aircon,
        Heater | Coolant | Thermostat | Fan => Category::Cooling,
        Battery | Starter | Alternator | Light | Fuse | Electrics => Category::Electrical,
        CheckEngine | Computer | ErrorCode => Category::Diagnostics,
        Suspension | StabLink | Shock | BallJoint | HubBearing => Category::Suspension,
        SteeringRack | PowerSteering => Category::Steering,
        Brake | Pads | Disc | BrakeFluid => Category::Brakes,
        Oil | Filter => Category::Oil,
        Maintenance => Category::Maintenance,
        Tires | Balance | Wheels => Category::Tires,
        Alignment => Category::Alignment,
        Spark | Ignition | Engine | Belt | Timing => Category::Engine,
        Transmission | Shift | Clutch => Category::Transmission,
        Exhaust => Category::Exhaust,
        _ => return None,
    })
}

/// Category of a service from the concepts of its name, in order of
/// appearance; a bare "диагностика" is the diagnostics category.
pub(super) fn infer_category(name_concepts: &[(usize, Concept)]) -> Option<Category> {
    name_concepts
        .iter()
        .find_map(|&(_, c)| concept_category(c))
        .or_else(|| {
            name_concepts
                .iter()
                .any(|&(_, c)| c == Concept::Diag)
                .then_some(Category::Diagnostics)
        })
}
