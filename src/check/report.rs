//! The result of `propusk check`: findings, each a level, an area and one line. Pure.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// A check that passed.
    Ok,
    /// A check skipped or nothing to check, with why.
    Note,
    /// Works today, needs attention soon (a certificate close to its end).
    Warn,
    /// A problem: `check` exits 2.
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    /// `database`, `keys`, `esia`, `smtp`, ….
    pub area: &'static str,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Ok => "ok",
            Level::Note => "note",
            Level::Warn => "warning",
            Level::Error => "error",
        };
        write!(f, "{level}: {}: {}", self.area, self.message)
    }
}

/// Every finding, in the order the checks ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn push(&mut self, level: Level, area: &'static str, message: impl Into<String>) {
        self.findings.push(Finding { level, area, message: message.into() });
    }
    pub fn ok(&mut self, area: &'static str, message: impl Into<String>) {
        self.push(Level::Ok, area, message);
    }
    pub fn note(&mut self, area: &'static str, message: impl Into<String>) {
        self.push(Level::Note, area, message);
    }
    pub fn warn(&mut self, area: &'static str, message: impl Into<String>) {
        self.push(Level::Warn, area, message);
    }
    pub fn error(&mut self, area: &'static str, message: impl Into<String>) {
        self.push(Level::Error, area, message);
    }

    /// The problems (errors).
    pub fn problems(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.level == Level::Error)
    }

    pub fn passed(&self) -> bool {
        self.problems().next().is_none()
    }

    /// The last line: how many checks passed, warned and failed.
    pub fn summary(&self) -> String {
        let count = |l: Level| self.findings.iter().filter(|f| f.level == l).count();
        let (ok, warn, err) = (count(Level::Ok), count(Level::Warn), count(Level::Error));
        if err == 0 {
            format!("propusk check: OK ({ok} checks passed, {warn} warnings)")
        } else {
            format!("propusk check: {err} problems ({ok} checks passed, {warn} warnings)")
        }
    }
}

/// A certificate's remaining validity as a finding: an error once expired (or not
/// yet valid), a warning under 30 days.
pub fn certificate_finding(report: &mut Report, area: &'static str, what: &str, days_left: i64, valid_now: bool) {
    if !valid_now || days_left < 0 {
        report.error(area, format!("{what} has expired or is not valid yet ({days_left} days left)"));
    } else if days_left < 30 {
        report.warn(area, format!("{what} expires in {days_left} days"));
    } else {
        report.ok(area, format!("{what} valid, {days_left} days left"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_lines_and_summary() {
        let mut r = Report::default();
        r.ok("database", "reachable");
        assert!(r.passed());
        assert_eq!(r.summary(), "propusk check: OK (1 checks passed, 0 warnings)");
        r.error("keys", "bad");
        assert!(!r.passed());
        assert_eq!(r.problems().map(ToString::to_string).collect::<Vec<_>>(), ["error: keys: bad"]);
        assert!(r.summary().starts_with("propusk check: 1 problems"));
    }

    #[test]
    fn certificate_days() {
        let table = [
            (400, true, Level::Ok),
            (29, true, Level::Warn),
            (0, true, Level::Warn),
            (-1, true, Level::Error),
            (10, false, Level::Error),
        ];
        for (days, valid, want) in table {
            let mut r = Report::default();
            certificate_finding(&mut r, "esia", "cert", days, valid);
            assert_eq!(r.findings[0].level, want, "{days} {valid}");
        }
    }
}
