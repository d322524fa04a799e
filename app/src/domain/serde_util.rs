//! Serde helpers for the API's partial updates.

use serde::{Deserialize, Deserializer};

/// Tells "absent" (`None`) from "explicitly null" (`Some(None)`) in a PATCH body.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// An instant with its offset as chrono's `Serialize` writes it — RFC 3339, `Z` for UTC,
/// fractional seconds only when there are any (3, 6 or 9 digits) — but without going through
/// `fmt`, which writes it a character at a time: an appointment list writes four per row.
/// Unusual values (years outside 0–9999, offsets with seconds) go to chrono itself.
pub mod rfc3339 {
    use chrono::{DateTime, Datelike, FixedOffset, Timelike};
    use serde::{Serialize, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 35];
        match write(t, &mut buf) {
            Some(len) => match std::str::from_utf8(&buf[..len]) {
                Ok(text) => s.serialize_str(text),
                Err(_) => t.serialize(s),
            },
            None => t.serialize(s),
        }
    }

    fn two(buf: &mut [u8], at: usize, value: u32) {
        buf[at] = b'0' + (value / 10 % 10) as u8;
        buf[at + 1] = b'0' + (value % 10) as u8;
    }

    /// Writes `t` into `buf`, returning the length; `None` when chrono must do it.
    fn write(t: &DateTime<FixedOffset>, buf: &mut [u8; 35]) -> Option<usize> {
        let local = t.naive_local();
        let year = u32::try_from(local.year()).ok().filter(|y| *y <= 9999)?;
        let offset = t.offset().local_minus_utc();
        let nano = local.nanosecond();
        if offset % 60 != 0 || nano >= 1_000_000_000 {
            return None;
        }
        two(buf, 0, year / 100);
        two(buf, 2, year % 100);
        buf[4] = b'-';
        two(buf, 5, local.month());
        buf[7] = b'-';
        two(buf, 8, local.day());
        buf[10] = b'T';
        two(buf, 11, local.hour());
        buf[13] = b':';
        two(buf, 14, local.minute());
        buf[16] = b':';
        two(buf, 17, local.second());
        let mut len = 19;
        let (fraction, digits) = if nano == 0 {
            (0, 0)
        } else if nano.is_multiple_of(1_000_000) {
            (nano / 1_000_000, 3)
        } else if nano.is_multiple_of(1_000) {
            (nano / 1_000, 6)
        } else {
            (nano, 9)
        };
        if digits > 0 {
            buf[len] = b'.';
            let mut rest = fraction;
            for i in (0..digits).rev() {
                buf[len + 1 + i] = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            len += 1 + digits;
        }
        if offset == 0 {
            buf[len] = b'Z';
            return Some(len + 1);
        }
        buf[len] = if offset < 0 { b'-' } else { b'+' };
        let minutes = offset.unsigned_abs() / 60;
        two(buf, len + 1, minutes / 60);
        buf[len + 3] = b':';
        two(buf, len + 4, minutes % 60);
        Some(len + 6)
    }

    #[cfg(test)]
    mod tests {
        use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

        #[derive(serde::Serialize)]
        struct Fast(#[serde(with = "super")] DateTime<FixedOffset>);

        #[test]
        fn writes_what_chrono_writes() {
            let offsets = [
                0,
                3 * 3600,
                -(9 * 3600 + 30 * 60),
                14 * 3600,
                5 * 3600 + 45 * 60,
                37,
            ];
            let nanos = [
                0,
                5_000_000,
                330_030_000,
                123_456,
                1,
                999_999_999,
                1_500_000_000,
            ];
            let dates = [
                (2026, 11, 26),
                (1, 1, 1),
                (9999, 12, 31),
                (10_000, 1, 1),
                (-44, 3, 15),
            ];
            let mut checked = 0;
            for (y, m, d) in dates {
                for offset in offsets {
                    for nano in nanos {
                        let naive = NaiveDate::from_ymd_opt(y, m, d)
                            .unwrap()
                            .and_hms_nano_opt(23, 59, 59, nano)
                            .unwrap();
                        let zone = FixedOffset::east_opt(offset).unwrap();
                        let t = zone.from_local_datetime(&naive).unwrap();
                        assert_eq!(
                            serde_json::to_string(&Fast(t)).unwrap(),
                            serde_json::to_string(&t).unwrap(),
                            "{t:?}"
                        );
                        checked += 1;
                    }
                }
            }
            assert_eq!(checked, 5 * 6 * 7);
        }
    }
}
