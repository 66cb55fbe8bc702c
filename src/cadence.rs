//! How often something runs: the cadence annotation on every edge of the diagram.

use std::fmt;

/// How often a job runs, a source is extracted or a consumer needs fresh data.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Cadence {
    /// Streaming or micro-batched without a fixed schedule.
    Continuous,
    /// A fixed interval, in seconds (`every 15m`, `hourly`, `timedelta(hours=1)`).
    Every(u64),
    /// Once a day at a wall-clock time (`daily 02:00`).
    DailyAt {
        /// Hour, 0–23.
        hour: u8,
        /// Minute, 0–59.
        minute: u8,
    },
    /// A cron expression, validated.
    Cron(String),
    /// Only when triggered by hand or by another system (`schedule=None`, `@once`).
    Manual,
    /// Runs when upstream data changes (Airflow Dataset/Asset schedules); the
    /// effective cadence is that of the producers.
    OnData,
    /// Runs on a schedule whose times pipelint cannot compute (a custom
    /// timetable, a schedule held in a variable): scheduled, not manual.
    Scheduled,
}

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

impl Cadence {
    /// Parses the cadence text of the manifest: `continuous`, `every 5m`, `hourly`,
    /// `daily`, `daily 02:00`, `weekly`, a cron expression or an Airflow preset.
    pub fn parse(text: &str) -> Result<Cadence, String> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        if let Some(preset) = Cadence::from_preset(&lower) {
            return Ok(preset);
        }
        match lower.as_str() {
            "continuous" | "streaming" => return Ok(Cadence::Continuous),
            "manual" | "none" | "on demand" => return Ok(Cadence::Manual),
            "hourly" => return Ok(Cadence::Every(HOUR)),
            "daily" => return Ok(Cadence::Every(DAY)),
            "weekly" => return Ok(Cadence::Every(7 * DAY)),
            "monthly" => return Ok(Cadence::Every(31 * DAY)),
            _ => {}
        }
        if let Some(rest) = lower.strip_prefix("every ") {
            return parse_interval(rest.trim())
                .map(Cadence::Every)
                .ok_or_else(|| {
                    format!(
                        "`{t}`: expected an interval such as `every 5m`, `every 2h` or `every 1d`"
                    )
                });
        }
        if let Some(rest) = lower.strip_prefix("daily ") {
            return parse_clock(rest.trim())
                .map(|(hour, minute)| Cadence::DailyAt { hour, minute })
                .ok_or_else(|| format!("`{t}`: expected a time of day such as `daily 02:00`"));
        }
        if t.split_whitespace().count() >= 5 {
            parse_cron(t).map_err(|e| format!("`{t}` is not a valid cron expression: {e}"))?;
            let fields: Vec<&str> = t.split_whitespace().collect();
            // `M H * * *` is a daily run at a wall-clock time: say so plainly.
            if let [m, h, "*", "*", "*"] = fields.as_slice() {
                if let (Ok(minute), Ok(hour)) = (m.parse::<u8>(), h.parse::<u8>()) {
                    return Ok(Cadence::DailyAt { hour, minute });
                }
            }
            return Ok(Cadence::Cron(fields.join(" ")));
        }
        Err(format!(
            "`{t}` is not a cadence: use `continuous`, `every 15m`, `hourly`, `daily`, `daily 02:00`, `weekly`, a cron expression or an Airflow preset such as `@daily`"
        ))
    }

    /// Reads an Airflow preset (`@hourly`, `@daily`, `@once`, …).
    pub fn from_preset(text: &str) -> Option<Cadence> {
        Some(match text {
            "@continuous" => Cadence::Continuous,
            "@once" => Cadence::Manual,
            "@hourly" => Cadence::Every(HOUR),
            "@daily" | "@midnight" => Cadence::DailyAt { hour: 0, minute: 0 },
            "@weekly" => Cadence::Every(7 * DAY),
            "@monthly" => Cadence::Every(31 * DAY),
            "@quarterly" => Cadence::Every(92 * DAY),
            "@yearly" | "@annually" => Cadence::Every(366 * DAY),
            _ => return None,
        })
    }

    /// The longest time between two runs, in seconds: the staleness a reader of
    /// the output can see. `None` when it is not bounded (manual) or not known
    /// here (data-triggered).
    pub fn max_gap_seconds(&self) -> Option<u64> {
        match self {
            Cadence::Continuous => Some(0),
            Cadence::Every(s) => Some(*s),
            Cadence::DailyAt { .. } => Some(DAY),
            Cadence::Cron(expr) => cron_max_gap(expr),
            Cadence::Manual | Cadence::OnData | Cadence::Scheduled => None,
        }
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cadence::Continuous => f.write_str("continuous"),
            Cadence::Every(s) if *s == HOUR => f.write_str("hourly"),
            Cadence::Every(s) if *s == DAY => f.write_str("daily"),
            Cadence::Every(s) if *s == 7 * DAY => f.write_str("weekly"),
            Cadence::Every(s) if s % DAY == 0 => write!(f, "every {}d", s / DAY),
            Cadence::Every(s) if s % HOUR == 0 => write!(f, "every {}h", s / HOUR),
            Cadence::Every(s) if s % MINUTE == 0 => write!(f, "every {}m", s / MINUTE),
            Cadence::Every(s) => write!(f, "every {s}s"),
            Cadence::DailyAt { hour, minute } => write!(f, "daily {hour:02}:{minute:02}"),
            Cadence::Cron(expr) => write!(f, "cron {expr}"),
            Cadence::Manual => f.write_str("manual"),
            Cadence::OnData => f.write_str("on data"),
            Cadence::Scheduled => f.write_str("scheduled"),
        }
    }
}

