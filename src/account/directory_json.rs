//! The JSON form of a directory file: an array of flat objects, each with a
//! `record` key and the same field names as the CSV header.

use super::directory::{ImportError, RawRecord};
use serde_json::Value;

/// Parses JSON text; each record's line is the line its `{` is on.
pub fn parse(text: &str) -> Result<Vec<RawRecord>, ImportError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ImportError::new(e.line(), format!("bad JSON: {e}")))?;
    let Value::Array(items) = value else {
        return Err(ImportError::new(1, "the file must be a JSON array of records"));
    };
    let lines = element_lines(text);
    let mut records = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(0);
        let Value::Object(map) = item else {
            return Err(ImportError::new(line, "each record must be a JSON object"));
        };
        let mut record = RawRecord::new(line);
        for (name, value) in map {
            let text = match value {
                Value::Null => continue,
                Value::String(s) => s,
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                Value::Array(items) if name == "parents" => {
                    let mut logins = Vec::with_capacity(items.len());
                    for item in items {
                        match item {
                            Value::String(s) => logins.push(s),
                            _ => return Err(record.error("`parents` must be an array of logins")),
                        }
                    }
                    logins.join(";")
                }
                _ => return Err(record.error(format!("`{name}` must be a string"))),
            };
            record.set(&name, &text)?;
        }
        records.push(record);
    }
    Ok(records)
}

/// The line on which each element of the top-level array starts.
fn element_lines(text: &str) -> Vec<usize> {
    let (mut line, mut depth) = (1usize, 0usize);
    let (mut in_string, mut escaped, mut expect) = (false, false, false);
    let mut lines = Vec::new();
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if depth == 1 && expect && !c.is_whitespace() && c != ']' {
            lines.push(line);
            expect = false;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => {
                depth += 1;
                if depth == 1 {
                    expect = true;
                }
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expect = true,
            _ => {}
        }
    }
    lines
}
