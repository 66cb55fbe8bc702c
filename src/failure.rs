//! What a job does when it fails: retry, fail fast, or fail open.

use std::fmt;

/// The failure behavior annotated on a transform.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum FailureBehavior {
    /// Retry up to `count` times, optionally with exponential back-off.
    Retry {
        /// Number of retries after the first attempt.
        count: u32,
        /// Back-off doubles between attempts.
        exponential: bool,
    },
    /// Stop and alert at once (a failure callback, an email, `fail-fast`).
    FailFast,
    /// Let downstream go on with the previous data (`fail-open`).
    FailOpen,
}

impl FailureBehavior {
    /// Parses `retry(N)`, `retry(N, exponential)`, `fail-fast` or `fail-open`.
    pub fn parse(text: &str) -> Result<FailureBehavior, String> {
        let t = text.trim();
        match t {
            "fail-fast" => return Ok(FailureBehavior::FailFast),
            "fail-open" => return Ok(FailureBehavior::FailOpen),
            _ => {}
        }
        let bad = || {
            format!("`{t}` is not a failure behavior: use `retry(N)`, `retry(N, exponential)`, `fail-fast` or `fail-open`")
        };
        let inner = t
            .strip_prefix("retry(")
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(bad)?;
        let mut parts = inner.split(',').map(str::trim);
        let count: u32 = parts.next().and_then(|n| n.parse().ok()).ok_or_else(bad)?;
        let exponential = match parts.next() {
            None => false,
            Some("exponential") => true,
            Some(_) => return Err(bad()),
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(FailureBehavior::Retry { count, exponential })
    }
}

impl fmt::Display for FailureBehavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureBehavior::Retry {
                count,
                exponential: false,
            } => write!(f, "retry({count})"),
            FailureBehavior::Retry {
                count,
                exponential: true,
            } => write!(f, "retry({count}, exponential)"),
            FailureBehavior::FailFast => f.write_str("fail-fast"),
            FailureBehavior::FailOpen => f.write_str("fail-open"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_the_manifest_forms() {
        for text in [
            "retry(2)",
            "retry(3, exponential)",
            "fail-fast",
            "fail-open",
        ] {
            assert_eq!(FailureBehavior::parse(text).unwrap().to_string(), text);
        }
        assert!(FailureBehavior::parse("retry(x)").is_err());
        assert!(FailureBehavior::parse("retry(2, linear)").is_err());
        assert!(FailureBehavior::parse("panic").is_err());
    }
}
