//! The CSV form of a directory file: one table, a header row naming the fields and
//! a `record` column (`organisation`, `class` or `account`) on every row.

use super::directory::{ImportError, RawRecord};

/// Parses CSV text. The delimiter is `,` or `;` (Excel in Russian locales), guessed
/// from the header row; `#` starts a comment line; cells are trimmed.
pub fn parse(text: &str) -> Result<Vec<RawRecord>, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (header_idx, header_line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .unwrap_or((0, ""));
    let header_line_no = header_idx + 1;
    let delimiter = if header_line.matches(';').count() > header_line.matches(',').count() { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());

    let headers = reader.headers().map_err(csv_error)?.clone();
    let mut names = Vec::with_capacity(headers.len());
    for h in headers.iter() {
        // Validate the header once, with its own line number.
        let mut probe = RawRecord::new(header_line_no);
        probe.set(h, "")?;
        let name = h.trim().trim_start_matches('\u{feff}').to_lowercase();
        if names.contains(&name) {
            return Err(probe.error(format!("field `{name}` appears twice in the header")));
        }
        names.push(name);
    }
    if !names.iter().any(|n| n == "record") {
        return Err(ImportError::new(header_line_no, "the header has no `record` column"));
    }

    let mut records = Vec::new();
    for row in reader.records() {
        let row = row.map_err(csv_error)?;
        let line = row.position().map(|p| p.line()).unwrap_or(0);
        let mut record = RawRecord::new(usize::try_from(line).unwrap_or(0));
        for (name, value) in names.iter().zip(row.iter()) {
            record.set(name, value)?;
        }
        if record.fields.is_empty() {
            continue;
        }
        records.push(record);
    }
    Ok(records)
}

fn csv_error(e: csv::Error) -> ImportError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("expected {expected_len} cells as in the header, found {len}")
        }
        csv::ErrorKind::Utf8 { .. } => "the file is not valid UTF-8".to_owned(),
        _ => format!("bad CSV: {e}"),
    };
    ImportError::new(usize::try_from(line).unwrap_or(0), message)
}
