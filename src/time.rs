//! Times as chiron writes and reads them: seconds since the epoch, RFC 3339
//! in UTC. Written here rather than with a date crate: the few conversions
//! needed (civil date from days and back, Howard Hinnant's algorithms) are
//! small, and every timestamp chiron writes must come out byte-identical.

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Today (UTC).
pub fn today() -> Date {
    Date::of_epoch(now())
}

/// A calendar day, `YYYY-MM-DD` (proleptic Gregorian, as RFC 3339 dates).
/// Ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date: expected YYYY-MM-DD such as `2025-12-31`")]
pub struct DateError(pub String);

impl Date {
    /// The day (UTC) of a time in seconds since the epoch.
    pub fn of_epoch(epoch: i64) -> Self {
        let text = rfc3339(epoch);
        let number = |range: std::ops::Range<usize>| {
            text.get(range)
                .and_then(|part| part.parse().ok())
                .unwrap_or(0)
        };
        Self {
            year: number(0..4),
            month: number(5..7) as u8,
            day: number(8..10) as u8,
        }
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;

    /// Exactly `YYYY-MM-DD`, and a day the month has (no `2025-02-30`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let bad = || DateError(s.to_string());
        let well_formed = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !well_formed {
            return Err(bad());
        }
        // A day the month does not have comes back as another day.
        let epoch = parse(text).ok_or_else(bad)?;
        let date = Date::of_epoch(epoch);
        if date.to_string() != text {
            return Err(bad());
        }
        Ok(date)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Seconds since the epoch to an RFC 3339 UTC time (proleptic Gregorian).
pub fn rfc3339(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let seconds = epoch.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// Seconds since the epoch of an RFC 3339 time (`2024-05-01T12:00:00Z`,
/// fractions and offsets allowed), or of a bare date.
pub fn parse(text: &str) -> Option<i64> {
    let text = text.trim();
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if text.get(4..5)? != "-"
        || text.get(7..8)? != "-"
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
    {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut seconds = days * 86_400;
    if text.len() > 10 {
        if !matches!(text.get(10..11)?, "T" | "t" | " ") {
            return None;
        }
        let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
        seconds += hour * 3600 + minute * 60 + second;
        let rest = text.get(19..)?;
        let rest = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
        if let Some(offset) = rest.strip_prefix(['+', '-']) {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            let hours: i64 = offset.get(0..2)?.parse().ok()?;
            let minutes: i64 = offset.get(3..5)?.parse().ok()?;
            seconds -= sign * (hours * 3600 + minutes * 60);
        } else if !(rest.is_empty() || rest.eq_ignore_ascii_case("z")) {
            return None;
        }
    }
    Some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_real_days_written_yyyy_mm_dd() {
        for good in ["2025-12-31", "2000-02-29", " 2999-01-01 "] {
            let date: Date = good.parse().unwrap();
            assert_eq!(date.to_string(), good.trim());
        }
        for bad in [
            "2025-02-30",
            "2023-02-29",
            "2025-13-01",
            "2025-1-1",
            "2025/01/01",
            "20250101",
            "2025-01-01T00:00:00Z",
            "soon",
            "",
        ] {
            let error = bad.parse::<Date>().unwrap_err().to_string();
            assert!(error.contains("expected YYYY-MM-DD"), "{bad}: {error}");
        }
        assert!("2024-12-31".parse::<Date>().unwrap() < "2025-01-01".parse().unwrap());
        assert_eq!(Date::of_epoch(951_782_400).to_string(), "2000-02-29");
    }

    #[test]
    fn epochs_become_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn times_parse_back() {
        assert_eq!(parse("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse("2023-11-14T22:13:20.123456Z"), Some(1_700_000_000));
        assert_eq!(parse("2023-11-15T00:13:20+02:00"), Some(1_700_000_000));
        assert_eq!(parse("2000-02-29"), Some(951_782_400));
        assert_eq!(parse("2023-13-01"), None);
        assert_eq!(parse("2023-01-01X00:00:00"), None);
        assert_eq!(parse("yesterday"), None);
        for epoch in [0, 951_782_400, 1_700_000_000, 4_102_444_800] {
            assert_eq!(parse(&rfc3339(epoch)), Some(epoch));
        }
    }
}