/// `5m`, `5 min`, `15 minutes`, `2h`, `1 hour`, `1d`, `30s` → seconds.
fn parse_interval(text: &str) -> Option<u64> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (num, unit) = text.split_at(digits_end);
    let n: u64 = if num.is_empty() { 1 } else { num.parse().ok()? };
    let unit_seconds = match unit.trim() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => MINUTE,
        "h" | "hr" | "hrs" | "hour" | "hours" => HOUR,
        "d" | "day" | "days" => DAY,
        "w" | "week" | "weeks" => 7 * DAY,
        _ => return None,
    };
    (n > 0).then_some(n.checked_mul(unit_seconds)?)
}

/// `02:00` → (2, 0).
fn parse_clock(text: &str) -> Option<(u8, u8)> {
    let (h, m) = text.split_once(':')?;
    let hour: u8 = h.parse().ok()?;
    let minute: u8 = m.parse().ok()?;
    (hour < 24 && minute < 60).then_some((hour, minute))
}

/// Reads a cron expression as Airflow does (with croniter): five fields, a
/// sixth for seconds *last*, a seventh for the year; steps without ranges
/// (`2/4`), reversed ranges (`22-2`), `L`, `W`, `#`, `?`, `L5` (the last
/// Friday) and month and weekday names. The expression is rewritten into
/// croner's syntax, which then validates the values and computes the runs.
pub fn parse_cron(expr: &str) -> Result<croner::Cron, String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if !(5..=7).contains(&fields.len()) {
        return Err(format!(
            "{} fields; croniter reads 5, 6 (seconds last) or 7 (then the year)",
            fields.len()
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        out.push(croniter_field(f, CRON_BOUNDS[i])?);
    }
    // croner wants the seconds first.
    if out.len() >= 6 {
        let seconds = out.remove(5);
        out.insert(0, seconds);
    }
    let parser = croner::parser::CronParser::builder()
        .seconds(if fields.len() >= 6 {
            croner::parser::Seconds::Required
        } else {
            croner::parser::Seconds::Disallowed
        })
        .year(if fields.len() == 7 {
            croner::parser::Year::Required
        } else {
            croner::parser::Year::Disallowed
        })
        .sloppy_ranges(true)
        .build();
    parser.parse(&out.join(" ")).map_err(|e| e.to_string())
}

/// (lowest, highest) value of each croniter field: minute, hour, day of
/// month, month, day of week, second, year.
const CRON_BOUNDS: [(u32, u32); 7] = [
    (0, 59),
    (0, 23),
    (1, 31),
    (1, 12),
    (0, 7),
    (0, 59),
    (1970, 2099),
];

/// One croniter field in croner's syntax: `L5` → `5L`, `22-2` → `22-23,0-2`;
/// a step must follow a value, a range or `*` (croniter rejects `/10`).
fn croniter_field(field: &str, (low, high): (u32, u32)) -> Result<String, String> {
    let mut parts = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        if range.is_empty() {
            return Err(format!("`{item}`: a step needs a start (`*/n` or `m/n`)"));
        }
        let upper = range.to_ascii_uppercase();
        // croniter writes the last Friday `L5`, never `5L`, and knows no `LW`.
        let trailing_l = upper.len() > 1 && upper.ends_with('L');
        if trailing_l || upper == "LW" {
            return Err(format!("`{item}` is not croniter syntax"));
        }
        let range = match upper.strip_prefix('L') {
            Some(day) if !day.is_empty() && day.chars().all(|c| c.is_ascii_digit()) => {
                format!("{day}L")
            }
            _ => upper.clone(),
        };
        let wrapped = match range.split_once('-') {
            Some((a, b)) => match (a.parse::<u32>(), b.parse::<u32>()) {
                (Ok(a), Ok(b)) if a > b && a <= high && b >= low => {
                    Some(format!("{a}-{high},{low}-{b}"))
                }
                _ => None,
            },
            None => None,
        };
        match (wrapped, step) {
            (Some(w), None) => parts.push(w),
            (Some(_), Some(_)) => return Err(format!("`{item}`: a reversed range with a step")),
            (None, Some(s)) => parts.push(format!("{range}/{s}")),
            (None, None) => parts.push(range),
        }
    }
    Ok(parts.join(","))
}

/// The longest gap between consecutive runs of a cron schedule over a sample year.
fn cron_max_gap(expr: &str) -> Option<u64> {
    let cron = parse_cron(expr).ok()?;
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)?.and_hms_opt(0, 0, 0)?;
    let mut prev: Option<chrono::NaiveDateTime> = None;
    let mut max_gap = 0u64;
    for next in cron.iter_after(start).take(2_000) {
        if let Some(p) = prev {
            max_gap = max_gap.max(u64::try_from((next - p).num_seconds()).unwrap_or(0));
        }
        prev = Some(next);
        if (next - start).num_days() > 400 {
            break;
        }
    }
    prev.map(|_| max_gap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_manifest_form() {
        assert_eq!(Cadence::parse("continuous"), Ok(Cadence::Continuous));
        assert_eq!(Cadence::parse("every 15m"), Ok(Cadence::Every(900)));
        assert_eq!(Cadence::parse("every 5 minutes"), Ok(Cadence::Every(300)));
        assert_eq!(Cadence::parse("hourly"), Ok(Cadence::Every(3600)));
        assert_eq!(
            Cadence::parse("daily 02:00"),
            Ok(Cadence::DailyAt { hour: 2, minute: 0 })
        );
        assert_eq!(
            Cadence::parse("@daily"),
            Ok(Cadence::DailyAt { hour: 0, minute: 0 })
        );
        assert_eq!(
            Cadence::parse("0 3 * * *"),
            Ok(Cadence::DailyAt { hour: 3, minute: 0 })
        );
    }

    #[test]
    fn rejects_nonsense_with_a_reason() {
        assert!(Cadence::parse("sometimes")
            .unwrap_err()
            .contains("not a cadence"));
        assert!(Cadence::parse("daily 25:00")
            .unwrap_err()
            .contains("time of day"));
        assert!(Cadence::parse("every 0m").is_err());
        assert!(Cadence::parse("61 * * * *").unwrap_err().contains("cron"));
    }

    #[test]
    fn cron_is_read_as_croniter_reads_it() {
        for ok in [
            "15 2/4 3-6 * *",
            "0 0 L * *",
            "0 0 15W * *",
            "0 0 * * 5#3",
            "0 0 * * L5",
            "0 22-2 * * *",
            "* * * * * 30",
            "0 0 * * * 0 2030",
            "0 0 ? * mon-fri",
        ] {
            assert!(parse_cron(ok).is_ok(), "{ok}: {:?}", parse_cron(ok).err());
        }
        for bad in [
            "/10 * * * *",
            "0 24 * * *",
            "0 0 * * 5L",
            "0 0 LW * *",
            "1 2 3 4",
        ] {
            assert!(parse_cron(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Cadence::parse("* * * * * 30").unwrap().max_gap_seconds(),
            Some(60)
        );
    }

    #[test]
    fn gaps_bound_staleness() {
        assert_eq!(
            Cadence::parse("*/15 * * * *").unwrap().max_gap_seconds(),
            Some(900)
        );
        assert_eq!(
            Cadence::parse("0 3 * * 1-5").unwrap().max_gap_seconds(),
            Some(3 * DAY)
        );
        assert_eq!(Cadence::Manual.max_gap_seconds(), None);
        assert_eq!(
            Cadence::parse("every 90m").unwrap().to_string(),
            "every 90m"
        );
    }
}
